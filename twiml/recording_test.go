package twiml

// Recordings of TwiML apps through the engine: the simulated switch
// uploads each recording to callhook's recordings listener (package
// recordings), and the app gets Twilio's RecordingUrl, RecordingSid and
// RecordingDuration, and its recordingStatusCallback.

import (
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/callhook/callhook/esl/esltest"
	"github.com/callhook/callhook/internal/calltest"
	"github.com/callhook/callhook/proxy"
	"github.com/callhook/callhook/recordings"
)

// recStore is a recordings delivery served by an HTTP server of its own
// until the test ends.
func recStore(t *testing.T) *recordings.Store {
	t.Helper()
	srv := httptest.NewUnstartedServer(nil)
	st, err := recordings.New(recordings.Config{Dir: t.TempDir(), URL: "http://" + srv.Listener.Addr().String()})
	if err != nil {
		t.Fatal(err)
	}
	srv.Config.Handler = st
	srv.Start()
	t.Cleanup(srv.Close)
	return st
}

// get GETs u.
func get(t *testing.T, u string) (int, []byte, http.Header) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b, resp.Header
}

// talkIn makes the caller talk for d while app runs (record writes it).
func talkIn(app string, d time.Duration) func(c *esltest.Call, run esltest.AppRun) {
	return func(c *esltest.Call, run esltest.AppRun) {
		if run.App == app {
			c.Talk(d)
		}
	}
}

var (
	recordingSIDPattern = regexp.MustCompile(`^RE[0-9a-f]{32}$`)
	// twilioRecordingURL is a RecordingUrl as Twilio's ends: in its
	// RecordingSid, no extension.
	twilioRecordingURL = regexp.MustCompile(`/(RE[0-9a-f]{32})$`)
)

// checkRecordingURL checks a RecordingUrl against its RecordingSid and
// fetches it as Twilio apps do: as given and with .wav appended (both the
// WAV the switch uploaded, whole), and with .mp3 appended (a 404 that says
// callhook converts nothing).
func checkRecordingURL(t *testing.T, u, sid string, ms int64, channels int) {
	t.Helper()
	m := twilioRecordingURL.FindStringSubmatch(u)
	if m == nil || m[1] != sid || !recordingSIDPattern.MatchString(sid) {
		t.Fatalf("RecordingUrl %q, RecordingSid %q: want a URL ending in the sid, RE and 32 hex digits", u, sid)
	}
	want := int(44 + ms*16*int64(channels))
	for _, v := range []string{u, u + ".wav"} {
		code, body, h := get(t, v)
		if code != 200 || len(body) != want || string(body[:4]) != "RIFF" || h.Get("Content-Type") != "audio/wav" {
			t.Errorf("GET %s = %d, %d bytes, %q; want 200 and a %d-byte WAV", v, code, len(body), h.Get("Content-Type"), want)
			continue
		}
		if got := int(body[22]); got != channels {
			t.Errorf("GET %s: %d channels, want %d", v, got, channels)
		}
	}
	if code, body, _ := get(t, u+".mp3"); code != 404 || !strings.Contains(string(body), "converts nothing") {
		t.Errorf("GET .mp3 = %d %q, want a 404 that says callhook converts nothing", code, body)
	}
}

// https://www.twilio.com/docs/voice/twiml/record#action — with a
// recordings delivery, the action request carries RecordingUrl (fetchable:
// the recording's WAV), RecordingSid (the URL's last part) and
// RecordingDuration (seconds, rounded up). The switch recorded to
// callhook's upload URL; finishOnKey defaults to every key.
func TestRecordActionRecordingURL(t *testing.T) {
	a := newTwApp(t, map[string]string{"/voice": `<Response><Record action="/done" maxLength="30" timeout="2"/><Play>/never.wav</Play></Response>`,
		"/done": `<Response><Hangup/></Response>`})
	e := engine(t, a, "/voice", nil)
	c, _ := e.Call(esltest.Options{OnApp: talkIn("record", 2500*time.Millisecond)})
	apps := ran(c)
	if !slices.Contains(apps, "set playback_terminators=1234567890*#") {
		t.Errorf("apps %q: want the default finishOnKey", apps)
	}
	re := regexp.MustCompile(`^record http://127\.0\.0\.1:\d+/uploads/[0-9a-f]{32}/[0-9a-f]{64}/RE[0-9a-f]{32}\.wav 30 200 2$`)
	if !slices.ContainsFunc(apps, re.MatchString) {
		t.Errorf("apps %q: want the record to callhook's upload URL", apps)
	}
	reqs := a.requests()
	if got := a.paths(); !slices.Equal(got, []string{"POST /voice", "POST /done"}) {
		t.Fatalf("requests %q", got)
	}
	p := reqs[1].Params
	if p.Get("RecordingDuration") != "3" {
		t.Errorf("RecordingDuration %q, want 3 (2.5 s rounded up)", p.Get("RecordingDuration"))
	}
	checkRecordingURL(t, p.Get("RecordingUrl"), p.Get("RecordingSid"), 2500, 1)
}

