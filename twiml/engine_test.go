package twiml

// Fixtures of our own for Twilio's documented rules and verbs, each run
// through the engine (proxy) against the esltest simulator, with a real
// HTTP TwiML app (httptest) that checks every request's signature. Each
// test names the Twilio page whose behaviour it follows.

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/callhook/callhook/esl/esltest"
	"github.com/callhook/callhook/internal/calltest"
	"github.com/callhook/callhook/proxy"
)

const (
	testSID   = "AC0123456789abcdef0123456789abcdef"
	testToken = "s3cret-token"
)

// twReq is one request the TwiML app got.
type twReq struct {
	Method, Path string
	Params       url.Values // the form (POST) or the query (GET)
	SigOK        bool
}

// twApp is a TwiML app: documents by path, every request recorded.
type twApp struct {
	t    *testing.T
	srv  *httptest.Server
	mu   sync.Mutex
	docs map[string]string
	reqs []twReq
}

func newTwApp(t *testing.T, docs map[string]string) *twApp {
	a := &twApp{t: t, docs: docs}
	a.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil {
			t.Errorf("ParseForm: %v", err)
		}
		full := "http://" + r.Host + r.URL.RequestURI()
		var signed, params url.Values
		if r.Method == http.MethodPost {
			signed, params = r.PostForm, r.PostForm
		} else {
			params = r.URL.Query()
		}
		req := twReq{Method: r.Method, Path: r.URL.Path, Params: params,
			SigOK: ValidSignature(testToken, full, signed, r.Header.Get(SignatureHeader))}
		a.mu.Lock()
		a.reqs = append(a.reqs, req)
		doc, ok := a.docs[r.URL.Path]
		a.mu.Unlock()
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/xml")
		w.Write([]byte(doc))
	}))
	t.Cleanup(a.srv.Close)
	return a
}

func (a *twApp) requests() []twReq {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, r := range a.reqs {
		if !r.SigOK {
			a.t.Errorf("%s %s: bad X-Twilio-Signature", r.Method, r.Path)
		}
	}
	return slices.Clone(a.reqs)
}

// paths lists "METHOD path" of every request.
func (a *twApp) paths() []string {
	var out []string
	for _, r := range a.requests() {
		out = append(out, r.Method+" "+r.Path)
	}
	return out
}

// engine serves a TwiML app whose voice URL is path on app's server.
func engine(t *testing.T, a *twApp, path string, tune func(*App)) *calltest.Engine {
	t.Helper()
	return engineAt(t, a.srv, path, func(app *App) {
		app.Dial = DialRules{Number: "sofia/gateway/out/{number}"}
		if tune != nil {
			tune(app)
		}
	})
}

// engineAt serves the TwiML app of srv, whose voice URL is path, with a
// recordings delivery (recStore) unless tune sets Recordings false.
func engineAt(t *testing.T, srv *httptest.Server, path string, tune func(*App)) *calltest.Engine {
	t.Helper()
	app := &App{Name: "tw", URL: srv.URL + path, AccountSID: testSID, AuthToken: testToken,
		Client: srv.Client(), Timeout: 5 * time.Second, Recordings: true}
	if tune != nil {
		tune(app)
	}
	var o calltest.Options
	if app.Recordings {
		o.Recordings = recStore(t)
	}
	return calltest.Start(t, calltest.Apps(&proxy.App{Name: "tw", Backend: app}), o)
}

// ran lists the applications the simulator ran, "app arg", without socket.
func ran(c *esltest.Call) []string {
	var out []string
	for _, r := range c.Apps() {
		if r.App != "socket" {
			out = append(out, strings.TrimSpace(r.App+" "+r.Arg))
		}
	}
	return out
}

func join(s []string) string { return strings.Join(s, "\n") }

// pressAt presses keys when app starts (once).
func pressAt(app, keys string) func(c *esltest.Call, run esltest.AppRun) {
	var once sync.Once
	return func(c *esltest.Call, run esltest.AppRun) {
		if run.App == app {
			once.Do(func() { c.Digits(keys) })
		}
	}
}

const wav = "https://media.example.com/a.wav"

