package esltest

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/callhook/callhook/esl"
)

// runApp executes app on an answered async call and returns the frames
// from its CHANNEL_EXECUTE through its CHANNEL_EXECUTE_COMPLETE.
func runApp(t *testing.T, o Options, app, arg string, extra ...string) (*Call, *daemon, []*esl.Frame) {
	t.Helper()
	o.Park = ParkImmediately
	c, d := connected(t, o, "linger 1")
	d.cmd(execute("answer", ""))
	d.until("CHANNEL_EXECUTE_COMPLETE(answer)")
	if r := d.cmd(execute(app, arg, extra...)).ReplyText(); r != "+OK" {
		t.Fatalf("execute %s = %q", app, r)
	}
	done, skipped := d.until("CHANNEL_EXECUTE_COMPLETE(" + app + ")")
	return c, d, append(skipped, done)
}

// lastVars parses the final frame (the COMPLETE) of frames.
func complete(t *testing.T, frames []*esl.Frame) *esl.Event {
	t.Helper()
	return ev(t, frames[len(frames)-1])
}

// TestUnknownApp checks that an unknown app fires no CHANNEL_EXECUTE or
// COMPLETE and hangs the channel up with DESTINATION_OUT_OF_ORDER.
func TestUnknownApp(t *testing.T) {
	c, d := connected(t, Options{Park: ParkImmediately}, "")
	d.cmd(execute("nosuchapp", "some argument"))
	frames := d.rest()
	wantNames(t, "frames", frames, tail+" notice:disconnect")
	if got := ev(t, frames[0]).HangupCause(); got != "DESTINATION_OUT_OF_ORDER" {
		t.Errorf("Hangup-Cause = %q, want DESTINATION_OUT_OF_ORDER", got)
	}
	if r, _ := c.Wait(t.Context()); r.By != ByApp {
		t.Errorf("result = %v, want hung up by app", r)
	}
	if len(c.Apps()) != 0 {
		t.Errorf("Apps() = %v, want none", c.Apps())
	}
}

// TestSyncMode checks static mode: each +OK only after its app, then the
// app's burst; DTMF pressed while idle waits for an app to read it.
func TestSyncMode(t *testing.T) {
	c, d := connected(t, Options{Mode: ModeStatic}, "")
	d.send(execute("answer", ""))
	wantNames(t, "answer", []*esl.Frame{d.read(), d.read(), d.read(), d.read()},
		"command/reply CHANNEL_EXECUTE(answer) CHANNEL_ANSWER CHANNEL_EXECUTE_COMPLETE(answer)")
	c.Digits("5")
	d.send(execute("playback", "tone_stream://%(1000,0,440)"))
	wantNames(t, "playback", []*esl.Frame{d.read(), d.read(), d.read(), d.read()},
		"command/reply CHANNEL_EXECUTE(playback) DTMF CHANNEL_EXECUTE_COMPLETE(playback)")
}

// TestBreakLongPlayback checks that api uuid_break cuts a playback short:
// the api/response first, then the COMPLETE with FILE PLAYED.
func TestBreakLongPlayback(t *testing.T) {
	c, d := connected(t, Options{UUID: fixedUUID, Park: ParkImmediately}, "")
	d.cmd(execute("answer", ""))
	d.cmd(execute("playback", "silence_stream://0"))
	if _, err := c.WaitApp(t.Context(), "playback"); err != nil {
		t.Fatal(err)
	}
	d.until("CHANNEL_EXECUTE(playback)")
	if f := d.cmd("api uuid_break " + fixedUUID + " all"); string(f.Body) != "+OK\n" {
		t.Fatalf("uuid_break = %q", f.Body)
	}
	f, skipped := d.until("CHANNEL_EXECUTE_COMPLETE(playback)")
	if len(skipped) != 0 {
		t.Errorf("frames before COMPLETE: %s", names(skipped))
	}
	if got := ev(t, f).AppResponse(); got != "FILE PLAYED" {
		t.Errorf("Application-Response = %q, want FILE PLAYED", got)
	}
}

