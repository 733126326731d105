package esl

import (
	"bufio"
	"context"
	"errors"
	"net"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/callhook/callhook/internal/testlog"
)

// send runs Send in another goroutine.
func send(c *Conn, ctx context.Context, line string) *result[*Frame] {
	return goCall(func() (*Frame, error) { return c.Send(ctx, Command{Line: line}) })
}

// wantReply waits for a Send and checks its Reply-Text.
func wantReply(t *testing.T, r *result[*Frame], line, want string) {
	t.Helper()
	f, err := r.wait(t)
	if err != nil {
		t.Fatalf("Send(%q) error = %v, want reply %q", line, err, want)
	}
	if got := f.ReplyText(); got != want {
		t.Fatalf("Send(%q) reply = %q, want %q", line, got, want)
	}
}

func TestSendRepliesInOrderWithEventsBetween(t *testing.T) {
	c, p := pipeConn(t, ConnOptions{})
	a := send(c, t.Context(), "getvar a")
	p.expect("getvar a")
	b := send(c, t.Context(), "getvar b")
	p.expect("getvar b")
	p.write(
		eventFrame("Event-Name", "DTMF", "DTMF-Digit", "1"),
		replyFrame("value-a"),
		eventFrame("Event-Name", "DTMF", "DTMF-Digit", "2"),
		replyFrame("value-b"),
	)
	wantReply(t, a, "getvar a", "value-a")
	wantReply(t, b, "getvar b", "value-b")
	for _, want := range []string{"1", "2"} {
		if got := nextEvent(t, c).DTMFDigit(); got != want {
			t.Errorf("NextEvent() DTMF-Digit = %q, want %q", got, want)
		}
	}
}

func TestSendAbandonedReplyIsSwallowed(t *testing.T) {
	c, p := pipeConn(t, ConnOptions{})
	ctx, cancel := context.WithCancel(t.Context())
	slow := send(c, ctx, "api slow")
	p.expect("api slow")
	cancel()
	if _, err := slow.wait(t); !errors.Is(err, context.Canceled) {
		t.Fatalf("Send(api slow) after cancel error = %v, want context.Canceled", err)
	}

	next := send(c, t.Context(), "getvar b")
	p.expect("getvar b")
	p.write(apiFrame("late answer to slow\n"), replyFrame("value-b"))
	wantReply(t, next, "getvar b", "value-b")

	// The FIFO is back in step: the next command gets its own reply.
	third := send(c, t.Context(), "getvar c")
	p.expect("getvar c")
	p.write(replyFrame("value-c"))
	wantReply(t, third, "getvar c", "value-c")
	if err := c.Err(); err != nil {
		t.Errorf("Err() = %v after an abandoned Send, want nil", err)
	}
}

func TestUnexpectedReplyIsProtocolError(t *testing.T) {
	c, p := pipeConn(t, ConnOptions{})
	p.write(replyFrame("+OK nobody asked"))
	waitDone(t, c)
	var pe *ProtocolError
	if err := c.Err(); !errors.As(err, &pe) {
		t.Fatalf("Err() = %v, want a *ProtocolError", err)
	}
	if _, err := c.Send(t.Context(), Command{Line: "getvar x"}); err == nil {
		t.Errorf("Send() after a protocol error = nil error, want one")
	}
}

func TestQueueOverflowEndsConnection(t *testing.T) {
	c, p := pipeConn(t, ConnOptions{MaxQueuedEvents: 2})
	p.write(
		eventFrame("Event-Name", "DTMF", "DTMF-Digit", "1"),
		eventFrame("Event-Name", "DTMF", "DTMF-Digit", "2"),
		eventFrame("Event-Name", "DTMF", "DTMF-Digit", "3"),
	)
	waitDone(t, c)
	if err := c.Err(); !errors.Is(err, ErrQueueOverflow) {
		t.Fatalf("Err() = %v, want ErrQueueOverflow", err)
	}
	// What was queued is still delivered, then the error.
	for _, want := range []string{"1", "2"} {
		if got := nextEvent(t, c).DTMFDigit(); got != want {
			t.Errorf("NextEvent() DTMF-Digit = %q, want %q", got, want)
		}
	}
	if ev, err := c.NextEvent(t.Context()); !errors.Is(err, ErrQueueOverflow) {
		t.Errorf("NextEvent() = %v, %v; want ErrQueueOverflow", ev, err)
	}
}