// https://www.twilio.com/docs/voice/twiml — "Twilio executes the verbs
// from top to bottom", and the call ends when the document does; a
// document whose first verb is not Reject answers the call.
func TestTopToBottomAnswersAndHangsUp(t *testing.T) {
	a := newTwApp(t, map[string]string{"/voice": `<?xml version="1.0" encoding="UTF-8"?>
<Response>
  <Play>` + wav + `</Play>
  <Pause length="2"/>
  <Play loop="2">/b.wav</Play>
</Response>`})
	e := engine(t, a, "/voice", nil)
	c, res := e.Call(esltest.Options{})
	want := "answer\nplayback " + wav + "\nsleep 2000\nplayback " + a.srv.URL + "/b.wav\nplayback " + a.srv.URL + "/b.wav"
	if got := join(ran(c)); got != want {
		t.Errorf("apps:\n%s\nwant:\n%s", got, want)
	}
	if res.Outcome != esltest.HungUp || res.Cause != "NORMAL_CLEARING" {
		t.Errorf("call ended %v, want hung up NORMAL_CLEARING", res)
	}
	if got := a.paths(); !slices.Equal(got, []string{"POST /voice"}) {
		t.Errorf("requests %q", got)
	}
}

// https://www.twilio.com/docs/voice/twiml/reject — a first Reject does
// not answer: the call is refused busy (SIP 486) or rejected (603).
func TestReject(t *testing.T) {
	for _, tc := range []struct{ doc, cause string }{
		{`<Response><Reject/></Response>`, "CALL_REJECTED"},
		{`<Response><Reject reason="busy"/></Response>`, "USER_BUSY"},
	} {
		a := newTwApp(t, map[string]string{"/voice": tc.doc})
		e := engine(t, a, "/voice", nil)
		c, res := e.Call(esltest.Options{})
		if got := join(ran(c)); got != "hangup "+tc.cause {
			t.Errorf("%s: apps %q", tc.doc, got)
		}
		if res.Cause != tc.cause {
			t.Errorf("%s: cause %s", tc.doc, res.Cause)
		}
	}
}