// TestKillDuringPlayback checks api uuid_kill: the call hangs up at once,
// CHANNEL_HANGUP before the playback's COMPLETE (PLAYBACK ERROR).
func TestKillDuringPlayback(t *testing.T) {
	c, d := connected(t, Options{UUID: fixedUUID, Park: ParkImmediately}, "")
	d.cmd(execute("answer", ""))
	d.cmd(execute("playback", "tone_stream://%(600000,0,440)"))
	d.until("CHANNEL_EXECUTE(playback)")
	d.cmd("api uuid_kill " + fixedUUID + " CALL_REJECTED")
	frames := d.rest()
	wantNames(t, "frames", frames, "CHANNEL_HANGUP CHANNEL_EXECUTE_COMPLETE(playback) CHANNEL_UNPARK "+
		"CHANNEL_EXECUTE_COMPLETE(socket) CHANNEL_STATE CHANNEL_STATE CHANNEL_HANGUP_COMPLETE notice:disconnect")
	if got := ev(t, frames[1]).AppResponse(); got != "PLAYBACK ERROR" {
		t.Errorf("playback response = %q, want PLAYBACK ERROR", got)
	}
	if got := ev(t, frames[3]).AppResponse(); got != "PLAYBACK ERROR" {
		t.Errorf("socket response = %q, want PLAYBACK ERROR (copied from the last app)", got)
	}
	if r, _ := c.Wait(t.Context()); r.Cause != "CALL_REJECTED" || r.By != ByDaemon {
		t.Errorf("result = %v, want CALL_REJECTED by daemon", r)
	}
}

// TestPlayAndGetDigits covers success, timeout and invalid input.
func TestPlayAndGetDigits(t *testing.T) {
	const args = "1 1 1 3000 # tone_stream://%(1000,0,440) silence_stream://250 callhook_digits "
	tests := []struct {
		name       string
		regexp     string
		press      string
		result     string
		digits     string // "" = variable absent
		invalidVar string
	}{
		{"success", `\d`, "1", "success", "1", ""},
		{"timeout", `\d`, "", "failure", "", ""},
		{"invalid", `[12]`, "9", "failure", "", "9"},
		{"terminator only", `\d`, "#", "failure", "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := Options{}
			if tc.press != "" {
				o.OnApp = func(c *Call, run AppRun) {
					if run.App == "play_and_get_digits" {
						c.Digits(tc.press)
					}
				}
			}
			_, _, frames := runApp(t, o, "play_and_get_digits", args+tc.regexp)
			e := complete(t, frames)
			if got := e.Var("read_result"); got != tc.result {
				t.Errorf("read_result = %q, want %q", got, tc.result)
			}
			got, ok := e.LookupVar("callhook_digits")
			if (tc.digits == "") == ok || got != tc.digits {
				t.Errorf("callhook_digits = %q (present %t), want %q", got, ok, tc.digits)
			}
			if got := e.Var("callhook_digits_invalid"); got != tc.invalidVar {
				t.Errorf("callhook_digits_invalid = %q, want %q", got, tc.invalidVar)
			}
			if got := e.AppResponse(); got != "_none_" {
				t.Errorf("Application-Response = %q, want _none_", got)
			}
			wantDTMF := 0
			if tc.press != "" {
				wantDTMF = 1
			}
			if n := strings.Count(names(frames), "DTMF"); n != wantDTMF {
				t.Errorf("DTMF events = %d, want %d (%s)", n, wantDTMF, names(frames))
			}
		})
	}
}

// TestRecord covers the stop conditions: * (the default terminator), the
// silence window, and max_secs while the caller talks.
func TestRecord(t *testing.T) {
	tests := []struct {
		name      string
		talk      time.Duration
		press     string
		arg       string
		exhausted string
		term      string
	}{
		{"star", 0, "*", "/tmp/x.wav 3 200 2", "false", "*"},
		{"hash is no terminator", 0, "#", "/tmp/x.wav 3 200 2", "true", ""},
		{"silence", 0, "", "/tmp/x.wav 30 200 2", "true", ""},
		{"max secs while talking", time.Minute, "", "/tmp/x.wav 3 200 2", "false", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			// An earlier playback's key: record_function clears it before
			// it records (src/mod/applications/mod_dptools/mod_dptools.c),
			// so a record that no key stopped reports none.
			o := Options{Vars: map[string]string{"playback_terminator_used": "5"}, OnApp: func(c *Call, run AppRun) {
				if run.App != "record" {
					return
				}
				if tc.talk > 0 {
					c.Talk(tc.talk)
				}
				if tc.press != "" {
					c.Digits(tc.press)
				}
			}}
			_, _, frames := runApp(t, o, "record", tc.arg)
			e := complete(t, frames)
			if got := e.Var("silence_hits_exhausted"); got != tc.exhausted {
				t.Errorf("silence_hits_exhausted = %q, want %q", got, tc.exhausted)
			}
			if got := e.Var("playback_terminator_used"); got != tc.term {
				t.Errorf("playback_terminator_used = %q, want %q", got, tc.term)
			}
			for _, v := range []string{"record_file_size", "record_seconds", "record_ms", "record_samples"} {
				if _, ok := e.LookupVar(v); !ok {
					t.Errorf("variable_%s missing", v)
				}
			}
			if tc.talk > 0 && e.Var("record_ms") != "3000" {
				t.Errorf("record_ms = %q, want 3000 (talking through max_secs)", e.Var("record_ms"))
			}
			if tc.talk == 0 && e.Var("record_file_size") != "44" {
				t.Errorf("record_file_size = %q, want 44 (nobody talked)", e.Var("record_file_size"))
			}
		})
	}
}

