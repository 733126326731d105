package liverpie_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/callhook/callhook/apphttp"
	"github.com/callhook/callhook/esl/esltest"
	"github.com/callhook/callhook/internal/calltest"
)

// The whole-call script: each state-machine step's reply, as a Liverpie app
// writes them.
const (
	// Step 0 (fired by the myevents reply): answer, then wait for the
	// reply to that command.
	lpAnswer = `---
msg: |
  sendmsg
  call-command: execute
  execute-app-name: answer
  event-lock: true
expected_key: content_type
expected_value: command/reply
`
	// Step 1: Liverpie's own README style ("SendMsg " with a trailing
	// space, "event-lock:true"), waiting for an event header compared with
	// its raw value, the key written the way FreeSWITCH names it.
	lpWelcome = "---\nmsg: |-\n  SendMsg \n  call-command: execute\n  execute-app-name: playback\n" +
		"  execute-app-arg: ivr/welcome.wav\n  event-lock:true\nexpected_key: Application-Response\nexpected_value: FILE%20PLAYED\n"
	// Step 2: no command; wait for the caller to press 5.
	lpWaitFive = "expected_key: dtmf_digit\nexpected_value: \"5\"\n"
	// Step 3: say goodbye and wait for the hangup.
	lpGoodbye = `msg: "sendmsg\ncall-command: execute\nexecute-app-name: playback\nexecute-app-arg: ivr/goodbye.wav\n"
expected_key: event_name
expected_value: CHANNEL_HANGUP
`
	// The DTMF reply: play the digit (its expectations are ignored).
	lpDigit = "msg: \"sendmsg\\ncall-command: execute\\nexecute-app-name: playback\\nexecute-app-arg: digits/5.wav\"\n" +
		"expected_key: event_name\nexpected_value: NEVER\n"
)

func lpScript(step int, r lpRequest) (int, string) {
	switch step {
	case 0:
		return 200, lpAnswer
	case 1:
		return 200, lpWelcome
	case 2:
		return 200, lpWaitFive
	case 3:
		return 200, lpGoodbye
	case 4: // the hangup it expected: nothing more to do
		return 200, ""
	}
	return 500, "unexpected step\n"
}