// https://www.twilio.com/docs/voice/twiml#request-parameters — every
// request carries the call's parameters, form-encoded, signed
// (https://www.twilio.com/docs/usage/security).
func TestRequestParameters(t *testing.T) {
	a := newTwApp(t, map[string]string{"/voice": `<Response><Hangup/></Response>`})
	e := engine(t, a, "/voice", nil)
	e.Call(esltest.Options{UUID: "9a7c1b2e-4d3f-45a6-b7c8-d9e0f1a2b3c4", CallerIDNumber: "+15005550001",
		CallerIDName: "Jane", DestinationNumber: "+15005550006"})
	reqs := a.requests()
	if len(reqs) != 1 {
		t.Fatalf("requests %v", reqs)
	}
	want := map[string]string{
		"AccountSid": testSID, "ApiVersion": "2010-04-01", "CallSid": "CA9a7c1b2e4d3f45a6b7c8d9e0f1a2b3c4",
		"CallStatus": "ringing", "Called": "+15005550006", "Caller": "+15005550001", "CallerName": "Jane",
		"Direction": "inbound", "From": "+15005550001", "To": "+15005550006",
	}
	for k, v := range want {
		if got := reqs[0].Params.Get(k); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
	if len(reqs[0].Params) != len(want) {
		t.Errorf("params %v, want exactly %v", reqs[0].Params, want)
	}
}

// https://www.twilio.com/docs/usage/webhooks/voice-webhooks — method GET
// sends the parameters in the query; the signature covers the URL alone.
func TestGetMethod(t *testing.T) {
	a := newTwApp(t, map[string]string{"/voice": `<Response><Redirect method="GET">next?x=1</Redirect></Response>`,
		"/next": `<Response><Hangup/></Response>`})
	e := engine(t, a, "/voice", func(app *App) { app.Method = "GET" })
	e.Call(esltest.Options{})
	reqs := a.requests()
	if got := a.paths(); !slices.Equal(got, []string{"GET /voice", "GET /next"}) {
		t.Fatalf("requests %q", got)
	}
	if reqs[1].Params.Get("x") != "1" || reqs[1].Params.Get("CallSid") == "" {
		t.Errorf("GET query %v: want the URL's own and the call's parameters", reqs[1].Params)
	}
}

// https://www.twilio.com/docs/voice/twiml/gather — digits go to action
// (relative URLs resolve against the document) with Digits and
// FinishedOnKey; the action's document replaces the rest.
func TestGatherAction(t *testing.T) {
	a := newTwApp(t, map[string]string{
		"/app/voice": `<Response><Gather action="menu" numDigits="3" timeout="3"><Play>/menu.wav</Play><Pause/></Gather><Play>/never.wav</Play></Response>`,
		"/app/menu":  `<Response><Hangup/></Response>`,
	})
	e := engine(t, a, "/app/voice", nil)
	c, _ := e.Call(esltest.Options{OnApp: pressAt("play_and_get_digits", "12#")})
	reqs := a.requests()
	if got := a.paths(); !slices.Equal(got, []string{"POST /app/voice", "POST /app/menu"}) {
		t.Fatalf("requests %q", got)
	}
	if p := reqs[1].Params; p.Get("Digits") != "12" || p.Get("FinishedOnKey") != "#" || p.Get("CallStatus") != "in-progress" {
		t.Errorf("action params %v", p)
	}
	for _, app := range ran(c) {
		if strings.Contains(app, "never.wav") {
			t.Errorf("the verb after the Gather ran: %s", app)
		}
		if strings.HasPrefix(app, "play_and_get_digits") {
			want := "play_and_get_digits 1 3 1 3000 # file_string://" + a.srv.URL + "/menu.wav!silence_stream://1000"
			if !strings.HasPrefix(app, want) {
				t.Errorf("gather ran %q, want %q...", app, want)
			}
		}
	}
}

// https://www.twilio.com/docs/voice/twiml/gather#action — with no input
// Gather falls through to the next verb, with no request.
func TestGatherNoInputFallsThrough(t *testing.T) {
	a := newTwApp(t, map[string]string{"/voice": `<Response><Gather timeout="1" action="/menu"/><Play>/after.wav</Play></Response>`})
	e := engine(t, a, "/voice", nil)
	c, _ := e.Call(esltest.Options{})
	if got := a.paths(); !slices.Equal(got, []string{"POST /voice"}) {
		t.Errorf("requests %q, want none after the Gather", got)
	}
	if apps := ran(c); !slices.Contains(apps, "playback "+a.srv.URL+"/after.wav") {
		t.Errorf("apps %q: the next verb did not run", apps)
	}
}

// https://www.twilio.com/docs/voice/twiml/gather#actiononemptyresult —
// actionOnEmptyResult requests action even without digits.
func TestGatherActionOnEmptyResult(t *testing.T) {
	a := newTwApp(t, map[string]string{"/voice": `<Response><Gather timeout="1" action="/menu" actionOnEmptyResult="true"/><Play>/after.wav</Play></Response>`,
		"/menu": `<Response/>`})
	e := engine(t, a, "/voice", nil)
	c, _ := e.Call(esltest.Options{})
	reqs := a.requests()
	if got := a.paths(); !slices.Equal(got, []string{"POST /voice", "POST /menu"}) {
		t.Fatalf("requests %q", got)
	}
	if d, ok := reqs[1].Params["Digits"]; !ok || d[0] != "" {
		t.Errorf("Digits = %v, want empty", d)
	}
	if apps := ran(c); slices.Contains(apps, "playback "+a.srv.URL+"/after.wav") {
		t.Errorf("apps %q: the action's document replaces the rest", apps)
	}
}

// https://www.twilio.com/docs/voice/twiml/gather#action — without action,
// Gather posts to the current document's URL.
func TestGatherWithoutAction(t *testing.T) {
	n := 0
	var mu sync.Mutex
	a := newTwApp(t, nil)
	a.srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		mu.Lock()
		n++
		first := n == 1
		a.reqs = append(a.reqs, twReq{Method: r.Method, Path: r.URL.Path, Params: r.PostForm, SigOK: true})
		mu.Unlock()
		if first {
			w.Write([]byte(`<Response><Gather numDigits="1"/></Response>`))
			return
		}
		w.Write([]byte(`<Response><Hangup/></Response>`))
	})
	e := engine(t, a, "/doc", nil)
	e.Call(esltest.Options{OnApp: pressAt("play_and_get_digits", "5")})
	reqs := a.requests()
	if got := a.paths(); !slices.Equal(got, []string{"POST /doc", "POST /doc"}) {
		t.Fatalf("requests %q", got)
	}
	if reqs[1].Params.Get("Digits") != "5" || reqs[1].Params.Get("FinishedOnKey") != "" {
		t.Errorf("params %v: want Digits 5, FinishedOnKey empty (numDigits reached)", reqs[1].Params)
	}
}