// TestBridge covers a successful bridge and failures with and without
// continue_on_fail.
func TestBridge(t *testing.T) {
	t.Run("ok", func(t *testing.T) {
		c, d, frames := runApp(t, Options{}, "bridge", "loopback/7100")
		wantNames(t, "bridge", frames, "CHANNEL_EXECUTE(bridge) CHANNEL_BRIDGE CHANNEL_UNBRIDGE CHANNEL_EXECUTE_COMPLETE(bridge)")
		e := complete(t, frames)
		for name, want := range map[string]string{
			"originate_disposition": "SUCCESS", "DIALSTATUS": "SUCCESS", "bridge_channel": "loopback/7100-a",
			"bridge_hangup_cause": "NORMAL_CLEARING",
		} {
			if got := e.Var(name); got != want {
				t.Errorf("variable_%s = %q, want %q", name, got, want)
			}
		}
		if e.Get("Other-Leg-Channel-Name") != "loopback/7100-a" || e.Get("Other-Type") != "originatee" {
			t.Errorf("no originatee profile: Other-Type %q", e.Get("Other-Type"))
		}
		if v, _ := c.Var("bridge_uuid"); v == "" {
			t.Error("Var(bridge_uuid) empty")
		}
		d.cmd(hangupCmd) // still up: we hang it up
		if r, _ := c.Wait(t.Context()); r.By != ByDaemon {
			t.Errorf("result = %v, want hung up by daemon", r)
		}
	})
	for _, tc := range []struct {
		name   string
		setVar string
		hangup bool
	}{
		{"fail", "", true},
		{"fail, continue_on_fail", "continue_on_fail=true", false},
		{"fail, continue_on_fail lists the cause", "continue_on_fail=NORMAL_TEMPORARY_FAILURE,USER_BUSY", false},
		{"fail, continue_on_fail lists others", "continue_on_fail=NO_ANSWER", true},
		{"fail, continue_on_fail but hangup_after_bridge", "continue_on_fail=true hangup_after_bridge=true", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := Options{}
			if tc.setVar != "" {
				o.Vars = map[string]string{"hangup_after_bridge": "false"}
				for _, kv := range strings.Fields(tc.setVar) {
					k, v, _ := strings.Cut(kv, "=")
					o.Vars[k] = v
				}
			}
			c, d, frames := runApp(t, o, "bridge", "error/user_busy")
			want := "CHANNEL_EXECUTE(bridge) CHANNEL_EXECUTE_COMPLETE(bridge)"
			if tc.hangup {
				want = "CHANNEL_EXECUTE(bridge) CHANNEL_HANGUP CHANNEL_EXECUTE_COMPLETE(bridge)"
			}
			wantNames(t, "bridge", frames, want)
			e := complete(t, frames)
			if e.Var("originate_disposition") != "USER_BUSY" || e.Var("DIALSTATUS") != "BUSY" || e.Var("originate_failed_cause") != "USER_BUSY" {
				t.Errorf("failure variables: %q %q %q", e.Var("originate_disposition"), e.Var("DIALSTATUS"), e.Var("originate_failed_cause"))
			}
			if !tc.hangup {
				d.cmd(hangupCmd)
			}
			r, _ := c.Wait(t.Context())
			if tc.hangup && (r.Cause != "USER_BUSY" || r.By != ByApp) {
				t.Errorf("result = %v, want USER_BUSY by app", r)
			}
			if !tc.hangup && r.By != ByDaemon {
				t.Errorf("result = %v, want the call to survive until the daemon hangs up", r)
			}
		})
	}
}