func TestFramesPassedOver(t *testing.T) {
	var fc frameCount
	c, p := pipeConn(t, ConnOptions{Counter: &fc, Outbound: true})
	frames := []string{
		"Content-Type: log/data\nContent-Length: 12\nLog-Level: 7\nText-Channel: 0\nLog-File: x.c\nLog-Func: f\nLog-Line: 1\nUser-Data: \n\nhello world\n",
		"Content-Type: text/x-unknown\nContent-Length: 3\n\nabc",
		"Content-Type: auth/request\n\n",
		"Content-Type: application/what\n\n",
		eventFrame("Event-Name", "DTMF", "DTMF-Digit", "5"),
	}
	p.write(frames...)
	if got := nextEvent(t, c).DTMFDigit(); got != "5" {
		t.Fatalf("NextEvent() DTMF-Digit = %q, want 5", got)
	}
	if err := c.Err(); err != nil {
		t.Fatalf("Err() = %v after skipped frames, want nil", err)
	}
	seen, size := fc.snapshot()
	want := []string{"F> log/data", "F> text/x-unknown", "F> auth/request", "F> application/what", "F> text/event-plain"}
	if strings.Join(seen, ",") != strings.Join(want, ",") {
		t.Errorf("counted frames %q, want %q", seen, want)
	}
	total := 0
	for _, f := range frames {
		total += len(f)
	}
	if size[Received] != total {
		t.Errorf("counted %d bytes received, want %d", size[Received], total)
	}
}

func TestRudeRejectionRecorded(t *testing.T) {
	c, p := pipeConn(t, ConnOptions{})
	body := "Access Denied, go away.\n"
	p.write("Content-Type: text/rude-rejection\nContent-Length: 24\n\n" + body)
	p.nc.Close()
	waitDone(t, c)
	err := c.Err()
	if !errors.Is(err, ErrDisconnected) || !strings.Contains(err.Error(), "Access Denied") {
		t.Fatalf("Err() = %v, want ErrDisconnected naming the rude rejection", err)
	}
}

func TestDisconnectNotices(t *testing.T) {
	t.Run("linger then final", func(t *testing.T) {
		c, p := connected(t, ConnOptions{})
		p.write(lingerFrame(testChannelUUID))
		if ev := nextEvent(t, c); !ev.IsLingerNotice() || ev.IsFinalNotice() {
			t.Fatalf("NextEvent() = %+v, want the linger notice", ev)
		}
		select {
		case <-c.Hungup():
		default:
			t.Errorf("Hungup() still open after the linger notice")
		}
		if err := c.Err(); err != nil {
			t.Errorf("Err() = %v after a linger notice, want nil (events go on)", err)
		}
		p.write(eventFrame("Event-Name", "CHANNEL_HANGUP_COMPLETE", "Unique-ID", testChannelUUID))
		if got := nextEvent(t, c).Name(); got != EventChannelHangupComplete {
			t.Errorf("NextEvent() after linger = %q, want %q", got, EventChannelHangupComplete)
		}
		p.write(finalFrame(testChannelUUID))
		p.nc.Close()
		ev := nextEvent(t, c)
		if !ev.IsFinalNotice() || string(ev.Body) != goodbye || ev.Get("Controlled-Session-UUID") != testChannelUUID {
			t.Fatalf("NextEvent() = %+v, want the final notice", ev)
		}
		waitDone(t, c)
		if err := c.Err(); err != ErrDisconnected {
			t.Errorf("Err() = %v, want exactly ErrDisconnected", err)
		}
		if ev, err := c.NextEvent(t.Context()); err != ErrDisconnected {
			t.Errorf("NextEvent() at the end = %v, %v; want ErrDisconnected", ev, err)
		}
	})
	t.Run("EOF without notice", func(t *testing.T) {
		c, p := connected(t, ConnOptions{})
		p.nc.Close()
		waitDone(t, c)
		err := c.Err()
		if !errors.Is(err, ErrDisconnected) || err == ErrDisconnected {
			t.Errorf("Err() = %v, want ErrDisconnected wrapped with the read error", err)
		}
		select {
		case <-c.Hungup():
		default:
			t.Errorf("Hungup() still open after the connection ended")
		}
	})
}

func TestHungupOnlyForOurChannel(t *testing.T) {
	c, p := connected(t, ConnOptions{})
	p.write(
		eventFrame("Event-Name", "CHANNEL_HANGUP", "Unique-ID", otherUUID, "Hangup-Cause", "USER_BUSY"),
		eventFrame("Event-Name", "DTMF", "Unique-ID", testChannelUUID, "DTMF-Digit", "1"),
	)
	nextEvent(t, c)
	nextEvent(t, c)
	select {
	case <-c.Hungup():
		t.Fatalf("Hungup() closed by another channel's CHANNEL_HANGUP")
	default:
	}
	if ev := c.HangupEvent(); ev != nil {
		t.Fatalf("HangupEvent() = %+v before our hangup, want nil", ev)
	}
	p.write(eventFrame("Event-Name", "CHANNEL_HANGUP", "Unique-ID", testChannelUUID, "Hangup-Cause", "NORMAL_CLEARING"))
	nextEvent(t, c)
	select {
	case <-c.Hungup():
	default:
		t.Fatalf("Hungup() open after our CHANNEL_HANGUP")
	}
	if got := c.HangupEvent().HangupCause(); got != "NORMAL_CLEARING" {
		t.Errorf("HangupEvent().HangupCause() = %q, want NORMAL_CLEARING", got)
	}
}