// https://www.twilio.com/docs/voice/twiml/record#timeout — a recording of
// silence makes no action request; the document goes on.
func TestRecordEmptyGoesOn(t *testing.T) {
	a := newTwApp(t, map[string]string{"/voice": `<Response><Record action="/done" timeout="1" playBeep="false"/><Play>/after.wav</Play></Response>`})
	e := engine(t, a, "/voice", nil)
	c, _ := e.Call(esltest.Options{})
	if got := a.paths(); !slices.Equal(got, []string{"POST /voice"}) {
		t.Errorf("requests %q", got)
	}
	if apps := ran(c); !slices.Contains(apps, "playback "+a.srv.URL+"/after.wav") {
		t.Errorf("apps %q", apps)
	}
}

// https://www.twilio.com/docs/voice/twiml/dial#action — without action
// the document goes on after the Dial; Numbers ring at once.
func TestDialWithoutAction(t *testing.T) {
	a := newTwApp(t, map[string]string{"/voice": `<Response><Dial timeout="10" callerId="+15005550006"><Number>+15005550001</Number><Client>alice</Client></Dial><Play>/after.wav</Play></Response>`})
	e := engine(t, a, "/voice", nil)
	c, _ := e.Call(esltest.Options{})
	apps := ran(c)
	want := "bridge {originate_timeout=10,origination_caller_id_number=+15005550006,execute_on_answer=sched_hangup +14400 ALLOTTED_TIMEOUT}sofia/gateway/out/+15005550001,user/alice"
	if !slices.Contains(apps, want) || !slices.Contains(apps, "playback "+a.srv.URL+"/after.wav") {
		t.Errorf("apps:\n%s\nwant %s, then the Play", join(apps), want)
	}
	if got := a.paths(); !slices.Equal(got, []string{"POST /voice"}) {
		t.Errorf("requests %q", got)
	}
}

// https://www.twilio.com/docs/voice/twiml/dial#dialcallstatus — with
// action, the outcome goes there as DialCallStatus.
func TestDialAction(t *testing.T) {
	for _, tc := range []struct {
		outcome esltest.BridgeOutcome
		status  string
	}{{esltest.BridgeAnswer, "completed"}, {esltest.BridgeBusy, "busy"}, {esltest.BridgeNoAnswer, "no-answer"}} {
		a := newTwApp(t, map[string]string{"/voice": `<Response><Dial action="/dialed"><Sip>sip:bob@example.com?X-Account=42</Sip></Dial></Response>`,
			"/dialed": `<Response><Hangup/></Response>`})
		e := engine(t, a, "/voice", nil)
		target := "[sip_h_X-Account=42]sofia/external/sip:bob@example.com"
		c, _ := e.Call(esltest.Options{BridgeTargets: map[string]esltest.BridgeOutcome{"sofia/external/sip:bob@example.com": tc.outcome}})
		if apps := ran(c); !slices.ContainsFunc(apps, func(s string) bool { return strings.HasSuffix(s, "}"+target) }) {
			t.Errorf("apps %q: want the Sip URI's header as sip_h_X-Account", apps)
		}
		reqs := a.requests()
		if len(reqs) != 2 {
			t.Fatalf("%s: requests %q", tc.status, a.paths())
		}
		p := reqs[1].Params
		if p.Get("DialCallStatus") != tc.status {
			t.Errorf("DialCallStatus = %q, want %q", p.Get("DialCallStatus"), tc.status)
		}
		if tc.status == "completed" && (!regexp.MustCompile(`^CA[0-9a-f]{32}$`).MatchString(p.Get("DialCallSid")) || p.Get("DialCallDuration") == "") {
			t.Errorf("params %v: want DialCallSid and DialCallDuration", p)
		}
	}
}

