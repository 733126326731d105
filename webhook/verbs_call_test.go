package webhook

// Engine tests of the verbs of issue 20 (reject, prompt lists, module
// checks, the fuller bridge, call.answered): a real HTTP web app drives a
// call of the esltest simulator through the proxy.

import (
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/callhook/callhook/esl/esltest"
	"github.com/callhook/callhook/internal/calltest"
	"github.com/callhook/callhook/proxy"
)

// verbsEngine serves app as the default webhook app of an engine.
func verbsEngine(t *testing.T, app *App) *calltest.Engine {
	t.Helper()
	if app.Client == nil {
		app.Client = testClient(t)
	}
	if app.Timeout == 0 {
		app.Timeout = 5 * time.Second
	}
	app.Retry = testRetry
	return calltest.Start(t, calltest.Apps(&proxy.App{Name: app.Name, Backend: app}), calltest.Options{})
}

// ranApps lists the applications the simulator ran, "app arg" each,
// without the socket application.
func ranApps(c *esltest.Call) []string {
	var out []string
	for _, r := range c.Apps() {
		if r.App != "socket" {
			out = append(out, strings.TrimSpace(r.App+" "+r.Arg))
		}
	}
	return out
}

// sofiaCall is a call from a SIP phone, so that the simulator reports the
// SIP response it was refused with.
var sofiaCall = esltest.Options{ChannelName: "sofia/internal/1000@192.0.2.10"}

func TestRejectBeforeAnswer(t *testing.T) {
	cases := []struct {
		reply     string
		wantApps  string
		wantCause string
		wantSIP   int
	}{
		{"[reject]", "hangup USER_BUSY", "USER_BUSY", 486},
		{"[{reject: busy}]", "hangup USER_BUSY", "USER_BUSY", 486},
		{"[ring_ready, {reject: rejected}]", "ring_ready,hangup CALL_REJECTED", "CALL_REJECTED", 603},
		// respond sends the code itself and hangs up; the hangup after it
		// never runs.
		{"[{reject: {code: 480}}]", "respond 480", "NO_USER_RESPONSE", 480},
		// Early media does not answer: a refusal is still possible.
		{"[pre_answer, {reject: {code: 404}}]", "pre_answer,respond 404", "UNALLOCATED_NUMBER", 404},
	}
	for _, tc := range cases {
		t.Run(tc.reply, func(t *testing.T) {
			srv := newTestApp(t, replyWith(tc.reply))
			e := verbsEngine(t, &App{Name: "support", URL: srv.URL})
			c := e.Dial(sofiaCall)
			res := calltest.Wait(t, c)
			if res.Outcome != esltest.HungUp || res.Cause != tc.wantCause {
				t.Errorf("call ended %v, want hung up %s", res, tc.wantCause)
			}
			if got := strings.Join(ranApps(c), ","); got != tc.wantApps {
				t.Errorf("apps = %q, want %q", got, tc.wantApps)
			}
			if got := c.SIPResponse(); got != tc.wantSIP {
				t.Errorf("SIP response = %d, want %d", got, tc.wantSIP)
			}
		})
	}
}

// TestRejectCodeOnOtherEndpoints: respond does nothing on a loopback
// channel; the hangup after it still ends the call with the code's cause.
func TestRejectCodeOnOtherEndpoints(t *testing.T) {
	srv := newTestApp(t, replyWith("[{reject: {code: 603}}]"))
	e := verbsEngine(t, &App{Name: "support", URL: srv.URL})
	c := e.Dial(esltest.Options{})
	res := calltest.Wait(t, c)
	if res.Outcome != esltest.HungUp || res.Cause != "CALL_REJECTED" {
		t.Errorf("call ended %v, want hung up CALL_REJECTED", res)
	}
	if got := strings.Join(ranApps(c), ","); got != "respond 603,hangup CALL_REJECTED" {
		t.Errorf("apps = %q", got)
	}
}