// TestLiverpieWholeCall drives a Liverpie-style app (cookie session, state
// machine) through a whole call on the real engine and checks exactly what
// the app receives.
func TestLiverpieWholeCall(t *testing.T) {
	w := newLPWebapp(t, lpScript, func(lpRequest) string { return lpDigit })
	rec := &calltest.Requests{}
	h := startLiverpie(t, rec, lpApp(t, w))
	c := h.dial("ivr")

	var got []lpRequest
	for range 4 {
		got = append(got, w.next(t))
	}
	// The app is now waiting for a 5.
	c.Digits("5")
	got = append(got, w.next(t), w.next(t))
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	for range 3 { // welcome, goodbye, then the digit
		if _, err := c.WaitApp(ctx, "playback"); err != nil {
			t.Fatal(err)
		}
	}
	c.Hangup("")
	if r := h.result(c); r.Outcome != esltest.HungUp || r.By != esltest.ByCaller {
		t.Errorf("call result = %v, want hung up by the caller", r)
	}
	h.Idle()
	all := w.requests()
	got = append(got, all[len(got):]...)

	sid := "_ivr_session=sid-1; ivr_state="
	want := []struct {
		line, cookie string
		step         int
	}{
		{"GET /ivr/reset HTTP/1.1", "", -1},
		{"POST /ivr/state_machine HTTP/1.1", sid + w.sign(0), 0},
		{"POST /ivr/state_machine HTTP/1.1", sid + w.sign(1), 1},
		{"POST /ivr/state_machine HTTP/1.1", sid + w.sign(2), 2},
		{"POST /ivr/state_machine HTTP/1.1", sid + w.sign(3), 3},
		{"POST /ivr/dtmf HTTP/1.1", sid + w.sign(4), 4},
	}
	if len(got) < len(want)+1 {
		t.Fatalf("requests = %q, want %d and a hangup", lpLines(got), len(want)+1)
	}
	for i, wr := range want {
		r := got[i]
		if r.Line != wr.line || r.Header.Get("Cookie") != wr.cookie || r.Step != wr.step {
			t.Errorf("request %d = %q Cookie %q (step %d), want %q Cookie %q (step %d)",
				i, r.Line, r.Header.Get("Cookie"), r.Step, wr.line, wr.cookie, wr.step)
		}
		if ua := r.Header.Get("User-Agent"); !strings.HasPrefix(ua, "callhook/") {
			t.Errorf("request %d User-Agent = %q, want callhook/...", i, ua)
		}
		// The mark of an app's request, which the admin API refuses.
		if id := r.Header.Get(apphttp.CallIDHeader); id != c.UUID() {
			t.Errorf("request %d %s = %q, want the call's id %s", i, apphttp.CallIDHeader, id, c.UUID())
		}
		ct := r.Header.Get("Content-Type")
		if strings.HasPrefix(r.Line, "POST") != (ct == "application/x-www-form-urlencoded") {
			t.Errorf("request %d %q Content-Type = %q", i, r.Line, ct)
		}
	}
	// The whole header set of a reset and of a form POST (Go's client adds
	// Accept-Encoding; Host is the app's ip:port).
	for _, hc := range []struct {
		r    lpRequest
		want []string
	}{
		{got[0], []string{"Accept", "Accept-Encoding", "User-Agent", "X-Callhook-Call-Id"}},
		{got[1], []string{"Accept", "Accept-Encoding", "Content-Length", "Content-Type", "Cookie", "User-Agent", "X-Callhook-Call-Id"}},
	} {
		var names []string
		for k := range hc.r.Header {
			names = append(names, k)
		}
		slices.Sort(names)
		if !slices.Equal(names, hc.want) || hc.r.Host != strings.TrimPrefix(w.URL, "http://") {
			t.Errorf("%s: headers %q, Host %q; want %q, %q", hc.r.Line, names, hc.r.Host, hc.want, strings.TrimPrefix(w.URL, "http://"))
		}
	}
	// The caller's hangup comes last; a state-machine request for the
	// expected CHANNEL_HANGUP may come before it, when the hangup reached
	// the session while it was waiting for events.
	last, between := got[len(got)-1], got[len(want):len(got)-1]
	if len(between) > 1 {
		t.Errorf("requests between the DTMF and the hangup = %q, want at most the CHANNEL_HANGUP step", lpLines(between))
	}
	for _, r := range between {
		if r.Path != "/ivr/state_machine" || r.Form.Get("event_name") != "CHANNEL_HANGUP" || r.Step != 4 {
			t.Errorf("request %q (step %d) with event_name %q between the DTMF and the hangup", r.Line, r.Step, r.Form.Get("event_name"))
		}
	}
	if wantCookie := sid + w.sign(4+len(between)); last.Line != "POST /ivr/hangup HTTP/1.1" || last.Header.Get("Cookie") != wantCookie {
		t.Errorf("last request = %q Cookie %q, want POST /ivr/hangup with Cookie %q", last.Line, last.Header.Get("Cookie"), wantCookie)
	}

	// Step 0: the channel data alone, names normalised, in FreeSWITCH's
	// order, values decoded by the app's form parser as under Liverpie.
	first := got[1]
	if !strings.HasPrefix(first.Body, "event_name=CHANNEL_DATA&core_uuid=") {
		t.Errorf("step 0 body starts %q, want the connect reply's headers in order", lpClip(first.Body))
	}
	formWant(t, "step 0", first, map[string]string{
		"event_name":                  "CHANNEL_DATA",
		"unique_id":                   c.UUID(),
		"caller_caller_id_number":     "1000",
		"caller_callee_id_name":       "Outbound Call",
		"variable_liverpie_webapp_id": "ivr",
		"content_type":                "command/reply",
		"reply_text":                  "+OK\n",
		"socket_mode":                 "async",
		"control":                     "full",
	})
	// FreeSWITCH's own encoding goes through byte for byte, as Liverpie
	// sent it.
	for _, raw := range []string{"&reply_text=%2BOK%0A&", "&caller_callee_id_name=Outbound%20Call&"} {
		if !strings.Contains(first.Body, raw) {
			t.Errorf("step 0 body lacks %q", raw)
		}
	}
	for k := range first.Form {
		if k != strings.ToLower(k) || strings.Contains(k, "-") {
			t.Errorf("step 0 form key %q is not normalised", k)
		}
	}
	if strings.Contains(first.Body, "Events") {
		t.Errorf("step 0 body holds the myevents reply (callhook's own command): %q", lpClip(first.Body))
	}

	// Step 1 fired by the answer's reply: a command/reply's "+OK" is encoded
	// (Liverpie sent it bare, so its apps read " OK").
	formWant(t, "step 1", got[2], map[string]string{"reply_text": "+OK", "content_type": "command/reply"})
	if !strings.Contains(got[2].Body, "&reply_text=%2BOK&") {
		t.Errorf("step 1 body lacks reply_text=%%2BOK: %q", lpClip(got[2].Body))
	}

	// Step 2 fired by the welcome prompt's completion.
	formWant(t, "step 2", got[3], map[string]string{
		"event_name":           "CHANNEL_EXECUTE_COMPLETE",
		"application":          "playback",
		"application_data":     "ivr/welcome.wav",
		"application_response": "FILE PLAYED",
		"content_type":         "text/event-plain",
		"answer_state":         "answered",
	})
	if !strings.HasPrefix(got[3].Body, "event_name=CHANNEL_EXECUTE_COMPLETE&core_uuid=") {
		t.Errorf("step 2 body starts %q, want merged names in the place first seen", lpClip(got[3].Body))
	}

	// Step 3 fired by the DTMF event, then the digit to dtmf_uri.
	formWant(t, "step 3", got[4], map[string]string{"event_name": "DTMF", "dtmf_digit": "5"})
	if got[5].Body != "dtmf_code=5" {
		t.Errorf("dtmf body = %q, want %q", got[5].Body, "dtmf_code=5")
	}
	formWant(t, "hangup", last, map[string]string{
		"callhook_outcome": "hangup", "callhook_hangup_cause": "NORMAL_CLEARING", "unique_id": c.UUID(),
	})

	// What reached FreeSWITCH: esl's encoding of each msg.
	var sent []string
	for _, cmd := range c.Received() {
		if cmd.Line == "sendmsg" {
			sent = append(sent, cmd.Headers.Get("execute-app-name")+" "+cmd.Headers.Get("execute-app-arg"))
		}
	}
	wantSent := []string{"answer ", "playback ivr/welcome.wav", "playback ivr/goodbye.wav", "playback digits/5.wav"}
	if !slices.Equal(sent, wantSent) {
		t.Errorf("sendmsg commands = %q, want %q", sent, wantSent)
	}

	evs := rec.Events()
	if len(evs) < 7 || !slices.Equal(evs[:6], []string{"reset", "state_machine", "state_machine", "state_machine", "state_machine", "dtmf"}) ||
		evs[len(evs)-1] != "hangup" {
		t.Errorf("observed requests = %q, want reset, 4 state_machine, dtmf, ..., hangup", evs)
	}
}

