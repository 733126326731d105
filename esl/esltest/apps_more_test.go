package esltest

import (
	"strings"
	"testing"
	"time"
)

// TestUncapturedApps checks the apps no capture shows, as modelled: the
// events around them, their response, and how they end.
func TestUncapturedApps(t *testing.T) {
	tests := []struct {
		name   string
		app    string
		arg    string
		brk    bool   // end it with uuid_break
		events string // frames from CHANNEL_EXECUTE to COMPLETE
		resp   string
	}{
		{name: "sleep", app: "sleep", arg: "1500", events: "CHANNEL_EXECUTE(sleep) CHANNEL_EXECUTE_COMPLETE(sleep)"},
		{name: "park until break", app: "park", brk: true, events: "CHANNEL_EXECUTE(park) CHANNEL_EXECUTE_COMPLETE(park)"},
		{name: "conference until break", app: "conference", arg: "room@default", brk: true,
			events: "CHANNEL_EXECUTE(conference) CHANNEL_EXECUTE_COMPLETE(conference)"},
		{name: "say", app: "say", arg: "en number pronounced 12", events: "CHANNEL_EXECUTE(say) CHANNEL_EXECUTE_COMPLETE(say)"},
		{name: "speak", app: "speak", arg: "flite|kal|hello world", events: "CHANNEL_EXECUTE(speak) CHANNEL_EXECUTE_COMPLETE(speak)"},
		{name: "send_dtmf", app: "send_dtmf", arg: "123", events: "CHANNEL_EXECUTE(send_dtmf) CHANNEL_EXECUTE_COMPLETE(send_dtmf)"},
		{name: "missing file", app: "playback", arg: "/x/missing.wav",
			events: "CHANNEL_EXECUTE(playback) CHANNEL_EXECUTE_COMPLETE(playback)", resp: "FILE NOT FOUND"},
		{name: "bridge cancelled", app: "bridge", arg: "user/1001", brk: true,
			events: "CHANNEL_EXECUTE(bridge) CHANNEL_EXECUTE_COMPLETE(bridge)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := Options{UUID: fixedUUID, PlaybackDurations: map[string]time.Duration{"/x/missing.wav": -1},
				BridgeDuration: time.Hour}
			if tc.brk {
				// The break reaches the app as it starts (as an inbound
				// listener's api would); a bridge is then still ringing.
				o.OnApp = func(c *Call, run AppRun) {
					if run.App == tc.app {
						c.post(action{kind: actAPI, s: "uuid_break " + fixedUUID, reply: make(chan string, 1)})
					}
				}
			}
			_, _, frames := runApp(t, o, tc.app, tc.arg)
			wantNames(t, tc.app, frames, tc.events)
			want := tc.resp
			if want == "" {
				want = "_none_"
			}
			if got := complete(t, frames).AppResponse(); got != want {
				t.Errorf("Application-Response = %q, want %q", got, want)
			}
		})
	}
}

// TestEarlyMedia checks ring_ready, pre_answer, and the pre-answer a media
// app does on an unanswered channel.
func TestEarlyMedia(t *testing.T) {
	_, d := connected(t, Options{Park: ParkImmediately}, "")
	d.cmd(execute("ring_ready", ""))
	f, _ := d.until("CHANNEL_PROGRESS")
	if e := ev(t, f); e.Get("Channel-Call-State") != "RINGING" || e.Get("Answer-State") != "ringing" {
		t.Errorf("CHANNEL_PROGRESS call state %q answer state %q", e.Get("Channel-Call-State"), e.Get("Answer-State"))
	}
	d.cmd(execute("playback", "silence_stream://100"))
	f, _ = d.until("CHANNEL_PROGRESS_MEDIA")
	if got := ev(t, f).Get("Answer-State"); got != "early" {
		t.Errorf("Answer-State = %q, want early", got)
	}
	f, _ = d.until("CHANNEL_EXECUTE_COMPLETE(playback)")
	if got := ev(t, f).Var("endpoint_disposition"); got != "EARLY MEDIA" {
		t.Errorf("endpoint_disposition = %q, want EARLY MEDIA", got)
	}
	d.cmd(execute("pre_answer", ""))
	_, skipped := d.until("CHANNEL_EXECUTE_COMPLETE(pre_answer)")
	wantNames(t, "second pre_answer", skipped, "CHANNEL_EXECUTE(pre_answer)")
}

// TestPlaybackTerminators checks that playback_terminators makes a digit
// stop the playback, and that ${var} in arguments is expanded.
func TestPlaybackTerminators(t *testing.T) {
	o := Options{Vars: map[string]string{"playback_terminators": "#", "prompt": "tone_stream://%(600000,0,440)"},
		OnApp: func(c *Call, run AppRun) {
			if run.App == "playback" {
				c.Digits("5#")
			}
		}}
	c, _, frames := runApp(t, o, "playback", "${prompt}")
	wantNames(t, "playback", frames, "CHANNEL_EXECUTE(playback) DTMF DTMF CHANNEL_EXECUTE_COMPLETE(playback)")
	e := complete(t, frames)
	if got := e.Get("Application-Data"); got != "tone_stream://%(600000,0,440)" {
		t.Errorf("Application-Data = %q, want the expanded ${prompt}", got)
	}
	if e.Var("playback_terminator_used") != "#" || e.AppResponse() != "FILE PLAYED" {
		t.Errorf("terminator %q response %q", e.Var("playback_terminator_used"), e.AppResponse())
	}
	if runs := c.Apps(); runs[len(runs)-1].Arg != "tone_stream://%(600000,0,440)" {
		t.Errorf("AppRun.Arg = %q", runs[len(runs)-1].Arg)
	}
}