// Without a recordings delivery a Record has no RecordingUrl to give: the
// document goes to the fallback, before any of its verbs runs, with
// ErrorCode 12200 and an ErrorMessage that names the missing config.
func TestRecordWithoutDeliveryGoesToFallback(t *testing.T) {
	a := newTwApp(t, map[string]string{"/voice": `<Response><Play>/hello.wav</Play><Record action="/done"/></Response>`,
		"/fallback": `<Response><Play>/sorry.wav</Play></Response>`})
	e := engine(t, a, "/voice", func(app *App) {
		app.FallbackURL = a.srv.URL + "/fallback"
		app.Recordings = false
	})
	c, _ := e.Call(esltest.Options{OnApp: talkIn("record", time.Second)})
	if got := join(ran(c)); got != "answer\nplayback "+a.srv.URL+"/sorry.wav" {
		t.Errorf("apps %q, want the fallback's document only", got)
	}
	reqs := a.requests()
	if got := a.paths(); !slices.Equal(got, []string{"POST /voice", "POST /fallback"}) {
		t.Fatalf("requests %q", got)
	}
	if p := reqs[1].Params; p.Get("ErrorCode") != ErrSchema || !strings.Contains(p.Get("ErrorMessage"), "recordings:") ||
		!strings.Contains(p.Get("ErrorMessage"), "<Record>") {
		t.Errorf("fallback params %v: want ErrorCode %s and a message naming <Record> and recordings:", p, ErrSchema)
	}
}

// https://www.twilio.com/docs/voice/twiml/record#recordingstatuscallback
// — the callback hears of the recording in Twilio's form (signed, GET
// here: recordingStatusCallbackMethod), then the action is asked.
func TestRecordingStatusCallbackCompleted(t *testing.T) {
	a := newTwApp(t, map[string]string{
		"/voice": `<Response><Record recordingStatusCallback="rec" recordingStatusCallbackMethod="GET" recordingStatusCallbackEvent="completed" action="/done"/></Response>`,
		"/rec":   ``,
		"/done":  `<Response><Hangup/></Response>`,
	})
	e := engine(t, a, "/voice", nil)
	e.Call(esltest.Options{UUID: "9a7c1b2e-4d3f-45a6-b7c8-d9e0f1a2b3c4", OnApp: talkIn("record", 2*time.Second)})
	reqs := a.requests()
	if got := a.paths(); !slices.Equal(got, []string{"POST /voice", "GET /rec", "POST /done"}) {
		t.Fatalf("requests %q", got)
	}
	p, done := reqs[1].Params, reqs[2].Params
	want := map[string]string{"AccountSid": testSID, "CallSid": "CA9a7c1b2e4d3f45a6b7c8d9e0f1a2b3c4", "RecordingStatus": "completed",
		"RecordingDuration": "2", "RecordingChannels": "1", "RecordingSource": "RecordVerb",
		"RecordingSid": done.Get("RecordingSid"), "RecordingUrl": done.Get("RecordingUrl")}
	for k, v := range want {
		if p.Get(k) != v {
			t.Errorf("%s = %q, want %q", k, p.Get(k), v)
		}
	}
	if _, ok := p["ErrorCode"]; ok {
		t.Errorf("ErrorCode sent for a completed recording: %v", p)
	}
	checkRecordingURL(t, p.Get("RecordingUrl"), p.Get("RecordingSid"), 2000, 1)
}