// https://www.twilio.com/docs/voice/twiml/conference — muted and
// endConferenceOnExit are member flags of the conference.
func TestDialConference(t *testing.T) {
	a := newTwApp(t, map[string]string{"/voice": `<Response><Dial><Conference muted="true" endConferenceOnExit="true">room1</Conference></Dial></Response>`})
	e := engine(t, a, "/voice", nil)
	c := e.Dial(esltest.Options{OnApp: func(c *esltest.Call, run esltest.AppRun) {
		if run.App == "conference" {
			c.Hangup("NORMAL_CLEARING")
		}
	}})
	calltest.Wait(t, c)
	if apps := ran(c); !slices.Contains(apps, "conference "+testSID+"-room1@default+flags{mute|endconf}") {
		t.Errorf("apps %q", apps)
	}
}

// https://www.twilio.com/docs/voice/twiml/redirect — the Redirect's
// document replaces the rest.
func TestRedirect(t *testing.T) {
	a := newTwApp(t, map[string]string{"/voice": `<Response><Redirect>/two</Redirect><Play>/never.wav</Play></Response>`,
		"/two": `<Response><Play>/two.wav</Play></Response>`})
	e := engine(t, a, "/voice", nil)
	c, _ := e.Call(esltest.Options{})
	if got := join(ran(c)); got != "answer\nplayback "+a.srv.URL+"/two.wav" {
		t.Errorf("apps %q", got)
	}
}

// https://www.twilio.com/docs/voice/twiml/say — Say speaks with the TTS
// engine its voice maps to; a switch without that engine sends the call
// to the fallback with the error, not on in silence.
func TestSayMissingEngineGoesToFallback(t *testing.T) {
	a := newTwApp(t, map[string]string{"/voice": `<Response><Say voice="woman">Hello</Say><Play>/never.wav</Play></Response>`,
		"/fallback": `<Response><Play>/sorry.wav</Play></Response>`})
	e := engine(t, a, "/voice", func(app *App) { app.FallbackURL = a.srv.URL + "/fallback" })
	c, _ := e.Call(esltest.Options{})
	if got := join(ran(c)); got != "answer\nplayback "+a.srv.URL+"/sorry.wav" {
		t.Errorf("apps %q", got)
	}
	reqs := a.requests()
	if len(reqs) != 2 || reqs[1].Path != "/fallback" {
		t.Fatalf("requests %q", a.paths())
	}
	if p := reqs[1].Params; p.Get("ErrorCode") != ErrMissingTool || !strings.Contains(p.Get("ErrorMessage"), "mod_flite") {
		t.Errorf("fallback params %v", p)
	}
}

// With the engine loaded, Say speaks.
func TestSay(t *testing.T) {
	sw := esltest.NewSwitch()
	sw.LoadModule("mod_flite")
	a := newTwApp(t, map[string]string{"/voice": `<Response><Say voice="woman">
    Hello
    there
  </Say><Say loop="2">Bye</Say></Response>`})
	e := engine(t, a, "/voice", nil)
	c, _ := e.Call(esltest.Options{Switch: sw})
	want := "answer\nspeak flite|slt|Hello there\nspeak flite|kal|Bye\nspeak flite|kal|Bye"
	if got := join(ran(c)); got != want {
		t.Errorf("apps:\n%s\nwant:\n%s", got, want)
	}
}

// https://www.twilio.com/docs/voice/twiml — what callhook cannot carry
// out, or does not know, is an error the fallback is told about (with
// Twilio's error codes), never skipped.
func TestUnsupportedGoesToFallback(t *testing.T) {
	for _, tc := range []struct{ doc, code, msg string }{
		{`<Response><Play>/a.wav</Play><Stream url="wss://x"/></Response>`, ErrSchema, "<Stream> is not supported"},
		{`<Response><Gather input="speech"/></Response>`, ErrSchema, "speech"},
		{`<Response><Play lop="2">/a.wav</Play></Response>`, ErrSchema, "unknown attribute lop"},
		{`<Response><Dial record="record-from-ringing">+15005550001</Dial></Response>`, ErrSchema, "record"},
		{`<Response><Play>/a.wav</Response>`, ErrParse, ""},
	} {
		a := newTwApp(t, map[string]string{"/voice": tc.doc, "/fallback": `<Response><Hangup/></Response>`})
		e := engine(t, a, "/voice", func(app *App) { app.FallbackURL = a.srv.URL + "/fallback" })
		c, _ := e.Call(esltest.Options{})
		reqs := a.requests()
		if len(reqs) != 2 || reqs[1].Path != "/fallback" {
			t.Errorf("%s: requests %q", tc.doc, a.paths())
			continue
		}
		p := reqs[1].Params
		if p.Get("ErrorCode") != tc.code || p.Get("ErrorUrl") != a.srv.URL+"/voice" || !strings.Contains(p.Get("ErrorMessage"), tc.msg) {
			t.Errorf("%s: fallback params %v", tc.doc, p)
		}
		if apps := ran(c); slices.ContainsFunc(apps, func(s string) bool { return strings.HasPrefix(s, "playback") }) {
			t.Errorf("%s: part of an invalid document ran: %q", tc.doc, apps)
		}
	}
}