// TestAppsCutByHangup checks that pagd, record and a bridge in progress
// complete after CHANNEL_HANGUP when the caller hangs up.
func TestAppsCutByHangup(t *testing.T) {
	for _, tc := range []struct{ app, arg string }{
		{"play_and_get_digits", "1 1 1 3000 # silence_stream://0 silence_stream://250 v"},
		{"record", "/tmp/x.wav"},
		{"bridge", "loopback/7100"},
	} {
		t.Run(tc.app, func(t *testing.T) {
			c, d := connected(t, Options{Park: ParkImmediately, BridgeDuration: time.Hour}, "")
			d.cmd(execute("answer", ""))
			d.cmd(execute(tc.app, tc.arg))
			d.until("CHANNEL_EXECUTE(" + tc.app + ")")
			if tc.app == "bridge" {
				d.until("CHANNEL_BRIDGE")
			}
			c.Hangup("")
			frames := d.rest()
			want := "CHANNEL_HANGUP CHANNEL_EXECUTE_COMPLETE(" + tc.app + ")"
			if tc.app == "bridge" {
				want = "CHANNEL_HANGUP CHANNEL_UNBRIDGE CHANNEL_EXECUTE_COMPLETE(bridge)"
			}
			if got := names(frames); !strings.HasPrefix(got, want) {
				t.Errorf("frames = %s, want them to start with %s", got, want)
			}
		})
	}
}

// TestResultString checks Result's text.
func TestResultString(t *testing.T) {
	for _, tc := range []struct {
		r    Result
		want string
	}{
		{Result{Outcome: HungUp, Cause: "USER_BUSY", By: ByApp}, "hung up (USER_BUSY by app)"},
		{Result{Outcome: DialplanContinued, Resumed: true}, "dialplan continued"},
	} {
		if got := tc.r.String(); got != tc.want {
			t.Errorf("%+v.String() = %q, want %q", tc.r, got, tc.want)
		}
	}
}

// TestNestedExecution checks FreeSWITCH's nested execution (an app that
// parses events runs queued messages, switch_ivr_parse_all_events): a message queued while
// an app started without event-lock runs inside it (the app resumes after
// it), while event-lock makes it wait; a hangup nested that way cuts the
// app at once.
func TestNestedExecution(t *testing.T) {
	const long = "tone_stream://%(600000,0,440)"
	play := func(lock bool) string {
		s := "sendmsg\ncall-command: execute\nexecute-app-name: playback\nexecute-app-arg: " + long + "\n"
		if lock {
			s += "event-lock: true\n"
		}
		return s + "\n"
	}
	const set = "sendmsg\ncall-command: execute\nexecute-app-name: set\nexecute-app-arg: x=1\n\n"
	tests := []struct {
		name string
		lock bool
		then string
		want string
	}{
		{"nested", false, set,
			"CHANNEL_EXECUTE(set) CHANNEL_EXECUTE_COMPLETE(set) api/response CHANNEL_EXECUTE_COMPLETE(playback)"},
		{"event-lock", true, set,
			"api/response CHANNEL_EXECUTE_COMPLETE(playback) CHANNEL_EXECUTE(set) CHANNEL_EXECUTE_COMPLETE(set)"},
		{"nested hangup", false, hangupCmd,
			"CHANNEL_HANGUP CHANNEL_EXECUTE_COMPLETE(playback) CHANNEL_UNPARK CHANNEL_EXECUTE_COMPLETE(socket)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, d := connected(t, Options{UUID: fixedUUID, Park: ParkImmediately}, "")
			d.cmd(execute("answer", ""))
			d.until("CHANNEL_EXECUTE_COMPLETE(answer)")
			d.cmd(play(tc.lock))
			d.until("CHANNEL_EXECUTE(playback)")
			d.cmd(tc.then)
			var got []string
			if tc.then == set {
				if !tc.lock {
					f, skipped := d.until("CHANNEL_EXECUTE_COMPLETE(set)")
					got = append(got, names(append(skipped, f)))
				}
				f := d.cmd("api uuid_break " + fixedUUID)
				got = append(got, frameName(f))
				for range 1 + 2*boolInt(tc.lock) {
					got = append(got, frameName(d.read()))
				}
			} else {
				for range 4 {
					got = append(got, frameName(d.read()))
				}
			}
			if g := strings.Join(got, " "); g != tc.want {
				t.Errorf("frames = %s\nwant %s", g, tc.want)
			}
		})
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
