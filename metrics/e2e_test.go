package metrics_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/callhook/callhook/esl/esltest"
	"github.com/callhook/callhook/internal/calltest"
	"github.com/callhook/callhook/metrics"
	"github.com/callhook/callhook/proxy"
	"github.com/callhook/callhook/webhook"
)

// daemon is the daemon's wiring in small: the engine (calltest) with one
// Metrics as the proxy's Observer, the connections' FrameCounter and the
// server's Refused hook, served over HTTP as /metrics is.
type daemon struct {
	*calltest.Engine
	metrics *httptest.Server
}

func startDaemon(t *testing.T, rt *proxy.Runtime) *daemon {
	t.Helper()
	m := metrics.New()
	e := calltest.Start(t, rt, calltest.Options{Hooks: m, Linger: 5 * time.Second, Speed: 1})
	hs := httptest.NewServer(m.Handler())
	t.Cleanup(hs.Close)
	return &daemon{Engine: e, metrics: hs}
}

// scrape GETs /metrics over HTTP, as Prometheus does.
func (d *daemon) scrape(t *testing.T) samples {
	t.Helper()
	resp, err := http.Get(d.metrics.URL + "/metrics")
	if err != nil {
		t.Fatalf("GET /metrics: %v", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /metrics = %d, %v", resp.StatusCode, err)
	}
	return parseText(t, string(body))
}

func waitApp(t *testing.T, c *esltest.Call, app string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	if _, err := c.WaitApp(ctx, app); err != nil {
		t.Fatalf("WaitApp(%s): %v", app, err)
	}
}

// TestMetricsEndToEnd scrapes /metrics during and after real calls through
// the simulator: a call in a ten-minute playback that the caller ends, a
// call whose app fails over to its fallback, and a call refused while
// draining.
func TestMetricsEndToEnd(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /ivr", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "[answer, {play: 'silence_stream://600000'}]")
	})
	mux.HandleFunc("POST /broken", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "down for maintenance", http.StatusServiceUnavailable)
	})
	mux.HandleFunc("POST /sorry", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "[answer, {play: sorry.wav}, hangup]")
	})
	mux.HandleFunc("POST /status", func(w http.ResponseWriter, r *http.Request) {})
	web := httptest.NewServer(mux)
	t.Cleanup(web.Close)

	rt := &proxy.Runtime{DefaultApp: "menu", Apps: map[string]*proxy.App{
		"menu": {Name: "menu", Backend: &webhook.App{Name: "menu", URL: web.URL + "/ivr", StatusURL: web.URL + "/status", Timeout: 5 * time.Second}},
		"shaky": {Name: "shaky", Backend: &webhook.App{Name: "shaky", URL: web.URL + "/broken",
			FallbackURL: web.URL + "/sorry", Retries: 1, Timeout: 5 * time.Second}},
		"dead": {Name: "dead", Backend: &webhook.App{Name: "dead", URL: web.URL + "/broken", Timeout: 5 * time.Second}},
	}}
	d := startDaemon(t, rt)

	// A call in a ten-minute playback at real speed: it is live.
	c := d.Dial(esltest.Options{Speed: 1})
	waitApp(t, c, "playback")
	during := d.scrape(t)
	during.want(t, map[string]float64{
		`callhook_calls_active{app="menu"}`:                                              1,
		`callhook_webhook_request_duration_seconds_count{app="menu",event="call.start"}`: 1,
		`callhook_verbs_total{result="ok",verb="answer"}`:                                1,
		`callhook_calls_total{app="menu",outcome="hangup"}`:                              0,
	})
	if n := during.sum("callhook_esl_frames_total", `direction="received"`); n < 3 {
		t.Errorf("esl frames received during the call = %v, want at least connect reply, linger and myevents replies", n)
	}
	if n := during.sum("callhook_esl_frames_total", `content_type="command"`, `direction="sent"`); n < 4 {
		t.Errorf("esl commands sent during the call = %v, want at least connect, linger, myevents, execute", n)
	}

	c.Hangup("NORMAL_CLEARING")
	if res := calltest.Wait(t, c); res.By != esltest.ByCaller {
		t.Fatalf("call ended %v, want hung up by the caller", res)
	}
	d.Idle()
	after := d.scrape(t)
	after.want(t, map[string]float64{
		`callhook_calls_active{app="menu"}`:                                            0,
		`callhook_calls_total{app="menu",outcome="hangup"}`:                            1,
		`callhook_call_duration_seconds_count{app="menu"}`:                             1,
		`callhook_verbs_total{result="hangup",verb="play"}`:                            1,
		`callhook_verb_duration_seconds_count{verb="play"}`:                            1,
		`callhook_webhook_request_duration_seconds_count{app="menu",event="call.end"}`: 1,
		`callhook_webhook_errors_total{app="menu",class="5xx"}`:                        0,
	})
	for _, k := range []string{"callhook_esl_frames_total", "callhook_esl_bytes_total"} {
		if a, b := after.sum(k), during.sum(k); a <= b {
			t.Errorf("%s after the call = %v, want more than during it (%v)", k, a, b)
		}
	}
	if n := after.sum("callhook_esl_frames_total", `content_type="text/event-plain"`); n == 0 {
		t.Errorf("no text/event-plain frames counted; the call's events were not")
	}

	// An app that answers 503 twice (one retry) and whose fallback takes
	// over: the call plays sorry.wav and hangs up normally (the fallback
	// answered, so the call did not fail).
	c = d.Dial(esltest.Options{Vars: map[string]string{"callhook_app": "shaky"}, Speed: 1000})
	if res := calltest.Wait(t, c); res.By != esltest.ByDaemon {
		t.Errorf("shaky call ended %v, want hung up by the daemon after the fallback's verbs", res)
	}
	d.Idle()
	d.scrape(t).want(t, map[string]float64{
		`callhook_webhook_errors_total{app="shaky",class="5xx"}`:                          1,
		`callhook_webhook_retries_total{app="shaky"}`:                                     1,
		`callhook_webhook_request_duration_seconds_count{app="shaky",event="call.start"}`: 2, // the app's, then the fallback's
		`callhook_fallbacks_total{app="shaky",kind="fallback"}`:                           1,
		`callhook_fallbacks_total{app="shaky",kind="on_failure"}`:                         0,
		`callhook_calls_total{app="shaky",outcome="hangup"}`:                              1,
		`callhook_calls_total{app="shaky",outcome="failed"}`:                              0,
		`callhook_calls_active{app="shaky"}`:                                              0,
		`callhook_verbs_total{result="ok",verb="play"}`:                                   1,
		`callhook_calls_total{app="menu",outcome="hangup"}`:                               1,
	})

	// An app that answers 503 with no fallback: its on_failure verbs (by
	// default, hang up) take over and the call counts as failed.
	c = d.Dial(esltest.Options{Vars: map[string]string{"callhook_app": "dead"}, Speed: 1000})
	if res := calltest.Wait(t, c); res.Cause != "NORMAL_TEMPORARY_FAILURE" {
		t.Errorf("dead app's call ended %v, want hung up NORMAL_TEMPORARY_FAILURE", res)
	}
	d.Idle()
	d.scrape(t).want(t, map[string]float64{
		`callhook_webhook_errors_total{app="dead",class="5xx"}`:  1,
		`callhook_webhook_retries_total{app="dead"}`:             0,
		`callhook_fallbacks_total{app="dead",kind="fallback"}`:   0,
		`callhook_fallbacks_total{app="dead",kind="on_failure"}`: 1,
		`callhook_calls_total{app="dead",outcome="failed"}`:      1,
		`callhook_calls_active{app="dead"}`:                      0,
	})

	// Draining: a new call is handed back to the dialplan and counted.
	d.Proxy.Drain()
	c = d.Dial(esltest.Options{Speed: 1000})
	if res := calltest.Wait(t, c); res.Outcome != esltest.DialplanContinued || !res.Resumed {
		t.Errorf("call while draining ended %v, want resumed to the dialplan", res)
	}
	d.scrape(t).want(t, map[string]float64{
		`callhook_calls_refused_total{reason="draining"}`: 1,
		`callhook_calls_refused_total{reason="limit"}`:    0,
	})
}