// Without a fallback, the app's failure ends the call as on_failure says
// (here the default: hang up NORMAL_TEMPORARY_FAILURE).
func TestNoFallback(t *testing.T) {
	a := newTwApp(t, map[string]string{"/voice": `<Response><Pay/></Response>`})
	e := engine(t, a, "/voice", nil)
	_, res := e.Call(esltest.Options{})
	if res.Cause != "NORMAL_TEMPORARY_FAILURE" {
		t.Errorf("call ended %v", res)
	}
}

// https://www.twilio.com/docs/voice/api/call-resource#statuscallback —
// the status callback hears the call's end.
func TestStatusCallback(t *testing.T) {
	a := newTwApp(t, map[string]string{"/voice": `<Response><Play>/a.wav</Play></Response>`, "/status": ``})
	e := engine(t, a, "/voice", func(app *App) { app.StatusCallback = a.srv.URL + "/status" })
	e.Call(esltest.Options{})
	e.Idle()
	reqs := a.requests()
	if got := a.paths(); !slices.Equal(got, []string{"POST /voice", "POST /status"}) {
		t.Fatalf("requests %q", got)
	}
	if p := reqs[1].Params; p.Get("CallStatus") != "completed" || p.Get("CallDuration") == "" {
		t.Errorf("status params %v", p)
	}
}

// https://www.twilio.com/docs/voice/twiml/play — an MP3 needs mod_shout,
// which a stock switch does not load: the fallback is told, the call does
// not go on in silence. With the module loaded, it plays.
func TestPlayMP3NeedsShout(t *testing.T) {
	doc := `<Response><Play>https://media.example.com/hello.mp3</Play></Response>`
	a := newTwApp(t, map[string]string{"/voice": doc, "/fallback": `<Response><Hangup/></Response>`})
	e := engine(t, a, "/voice", func(app *App) { app.FallbackURL = a.srv.URL + "/fallback" })
	c, _ := e.Call(esltest.Options{})
	if got := join(ran(c)); got != "answer" {
		t.Errorf("apps %q", got)
	}
	reqs := a.requests()
	if len(reqs) != 2 || !strings.Contains(reqs[1].Params.Get("ErrorMessage"), "mod_shout") {
		t.Errorf("requests %q, want the fallback told of mod_shout", a.paths())
	}

	sw := esltest.NewSwitch()
	sw.LoadModule("mod_shout")
	a = newTwApp(t, map[string]string{"/voice": doc})
	e = engine(t, a, "/voice", nil)
	c, _ = e.Call(esltest.Options{Switch: sw})
	if got := join(ran(c)); got != "answer\nplayback https://media.example.com/hello.mp3" {
		t.Errorf("apps %q", got)
	}
}

// https://www.twilio.com/docs/voice/twiml/gather#finishonkey —
// FinishedOnKey is this Gather's key: FreeSWITCH keeps
// read_terminator_used from an earlier gather, so the plan unsets it first.
func TestFinishedOnKeyIsThisGathers(t *testing.T) {
	a := newTwApp(t, map[string]string{
		"/voice": `<Response><Gather action="/one"/></Response>`,
		"/one":   `<Response><Gather numDigits="2" action="/two"/></Response>`,
		"/two":   `<Response><Hangup/></Response>`,
	})
	e := engine(t, a, "/voice", nil)
	n := 0
	var mu sync.Mutex
	e.Call(esltest.Options{OnApp: func(c *esltest.Call, run esltest.AppRun) {
		if run.App != "play_and_get_digits" {
			return
		}
		mu.Lock()
		n++
		keys := map[int]string{1: "7#", 2: "42"}[n]
		mu.Unlock()
		c.Digits(keys)
	}})
	reqs := a.requests()
	if got := a.paths(); !slices.Equal(got, []string{"POST /voice", "POST /one", "POST /two"}) {
		t.Fatalf("requests %q", got)
	}
	if p := reqs[1].Params; p.Get("Digits") != "7" || p.Get("FinishedOnKey") != "#" {
		t.Errorf("first Gather: %v", p)
	}
	if p := reqs[2].Params; p.Get("Digits") != "42" || p.Get("FinishedOnKey") != "" {
		t.Errorf("second Gather: Digits %q FinishedOnKey %q, want 42 and none", p.Get("Digits"), p.Get("FinishedOnKey"))
	}
}