// TestRejectAfterAnswer: a reject reached on an answered call is an invalid
// reply: it runs nothing, and the app's failure path takes over (here the
// default, hanging up NORMAL_TEMPORARY_FAILURE).
func TestRejectAfterAnswer(t *testing.T) {
	srv := newTestApp(t, func(w http.ResponseWriter, r *http.Request, n int) {
		w.Header().Set("Content-Type", "application/yaml")
		switch n {
		case 1:
			w.Write([]byte("[answer, {gather: {play: menu.wav, action: /next}}]"))
		default:
			w.Write([]byte("[reject]"))
		}
	})
	e := verbsEngine(t, &App{Name: "support", URL: srv.URL})
	c := e.Dial(esltest.Options{OnApp: func(c *esltest.Call, run esltest.AppRun) {
		if run.App == "play_and_get_digits" {
			c.Digits("1")
		}
	}})
	res := calltest.Wait(t, c)
	if res.Outcome != esltest.HungUp || res.Cause != "NORMAL_TEMPORARY_FAILURE" {
		t.Errorf("call ended %v, want hung up NORMAL_TEMPORARY_FAILURE", res)
	}
	for _, a := range ranApps(c) {
		if strings.HasPrefix(a, "hangup") || strings.HasPrefix(a, "respond") {
			t.Errorf("reject ran %q on an answered call", a)
		}
	}
	e.Idle()
	if !strings.Contains(e.Log.String(), "reject: the call is answered already") {
		t.Errorf("the log does not say why:\n%s", e.Log)
	}
}

// actionApp answers call.start with first, and records the verb.result
// requests to /result, answering them with [hangup].
func actionApp(t *testing.T, first string) *testApp {
	return newTestApp(t, func(w http.ResponseWriter, r *http.Request, n int) {
		w.Header().Set("Content-Type", "application/yaml")
		if n == 1 {
			w.Write([]byte(first))
			return
		}
		w.Write([]byte("[hangup]"))
	})
}

// resultOf returns the result of the app's first verb.result request.
func resultOf(t *testing.T, a *testApp) map[string]any {
	t.Helper()
	for _, r := range a.requests() {
		if r.Path == "/result" {
			res, _ := r.json(t)["result"].(map[string]any)
			return res
		}
	}
	t.Fatalf("no verb.result request; got %d requests", len(a.requests()))
	return nil
}

// apiCommands lists the api commands callhook sent on the call.
func apiCommands(c *esltest.Call) []string {
	var out []string
	for _, cmd := range c.Received() {
		if a, ok := strings.CutPrefix(cmd.Line, "api "); ok {
			out = append(out, a)
		}
	}
	return out
}