// TestLoopsAndArguments checks loops (one pair per iteration, the same
// Application-UUID; an iteration under 500 ms ends the loop), a body
// argument, and Application-UUID from Event-UUID or random.
func TestLoopsAndArguments(t *testing.T) {
	c, d := connected(t, Options{Park: ParkImmediately}, "")
	d.cmd("sendmsg\ncall-command: execute\nexecute-app-name: playback\nexecute-app-arg: tone_stream://%(1000,0,440)\nloops: 3\nEvent-UUID: " + fixedUUID)
	var uuids []string
	for range 3 {
		f, _ := d.until("CHANNEL_EXECUTE_COMPLETE(playback)")
		uuids = append(uuids, ev(t, f).AppUUID())
	}
	if uuids[0] != fixedUUID || uuids[1] != fixedUUID || uuids[2] != fixedUUID {
		t.Errorf("Application-UUIDs = %q, want %s three times", uuids, fixedUUID)
	}
	d.cmd("sendmsg\ncall-command: execute\nexecute-app-name: set\nexecute-app-arg: a=b\nloops: 5")
	d.until("CHANNEL_EXECUTE_COMPLETE(set)")
	body := "text with spaces\nand a second line"
	d.cmd("sendmsg\ncall-command: execute\nexecute-app-name: log\ncontent-type: text/plain\ncontent-length: " +
		strconv.Itoa(len(body)) + "\n\n" + body)
	f, skipped := d.until("CHANNEL_EXECUTE(log)")
	if strings.Contains(names(skipped), "set") {
		t.Errorf("set looped although its iteration took under 500 ms: %s", names(skipped))
	}
	e := ev(t, f)
	if got := e.Get("Application-Data"); got != body {
		t.Errorf("Application-Data = %q, want the body %q", got, body)
	}
	if e.AppUUID() == "" || e.AppUUID() == fixedUUID {
		t.Errorf("Application-UUID = %q, want a fresh random one", e.AppUUID())
	}
	runs := c.Apps()
	if len(runs) != 5 || runs[2].Loop != 3 || runs[0].Response != "FILE PLAYED" {
		t.Errorf("Apps() = %+v", runs)
	}
}

// TestDTMFWhileIdle checks DTMF in async mode while parked: one event per
// digit, # URL-encoded on the wire, digits_dialed in the CDR.
func TestDTMFWhileIdle(t *testing.T) {
	c, d := connected(t, Options{Park: ParkImmediately}, "")
	c.Digits("12#")
	var digits []string
	for range 3 {
		f := d.read()
		if !strings.Contains(string(f.Body), "DTMF-Duration: 2000\n") {
			t.Errorf("DTMF body lacks DTMF-Duration: 2000: %q", f.Body)
		}
		digits = append(digits, ev(t, f).DTMFDigit())
		if strings.Contains(string(f.Body), "DTMF-Digit: #") {
			t.Error("# not URL-encoded")
		}
	}
	if got := strings.Join(digits, ""); got != "12#" {
		t.Errorf("digits = %q, want 12#", got)
	}
	d.cmd(hangupCmd)
	f, _ := d.until("CHANNEL_HANGUP_COMPLETE")
	if got := ev(t, f).Var("digits_dialed"); got != "12#" {
		t.Errorf("digits_dialed = %q, want 12#", got)
	}
}

// TestTransfer checks that transfer takes the channel out of the socket
// application while the socket stays open and carries the new extension's
// events until the daemon sends exit (transfer.txt).
func TestTransfer(t *testing.T) {
	o := Options{Extensions: map[string][]string{"7100": {"answer", "playback tone_stream://%(60000,0,440)"}}}
	c, d, frames := runApp(t, o, "transfer", "7100 XML default")
	wantNames(t, "transfer", frames, "CHANNEL_EXECUTE(transfer) CHANNEL_EXECUTE_COMPLETE(transfer)")
	e := complete(t, frames)
	if e.Get("Caller-Destination-Number") != "7100" || e.Get("Caller-RDNIS") != "7000" || e.Get("Caller-Profile-Index") != "2" ||
		!strings.HasSuffix(e.Var("transfer_source"), ":bl_xfer:7100/default/xml") {
		t.Errorf("transfer COMPLETE: destination %q, RDNIS %q, profile index %q, transfer_source %q; want the new extension's profile",
			e.Get("Caller-Destination-Number"), e.Get("Caller-RDNIS"), e.Get("Caller-Profile-Index"), e.Var("transfer_source"))
	}
	_, after := d.until("CHANNEL_EXECUTE(playback)")
	wantNames(t, "after", after, "CHANNEL_UNPARK CHANNEL_EXECUTE_COMPLETE(socket) CHANNEL_STATE CHANNEL_STATE "+
		"CHANNEL_EXECUTE(answer) CHANNEL_EXECUTE_COMPLETE(answer)")
	if st := ev(t, after[2]).Get("Channel-State"); st != "CS_ROUTING" {
		t.Errorf("first CHANNEL_STATE = %s, want CS_ROUTING", st)
	}
	if r := d.cmd("exit").ReplyText(); r != "+OK bye" {
		t.Errorf("exit = %q, want +OK bye", r)
	}
	wantNames(t, "exit", d.rest(), "notice:disconnect")
	if r, _ := c.Wait(t.Context()); r.Outcome != Transferred {
		t.Errorf("result = %v, want transferred", r)
	}
}

