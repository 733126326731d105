package esltest

import (
	"bytes"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/callhook/callhook/esl"
	"github.com/callhook/callhook/internal/testlog"
)

// pipeCall starts a call over net.Pipe (for synctest bubbles).
func pipeCall(t *testing.T, o Options) (*Call, *daemon) {
	t.Helper()
	simEnd, nc := net.Pipe()
	c := NewCall(simEnd, o)
	t.Cleanup(func() {
		nc.Close()
		c.Close()
	})
	return c, &daemon{t: t, nc: nc, r: esl.NewReader(nc, esl.Limits{})}
}

// TestGarbageAfter checks that the garbage fault breaks the daemon's
// framing right after the chosen frame.
func TestGarbageAfter(t *testing.T) {
	_, d := start(t, Options{GarbageAfter: 1})
	d.send("connect")
	if f := d.read(); f.Headers.Get("Socket-Mode") != "async" {
		t.Fatalf("first frame is not the connect reply")
	}
	_, err := d.readWire()
	var pe *esl.ProtocolError
	if !errors.As(err, &pe) {
		t.Errorf("read after garbage: %v, want a *esl.ProtocolError", err)
	}
}

// TestAbruptClose checks that the connection drops without any notice
// after the chosen frame, with a FIN or an RST.
func TestAbruptClose(t *testing.T) {
	for _, reset := range []bool{false, true} {
		t.Run(map[bool]string{false: "FIN", true: "RST"}[reset], func(t *testing.T) {
			c, d := start(t, Options{AbruptClose: 2, ResetOnClose: reset})
			d.cmd("connect")
			d.cmd("myevents")
			_, err := d.readWire()
			if err == nil {
				t.Fatal("read after the abrupt close returned a frame")
			}
			if !reset && !errors.Is(err, io.EOF) {
				t.Errorf("read after FIN: %v, want EOF", err)
			}
			if reset && errors.Is(err, io.EOF) {
				t.Errorf("read after RST: %v, want a reset error", err)
			}
			if r, _ := c.Wait(t.Context()); r.Outcome != Aborted {
				t.Errorf("result = %v, want aborted", r)
			}
		})
	}
}

// TestEventsBeforeReply checks the race fault in fake time: the events a
// command causes are held until the next command, and written before its
// reply; with no next command they come after the grace period.
func TestEventsBeforeReply(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		_, d := pipeCall(t, Options{EventsBeforeReply: true, Park: ParkImmediately})
		d.cmd("connect")
		d.cmd("myevents")
		d.cmd(execute("answer", ""))
		d.send("getvar loopback_leg")
		var got []*esl.Frame
		for range 4 {
			got = append(got, d.read())
		}
		wantNames(t, "after getvar", got,
			"CHANNEL_EXECUTE(answer) CHANNEL_ANSWER CHANNEL_EXECUTE_COMPLETE(answer) command/reply")
		if r := got[3].ReplyText(); r != "B" {
			t.Errorf("getvar = %q", r)
		}

		d.cmd(execute("set", "a=b"))
		before := time.Now()
		d.read()
		if waited := time.Since(before); waited != eventsBeforeReplyGrace {
			t.Errorf("events held %v without a next command, want %v", waited, eventsBeforeReplyGrace)
		}
	})
}

// TestSlowReader checks in fake time that the simulator pauses reading
// after each command, and still answers everything in order.
func TestSlowReader(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		_, d := pipeCall(t, Options{SlowReader: time.Second})
		go func() {
			// One write with three commands: the pauses come between them.
			io.WriteString(d.nc, "connect\n\nmyevents\n\ngetvar loopback_leg\n\n")
		}()
		begin := time.Now()
		d.read()
		if r := d.read().ReplyText(); r != "+OK Events Enabled" {
			t.Errorf("second reply = %q", r)
		}
		if r := d.read().ReplyText(); r != "B" {
			t.Errorf("third reply = %q", r)
		}
		if took := time.Since(begin); took != 2*time.Second {
			t.Errorf("three commands took %v, want 2s (two pauses)", took)
		}
	})
}

// TestProtocolErrorFromDaemon checks that a negative Content-Length drops
// the connection with the disconnect notice, as FreeSWITCH does since
// a097e124.
func TestProtocolErrorFromDaemon(t *testing.T) {
	_, d := start(t, Options{})
	d.cmd("connect")
	d.send("sendmsg\ncontent-length: -1\n\n")
	wantNames(t, "after a bad packet", d.rest(), "notice:disconnect")
}