// TestPlayList: files, a pause and a tone join in one file_string://
// playback; a spoken number runs as the say application between them.
func TestPlayList(t *testing.T) {
	srv2 := actionApp(t, `
- answer
- play: [ivr/a.wav, {pause: 500ms}, {tone: us-ring}, {say: {text: "42"}}, ivr/b.wav]
- play: {file: [ivr/c.wav, {file: "silence_stream://100"}], loop: 2}
`[1:])
	e := verbsEngine(t, &App{Name: "support", URL: srv2.URL})
	c := e.Dial(esltest.Options{})
	res := calltest.Wait(t, c)
	if res.Outcome != esltest.HungUp || res.Cause != "NORMAL_CLEARING" {
		t.Errorf("call ended %v", res)
	}
	want := []string{
		"answer",
		"playback file_string://ivr/a.wav!silence_stream://500!tone_stream://%(2000,4000,440,480)",
		"say en number pronounced 42",
		"playback ivr/b.wav",
		"playback file_string://ivr/c.wav!silence_stream://100",
		"playback file_string://ivr/c.wav!silence_stream://100",
	}
	if got := ranApps(c); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("apps =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// mod_say_en is stock: the switch was asked once what it has.
	if got := apiCommands(c); strings.Join(got, ",") != "show interfaces" {
		t.Errorf("api commands = %q, want one show interfaces", got)
	}
}

// TestGatherList: a gather's list is play_and_get_digits' one prompt, the
// spoken number turned into sound files by say_string first, so the
// caller's first key, pressed during the prompt, stops it all.
func TestGatherList(t *testing.T) {
	srv := actionApp(t, `
- answer
- gather:
    play: [ivr/menu.wav, {say: {text: "42", type: number}}, {pause: 300ms}]
    max: 1
    action: /result
`[1:])
	e := verbsEngine(t, &App{Name: "support", URL: srv.URL})
	var prompt string
	c := e.Dial(esltest.Options{OnApp: func(c *esltest.Call, run esltest.AppRun) {
		if run.App == "play_and_get_digits" {
			prompt = strings.Fields(run.Arg)[5]
			c.Digits("7")
		}
	}})
	calltest.Wait(t, c)
	if want := "file_string://ivr/menu.wav!digits/40.wav!digits/2.wav!silence_stream://300"; prompt != want {
		t.Errorf("prompt = %q, want %q", prompt, want)
	}
	if got := apiCommands(c); strings.Join(got, ",") != "show interfaces,say_string en en number pronounced 42" {
		t.Errorf("api commands = %q", got)
	}
	res := resultOf(t, srv)
	if res["reason"] != "ok" || res["digits"] != "7" {
		t.Errorf("result = %v, want ok with digits 7", res)
	}
	if n := strings.Count(strings.Join(ranApps(c), "\n"), "play_and_get_digits"); n != 1 {
		t.Errorf("play_and_get_digits ran %d times, want once", n)
	}
}

// TestGatherListSpeak: speech in a gather's list is a tts:// file, which
// needs mod_ssml: on a stock switch the gather ends with reason error
// naming it and runs nothing; with mod_ssml and mod_flite it plays.
func TestGatherListSpeak(t *testing.T) {
	reply := `
- answer
- gather: {play: [{speak: "Press one"}, ivr/menu.wav], action: /result}
`[1:]
	t.Run("stock switch", func(t *testing.T) {
		srv := actionApp(t, reply)
		e := verbsEngine(t, &App{Name: "support", URL: srv.URL})
		c := e.Dial(esltest.Options{})
		calltest.Wait(t, c)
		res := resultOf(t, srv)
		msg, _ := res["message"].(string)
		if res["reason"] != "error" || !strings.Contains(msg, "mod_ssml") {
			t.Errorf("result = %v, want error naming mod_ssml", res)
		}
		if got := strings.Join(ranApps(c), ","); got != "answer" {
			t.Errorf("apps = %q, want answer only", got)
		}
	})
	t.Run("mod_ssml and mod_flite loaded", func(t *testing.T) {
		srv := actionApp(t, reply)
		e := verbsEngine(t, &App{Name: "support", URL: srv.URL})
		sw := esltest.NewSwitch()
		sw.LoadModule("mod_ssml")
		sw.LoadModule("mod_flite")
		var prompt string
		c := e.Dial(esltest.Options{Switch: sw, OnApp: func(c *esltest.Call, run esltest.AppRun) {
			if run.App == "play_and_get_digits" {
				prompt = strings.Fields(run.Arg)[5]
			}
		}})
		calltest.Wait(t, c)
		if want := `file_string://tts://flite|kal|Press\sone!ivr/menu.wav`; prompt != want {
			t.Errorf("prompt = %q, want %q", prompt, want)
		}
		if res := resultOf(t, srv); res["reason"] != "timeout" {
			t.Errorf("result = %v, want timeout (nobody pressed)", res)
		}
	})
}

// TestMissingModule: a verb whose module the switch lacks ends with reason
// error and a message naming it, instead of completing in silence (speak,
// say) or hanging the call up (an unknown application); the switch is
// asked once.
func TestMissingModule(t *testing.T) {
	cases := []struct {
		name, verb, module string
	}{
		{"speak without mod_flite", `{speak: {text: hello}}`, "mod_flite"},
		{"say without its language", `{say: {text: "42", lang: fr}}`, "mod_say_fr"},
		{"execute of an unknown application", `{execute: {app: frobnicate}}`, "frobnicate"},
		{"a play list speaking", `{play: {file: [a.wav, {speak: hi}]}}`, "mod_flite"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := newTestApp(t, replyWith("[answer, "+tc.verb+", {hangup: USER_BUSY}]"))
			e := verbsEngine(t, &App{Name: "support", URL: srv.URL, StatusURL: srv.URL + "/status", AllowExecute: []string{"frobnicate"}})
			c := e.Dial(esltest.Options{})
			res := calltest.Wait(t, c)
			if res.Cause != "USER_BUSY" {
				t.Errorf("call ended %v, want the verbs after it to run (hangup USER_BUSY)", res)
			}
			if got := strings.Join(ranApps(c), ","); got != "answer" {
				t.Errorf("apps = %q, want answer only", got)
			}
			e.Idle()
			var end map[string]any
			for _, r := range srv.requests() {
				if r.Path == "/status" {
					end = r.json(t)
				}
			}
			last, _ := end["last_result"].(map[string]any)
			if msg, _ := last["message"].(string); last["reason"] != "error" || !strings.Contains(msg, tc.module) {
				t.Errorf("call.end last_result = %v, want error naming %s", last, tc.module)
			}
			if !strings.Contains(e.Log.String(), tc.module) {
				t.Errorf("the log does not name %s:\n%s", tc.module, e.Log)
			}
		})
	}
}