var uuidRE = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

func TestNewUUID(t *testing.T) {
	seen := map[string]bool{}
	for range 1000 {
		u := NewUUID()
		if !uuidRE.MatchString(u) {
			t.Fatalf("NewUUID() = %q, want a version 4 UUID", u)
		}
		if seen[u] {
			t.Fatalf("NewUUID() repeated %q", u)
		}
		seen[u] = true
	}
}

// startExecute runs Execute in another goroutine and returns the sendmsg
// the peer read, after checking what Execute must always set.
func startExecute(t *testing.T, c *Conn, p *fsPeer, o ExecuteOptions) (*result[*Event], string) {
	t.Helper()
	r := goCall(func() (*Event, error) { return c.Execute(t.Context(), "playback", "/tmp/x.wav", o) })
	want := strings.TrimSpace("sendmsg " + o.UUID)
	pc := p.expect(want)
	if got := pc.Headers["call-command"]; got != "execute" {
		t.Errorf("sendmsg call-command = %q, want execute", got)
	}
	if got := pc.Headers["event-lock"]; got != "true" {
		t.Errorf("sendmsg event-lock = %q, want true", got)
	}
	id := pc.Headers["event-uuid"]
	if o.EventUUID == "" && !uuidRE.MatchString(id) {
		t.Errorf("sendmsg event-uuid = %q, want a fresh UUID", id)
	}
	return r, id
}

func execEvent(name, appUUID string, kv ...string) string {
	return eventFrame(append([]string{"Event-Name", name, "Unique-ID", testChannelUUID, "Application", "playback", "Application-UUID", appUUID}, kv...)...)
}