// https://www.twilio.com/docs/voice/twiml/play#attributes-digits — Play
// digits sends DTMF tones; w waits half a second, as send_dtmf's does.
func TestPlayDigits(t *testing.T) {
	a := newTwApp(t, map[string]string{"/voice": `<Response><Play digits="ww1234#"/></Response>`})
	e := engine(t, a, "/voice", nil)
	c, _ := e.Call(esltest.Options{})
	if got := join(ran(c)); got != "answer\nsend_dtmf ww1234#" {
		t.Errorf("apps %q", got)
	}
}

// https://www.twilio.com/docs/voice/twiml/record#action — without action,
// Record posts to the current document's URL (here its answer hangs up).
func TestRecordWithoutAction(t *testing.T) {
	var mu sync.Mutex
	n := 0
	a := newTwApp(t, nil)
	a.srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		mu.Lock()
		n++
		first := n == 1
		a.reqs = append(a.reqs, twReq{Method: r.Method, Path: r.URL.Path, Params: r.PostForm, SigOK: true})
		mu.Unlock()
		if first {
			w.Write([]byte(`<Response><Record playBeep="false"/><Play>/never.wav</Play></Response>`))
			return
		}
		w.Write([]byte(`<Response><Hangup/></Response>`))
	})
	e := engine(t, a, "/rec", nil)
	c, _ := e.Call(esltest.Options{OnApp: func(c *esltest.Call, run esltest.AppRun) {
		if run.App == "record" {
			c.Talk(time.Second)
		}
	}})
	reqs := a.requests()
	if got := a.paths(); !slices.Equal(got, []string{"POST /rec", "POST /rec"}) {
		t.Fatalf("requests %q", got)
	}
	if reqs[1].Params.Get("RecordingSid") == "" {
		t.Errorf("params %v", reqs[1].Params)
	}
	if apps := ran(c); slices.ContainsFunc(apps, func(s string) bool { return strings.Contains(s, "never.wav") }) {
		t.Errorf("apps %q: the document's answer replaces the rest", apps)
	}
}

// https://www.twilio.com/docs/voice/twiml/hangup — Hangup ends the call;
// nothing after it runs.
func TestHangup(t *testing.T) {
	a := newTwApp(t, map[string]string{"/voice": `<Response><Play>/a.wav</Play><Hangup/><Play>/never.wav</Play></Response>`})
	e := engine(t, a, "/voice", nil)
	c, res := e.Call(esltest.Options{})
	if got := join(ran(c)); got != "answer\nplayback "+a.srv.URL+"/a.wav" {
		t.Errorf("apps %q", got)
	}
	if res.Outcome != esltest.HungUp || res.Cause != "NORMAL_CLEARING" {
		t.Errorf("call ended %v", res)
	}
}

// https://www.twilio.com/docs/voice/twiml/dial — hangupOnStar, timeLimit
// and ringTone become the bridge's own options.
func TestDialOptions(t *testing.T) {
	a := newTwApp(t, map[string]string{"/voice": `<Response><Dial hangupOnStar="true" timeLimit="60" ringTone="uk" timeout="5">+15005550001</Dial></Response>`})
	e := engine(t, a, "/voice", nil)
	c, _ := e.Call(esltest.Options{})
	want := "bridge %^[ringback=tone_stream://%(400,200,400,450);%(400,2000,400,450)^transfer_ringback=tone_stream://%(400,200,400,450);%(400,2000,400,450)^bridge_terminate_key=*]{originate_timeout=5,execute_on_answer=sched_hangup +60 ALLOTTED_TIMEOUT}sofia/gateway/out/+15005550001"
	if apps := ran(c); !slices.Contains(apps, want) {
		t.Errorf("apps:\n%s\nwant %s", join(apps), want)
	}
}