// A recording callhook cannot have (the switch's upload never comes)
// makes the callback say failed, with ErrorCode and ErrorMessage, and no
// RecordingUrl; the Record's result goes to the fallback.
func TestRecordingStatusCallbackFailed(t *testing.T) {
	a := newTwApp(t, map[string]string{
		"/voice":    `<Response><Record recordingStatusCallback="/rec" action="/done"/></Response>`,
		"/rec":      ``,
		"/done":     `<Response><Hangup/></Response>`,
		"/fallback": `<Response><Hangup/></Response>`,
	})
	app := &App{Name: "tw", URL: a.srv.URL + "/voice", AccountSID: testSID, AuthToken: testToken, Client: a.srv.Client(),
		Timeout: 5 * time.Second, Recordings: true, FallbackURL: a.srv.URL + "/fallback"}
	e := startWith(t, app, unservedStore(t))
	c, _ := e.Call(esltest.Options{OnApp: talkIn("record", time.Second)})
	if out := c.Recordings(); len(out) != 1 || out[0].Written {
		t.Fatalf("switch recordings %+v, want one whose upload failed", out)
	}
	reqs := a.requests()
	if got := a.paths(); !slices.Equal(got, []string{"POST /voice", "POST /rec", "POST /fallback"}) {
		t.Fatalf("requests %q", got)
	}
	p := reqs[1].Params
	if p.Get("RecordingStatus") != "failed" || p.Get("ErrorCode") != ErrRecordingFailed || !strings.Contains(p.Get("ErrorMessage"), "did not upload") ||
		!recordingSIDPattern.MatchString(p.Get("RecordingSid")) || p.Get("RecordingSource") != "RecordVerb" {
		t.Errorf("callback params %v: want failed, ErrorCode %s, a message, a RecordingSid", p, ErrRecordingFailed)
	}
	if _, ok := p["RecordingUrl"]; ok {
		t.Errorf("RecordingUrl sent for a failed recording: %v", p)
	}
	if f := reqs[2].Params; !strings.Contains(f.Get("ErrorMessage"), "recording") {
		t.Errorf("fallback params %v", f)
	}
}

// startWith serves app with the recordings delivery st.
func startWith(t *testing.T, app *App, st *recordings.Store) *calltest.Engine {
	t.Helper()
	return calltest.Start(t, calltest.Apps(&proxy.App{Name: "tw", Backend: app}), calltest.Options{Recordings: st})
}

// https://www.twilio.com/docs/voice/twiml/dial#record — record-from-answer
// records the bridged conversation (from the callee's answer: the
// bridge's RECORD_BRIDGE_REQ); the action request carries RecordingUrl,
// RecordingSid and RecordingDuration besides DialCallStatus, and the
// Dial's recordingStatusCallback hears of it, RecordingSource DialVerb.
// record-from-answer-dual records each side in a channel of its own
// (RECORD_STEREO): RecordingChannels 2, a stereo WAV.
func TestDialRecordFromAnswer(t *testing.T) {
	for _, tc := range []struct {
		record, scope string
		channels      int
	}{
		{"record-from-answer", "%[RECORD_BRIDGE_REQ=true]", 1},
		{"record-from-answer-dual", "%[RECORD_BRIDGE_REQ=true,RECORD_STEREO=true]", 2},
	} {
		t.Run(tc.record, func(t *testing.T) {
			a := newTwApp(t, map[string]string{
				"/voice":  `<Response><Dial record="` + tc.record + `" recordingStatusCallback="/rec" action="/dialed"><Number>+15005550006</Number></Dial></Response>`,
				"/rec":    ``,
				"/dialed": `<Response><Hangup/></Response>`,
			})
			e := engine(t, a, "/voice", nil)
			c, _ := e.Call(esltest.Options{BridgeDuration: 4 * time.Second})
			var apps []string
			for _, r := range c.Apps() {
				switch r.App {
				case "record_session", "stop_record_session":
					apps = append(apps, r.App+" "+strings.SplitN(r.Arg, "http://", 2)[0])
				case "bridge":
					apps = append(apps, r.App)
				}
			}
			if got, want := strings.Join(apps, ","), "record_session "+tc.scope+",bridge,stop_record_session "; got != want {
				t.Errorf("apps %s, want %s", got, want)
			}
			reqs := a.requests()
			if got := a.paths(); !slices.Equal(got, []string{"POST /voice", "POST /rec", "POST /dialed"}) {
				t.Fatalf("requests %q", got)
			}
			p := reqs[2].Params
			if p.Get("DialCallStatus") != "completed" || p.Get("RecordingDuration") != "4" {
				t.Errorf("action params %v: want DialCallStatus completed, RecordingDuration 4", p)
			}
			checkRecordingURL(t, p.Get("RecordingUrl"), p.Get("RecordingSid"), 4000, tc.channels)
			cb := reqs[1].Params
			if cb.Get("RecordingStatus") != "completed" || cb.Get("RecordingSource") != "DialVerb" || cb.Get("RecordingSid") != p.Get("RecordingSid") ||
				cb.Get("RecordingUrl") != p.Get("RecordingUrl") || cb.Get("RecordingChannels") != strconv.Itoa(tc.channels) {
				t.Errorf("callback params %v", cb)
			}
		})
	}
}