func TestExecute(t *testing.T) {
	t.Run("matched by Application-UUID, events still delivered", func(t *testing.T) {
		c, p := connected(t, ConnOptions{})
		r, id := startExecute(t, c, p, ExecuteOptions{})
		p.write(
			replyFrame("+OK"),
			execEvent(EventChannelExecute, id),
			execEvent(EventChannelExecuteComplete, otherUUID, "Application-Response", "other"),
			eventFrame("Event-Name", "DTMF", "Unique-ID", testChannelUUID, "DTMF-Digit", "7"),
			execEvent(EventChannelExecuteComplete, id, "Application-Response", "FILE%20PLAYED"),
		)
		ev, err := r.wait(t)
		if err != nil || ev.AppUUID() != id || ev.AppResponse() != "FILE PLAYED" {
			t.Fatalf("Execute() = %+v, %v; want the completion of %s", ev, err, id)
		}
		want := []string{"CHANNEL_EXECUTE", "CHANNEL_EXECUTE_COMPLETE other", "DTMF 7", "CHANNEL_EXECUTE_COMPLETE FILE PLAYED"}
		for _, w := range want {
			ev := nextEvent(t, c)
			got := strings.TrimSpace(ev.Name() + " " + ev.AppResponse() + ev.DTMFDigit())
			if got != w {
				t.Errorf("NextEvent() = %q, want %q", got, w)
			}
		}
	})
	t.Run("waits through CHANNEL_HANGUP for the late completion", func(t *testing.T) {
		c, p := connected(t, ConnOptions{})
		r, id := startExecute(t, c, p, ExecuteOptions{})
		p.write(
			replyFrame("+OK"),
			eventFrame("Event-Name", "CHANNEL_HANGUP", "Unique-ID", testChannelUUID, "Hangup-Cause", "NORMAL_CLEARING"),
			lingerFrame(testChannelUUID),
		)
		nextEvent(t, c)
		nextEvent(t, c)
		if r.returned() {
			v, err := r.wait(t)
			t.Fatalf("Execute() returned %+v, %v after the hangup, want it to wait for the completion", v, err)
		}
		p.write(execEvent(EventChannelExecuteComplete, id, "Application-Response", "PLAYBACK%20ERROR"))
		ev, err := r.wait(t)
		if err != nil || ev.AppResponse() != "PLAYBACK ERROR" {
			t.Fatalf("Execute() = %+v, %v; want the PLAYBACK ERROR completion", ev, err)
		}
	})
	t.Run("final notice without completion", func(t *testing.T) {
		c, p := connected(t, ConnOptions{})
		r, _ := startExecute(t, c, p, ExecuteOptions{})
		p.write(
			replyFrame("+OK"),
			eventFrame("Event-Name", "CHANNEL_HANGUP", "Unique-ID", testChannelUUID, "Hangup-Cause", "DESTINATION_OUT_OF_ORDER"),
			finalFrame(testChannelUUID),
		)
		if ev, err := r.wait(t); !errors.Is(err, ErrDisconnected) {
			t.Fatalf("Execute() = %+v, %v; want ErrDisconnected", ev, err)
		}
	})
	t.Run("loops=2 returns the last completion", func(t *testing.T) {
		c, p := connected(t, ConnOptions{})
		r, id := startExecute(t, c, p, ExecuteOptions{Loops: 2})
		p.write(
			replyFrame("+OK"),
			execEvent(EventChannelExecute, id, "Event-Date-Timestamp", "1000000000"),
			execEvent(EventChannelExecuteComplete, id, "Event-Date-Timestamp", "1001000000", "Application-Response", "first"),
		)
		nextEvent(t, c)
		nextEvent(t, c)
		if r.returned() {
			v, err := r.wait(t)
			t.Fatalf("Execute(loops=2) returned %+v, %v after one completion", v, err)
		}
		p.write(
			execEvent(EventChannelExecute, id, "Event-Date-Timestamp", "1001000100"),
			execEvent(EventChannelExecuteComplete, id, "Event-Date-Timestamp", "1002000000", "Application-Response", "second"),
		)
		if ev, err := r.wait(t); err != nil || ev.AppResponse() != "second" {
			t.Fatalf("Execute(loops=2) = %+v, %v; want the second completion", ev, err)
		}
	})
	t.Run("loop under 500 ms ends the loops", func(t *testing.T) {
		c, p := connected(t, ConnOptions{})
		r, id := startExecute(t, c, p, ExecuteOptions{Loops: 3})
		p.write(
			replyFrame("+OK"),
			execEvent(EventChannelExecute, id, "Event-Date-Timestamp", "1000000000"),
			execEvent(EventChannelExecuteComplete, id, "Event-Date-Timestamp", "1000100000", "Application-Response", "short"),
		)
		if ev, err := r.wait(t); err != nil || ev.AppResponse() != "short" {
			t.Fatalf("Execute(loops=3) = %+v, %v; want the short first completion", ev, err)
		}
	})
	t.Run("loops end when the channel is down", func(t *testing.T) {
		c, p := connected(t, ConnOptions{})
		r, id := startExecute(t, c, p, ExecuteOptions{Loops: 3})
		p.write(
			replyFrame("+OK"),
			execEvent(EventChannelExecute, id, "Event-Date-Timestamp", "1000000000"),
			execEvent(EventChannelExecuteComplete, id, "Event-Date-Timestamp", "1002000000", "Answer-State", "hangup", "Application-Response", "cut"),
		)
		if ev, err := r.wait(t); err != nil || ev.AppResponse() != "cut" {
			t.Fatalf("Execute(loops=3) = %+v, %v; want the completion on the dead channel", ev, err)
		}
	})
	t.Run("ctx ends the wait, the completion stays an event", func(t *testing.T) {
		c, p := connected(t, ConnOptions{})
		ctx, cancel := context.WithCancel(t.Context())
		r := goCall(func() (*Event, error) { return c.Execute(ctx, "playback", "x.wav", ExecuteOptions{}) })
		id := p.expect("sendmsg").Headers["event-uuid"]
		p.write(replyFrame("+OK"))
		cancel()
		if ev, err := r.wait(t); !errors.Is(err, context.Canceled) {
			t.Fatalf("Execute() after cancel = %+v, %v; want context.Canceled", ev, err)
		}
		p.write(execEvent(EventChannelExecuteComplete, id))
		if got := nextEvent(t, c).AppUUID(); got != id {
			t.Errorf("NextEvent() Application-UUID = %q, want %q", got, id)
		}
		c.mu.Lock()
		n := len(c.execs)
		c.mu.Unlock()
		if n != 0 {
			t.Errorf("%d execute waiters left after a cancelled Execute, want 0", n)
		}
	})
	t.Run("given Event-UUID is kept", func(t *testing.T) {
		c, p := connected(t, ConnOptions{})
		r, id := startExecute(t, c, p, ExecuteOptions{EventUUID: "my-uuid"})
		if id != "my-uuid" {
			t.Errorf("sendmsg event-uuid = %q, want my-uuid", id)
		}
		p.write(replyFrame("+OK"), execEvent(EventChannelExecuteComplete, "my-uuid"))
		if ev, err := r.wait(t); err != nil || ev.AppUUID() != "my-uuid" {
			t.Fatalf("Execute() = %+v, %v; want the completion of my-uuid", ev, err)
		}
	})
	t.Run("-ERR reply", func(t *testing.T) {
		c, p := connected(t, ConnOptions{})
		r, _ := startExecute(t, c, p, ExecuteOptions{UUID: otherUUID})
		p.write(replyFrame("-ERR invalid session id [" + otherUUID + "]"))
		var re *ReplyError
		if ev, err := r.wait(t); !errors.As(err, &re) {
			t.Fatalf("Execute() = %+v, %v; want a *ReplyError", ev, err)
		}
	})
}