// TestModuleCheckOncePerSwitch: calls of one switch ask it once; a module
// loaded later counts once the answer is old (not here: the loaded one
// was there from the start); a switch with the module runs the verb.
func TestModuleCheckOncePerSwitch(t *testing.T) {
	srv := newTestApp(t, replyWith(`[answer, {speak: hello}, {speak: again}]`))
	e := verbsEngine(t, &App{Name: "support", URL: srv.URL})
	sw := esltest.NewSwitch()
	sw.LoadModule("mod_flite")
	for range 3 {
		c := e.Dial(esltest.Options{Switch: sw})
		calltest.Wait(t, c)
		if got := strings.Join(ranApps(c), ","); got != "answer,speak flite|kal|hello,speak flite|kal|again" {
			t.Errorf("apps = %q", got)
		}
	}
	if n := sw.ShowInterfacesAsked(); n != 1 {
		t.Errorf("the switch was asked %d times, want once", n)
	}

	t.Run("calls at once", func(t *testing.T) {
		sw := esltest.NewSwitch() // a new Core-UUID: not known yet
		var calls []*esltest.Call
		for range 4 {
			calls = append(calls, e.Dial(esltest.Options{Switch: sw}))
		}
		for _, c := range calls {
			calltest.Wait(t, c)
			if got := strings.Join(ranApps(c), ","); got != "answer" {
				t.Errorf("apps = %q, want answer only (no mod_flite)", got)
			}
		}
		if n := sw.ShowInterfacesAsked(); n != 1 {
			t.Errorf("the switch was asked %d times, want once", n)
		}
	})
}

// bridgeResult returns the bridge part of the app's verb.result.
func bridgeResult(t *testing.T, a *testApp) (reason string, b map[string]any) {
	t.Helper()
	res := resultOf(t, a)
	b, _ = res["bridge"].(map[string]any)
	reason, _ = res["reason"].(string)
	return reason, b
}

// TestBridgeParallel: a parallel bridge rings the targets at once (','),
// and the result says which callee answered and how long they talked.
func TestBridgeParallel(t *testing.T) {
	srv := actionApp(t, `[answer, {bridge: {to: [loopback/7300/default, loopback/7301/default], mode: parallel, action: /result}}]`)
	e := verbsEngine(t, &App{Name: "support", URL: srv.URL})
	c := e.Dial(esltest.Options{BridgeTargets: map[string]esltest.BridgeOutcome{"loopback/7300/default": esltest.BridgeBusy},
		BridgeDuration: 3 * time.Second})
	calltest.Wait(t, c)
	if got := ranApps(c); len(got) < 4 || got[3] != "bridge {originate_timeout=30}loopback/7300/default,loopback/7301/default" {
		t.Errorf("apps = %q", got)
	}
	reason, b := bridgeResult(t, srv)
	if reason != "ok" || b["status"] != "SUCCESS" || b["answered_by"] != "loopback/7301-a" || b["duration_ms"] != 3000.0 {
		t.Errorf("result = %s %v, want ok, answered by loopback/7301-a, 3000 ms", reason, b)
	}
	if br := c.Bridges(); len(br) != 1 || !br[0].Parallel {
		t.Errorf("bridges = %+v, want one, parallel", br)
	}
}