// A Dial record variant callhook cannot carry out (from the ringing: the
// bridge records only while bridged) is refused to the fallback with
// ErrorCode 12200, before the document runs; an unknown value is not
// well-formed TwiML.
func TestDialRecordRefused(t *testing.T) {
	for _, tc := range []struct{ record, code, msg string }{
		{"record-from-ringing", ErrSchema, "record-from-answer"},
		{"record-from-ringing-dual", ErrSchema, "record-from-answer"},
		{"yes", ErrSchema, "want do-not-record"},
	} {
		a := newTwApp(t, map[string]string{
			"/voice":    `<Response><Play>/hello.wav</Play><Dial record="` + tc.record + `"><Number>+15005550006</Number></Dial></Response>`,
			"/fallback": `<Response><Play>/sorry.wav</Play></Response>`,
		})
		e := engine(t, a, "/voice", func(app *App) { app.FallbackURL = a.srv.URL + "/fallback" })
		c, _ := e.Call(esltest.Options{})
		if got := join(ran(c)); got != "answer\nplayback "+a.srv.URL+"/sorry.wav" {
			t.Errorf("%s: apps %q, want the fallback's only", tc.record, got)
		}
		reqs := a.requests()
		if len(reqs) != 2 || reqs[1].Path != "/fallback" {
			t.Fatalf("%s: requests %q", tc.record, a.paths())
		}
		if p := reqs[1].Params; p.Get("ErrorCode") != tc.code || !strings.Contains(p.Get("ErrorMessage"), tc.msg) ||
			!strings.Contains(p.Get("ErrorMessage"), tc.record) {
			t.Errorf("%s: fallback params %v", tc.record, p)
		}
	}
}

// unservedStore is a recordings delivery nobody serves: the switch's
// upload fails to connect, and the recording cannot be had.
func unservedStore(t *testing.T) *recordings.Store {
	t.Helper()
	srv := httptest.NewUnstartedServer(nil)
	addr := srv.Listener.Addr().String()
	srv.Listener.Close()
	st, err := recordings.New(recordings.Config{Dir: t.TempDir(), URL: "http://" + addr, Wait: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// A recorded Dial without action whose recording cannot be had is not
// passed over: the fallback hears why (the document would go on
// otherwise), and the Dial's recordingStatusCallback says failed.
func TestDialRecordFailedGoesToFallback(t *testing.T) {
	a := newTwApp(t, map[string]string{
		"/voice":    `<Response><Dial record="record-from-answer" recordingStatusCallback="/rec"><Number>+15005550006</Number></Dial><Play>/after.wav</Play></Response>`,
		"/rec":      ``,
		"/fallback": `<Response><Play>/sorry.wav</Play></Response>`,
	})
	app := &App{Name: "tw", URL: a.srv.URL + "/voice", AccountSID: testSID, AuthToken: testToken, Client: a.srv.Client(),
		Timeout: 5 * time.Second, Recordings: true, FallbackURL: a.srv.URL + "/fallback",
		Dial: DialRules{Number: "sofia/gateway/out/{number}"}}
	e := startWith(t, app, unservedStore(t))
	c, _ := e.Call(esltest.Options{BridgeDuration: 2 * time.Second})
	reqs := a.requests()
	if got := a.paths(); !slices.Equal(got, []string{"POST /voice", "POST /rec", "POST /fallback"}) {
		t.Fatalf("requests %q", got)
	}
	if p := reqs[1].Params; p.Get("RecordingStatus") != "failed" || p.Get("RecordingSource") != "DialVerb" || p.Get("ErrorCode") != ErrRecordingFailed {
		t.Errorf("callback params %v", p)
	}
	if f := reqs[2].Params; !strings.Contains(f.Get("ErrorMessage"), "<Dial>") || !strings.Contains(f.Get("ErrorMessage"), "recording") {
		t.Errorf("fallback params %v", f)
	}
	apps := ran(c)
	if slices.Contains(apps, "playback "+a.srv.URL+"/after.wav") || !slices.Contains(apps, "playback "+a.srv.URL+"/sorry.wav") {
		t.Errorf("apps %q: want the fallback's document, not the rest", apps)
	}
}
