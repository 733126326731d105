package main

import (
	"fmt"
	"net/http"
	"net/http/httptest"
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