// TestBridgeTimeLimit: the callee is hung up time_limit after it answers
// (ALLOTTED_TIMEOUT), and the app goes on.
func TestBridgeTimeLimit(t *testing.T) {
	srv := actionApp(t, `[answer, {bridge: {to: loopback/7300/default, time_limit: 2s, action: /result}}]`)
	e := verbsEngine(t, &App{Name: "support", URL: srv.URL})
	c := e.Dial(esltest.Options{BridgeDuration: time.Minute})
	res := calltest.Wait(t, c)
	if res.Cause != "NORMAL_CLEARING" || res.By != esltest.ByDaemon {
		t.Errorf("call ended %v, want the app's hangup after the bridge", res)
	}
	reason, b := bridgeResult(t, srv)
	if reason != "ok" || b["cause"] != "ALLOTTED_TIMEOUT" || b["duration_ms"] != 2000.0 {
		t.Errorf("result = %s %v, want ok, cause ALLOTTED_TIMEOUT after 2000 ms", reason, b)
	}
}

// TestBridgeHangupOnStar: the caller presses * while bridged: the bridge
// ends and the app's next verb runs; the ringback asked for is the one
// the originate played, and neither outlives the bridge.
func TestBridgeHangupOnStar(t *testing.T) {
	srv := actionApp(t, `
- answer
- bridge: {to: loopback/7300/default, hangup_on_star: true, ringback: us-ring, action: /result}
`[1:])
	e := verbsEngine(t, &App{Name: "support", URL: srv.URL})
	c := e.Dial(esltest.Options{BridgeDuration: time.Hour})
	waitEvent(t, c, "CHANNEL_BRIDGE")
	c.Digits("*")
	calltest.Wait(t, c)
	reason, b := bridgeResult(t, srv)
	if reason != "ok" || b["status"] != "SUCCESS" {
		t.Errorf("result = %s %v, want ok", reason, b)
	}
	if d, _ := b["duration_ms"].(float64); d >= float64(time.Hour/time.Millisecond) {
		t.Errorf("the bridge lasted %v ms: * did not end it", d)
	}
	br := c.Bridges()
	if len(br) != 1 || br[0].Ringback != "tone_stream://%(2000,4000,440,480)" {
		t.Errorf("bridges = %+v, want one with us-ring's tone as ringback", br)
	}
	for _, name := range []string{"bridge_terminate_key", "ringback", "transfer_ringback"} {
		if v, ok := c.Var(name); ok && v != "" {
			t.Errorf("%s = %q on the channel after the bridge, want it scoped to the bridge", name, v)
		}
	}
}

// TestBridgeConfirm: the callee hears the confirm prompt before the legs
// are bridged.
func TestBridgeConfirm(t *testing.T) {
	srv := actionApp(t, `[answer, {bridge: {to: loopback/7300/default, confirm: {play: ivr/accept.wav, key: "5"}, action: /result}}]`)
	e := verbsEngine(t, &App{Name: "support", URL: srv.URL})
	c := e.Dial(esltest.Options{})
	calltest.Wait(t, c)
	if got := ranApps(c); len(got) < 4 || got[3] != "bridge {originate_timeout=30,group_confirm_key=5,group_confirm_file=ivr/accept.wav}loopback/7300/default" {
		t.Errorf("apps = %q", got)
	}
	if br := c.Bridges(); len(br) != 1 || br[0].Confirms != 1 {
		t.Errorf("bridges = %+v, want one confirm prompt played", br)
	}
	if reason, b := bridgeResult(t, srv); reason != "ok" || b["answered_by"] != "loopback/7300-a" {
		t.Errorf("result = %s %v", reason, b)
	}
}

// waitEvent waits until the simulator has written an event named name.
func waitEvent(t *testing.T, c *esltest.Call, name string) {
	t.Helper()
	for n := 1; ; n++ {
		fs, err := c.WaitFrames(t.Context(), n)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range fs {
			if strings.Contains(string(f.Body), "Event-Name: "+name+"\n") {
				return
			}
		}
		if len(fs) < n {
			t.Fatalf("the call ended before %s", name)
		}
	}
}