// TestTransferExtensionEnds: a new extension that runs out of actions
// hangs up, and the socket, still open, carries the hangup tail.
func TestTransferExtensionEnds(t *testing.T) {
	// Linger forever: the tail waits for exit.
	c, d := connected(t, Options{Park: ParkImmediately, Extensions: map[string][]string{"7200": {"answer"}}}, "linger")
	d.cmd(execute("transfer", "7200"))
	_, skipped := d.until("CHANNEL_HANGUP_COMPLETE")
	got := names(skipped)
	if !strings.HasSuffix(got, "CHANNEL_HANGUP CHANNEL_STATE CHANNEL_STATE") || strings.Count(got, "CHANNEL_EXECUTE_COMPLETE(socket)") != 1 {
		t.Errorf("frames = %s, want the extension's hangup tail with one socket COMPLETE", got)
	}
	d.cmd("exit")
	if r, _ := c.Wait(t.Context()); r.Outcome != Transferred {
		t.Errorf("result = %v, want transferred", r)
	}
}

// TestExtraAppAndHangupApp checks Options.ExtraApps and the hangup app.
func TestExtraAppAndHangupApp(t *testing.T) {
	o := Options{ExtraApps: map[string]ExtraApp{"fax": {Duration: time.Second,
		Vars: [][2]string{{"fax_success", "1"}}, Response: "FAX OK"}}}
	c, d, frames := runApp(t, o, "fax", "")
	e := complete(t, frames)
	if e.Var("fax_success") != "1" || e.AppResponse() != "FAX OK" {
		t.Errorf("fax COMPLETE: fax_success %q response %q", e.Var("fax_success"), e.AppResponse())
	}
	if _, ok := e.Lookup("Application-Data"); ok {
		t.Error("Application-Data present without an argument")
	}
	d.cmd(execute("hangup", "CALL_REJECTED"))
	f, skipped := d.until("CHANNEL_EXECUTE_COMPLETE(hangup)")
	wantNames(t, "hangup app", append(skipped, f), "CHANNEL_EXECUTE(hangup) CHANNEL_HANGUP CHANNEL_EXECUTE_COMPLETE(hangup)")
	if r, _ := c.Wait(t.Context()); r.Cause != "CALL_REJECTED" || r.By != ByApp {
		t.Errorf("result = %v, want CALL_REJECTED by app", r)
	}
}

// TestMediaDurations checks the default durations of media strings.
func TestMediaDurations(t *testing.T) {
	c := newCall(nil, "127.0.0.1:8084", Options{
		PlaybackDurations: map[string]time.Duration{"/x/missing.wav": -1, "/x/long.wav": time.Minute},
	})
	for _, tc := range []struct {
		file string
		want time.Duration
		ok   bool
	}{
		{"silence_stream://250", 250 * time.Millisecond, true},
		{"silence_stream://-1", forever, true},
		{"tone_stream://%(10000,0,440)", 10 * time.Second, true},
		{"tone_stream://%(100,100,440);%(300,0,440);loops=2", time.Second, true},
		{"tone_stream://%(100,100,440);loops=-1", forever, true},
		{"/x/long.wav", time.Minute, true},
		{"/x/other.wav", time.Second, true},
		{"/x/missing.wav", 0, false},
		{"file_string:///x/long.wav!silence_stream://500", time.Minute + 500*time.Millisecond, true},
	} {
		got, ok := c.mediaDuration(tc.file)
		if got != tc.want || ok != tc.ok {
			t.Errorf("mediaDuration(%q) = %v, %t, want %v, %t", tc.file, got, ok, tc.want, tc.ok)
		}
	}
}

// TestPlaybackUnansweredPreAnswersFirst: an app that needs media on an
// unanswered channel pre-answers it before switch_core_session_exec fires
// CHANNEL_EXECUTE, so CHANNEL_PROGRESS_MEDIA comes first (real 1.10.12).
func TestPlaybackUnansweredPreAnswersFirst(t *testing.T) {
	_, d := connected(t, Options{Park: ParkImmediately}, "linger 1")
	d.cmd(execute("playback", "silence_stream://100"))
	_, frames := d.until("CHANNEL_EXECUTE_COMPLETE(playback)")
	wantNames(t, "frames", frames, "CHANNEL_PROGRESS_MEDIA CHANNEL_EXECUTE(playback)")
	if as := ev(t, frames[1]).Get("Answer-State"); as != "early" {
		t.Errorf("CHANNEL_EXECUTE Answer-State = %q, want early", as)
	}
}