// TestTrace checks that Options.Trace is a wire.txt transcript esl.ReadWire
// parses, with every byte both ways.
func TestTrace(t *testing.T) {
	var trace testlog.Buffer
	c, d := start(t, Options{Trace: &trace, Park: ParkImmediately})
	sent := []string{"connect\n\n", "myevents\n\n", "\r\n" + execute("answer", ""), hangupCmd}
	for _, s := range sent {
		d.send(s)
		d.until("command/reply")
	}
	d.rest()
	if _, err := c.Wait(t.Context()); err != nil {
		t.Fatal(err)
	}
	entries, err := esl.ReadWire(trace.Bytes())
	if err != nil {
		t.Fatalf("ReadWire(trace): %v\n%s", err, trace.Bytes())
	}
	var cmds, frames bytes.Buffer
	for _, e := range entries {
		switch e.Dir {
		case "C>":
			cmds.Write(e.Raw)
		case "F>":
			frames.Write(e.Raw)
		}
	}
	if want := strings.Join(sent, ""); cmds.String() != want {
		t.Errorf("traced commands = %q, want %q", cmds.String(), want)
	}
	var written bytes.Buffer
	for _, f := range c.Written() {
		written.Write(f.Encode())
	}
	if !bytes.Equal(frames.Bytes(), written.Bytes()) {
		t.Errorf("traced frames (%d bytes) differ from Written (%d bytes)", frames.Len(), written.Len())
	}
}

// TestObservation checks Received, WaitCommand, WaitApp (each call a later
// run), Apps and Var.
func TestObservation(t *testing.T) {
	c, d := connected(t, Options{Park: ParkImmediately}, "")
	d.cmd(execute("set", "x=1"))
	d.cmd(execute("set", "x=2"))
	first, err := c.WaitApp(t.Context(), "set")
	if err != nil {
		t.Fatal(err)
	}
	second, err := c.WaitApp(t.Context(), "set")
	if err != nil {
		t.Fatal(err)
	}
	if first.Arg != "x=1" || second.Arg != "x=2" {
		t.Errorf("WaitApp runs = %q, %q, want x=1 then x=2", first.Arg, second.Arg)
	}
	cmd, err := c.WaitCommand(t.Context(), func(cmd esl.Command) bool {
		return cmd.Headers.Get("execute-app-arg") == "x=2"
	})
	if err != nil || cmd.Line != "sendmsg" {
		t.Errorf("WaitCommand = %v, %v", cmd, err)
	}
	d.until("CHANNEL_EXECUTE_COMPLETE(set)")
	d.until("CHANNEL_EXECUTE_COMPLETE(set)")
	if v, ok := c.Var("x"); v != "2" || !ok {
		t.Errorf("Var(x) = %q, %t, want 2", v, ok)
	}
	if got := len(c.Received()); got != 4 {
		t.Errorf("Received() has %d commands, want 4", got)
	}
	d.cmd(hangupCmd)
	d.rest()
	if _, err := c.WaitApp(t.Context(), "set"); err == nil {
		t.Error("WaitApp after the call ended succeeded")
	}
	for _, run := range c.Apps() {
		if run.Response != "_none_" || run.End.Before(run.Start) || run.UUID == "" {
			t.Errorf("AppRun = %+v", run)
		}
	}
}

// TestKillListener checks kill_listener's notice: the usual layout with
// the reason as body, then close.
func TestKillListener(t *testing.T) {
	c, d := connected(t, Options{UUID: fixedUUID}, "")
	c.KillListener(KillLostEvents)
	frames := d.rest()
	wantNames(t, "after kill", frames, "notice:disconnect")
	f := frames[0]
	if string(f.Body) != KillLostEvents || f.Headers.Get("Controlled-Session-UUID") != fixedUUID {
		t.Errorf("notice = %v %q", f.Headers, f.Body)
	}
	if r, _ := c.Wait(t.Context()); r.Outcome != Aborted {
		t.Errorf("result = %v, want aborted", r)
	}
}

// TestLostEventsKill checks the bounded event queue: a static-mode app
// looping forever fills the queue nobody flushes, events are then lost,
// and the listener is killed as FreeSWITCH kills it.
func TestLostEventsKill(t *testing.T) {
	c, d := start(t, Options{Mode: ModeStatic, Speed: 1e6})
	d.cmd("connect")
	d.cmd("myevents")
	d.send("sendmsg\ncall-command: execute\nexecute-app-name: playback\nexecute-app-arg: /x.wav\nloops: -1\n\n")
	frames := d.rest()
	wantNames(t, "frames", frames, "notice:disconnect")
	if got := string(frames[0].Body); got != KillLostEvents {
		t.Errorf("notice body = %q, want %q", got, KillLostEvents)
	}
	if r, _ := c.Wait(t.Context()); r.Outcome != Aborted {
		t.Errorf("result = %v, want aborted", r)
	}
}