// TestCallAnswered: an app whose status_events lists call.answered gets it
// at status_url once, when the call is answered, before the verbs after
// answer run; a failed attempt is retried with the same X-Callhook-Seq.
// An app that does not ask, or a call that is never answered, gets none.
func TestCallAnswered(t *testing.T) {
	statusAttempts := 0
	var mu sync.Mutex
	srv := newTestApp(t, func(w http.ResponseWriter, r *http.Request, n int) {
		w.Header().Set("Content-Type", "application/yaml")
		switch r.URL.Path {
		case "/status":
			mu.Lock()
			statusAttempts++
			first := statusAttempts == 1
			mu.Unlock()
			if first {
				w.WriteHeader(http.StatusServiceUnavailable)
			}
		case "/next":
			w.Write([]byte("[hangup]"))
		default:
			w.Write([]byte("[answer, {play: a.wav}, {play: b.wav}, {gather: {play: c.wav, action: /next}}]"))
		}
	})
	app := &App{Name: "support", URL: srv.URL + "/ivr", StatusURL: srv.URL + "/status",
		StatusEvents: []string{EventCallAnswered}, Retries: 1}
	e := verbsEngine(t, app)
	c := e.Dial(esltest.Options{})
	calltest.Wait(t, c)
	e.Idle()
	var events []string
	seqs := map[string][]string{}
	for _, r := range srv.requests() {
		ev, _ := r.json(t)["event"].(string)
		events = append(events, r.Path+" "+ev)
		seqs[ev] = append(seqs[ev], r.Header.Get("X-Callhook-Seq"))
	}
	// call.answered goes in the background: beside the verbs, so before
	// or after /next's verb.result, but always before call.end.
	want := []string{"/ivr call.start", "/status call.answered", "/status call.answered", "/next verb.result", "/status call.end"}
	if len(events) != len(want) || events[0] != want[0] || events[len(events)-1] != want[len(want)-1] ||
		!slices.Equal(slices.Sorted(slices.Values(events)), slices.Sorted(slices.Values(want))) {
		t.Errorf("requests = %q\nwant %q (call.answered and verb.result in either order)", events, want)
	}
	if s := seqs[EventCallAnswered]; len(s) != 2 || s[0] != "2" || s[1] != "2" {
		t.Errorf("call.answered seqs = %q, want 2 twice (a retry keeps its seq)", s)
	}

	t.Run("not asked for", func(t *testing.T) {
		srv := newTestApp(t, replyWith("[answer, {play: a.wav}]"))
		e := verbsEngine(t, &App{Name: "support", URL: srv.URL + "/ivr", StatusURL: srv.URL + "/status"})
		calltest.Wait(t, e.Dial(esltest.Options{}))
		e.Idle()
		for _, r := range srv.requests() {
			if r.json(t)["event"] == EventCallAnswered {
				t.Errorf("call.answered sent to an app that did not ask")
			}
		}
	})
	t.Run("never answered", func(t *testing.T) {
		srv := newTestApp(t, replyWith("[ring_ready, reject]"))
		e := verbsEngine(t, &App{Name: "support", URL: srv.URL + "/ivr", StatusURL: srv.URL + "/status",
			StatusEvents: []string{EventCallAnswered}})
		calltest.Wait(t, e.Dial(esltest.Options{}))
		e.Idle()
		for _, r := range srv.requests() {
			if r.json(t)["event"] == EventCallAnswered {
				t.Errorf("call.answered sent for a call that was never answered")
			}
		}
	})
}

func TestCheckStatusEvents(t *testing.T) {
	if err := CheckStatusEvents([]string{"call.answered"}); err != nil {
		t.Errorf("CheckStatusEvents(call.answered) = %v", err)
	}
	for _, bad := range [][]string{{"call.ringing"}, {"call.answered", "call.answered"}} {
		if err := CheckStatusEvents(bad); err == nil {
			t.Errorf("CheckStatusEvents(%q) = nil", bad)
		}
	}
}
