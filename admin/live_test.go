package admin_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/callhook/callhook/admin"
	"github.com/callhook/callhook/esl/esltest"
	"github.com/callhook/callhook/internal/calltest"
	"github.com/callhook/callhook/metrics"
	"github.com/callhook/callhook/proxy"
	"github.com/callhook/callhook/webhook"
)

const liveToken = "live-test-token"

// prompt is the failure guard of waits for what an admin action causes:
// it acts at once, so a few seconds only ever run out when it is broken.
const prompt = 5 * time.Second

// live is the daemon's wiring in small: the engine (calltest) with
// metrics as its observer, frame counter and refusal hook, and the admin
// API over real HTTP with a token.
type live struct {
	*calltest.Engine
	api *httptest.Server
}

func startLive(t *testing.T, rt *proxy.Runtime) *live {
	t.Helper()
	m := metrics.New()
	e := calltest.Start(t, rt, calltest.Options{Hooks: m, Linger: 5 * time.Second, Speed: 1})
	api := httptest.NewServer(&admin.Server{Proxy: e.Proxy, Metrics: m.Handler(), Token: liveToken, Drain: e.Proxy.Drain, Log: e.Log})
	t.Cleanup(api.Close)
	return &live{Engine: e, api: api}
}

// call sends one request to the admin API, with the token unless
// noToken, and returns the status and body.
func (l *live) call(t *testing.T, method, path, ctype, body string, noToken bool) (int, string) {
	t.Helper()
	r, err := http.NewRequestWithContext(t.Context(), method, l.api.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if ctype != "" {
		r.Header.Set("Content-Type", ctype)
	}
	if !noToken {
		r.Header.Set("Authorization", "Bearer "+liveToken)
	}
	resp, err := http.DefaultClient.Do(r)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: read body: %v", method, path, err)
	}
	return resp.StatusCode, string(b)
}

func waitRun(t *testing.T, c *esltest.Call, app string, within time.Duration) esltest.AppRun {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), within)
	defer cancel()
	run, err := c.WaitApp(ctx, app)
	if err != nil {
		t.Fatalf("WaitApp(%s): %v", app, err)
	}
	return run
}

// longPlayApp is a web app whose calls sit in a ten-minute playback (at
// real speed in the simulator) until something acts on them; /elsewhere
// is where a redirect sends them. Redirect requests are reported on
// redirects.
func longPlayApp(t *testing.T) (*httptest.Server, <-chan map[string]any) {
	t.Helper()
	redirects := make(chan map[string]any, 4)
	mux := http.NewServeMux()
	mux.HandleFunc("POST /ivr", func(w http.ResponseWriter, _ *http.Request) {
		io.WriteString(w, "[answer, {play: 'silence_stream://600000'}]")
	})
	mux.HandleFunc("POST /elsewhere", func(w http.ResponseWriter, r *http.Request) {
		var body map[string]any
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			t.Errorf("redirect request body: %v", err)
		}
		io.WriteString(w, "[{play: moved.wav}, {hangup: NORMAL_CLEARING}]")
		redirects <- body
	})
	web := httptest.NewServer(mux)
	t.Cleanup(web.Close)
	return web, redirects
}

func menuRuntime(web string) *proxy.Runtime {
	return &proxy.Runtime{DefaultApp: "menu", Apps: map[string]*proxy.App{
		"menu": {Name: "menu", Backend: &webhook.App{Name: "menu", URL: web + "/ivr", Timeout: 5 * time.Second}},
	}}
}