// formWant checks form values a request carried.
func formWant(t *testing.T, what string, r lpRequest, want map[string]string) {
	t.Helper()
	for k, v := range want {
		if got, ok := r.Form[k]; !ok || len(got) != 1 || got[0] != v {
			t.Errorf("%s form[%q] = %q, want [%q]", what, k, got, v)
		}
	}
}

func lpClip(s string) string {
	if len(s) > 120 {
		return s[:120] + "..."
	}
	return s
}

// TestLiverpieRefusedCommand: a msg whose command is not in the allowlist
// is never sent; the call is hung up and the log says why.
func TestLiverpieRefusedCommand(t *testing.T) {
	w := newLPWebapp(t, func(step int, r lpRequest) (int, string) {
		return 200, "msg: api uuid_kill " + r.Form.Get("unique_id") + "\nexpected_key: content_type\nexpected_value: api/response\n"
	}, nil)
	h := startLiverpie(t, nil, lpApp(t, w))
	c := h.dial("ivr")
	if r := h.result(c); r.Outcome != esltest.HungUp || r.Cause != "NORMAL_TEMPORARY_FAILURE" || r.By != esltest.ByDaemon {
		t.Errorf("call result = %v, want hung up by callhook with NORMAL_TEMPORARY_FAILURE", r)
	}
	h.Idle()
	for _, cmd := range c.Received() {
		if strings.HasPrefix(cmd.Line, "api") {
			t.Errorf("FreeSWITCH received %q", cmd.Line)
		}
	}
	logs := h.Log.String()
	for _, want := range []string{`msg command \"api\" refused: not in the app's allow_commands [sendmsg]`, "call failed"} {
		if !strings.Contains(logs, want) {
			t.Errorf("log lacks %q:\n%s", want, logs)
		}
	}
}