func TestBgAPI(t *testing.T) {
	jobReply := func(job string) string {
		return "Content-Type: command/reply\nReply-Text: +OK Job-UUID: " + job + "\nJob-UUID: " + job + "\n\n"
	}
	c, p := connected(t, ConnOptions{})
	r := goCall(func() (*Event, error) { return c.BgAPI(t.Context(), "status") })
	p.expect("event plain BACKGROUND_JOB")
	p.write(replyFrame("+OK event listener enabled plain"))
	pc := p.expect("bgapi status")
	job := pc.Headers["job-uuid"]
	if !uuidRE.MatchString(job) {
		t.Fatalf("bgapi Job-UUID = %q, want a fresh UUID", job)
	}
	p.write(
		jobReply(job),
		eventFrame("Event-Name", "BACKGROUND_JOB", "Job-UUID", otherUUID, "_body", "+OK other\n"),
		eventFrame("Event-Name", "BACKGROUND_JOB", "Job-UUID", job, "Job-Command", "status", "_body", "UP 0 years\n"),
	)
	ev, err := r.wait(t)
	if err != nil || ev.JobUUID() != job || string(ev.Body) != "UP 0 years\n" {
		t.Fatalf("BgAPI(status) = %+v, %v; want job %s with its body", ev, err, job)
	}
	for _, want := range []string{otherUUID, job} {
		if got := nextEvent(t, c).JobUUID(); got != want {
			t.Errorf("NextEvent() Job-UUID = %q, want %q", got, want)
		}
	}

	// Subscribed once: the second bgapi goes straight out.
	r = goCall(func() (*Event, error) { return c.BgAPI(t.Context(), "version") })
	job = p.expect("bgapi version").Headers["job-uuid"]
	p.write(jobReply(job), eventFrame("Event-Name", "BACKGROUND_JOB", "Job-UUID", job, "_body", "v\n"))
	if ev, err := r.wait(t); err != nil || ev.JobUUID() != job {
		t.Fatalf("BgAPI(version) = %+v, %v; want job %s", ev, err, job)
	}
}

func TestBgAPIKeepsEventFormat(t *testing.T) {
	c, p := connected(t, ConnOptions{})
	r := send(c, t.Context(), "myevents json")
	p.expect("myevents json")
	p.write(replyFrame("+OK Events Enabled"))
	wantReply(t, r, "myevents json", "+OK Events Enabled")

	bg := goCall(func() (*Event, error) { return c.BgAPI(t.Context(), "status") })
	p.expect("event json BACKGROUND_JOB")
	p.write(replyFrame("+OK event listener enabled json"))
	job := p.expect("bgapi status").Headers["job-uuid"]
	body := `{"Event-Name":"BACKGROUND_JOB","Job-UUID":"` + job + `","Content-Length":"4","_body":"+OK\n"}`
	p.write(
		"Content-Type: command/reply\nReply-Text: +OK Job-UUID: "+job+"\nJob-UUID: "+job+"\n\n",
		"Content-Length: "+strconv.Itoa(len(body))+"\nContent-Type: text/event-json\n\n"+body,
	)
	if ev, err := bg.wait(t); err != nil || ev.JobUUID() != job || ev.ContentType != TypeEventJSON {
		t.Fatalf("BgAPI(status) = %+v, %v; want the JSON job event", ev, err)
	}
}

