package esltest

import (
	"testing"
)

const tail = "CHANNEL_HANGUP CHANNEL_UNPARK CHANNEL_EXECUTE_COMPLETE(socket) CHANNEL_STATE CHANNEL_STATE CHANNEL_HANGUP_COMPLETE"

// TestHangupTails checks every way the tail and the notices can come out.
func TestHangupTails(t *testing.T) {
	tests := []struct {
		name   string
		o      Options
		linger string
		caller bool   // the caller hangs up instead of the daemon
		exit   bool   // the daemon sends exit after the tail
		want   string // frames after the hangup reply (or the caller's hangup)
		by     HangupBy
	}{
		{name: "linger", linger: "linger 5", want: tail + " notice:linger notice:disconnect", by: ByDaemon},
		{name: "linger notice first", o: Options{LingerNotice: LingerNoticeFirst}, linger: "linger 5",
			want: "notice:linger " + tail + " notice:disconnect", by: ByDaemon},
		{name: "linger notice after CHANNEL_HANGUP", o: Options{LingerNotice: LingerNoticeAfterHangup}, linger: "linger 5",
			want: "CHANNEL_HANGUP notice:linger" + tail[len("CHANNEL_HANGUP"):] + " notice:disconnect", by: ByDaemon},
		{name: "no linger", want: tail + " notice:disconnect", by: ByDaemon},
		{name: "caller, no linger", caller: true, want: tail + " notice:disconnect", by: ByCaller},
		{name: "caller, linger", caller: true, linger: "linger 1", want: tail + " notice:linger notice:disconnect", by: ByCaller},
		{name: "linger forever, exit", linger: "linger", exit: true,
			want: tail + " notice:linger command/reply notice:disconnect", by: ByDaemon},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.o.Park = ParkImmediately
			c, d := connected(t, tc.o, tc.linger)
			if tc.caller {
				c.Hangup("")
			} else if r := d.cmd(hangupCmd).ReplyText(); r != "+OK" {
				t.Fatalf("hangup reply = %q", r)
			}
			var got []string
			if tc.exit {
				_, skipped := d.until("notice:linger")
				got = append(got, names(skipped), "notice:linger")
				if r := d.cmd("exit").ReplyText(); r != "+OK bye" {
					t.Errorf("exit = %q, want +OK bye", r)
				}
				got = append(got, "command/reply", names(d.rest()))
			} else {
				got = append(got, names(d.rest()))
			}
			if g := join(got); g != tc.want {
				t.Errorf("frames = %s\nwant %s", g, tc.want)
			}
			r, err := c.Wait(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			if r.Outcome != HungUp || r.Cause != "NORMAL_CLEARING" || r.By != tc.by {
				t.Errorf("result = %v, want hung up (NORMAL_CLEARING by %s)", r, tc.by)
			}
		})
	}
}

func join(parts []string) string {
	out := ""
	for _, p := range parts {
		if p == "" {
			continue
		}
		if out != "" {
			out += " "
		}
		out += p
	}
	return out
}

// TestHangupCompleteCDR checks CHANNEL_HANGUP_COMPLETE's duplicate
// Hangup-Cause and CDR variables, and that no CHANNEL_DESTROY follows.
func TestHangupCompleteCDR(t *testing.T) {
	_, d := connected(t, Options{Park: ParkImmediately}, "linger 1")
	d.cmd(execute("answer", ""))
	d.cmd("sendmsg\ncall-command: hangup\nhangup-cause: 17")
	f, _ := d.until("CHANNEL_HANGUP_COMPLETE")
	e := ev(t, f)
	var causes []string
	for _, h := range e.Headers {
		if h.Name == "Hangup-Cause" {
			causes = append(causes, h.Value)
		}
	}
	if len(causes) != 2 || causes[0] != "USER_BUSY" || causes[1] != "USER_BUSY" {
		t.Errorf("Hangup-Cause headers = %q, want USER_BUSY twice (cause 17)", causes)
	}
	for name, want := range map[string]string{
		"hangup_cause": "USER_BUSY", "hangup_cause_q850": "17", "last_app": "answer",
		"digits_dialed": "none", "caller_id": `"test" <1000>`, "is_loopback": "1",
	} {
		if got := e.Var(name); got != want {
			t.Errorf("variable_%s = %q, want %q", name, got, want)
		}
	}
	if _, ok := e.LookupVar("answer_stamp"); !ok {
		t.Error("answered call has no answer_stamp")
	}
	if _, ok := e.LookupVar("last_arg"); ok {
		t.Error("last_arg present although answer had no argument")
	}
	rest := d.rest()
	wantNames(t, "after HANGUP_COMPLETE", rest, "notice:linger notice:disconnect")
}