// TestLiverpieAllowedAPI: an app allowed api gets its api/response as a
// frame it can wait for.
func TestLiverpieAllowedAPI(t *testing.T) {
	w := newLPWebapp(t, func(step int, r lpRequest) (int, string) {
		switch step {
		case 0:
			return 200, "msg: api uuid_getvar " + r.Form.Get("unique_id") + " liverpie_webapp_id\nexpected_key: content_type\nexpected_value: api/response\n"
		case 1:
			return 200, "msg: \"sendmsg\\ncall-command: hangup\\nhangup-cause: USER_BUSY\"\n"
		}
		return 500, ""
	}, nil)
	app := lpApp(t, w)
	app.AllowCommands = []string{"sendmsg", "API"}
	h := startLiverpie(t, nil, app)
	c := h.dial("ivr")
	if r := h.result(c); r.Outcome != esltest.HungUp || r.Cause != "USER_BUSY" {
		t.Errorf("call result = %v, want hung up with USER_BUSY", r)
	}
	h.Idle()
	reqs := w.requests()
	if len(reqs) < 3 {
		t.Fatalf("requests = %q, want reset and two steps", lpLines(reqs))
	}
	formWant(t, "step 1", reqs[2], map[string]string{"content_type": "api/response"})
}

// TestLiverpieSlowApp: an app that never answers has its call hung up once
// the request's timeout passes, with the reason logged.
func TestLiverpieSlowApp(t *testing.T) {
	w := newSlowLPWebapp(t)
	app := lpApp(t, w)
	app.Timeout = 50 * time.Millisecond // the handler blocks until the request is cancelled
	h := startLiverpie(t, nil, app)
	c := h.dial("ivr")
	if r := h.result(c); r.Outcome != esltest.HungUp || r.Cause != "NORMAL_TEMPORARY_FAILURE" {
		t.Errorf("call result = %v, want hung up with NORMAL_TEMPORARY_FAILURE", r)
	}
	h.Idle()
	logs := h.Log.String()
	if !strings.Contains(logs, "liverpie state_machine "+w.URL+"/ivr/state_machine: timeout: no answer within 50ms") {
		t.Errorf("log lacks the timeout reason:\n%s", logs)
	}
	// The call still ends with the app told (hangup_uri).
	if reqs := w.requests(); reqs[len(reqs)-1].Path != "/ivr/hangup" {
		t.Errorf("requests = %q, want the hangup last", lpLines(reqs))
	}
}

// TestLiverpieBadReplies: whatever an app answers, the call ends cleanly
// with the reason logged.
func TestLiverpieBadReplies(t *testing.T) {
	tests := []struct {
		name   string
		status int
		reply  string
		logged string
	}{
		{"not yaml", 200, "msg: [unclosed\n", "reply is not valid YAML"},
		{"a list", 200, "- msg\n- x\n", "want a YAML mapping"},
		{"msg is a mapping", 200, "msg: {a: b}\n", "msg must be a string, got a mapping"},
		{"value without key", 200, "expected_value: x\n", "no expected_key"},
		{"not a command", 200, "msg: \"sendmsg\\nContent-Length: 9\\n\\nshort\"\n", "msg is not an ESL command"},
		{"app name with a space", 200, "msg: \"sendmsg\\ncall-command: execute\\nexecute-app-name: play back\"\n", `execute-app-name: \"play back\" has ' '`},
		{"another channel", 200, "msg: sendmsg 0000-other\n", `addresses channel \"0000-other\"`},
		{"server error", 500, "oops", "HTTP status 500"},
		{"not found", 404, "", "HTTP status 404"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := newLPWebapp(t, func(int, lpRequest) (int, string) { return tc.status, tc.reply }, nil)
			h := startLiverpie(t, nil, lpApp(t, w))
			c := h.dial("ivr")
			if r := h.result(c); r.Outcome != esltest.HungUp || r.Cause != "NORMAL_TEMPORARY_FAILURE" {
				t.Errorf("call result = %v, want hung up with NORMAL_TEMPORARY_FAILURE", r)
			}
			h.Idle()
			if logs := h.Log.String(); !strings.Contains(logs, tc.logged) {
				t.Errorf("log lacks %q:\n%s", tc.logged, logs)
			}
		})
	}
}