func TestAPI(t *testing.T) {
	tests := []struct {
		name    string
		frame   string
		want    string
		wantErr string // ReplyError text, "" for none
	}{
		{"ok", apiFrame("FreeSWITCH Version 1.10.12\n"), "FreeSWITCH Version 1.10.12\n", ""},
		{"-ERR body", apiFrame("-ERR nosuchcommand Command not found!\n"), "-ERR nosuchcommand Command not found!\n", "-ERR nosuchcommand Command not found!"},
		{"not full", replyFrame("-ERR command not found"), "", "-ERR command not found"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, p := pipeConn(t, ConnOptions{})
			r := goCall(func() (string, error) { return c.API(t.Context(), "version") })
			p.expect("api version")
			p.write(tc.frame)
			got, err := r.wait(t)
			var re *ReplyError
			switch {
			case tc.wantErr == "" && err != nil:
				t.Fatalf("API(version) error = %v, want nil", err)
			case tc.wantErr != "" && (!errors.As(err, &re) || re.Text != tc.wantErr):
				t.Fatalf("API(version) error = %v, want *ReplyError %q", err, tc.wantErr)
			}
			if got != tc.want {
				t.Errorf("API(version) = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestSendBeforeConnectIsRefused(t *testing.T) {
	c, p := pipeConn(t, ConnOptions{Outbound: true})
	// Nothing reads the pipe yet: had Send written, it would block.
	if _, err := c.Send(t.Context(), Command{Line: "myevents"}); !errors.Is(err, errNotConnected) {
		t.Fatalf("Send(myevents) before connect error = %v, want errNotConnected", err)
	}
	r := goCall(func() (*Event, error) { return c.Connect(t.Context()) })
	p.expect("connect") // the refused myevents never reached the wire
	p.write(connectFrame(testChannelUUID))
	if _, err := r.wait(t); err != nil {
		t.Fatalf("Connect() error = %v", err)
	}
	if got := c.Channel().Get("Channel-Name"); got != "sofia/internal/1000@192.0.2.10" {
		t.Errorf("Channel() Channel-Name = %q, want it URL-decoded", got)
	}
}

func TestSendEncodeErrorWritesNothing(t *testing.T) {
	c, p := pipeConn(t, ConnOptions{})
	if _, err := c.Send(t.Context(), Command{Line: "api status\nexit"}); err == nil {
		t.Fatalf("Send(command with LF) error = nil, want an encode error")
	}
	r := send(c, t.Context(), "api status")
	p.expect("api status")
	p.write(apiFrame("UP\n"))
	if _, err := r.wait(t); err != nil {
		t.Fatalf("Send(api status) error = %v", err)
	}
}

// writeSignalConn tells when a Write has started.
type writeSignalConn struct {
	net.Conn
	writing chan struct{}
}

func (w *writeSignalConn) Write(b []byte) (int, error) {
	select {
	case w.writing <- struct{}{}:
	default:
	}
	return w.Conn.Write(b)
}

func TestSendWriteCancelledByContext(t *testing.T) {
	a, b := net.Pipe()
	t.Cleanup(func() { b.Close() })
	wc := &writeSignalConn{Conn: a, writing: make(chan struct{}, 1)}
	c := NewConn(wc, ConnOptions{})
	t.Cleanup(func() { c.Close(); <-c.Done() })
	ctx, cancel := context.WithCancel(t.Context())
	// The peer never reads, so the write blocks until ctx ends.
	r := send(c, ctx, "api status")
	<-wc.writing
	cancel()
	if _, err := r.wait(t); !errors.Is(err, context.Canceled) {
		t.Fatalf("Send() with a stuck write error = %v, want context.Canceled", err)
	}
	waitDone(t, c) // a half-written command leaves the stream unusable
}

func TestReadyAndTryEvent(t *testing.T) {
	c, p := pipeConn(t, ConnOptions{})
	if ev, ok := c.TryEvent(); ok {
		t.Fatalf("TryEvent() on an empty queue = %+v, true", ev)
	}
	p.write(eventFrame("Event-Name", "DTMF", "DTMF-Digit", "1"), eventFrame("Event-Name", "DTMF", "DTMF-Digit", "2"))
	// The second event may still be on its way: drain per token until both came.
	var got []string
	for len(got) < 2 {
		select {
		case <-c.Ready():
		case <-c.Done():
			t.Fatalf("connection ended: %v", c.Err())
		}
		for ev, ok := c.TryEvent(); ok; ev, ok = c.TryEvent() {
			got = append(got, ev.DTMFDigit())
		}
	}
	if strings.Join(got, "") != "12" {
		t.Errorf("events via Ready/TryEvent = %q, want [1 2]", got)
	}
}

func TestCloseFromManyGoroutines(t *testing.T) {
	c, p := connected(t, ConnOptions{})
	exec := goCall(func() (*Event, error) {
		return c.Execute(t.Context(), "answer", "", ExecuteOptions{})
	})
	p.expect("sendmsg")
	p.write(replyFrame("+OK"))
	pending := send(c, t.Context(), "api slow")
	p.expect("api slow")
	next := goCall(func() (*Event, error) { return c.NextEvent(t.Context()) })

	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() { c.Close() })
	}
	wg.Wait()
	waitDone(t, c)
	if _, err := pending.wait(t); !errors.Is(err, ErrClosed) {
		t.Errorf("pending Send() error = %v, want ErrClosed", err)
	}
	if _, err := next.wait(t); !errors.Is(err, ErrClosed) {
		t.Errorf("NextEvent() error = %v, want ErrClosed", err)
	}
	if _, err := exec.wait(t); !errors.Is(err, ErrClosed) {
		t.Errorf("Execute() error = %v, want ErrClosed", err)
	}
	if err := c.Err(); err != ErrClosed {
		t.Errorf("Err() = %v, want ErrClosed", err)
	}
	if err := c.Close(); err != nil {
		t.Errorf("Close() again = %v, want nil", err)
	}
}

func TestCounterAndTrace(t *testing.T) {
	var fc frameCount
	var trace testlog.Buffer
	c, p := pipeConn(t, ConnOptions{Counter: &fc, Trace: &trace})
	r := send(c, t.Context(), "api status")
	p.expect("api status")
	p.write(apiFrame("UP"))
	if _, err := r.wait(t); err != nil {
		t.Fatalf("Send(api status) error = %v", err)
	}
	seen, size := fc.snapshot()
	slices.Sort(seen) // the reader may count the reply before the writer counts the command
	if want := "C> command,F> api/response"; strings.Join(seen, ",") != want {
		t.Errorf("counted %q, want %q", seen, want)
	}
	if want := len("api status\n\n"); size[Sent] != want {
		t.Errorf("counted %d bytes sent, want %d", size[Sent], want)
	}
	re := regexp.MustCompile(`^--- \+\d+ C>\napi status\n\n--- \+\d+ F>\nContent-Type: api/response\nContent-Length: 2\n\nUP\n$`)
	if got := trace.String(); !re.MatchString(got) {
		t.Errorf("Trace = %q, want it to match %q", got, re)
	}
}

// TestSetTrace: tracing turned on mid-connection traces what follows only,
// and SetTrace(nil) stops it.
func TestSetTrace(t *testing.T) {
	c, p := pipeConn(t, ConnOptions{})
	roundTrip := func(cmd, out string) {
		t.Helper()
		r := send(c, t.Context(), cmd)
		p.expect(cmd)
		p.write(apiFrame(out))
		if _, err := r.wait(t); err != nil {
			t.Fatalf("Send(%s) error = %v", cmd, err)
		}
	}
	var trace testlog.Buffer
	roundTrip("api before", "1")
	c.SetTrace(&trace)
	roundTrip("api during", "2")
	c.SetTrace(nil)
	roundTrip("api after", "3")
	got := trace.String()
	if !strings.Contains(got, "api during") || strings.Contains(got, "api before") || strings.Contains(got, "api after") {
		t.Errorf("Trace = %q, want only the frames between SetTrace(w) and SetTrace(nil)", got)
	}
}

func TestExitWaitsForClose(t *testing.T) {
	c, p := connected(t, ConnOptions{})
	r := goCall(func() (struct{}, error) { return struct{}{}, c.Exit(t.Context()) })
	p.expect("exit")
	p.write(replyFrame("+OK bye"), finalFrame(testChannelUUID))
	if r.returned() {
		t.Fatalf("Exit() returned before FreeSWITCH closed the connection")
	}
	p.nc.Close()
	if _, err := r.wait(t); err != nil {
		t.Fatalf("Exit() error = %v, want nil", err)
	}
	if err := c.Err(); err != ErrDisconnected {
		t.Errorf("Err() after Exit = %v, want ErrDisconnected", err)
	}
}

func TestFormatOf(t *testing.T) {
	tests := []struct {
		line   string
		want   Format
		wantOK bool
	}{
		{"myevents", "", false},
		{"myevents json", FormatJSON, true},
		{"myevents XML", FormatXML, true},
		{"myevents " + testChannelUUID + " json", FormatJSON, true},
		{"event plain BACKGROUND_JOB", FormatPlain, true},
		{"event json ALL", FormatJSON, true},
		{"event xml", FormatXML, true}, // -ERR no keywords, but the format has switched
		{"event CHANNEL_ANSWER", "", false},
		{"nixevent CHANNEL_ANSWER", "", false},
		{"api status", "", false},
	}
	for _, tc := range tests {
		if got, ok := formatOf(tc.line); got != tc.want || ok != tc.wantOK {
			t.Errorf("formatOf(%q) = %q, %v; want %q, %v", tc.line, got, ok, tc.want, tc.wantOK)
		}
	}
}

func TestFirstLineHidesPasswords(t *testing.T) {
	tests := []struct{ line, want string }{
		{"auth ClueCon", "auth ********"},
		{"userauth 1000@default ClueCon", "userauth ********"},
		{"AUTH x", "AUTH ********"},
		{"api status\nexit", "api status"},
		{"authx", "authx"},
	}
	for _, tc := range tests {
		if got := firstLine(tc.line); got != tc.want {
			t.Errorf("firstLine(%q) = %q, want %q", tc.line, got, tc.want)
		}
	}
}

// TestBgAPISecondCallerHonoursContext: while the first BgAPI's
// subscription waits for FreeSWITCH's reply, a second BgAPI whose context
// ends returns at once with that context's error; it neither waits behind
// the first caller's round trip nor sends a second subscription. Once the
// reply comes, the first goes on.
func TestBgAPISecondCallerHonoursContext(t *testing.T) {
	// No reply deadline: only the second caller's own context may end its wait.
	c, p := connected(t, ConnOptions{ReplyTimeout: 1 << 62})
	first := goCall(func() (*Event, error) { return c.BgAPI(t.Context(), "status") })
	p.expect("event plain BACKGROUND_JOB") // the first caller's subscription is on the wire

	ctx, cancel := context.WithCancel(t.Context())
	second := goCall(func() (*Event, error) { return c.BgAPI(ctx, "version") })
	cancel()
	if ev, err := second.wait(t); !errors.Is(err, context.Canceled) {
		t.Fatalf("second BgAPI with its context cancelled = %+v, %v; want context.Canceled", ev, err)
	}

	p.write(replyFrame("+OK event listener enabled plain"))
	job := p.expect("bgapi status").Headers["job-uuid"]
	p.write("Content-Type: command/reply\nReply-Text: +OK Job-UUID: "+job+"\n\n",
		eventFrame("Event-Name", "BACKGROUND_JOB", "Job-UUID", job, "_body", "UP\n"))
	if ev, err := first.wait(t); err != nil || ev.JobUUID() != job {
		t.Fatalf("first BgAPI = %+v, %v; want job %s", ev, err, job)
	}
}

// TestSendWriteCancelledByContextAfterEarlierWrites: the context's watch is
// armed once per context, not per write; a later stuck write with the same
// context is still cut short when it ends.
func TestSendWriteCancelledByContextAfterEarlierWrites(t *testing.T) {
	a, b := net.Pipe()
	t.Cleanup(func() { b.Close() })
	wc := &writeSignalConn{Conn: a, writing: make(chan struct{}, 1)}
	c := NewConn(wc, ConnOptions{})
	t.Cleanup(func() { c.Close(); <-c.Done() })
	peer := bufio.NewReader(b)
	ctx, cancel := context.WithCancel(t.Context())
	for _, line := range []string{"api one", "api two"} {
		r := send(c, ctx, line)
		<-wc.writing
		if got, err := peer.ReadString('\n'); err != nil || got != line+"\n" {
			t.Fatalf("peer read %q, %v; want %q", got, err, line)
		}
		if _, err := peer.ReadString('\n'); err != nil { // the blank line
			t.Fatal(err)
		}
		if _, err := b.Write([]byte(replyFrame("+OK"))); err != nil {
			t.Fatal(err)
		}
		if _, err := r.wait(t); err != nil {
			t.Fatalf("Send(%q) error %v", line, err)
		}
	}
	// The peer stops reading: the third write blocks until ctx ends.
	r := send(c, ctx, "api three")
	<-wc.writing
	cancel()
	if _, err := r.wait(t); !errors.Is(err, context.Canceled) {
		t.Fatalf("Send() with a stuck write error = %v, want context.Canceled", err)
	}
	waitDone(t, c)
}

// TestSendEndedContextSparesOtherContexts: a context that ends after its
// command went out must not cut short a later write made with another
// context (its watch is disarmed first), and a Send with the ended context
// is refused without writing and without ending the connection.
func TestSendEndedContextSparesOtherContexts(t *testing.T) {
	c, p := pipeConn(t, ConnOptions{})
	ctx, cancel := context.WithCancel(t.Context())
	r := send(c, ctx, "api first")
	p.expect("api first")
	p.write(replyFrame("+OK"))
	if _, err := r.wait(t); err != nil {
		t.Fatalf("first Send() error %v", err)
	}
	cancel()
	if _, err := c.Send(ctx, Command{Line: "api refused"}); !errors.Is(err, context.Canceled) {
		t.Fatalf("Send() with an ended context error = %v, want context.Canceled", err)
	}
	r = send(c, t.Context(), "api second")
	p.expect("api second")
	p.write(replyFrame("+OK"))
	if _, err := r.wait(t); err != nil {
		t.Fatalf("Send() with another context after the first ended: %v", err)
	}
	if err := c.Err(); err != nil {
		t.Fatalf("connection ended: %v", err)
	}
}