// TestStaticHangup checks sync mode: after the hangup's +OK only the
// disconnect notice comes, no hangup event at all (sync-mode capture).
func TestStaticHangup(t *testing.T) {
	c, d := connected(t, Options{Mode: ModeStatic}, "")
	if r := d.cmd(hangupCmd).ReplyText(); r != "+OK" {
		t.Fatalf("hangup = %q", r)
	}
	wantNames(t, "after hangup", d.rest(), "notice:disconnect")
	if r, _ := c.Wait(t.Context()); r.Outcome != HungUp || r.By != ByDaemon {
		t.Errorf("result = %v, want hung up by daemon", r)
	}
}

// TestLetGo checks what happens to a live call when the daemon lets go
// (exit or close) in each situation.
func TestLetGo(t *testing.T) {
	tests := []struct {
		name    string
		o       Options
		connect bool
		resume  bool
		close   bool // close the socket instead of exit
		want    Result
	}{
		{name: "exit, nothing after socket", connect: true,
			want: Result{Outcome: HungUp, Cause: "NORMAL_CLEARING", By: ByDialplan}},
		{name: "close, nothing after socket", connect: true, close: true,
			want: Result{Outcome: HungUp, Cause: "NORMAL_CLEARING", By: ByDialplan}},
		{name: "resume then exit", connect: true, resume: true,
			want: Result{Outcome: DialplanContinued, Resumed: true}},
		{name: "dialplan goes on", o: Options{ContinueDialplan: true}, connect: true,
			want: Result{Outcome: DialplanContinued}},
		// Real 1.10.12: a static socket resumed then let go stays in
		// CS_RESET; exit alone lets the dialplan go on.
		{name: "static: resume then exit", o: Options{Mode: ModeStatic, ContinueDialplan: true}, connect: true, resume: true,
			want: Result{Outcome: Stranded, Resumed: true}},
		{name: "static: exit alone", o: Options{Mode: ModeStatic, ContinueDialplan: true}, connect: true,
			want: Result{Outcome: DialplanContinued}},
		{name: "async single-channel: resume then exit", o: Options{Mode: ModeAsync}, connect: true, resume: true,
			want: Result{Outcome: DialplanContinued, Resumed: true}},
		{name: "exit before connect", want: Result{Outcome: Parked}},
		{name: "close before connect", close: true, want: Result{Outcome: Parked}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, d := start(t, tc.o)
			if tc.connect {
				d.cmd("connect")
			}
			if tc.resume {
				d.cmd("resume")
			}
			if tc.close {
				d.nc.Close()
			} else {
				d.send("exit")
				frames := d.rest()
				want := "command/reply notice:disconnect"
				if !tc.connect {
					want = "notice:disconnect" // the first command's reply is dropped
				}
				wantNames(t, "after exit", frames, want)
			}
			r, err := c.Wait(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			if *r != tc.want {
				t.Errorf("result = %+v, want %+v", *r, tc.want)
			}
		})
	}
}

// TestNoLingerDuringLinger checks that nolinger after the hangup ends the
// linger at once: the reply, then the disconnect notice.
func TestNoLingerDuringLinger(t *testing.T) {
	_, d := connected(t, Options{Park: ParkImmediately}, "linger")
	d.cmd(hangupCmd)
	d.until("notice:linger")
	if r := d.cmd("nolinger").ReplyText(); r != "+OK will not linger" {
		t.Errorf("nolinger = %q", r)
	}
	wantNames(t, "after nolinger", d.rest(), "notice:disconnect")
}