// TestLiverpieResetFails: no reset, no call; the app is not asked anything
// else (hangup_uri included: there is no session to end).
func TestLiverpieResetFails(t *testing.T) {
	srv := newLPWebapp(t, lpScript, nil)
	app := lpApp(t, srv)
	app.ResetURI = "/nowhere"
	h := startLiverpie(t, nil, app)
	c := h.dial("ivr")
	if r := h.result(c); r.Cause != "NORMAL_TEMPORARY_FAILURE" {
		t.Errorf("call result = %v, want NORMAL_TEMPORARY_FAILURE", r)
	}
	h.Idle()
	if got := lpLines(srv.requests()); !slices.Equal(got, []string{"GET /nowhere HTTP/1.1"}) {
		t.Errorf("requests = %q, want the reset only", got)
	}
	if logs := h.Log.String(); !strings.Contains(logs, "liverpie reset "+srv.URL+"/nowhere: HTTP status 404") {
		t.Errorf("log lacks the reset failure:\n%s", logs)
	}
}

// TestLiverpieEmptyReply: an empty answer keeps the expectation (Liverpie's
// "waiting as before"), so the app can act on a DTMF; the reply to the DTMF
// msg then fires the state machine again.
func TestLiverpieEmptyReply(t *testing.T) {
	w := newLPWebapp(t, func(step int, r lpRequest) (int, string) {
		switch step {
		case 0:
			return 200, "" // nothing: wait for a command/reply as before
		case 1:
			return 200, "msg: \"sendmsg\\ncall-command: hangup\\nhangup-cause: CALL_REJECTED\"\nexpected_key: event_name\nexpected_value: NEVER\n"
		}
		return 500, ""
	}, func(lpRequest) string {
		return "msg: \"sendmsg\\ncall-command: execute\\nexecute-app-name: answer\"\n"
	})
	h := startLiverpie(t, nil, lpApp(t, w))
	c := h.dial("ivr")
	w.next(t) // reset
	w.next(t) // step 0
	c.Digits("7")
	if r := h.result(c); r.Cause != "CALL_REJECTED" {
		t.Errorf("call result = %v, want CALL_REJECTED", r)
	}
	h.Idle()
	var paths []string
	for _, r := range w.requests() {
		paths = append(paths, r.Path)
	}
	want := []string{"/ivr/reset", "/ivr/state_machine", "/ivr/dtmf", "/ivr/state_machine", "/ivr/hangup"}
	if !slices.Equal(paths, want) {
		t.Errorf("requests = %q, want %q", paths, want)
	}
}

// TestLiverpieCookiesPerCall: a reset carries no cookie even on a second
// call of the same app: cookies are per call.
func TestLiverpieCookiesPerCall(t *testing.T) {
	w := newLPWebapp(t, func(step int, r lpRequest) (int, string) {
		return 200, "msg: \"sendmsg\\ncall-command: hangup\\nhangup-cause: NORMAL_CLEARING\"\nexpected_key: event_name\nexpected_value: NEVER\n"
	}, nil)
	h := startLiverpie(t, nil, lpApp(t, w))
	for i := range 2 {
		c := h.dial("ivr")
		h.result(c)
		h.Idle()
		reqs := w.requests()
		reset, step := reqs[len(reqs)-3], reqs[len(reqs)-2]
		if reset.Header.Get("Cookie") != "" {
			t.Errorf("call %d reset Cookie = %q, want none", i, reset.Header.Get("Cookie"))
		}
		wantSID := []string{"sid-1", "sid-2"}[i]
		if got, want := step.Header.Get("Cookie"), "_ivr_session="+wantSID+"; ivr_state="+w.sign(0); got != want {
			t.Errorf("call %d Cookie = %q, want %q", i, got, want)
		}
	}
}