// TestLiveCalls: /calls shows a call in a ten-minute playback; redirect and
// hangup act on it at once, through the admin API over HTTP.
func TestLiveCalls(t *testing.T) {
	web, redirects := longPlayApp(t)
	l := startLive(t, menuRuntime(web.URL))

	c := l.Dial(esltest.Options{Speed: 1, CallerIDNumber: "1001", DestinationNumber: "5000"})
	waitRun(t, c, "playback", 20*time.Second)

	if code, _ := l.call(t, "GET", "/calls", "", "", true); code != http.StatusUnauthorized {
		t.Errorf("GET /calls without the token = %d, want 401", code)
	}
	code, body := l.call(t, "GET", "/calls", "", "", false)
	var list struct {
		Calls []map[string]any `json:"calls"`
	}
	if err := json.Unmarshal([]byte(body), &list); code != 200 || err != nil || len(list.Calls) != 1 {
		t.Fatalf("GET /calls = %d %s (%v), want the one live call", code, body, err)
	}
	got := list.Calls[0]
	want := map[string]any{"id": c.UUID(), "app": "menu", "from": "1001", "to": "5000", "state": "verb", "current_verb": "play"}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("live call %s = %v, want %v", k, got[k], v)
		}
	}
	if age, ok := got["age_seconds"].(float64); !ok || age < 0 {
		t.Errorf("live call age_seconds = %v, want a non-negative number", got["age_seconds"])
	}

	// Redirect in the middle of the playback: the web app is asked for the
	// new document (event redirect) and the call goes on with its verbs.
	code, body = l.call(t, "POST", "/calls/"+c.UUID()+"/redirect", "application/json",
		`{"url": "`+web.URL+`/elsewhere"}`, false)
	if code != 200 {
		t.Fatalf("POST redirect = %d %s, want 200", code, body)
	}
	select {
	case r := <-redirects:
		if r["event"] != "redirect" || r["call_id"] != c.UUID() {
			t.Errorf("redirect request = event %v call_id %v, want redirect for %s", r["event"], r["call_id"], c.UUID())
		}
	case <-time.After(prompt):
		t.Fatal("the web app got no redirect request")
	}
	if run := waitRun(t, c, "playback", prompt); run.Arg != "moved.wav" {
		t.Errorf("after the redirect the call played %q, want moved.wav", run.Arg)
	}
	if res := calltest.Wait(t, c); res.Outcome != esltest.HungUp || res.By != esltest.ByDaemon || res.Cause != "NORMAL_CLEARING" {
		t.Errorf("redirected call ended %v, want hung up NORMAL_CLEARING by the daemon", res)
	}

	// Hangup in the middle of the playback, with a form-encoded cause.
	c2 := l.Dial(esltest.Options{Speed: 1})
	waitRun(t, c2, "playback", 20*time.Second)
	code, body = l.call(t, "POST", "/calls/"+c2.UUID()+"/hangup", "application/x-www-form-urlencoded",
		url.Values{"cause": {"CALL_REJECTED"}}.Encode(), false)
	if code != 200 {
		t.Fatalf("POST hangup = %d %s, want 200", code, body)
	}
	if res := calltest.Wait(t, c2); res.Outcome != esltest.HungUp || res.By != esltest.ByDaemon || res.Cause != "CALL_REJECTED" {
		t.Errorf("hung-up call ended %v, want hung up CALL_REJECTED by the daemon", res)
	}

	l.Idle()
	if code, body := l.call(t, "GET", "/calls", "", "", false); code != 200 || strings.Join(strings.Fields(body), "") != `{"calls":[],"active":0,"draining":false}` {
		t.Errorf("GET /calls after both calls = %d %s, want none", code, body)
	}
	for _, path := range []string{"/calls/" + c2.UUID() + "/hangup", "/calls/" + c2.UUID() + "/redirect?url=" + url.QueryEscape(web.URL)} {
		if code, body := l.call(t, "POST", path, "", "", false); code != http.StatusNotFound {
			t.Errorf("POST %s on an ended call = %d %s, want 404", path, code, body)
		}
	}
}

// TestLiveDrain: POST /drain flips /readyz to 503, a new call is handed
// back to the dialplan (and counted), and the call in progress goes on.
func TestLiveDrain(t *testing.T) {
	web, _ := longPlayApp(t)
	l := startLive(t, menuRuntime(web.URL))

	if code, body := l.call(t, "GET", "/readyz", "", "", true); code != 200 || body != "ready\n" {
		t.Errorf("GET /readyz = %d %q, want 200 ready", code, body)
	}
	c := l.Dial(esltest.Options{Speed: 1})
	waitRun(t, c, "playback", 20*time.Second)

	if code, _ := l.call(t, "POST", "/drain", "", "", true); code != http.StatusUnauthorized {
		t.Errorf("POST /drain without the token = %d, want 401", code)
	}
	if code, body := l.call(t, "GET", "/readyz", "", "", true); code != 200 {
		t.Errorf("GET /readyz after a refused drain = %d %q, want 200", code, body)
	}
	if code, body := l.call(t, "POST", "/drain", "", "", false); code != http.StatusAccepted {
		t.Fatalf("POST /drain = %d %s, want 202", code, body)
	}
	if code, body := l.call(t, "GET", "/readyz", "", "", true); code != http.StatusServiceUnavailable || body != "draining\n" {
		t.Errorf("GET /readyz while draining = %d %q, want 503 draining", code, body)
	}
	if code, body := l.call(t, "GET", "/healthz", "", "", true); code != 200 || body != "ok\n" {
		t.Errorf("GET /healthz while draining = %d %q, want 200 ok", code, body)
	}

	refused := l.Dial(esltest.Options{Speed: 1})
	if res := calltest.Wait(t, refused); res.Outcome != esltest.DialplanContinued || !res.Resumed {
		t.Errorf("call while draining ended %v, want resumed to the dialplan", res)
	}
	_, scrape := l.call(t, "GET", "/metrics", "", "", false)
	if !strings.Contains(scrape, `callhook_calls_refused_total{reason="draining"} 1`) {
		t.Errorf("/metrics does not count the refusal:\n%s", grepLines(scrape, "refused"))
	}
	if !strings.Contains(scrape, `callhook_calls_active{app="menu"} 1`) {
		t.Errorf("/metrics does not show the call in progress:\n%s", grepLines(scrape, "calls_active"))
	}

	// The call in progress was not touched by the drain.
	if code, body := l.call(t, "GET", "/calls/"+c.UUID(), "", "", false); code != 200 || !strings.Contains(body, `"current_verb": "play"`) {
		t.Errorf("GET /calls/{id} while draining = %d %s, want the call still in play", code, body)
	}
	if code, body := l.call(t, "GET", "/calls/no-such-call", "", "", false); code != 404 || !strings.Contains(body, "no such call") {
		t.Errorf("GET /calls/no-such-call = %d %s, want 404 no such call", code, body)
	}
	c.Hangup("NORMAL_CLEARING")
	if res := calltest.Wait(t, c); res.By != esltest.ByCaller {
		t.Errorf("call in progress ended %v, want hung up by the caller", res)
	}
}

func grepLines(text, substr string) string {
	var out []string
	for _, l := range strings.Split(text, "\n") {
		if strings.Contains(l, substr) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
