package main

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/callhook/callhook/twiml"
)

// twimlServer is a TwiML app: documents by path; every request must carry
// a valid X-Twilio-Signature. paths lists what was asked, in order.
func twimlServer(t *testing.T, token string, docs map[string]string) (*httptest.Server, func() []string) {
	t.Helper()
	var mu sync.Mutex
	var paths []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		if !twiml.ValidSignature(token, "http://"+r.Host+r.URL.RequestURI(), r.PostForm, r.Header.Get(twiml.SignatureHeader)) {
			t.Errorf("%s %s: bad signature", r.Method, r.URL)
		}
		mu.Lock()
		paths = append(paths, r.Method+" "+r.URL.Path+" "+r.Form.Get("Digits"))
		mu.Unlock()
		w.Header().Set("Content-Type", "text/xml")
		fmt.Fprint(w, docs[r.URL.Path])
	}))
	t.Cleanup(srv.Close)
	return srv, func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), paths...)
	}
}

// TestSimulateTwiMLApp: callhook simulate -app <a twiml app> drives the
// app as Twilio would, from the config's keys.
func TestSimulateTwiMLApp(t *testing.T) {
	srv, paths := twimlServer(t, "tok", map[string]string{
		"/voice": `<Response><Gather numDigits="1" action="/menu"><Play>/menu.wav</Play></Gather></Response>`,
		"/menu":  `<Response><Play>/bye.wav</Play><Hangup/></Response>`,
	})
	cfg := writeConfig(t, fmt.Sprintf(`default_app: other
apps:
  other: {url: http://127.0.0.1:1/ivr}
  tw:
    twiml: %s/voice
    account_sid: AC0123456789abcdef0123456789abcdef
    auth_token: tok
`, srv.URL))
	code, out, errOut := simulate(t, "-config", cfg, "-app", "tw", "-digits", "2")
	if code != simOK {
		t.Fatalf("simulate = exit %d; stdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	if got := strings.Join(paths(), ","); got != "POST /voice ,POST /menu 2" {
		t.Errorf("requests %q", got)
	}
	checkTranscript(t, out, []string{"app tw", "-> document " + srv.URL + "/voice", "gather " + srv.URL + "/menu.wav", "caller presses 2", "-> document " + srv.URL + "/menu", "play " + srv.URL + "/bye.wav", "end: hangup"})
}

// TestScenarioTwiMLApp: callhook test runs scenarios against a TwiML app;
// its requests are matched by Twilio's parameters.
func TestScenarioTwiMLApp(t *testing.T) {
	srv, _ := twimlServer(t, "tok", map[string]string{
		"/voice":  `<Response><Gather numDigits="1" action="/menu"><Play>/menu.wav</Play></Gather><Hangup/></Response>`,
		"/menu":   `<Response><Dial action="/dialed"><Client>sales</Client></Dial></Response>`,
		"/dialed": `<Response><Hangup/></Response>`,
	})
	cfg := writeConfig(t, fmt.Sprintf(`apps:
  tw:
    twiml: %s/voice
    account_sid: AC0123456789abcdef0123456789abcdef
    auth_token: tok
`, srv.URL))
	file := writeScenarios(t, "twiml.scenario.yaml", `scenarios:
  - name: sales line busy
    app: tw
    from: "+15005550001"
    bridge: {user/sales: busy}
    steps:
      - expect: {request: {event: document, From: "+15005550001", CallStatus: ringing, ApiVersion: "2010-04-01"}}
      - expect: {verb: gather, max: 1}
      - press: "1"
      - expect: {request: {Digits: "1", CallStatus: in-progress}}
      - expect: {verb: bridge, to: [user/sales]}
      - expect: {request: {DialCallStatus: busy}}
      - expect: {end: {outcome: hangup}}
  - name: no input hangs up
    app: tw
    steps:
      - silence:
      - expect: {verb: hangup}
`)
	code, out, errOut := callhookTest(t, "-config", cfg, "-v", file)
	if code != testOK {
		t.Fatalf("callhook test = %d; stdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	if !strings.Contains(out, "ok   sales line busy") || !strings.Contains(out, "ok   no input hangs up") {
		t.Errorf("output:\n%s", out)
	}
}

// TestTwiMLExample: the example TwiML app (examples/twiml, served as
// static files, as its README says) passes its shipped scenarios, with
// its config pointed at wherever the files are served.
func TestTwiMLExample(t *testing.T) {
	srv := httptest.NewServer(http.FileServer(http.Dir("../../examples/twiml")))
	t.Cleanup(srv.Close)
	data, err := os.ReadFile("../../examples/twiml/config.yaml")
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Replace(string(data), "http://127.0.0.1:8000", srv.URL, 1)
	if text == string(data) {
		t.Fatal("the example config no longer names http://127.0.0.1:8000")
	}
	cfg := writeConfig(t, text)
	code, out, errOut := callhookTest(t, "-config", cfg, "../../examples/twiml/voicemail.scenario.yaml")
	if code != testOK {
		t.Fatalf("callhook test = %d; stdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	if !strings.Contains(out, "ok: 2 scenarios passed") {
		t.Errorf("output:\n%s", out)
	}
}

// The README's five-line TwiML app is the example's voice.xml, word for
// word.
func TestTwiMLREADMEExample(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	doc, err := os.ReadFile("../../examples/twiml/voice.xml")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(readme), "## Running Twilio apps\n")
	if !ok || !strings.Contains(section, "```xml\n"+string(doc)+"```") {
		t.Errorf("README's Running Twilio apps does not show examples/twiml/voice.xml:\n%s", doc)
	}
	if n := strings.Count(strings.TrimSpace(string(doc)), "\n") + 1; n != 5 {
		t.Errorf("voice.xml has %d lines, the README says five", n)
	}
}