// TestLiverpieSlowAppDelaysNoOtherCall: while one app's state machine
// hangs, a call to another app runs from start to end.
func TestLiverpieSlowAppDelaysNoOtherCall(t *testing.T) {
	slow := newSlowLPWebapp(t)
	fast := newLPWebapp(t, func(int, lpRequest) (int, string) {
		return 200, "msg: \"sendmsg\\ncall-command: hangup\\nhangup-cause: NORMAL_CLEARING\"\nexpected_key: event_name\nexpected_value: NEVER\n"
	}, nil)
	slowApp, fastApp := lpApp(t, slow), lpApp(t, fast)
	slowApp.Name, fastApp.Name = "slow", "fast"
	h := startLiverpie(t, nil, slowApp, fastApp)

	sc := h.dial("slow")
	for slow.next(t).Path != "/ivr/state_machine" {
	}
	// The slow app now holds its call's state-machine request.
	fc := h.dial("fast")
	if r := h.result(fc); r.Outcome != esltest.HungUp || r.By != esltest.ByDaemon || r.Cause != "NORMAL_CLEARING" {
		t.Errorf("fast call = %v, want hung up by its app", r)
	}
	select {
	case <-sc.Done():
		t.Errorf("the slow call ended before its app answered")
	default:
	}
	close(slow.block)
}

// TestSecurityLiverpieCall: a Liverpie app's execute of an application
// outside the call-local list, and one whose set names a hook, fail the
// call before anything reaches the switch; an allowed playback runs.
func TestSecurityLiverpieCall(t *testing.T) {
	const other = "9d0f3c2a-1111-4a4b-9c1e-6a0f8f7f0c99"
	tests := []refusedMsg{
		{"eavesdrop", "sendmsg\ncall-command: execute\nexecute-app-name: eavesdrop\nexecute-app-arg: " + other, `application \"eavesdrop\" is not allowed`},
		{"executeX system", "sendmsg\ncall-command: executeX\nexecute-app-name: system\nexecute-app-arg: touch /tmp/x", `application \"system\" is not allowed`},
		{"api in arg", "sendmsg\ncall-command: execute\nexecute-app-name: log\nexecute-app-arg: INFO ${uuid_kill(" + other + ")}", `has \"${\"`},
		{"set hook", "sendmsg\ncall-command: execute\nexecute-app-name: set\nexecute-app-arg: API_ON_ANSWER=system touch /tmp/x", `\"API_ON_ANSWER\" cannot be set by an app`},
		{"nomedia", "sendmsg\ncall-command: nomedia\nnomedia-uuid: " + other, `call-command \"nomedia\" is not allowed`},
	}
	refusedMsgs(t, tests)
}

// refusedMsg is a Liverpie msg that must be refused, and what the log says.
type refusedMsg struct{ name, msg, log string }

// refusedMsgs runs a call per case whose app answers the case's msg: the
// call fails (NORMAL_TEMPORARY_FAILURE, by callhook), nothing but the
// hangup reaches FreeSWITCH, and the log says why.
func refusedMsgs(t *testing.T, tests []refusedMsg) {
	t.Helper()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := newLPWebapp(t, func(step int, r lpRequest) (int, string) {
				if step == 0 {
					return 200, fmt.Sprintf("msg: %q\nexpected_key: content_type\nexpected_value: command/reply\n", tc.msg)
				}
				return 200, "msg: \"sendmsg\\ncall-command: hangup\"\n"
			}, nil)
			h := startLiverpie(t, nil, lpApp(t, w))
			c := h.dial("ivr")
			if r := h.result(c); r.Outcome != esltest.HungUp || r.Cause != "NORMAL_TEMPORARY_FAILURE" || r.By != esltest.ByDaemon {
				t.Errorf("call result = %v, want hung up by callhook with NORMAL_TEMPORARY_FAILURE", r)
			}
			h.Idle()
			for _, cmd := range c.Received() {
				if strings.HasPrefix(cmd.Line, "sendmsg") && cmd.Headers.Get("call-command") != "hangup" {
					t.Errorf("FreeSWITCH received %q %v", cmd.Line, cmd.Headers)
				}
			}
			if logs := h.Log.String(); !strings.Contains(logs, tc.log) {
				t.Errorf("log lacks %q:\n%s", tc.log, logs)
			}
		})
	}
}
