package metrics_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/callhook/callhook/apphttp"
	"github.com/callhook/callhook/esl"
	"github.com/callhook/callhook/metrics"
	"github.com/callhook/callhook/proxy"
	"github.com/callhook/callhook/verb"
)

// Metrics fits every hook the daemon wires it into.
var (
	_ proxy.Observer         = (*metrics.Metrics)(nil)
	_ esl.FrameCounter       = (*metrics.Metrics)(nil)
	_ func(net.Addr, string) = (*metrics.Metrics)(nil).Refused
)

func newCall(app string) *proxy.Call {
	return &proxy.Call{ID: "5f1d3c2a-0000-4000-8000-000000000001", App: app, StartedAt: time.Now().Add(-3 * time.Second)}
}

func TestCallLifecycle(t *testing.T) {
	m := metrics.New()
	c := newCall("menu")
	m.CallStarted(c)
	scrape(t, m.Handler()).want(t, map[string]float64{`callhook_calls_active{app="menu"}`: 1})

	m.CallEnded(c, &proxy.CallEnd{Outcome: proxy.OutcomeHangup}, &proxy.CallStats{})
	s := scrape(t, m.Handler())
	s.want(t, map[string]float64{
		`callhook_calls_active{app="menu"}`:                        0,
		`callhook_calls_total{app="menu",outcome="hangup"}`:        1,
		`callhook_calls_total{app="menu",outcome="failed"}`:        0,
		`callhook_calls_total{app="menu",outcome="transferred"}`:   0,
		`callhook_call_duration_seconds_count{app="menu"}`:         1,
		`callhook_call_duration_seconds_bucket{app="menu",le="1"}`: 0,
		`callhook_call_duration_seconds_bucket{app="menu",le="5"}`: 1,
	})
	for k := range s {
		if strings.Contains(k, c.ID) {
			t.Errorf("sample %s has the call id as a label", k)
		}
	}
}

// TestCallHandoff: a call handed off to another app mid-way is counted
// where it started, so calls_active goes back to zero on both apps.
func TestCallHandoff(t *testing.T) {
	m := metrics.New()
	c := newCall("flow")
	m.CallStarted(c)
	c.App = "web" // the session renames the call's app on handoff
	m.CallEnded(c, &proxy.CallEnd{Outcome: proxy.OutcomeTransferred}, &proxy.CallStats{})
	s := scrape(t, m.Handler())
	s.want(t, map[string]float64{
		`callhook_calls_active{app="flow"}`:                      0,
		`callhook_calls_total{app="flow",outcome="transferred"}`: 1,
	})
	if _, ok := s[`callhook_calls_active{app="web"}`]; ok {
		t.Errorf(`calls_active{app="web"} exists; the call never started there`)
	}
}

// TestCallEndedWithoutStart: a call whose setup failed ends without
// having started; it is counted, and calls_active does not go negative.
func TestCallEndedWithoutStart(t *testing.T) {
	m := metrics.New()
	m.CallEnded(newCall("menu"), &proxy.CallEnd{Outcome: proxy.OutcomeFailed}, &proxy.CallStats{})
	m.CallEnded(newCall("menu"), &proxy.CallEnd{Outcome: "something new"}, &proxy.CallStats{})
	scrape(t, m.Handler()).want(t, map[string]float64{
		`callhook_calls_active{app="menu"}`:                 0,
		`callhook_calls_total{app="menu",outcome="failed"}`: 1,
		`callhook_calls_total{app="menu",outcome="other"}`:  1,
	})
}

func TestRequest(t *testing.T) {
	httpErr := func(status int) *apphttp.RequestError {
		return &apphttp.RequestError{Op: "webhook", URL: "http://app/ivr", Code: fmt.Sprintf("http_%d", status), Status: status, Err: errors.New("status")}
	}
	tests := []struct {
		name        string
		info        proxy.RequestInfo
		wantCount   float64 // webhook_request_duration_seconds_count
		wantRetries float64
		wantClass   string // "" for no error
	}{
		{"ok", proxy.RequestInfo{Event: "call.start", Attempts: 1, Status: 200, Took: 12 * time.Millisecond}, 1, 0, ""},
		{"ok after retries", proxy.RequestInfo{Event: "call.start", Attempts: 3, Status: 200, Took: time.Second}, 1, 2, ""},
		{"connect", proxy.RequestInfo{Event: "verb.result", Attempts: 2, Err: &apphttp.RequestError{Code: apphttp.CodeConnect, Err: errors.New("refused")}}, 1, 1, "connect"},
		{"timeout", proxy.RequestInfo{Event: "verb.result", Attempts: 1, Err: &apphttp.RequestError{Code: apphttp.CodeTimeout, Err: errors.New("slow")}}, 1, 0, "timeout"},
		{"404", proxy.RequestInfo{Event: "redirect", Attempts: 1, Status: 404, Err: httpErr(404)}, 1, 0, "4xx"},
		{"503 wrapped", proxy.RequestInfo{Event: "call.start", Attempts: 2, Status: 503, Err: fmt.Errorf("app: %w", httpErr(503))}, 1, 1, "5xx"},
		{"302", proxy.RequestInfo{Event: "call.start", Attempts: 1, Status: 302, Err: httpErr(302)}, 1, 0, "other"},
		{"invalid reply", proxy.RequestInfo{Event: "call.start", Attempts: 1, Status: 200, Err: &apphttp.RequestError{Code: apphttp.CodeInvalidReply, Status: 200, Err: errors.New("yaml")}}, 1, 0, "invalid_reply"},
		// The caller hung up while the request was in flight: not the app's
		// failure, and its duration says nothing about the app.
		{"abandoned", proxy.RequestInfo{Event: "call.start", Attempts: 1, Err: fmt.Errorf("webhook call.start: %w", context.Canceled)}, 0, 0, ""},
		// Liverpie apps report HTTP statuses without an error, and failures
		// as RequestErrors, as every kind of app does.
		{"liverpie 500", proxy.RequestInfo{Event: "state_machine", Attempts: 1, Status: 500}, 1, 0, "5xx"},
		{"liverpie 404", proxy.RequestInfo{Event: "reset", Attempts: 1, Status: 404}, 1, 0, "4xx"},
		{"liverpie ok", proxy.RequestInfo{Event: "dtmf", Attempts: 1, Status: 200}, 1, 0, ""},
		{"liverpie unreachable", proxy.RequestInfo{Event: "reset", Attempts: 1, Err: &apphttp.RequestError{Op: "liverpie reset", URL: "http://app/reset", Code: apphttp.CodeConnect, Err: errors.New("dial tcp: connection refused")}}, 1, 0, "connect"},
		{"liverpie timeout", proxy.RequestInfo{Event: "state_machine", Attempts: 1, Err: &apphttp.RequestError{Op: "liverpie state_machine", URL: "http://app/sm", Code: apphttp.CodeTimeout, Err: errors.New("no answer within 10s")}}, 1, 0, "timeout"},
		{"liverpie reply too big", proxy.RequestInfo{Event: "state_machine", Attempts: 1, Status: 200, Err: &apphttp.RequestError{Op: "liverpie state_machine", URL: "http://app/sm", Code: apphttp.CodeInvalidReply, Status: 200, Err: errors.New("reply over 1048576 bytes")}}, 1, 0, "invalid_reply"},
		{"fetch 503", proxy.RequestInfo{Event: "fetch", Attempts: 1, Status: 503, Err: httpErr(503)}, 1, 0, "5xx"},
		// An error no backend classed.
		{"unclassed error", proxy.RequestInfo{Event: "fetch", Attempts: 1, Status: 200, Err: errors.New("something")}, 1, 0, "other"},
		{"liverpie abandoned", proxy.RequestInfo{Event: "state_machine", Attempts: 1, Err: fmt.Errorf("liverpie: %w", &url.Error{Op: "Post", URL: "http://app", Err: context.Canceled})}, 0, 0, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := metrics.New()
			m.Request(newCall("menu"), &tc.info)
			s := scrape(t, m.Handler())
			key := fmt.Sprintf(`callhook_webhook_request_duration_seconds_count{app="menu",event="%s"}`, tc.info.Event)
			if got := s[key]; got != tc.wantCount {
				t.Errorf("%s = %v, want %v", key, got, tc.wantCount)
			}
			if got := s.sum("callhook_webhook_retries_total"); got != tc.wantRetries {
				t.Errorf("webhook_retries_total = %v, want %v", got, tc.wantRetries)
			}
			for _, class := range []string{"connect", "timeout", "4xx", "5xx", "invalid_reply", "other"} {
				want := 0.0
				if class == tc.wantClass {
					want = 1
				}
				if got := s.sum("callhook_webhook_errors_total", `class="`+class+`"`); got != want {
					t.Errorf(`webhook_errors_total{class=%q} = %v, want %v`, class, got, want)
				}
			}
		})
	}
}

func TestWebhookLatencyBuckets(t *testing.T) {
	m := metrics.New()
	m.Request(newCall("menu"), &proxy.RequestInfo{Event: "call.start", Attempts: 1, Status: 200, Took: 3 * time.Millisecond})
	scrape(t, m.Handler()).want(t, map[string]float64{
		`callhook_webhook_request_duration_seconds_bucket{app="menu",event="call.start",le="0.0025"}`: 0,
		`callhook_webhook_request_duration_seconds_bucket{app="menu",event="call.start",le="0.005"}`:  1,
		`callhook_webhook_request_duration_seconds_sum{app="menu",event="call.start"}`:                0.003,
	})
}

func TestVerbFinished(t *testing.T) {
	tests := []struct {
		name   string
		verb   string
		result *verb.Result
		want   string
	}{
		{"ok", "play", &verb.Result{Verb: "play", Reason: verb.ReasonOK}, "ok"},
		{"timeout", "gather", &verb.Result{Verb: "gather", Reason: verb.ReasonTimeout}, "timeout"},
		{"invalid", "gather", &verb.Result{Verb: "gather", Reason: verb.ReasonInvalid}, "invalid"},
		{"hangup", "record", &verb.Result{Verb: "record", Reason: verb.ReasonHangup}, "hangup"},
		{"error", "bridge", &verb.Result{Verb: "bridge", Reason: verb.ReasonError}, "error"},
		{"unknown reason", "say", &verb.Result{Verb: "say", Reason: "surprise"}, "other"},
		{"no result", "pause", nil, "other"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := metrics.New()
			m.VerbFinished(newCall("menu"), verb.Verb{Name: tc.verb}, tc.result, 250*time.Millisecond)
			s := scrape(t, m.Handler())
			key := fmt.Sprintf(`callhook_verbs_total{result="%s",verb="%s"}`, tc.want, tc.verb)
			if got := s[key]; got != 1 {
				t.Errorf("%s = %v, want 1", key, got)
			}
			if got := s.sum("callhook_verbs_total"); got != 1 {
				t.Errorf("verbs_total summed = %v, want 1", got)
			}
			s.want(t, map[string]float64{
				fmt.Sprintf(`callhook_verb_duration_seconds_count{verb="%s"}`, tc.verb): 1,
				fmt.Sprintf(`callhook_verb_duration_seconds_sum{verb="%s"}`, tc.verb):   0.25,
			})
		})
	}
}

func TestFailed(t *testing.T) {
	tests := []struct {
		name                     string
		failure                  proxy.Failure
		wantFallback, wantOnFail float64
	}{
		{"fallback answered", proxy.Failure{Err: errors.New("5xx"), Fallback: true}, 1, 0},
		{"on_failure", proxy.Failure{Err: errors.New("5xx"), OnFailure: true}, 0, 1},
		{"neither", proxy.Failure{Err: errors.New("odd")}, 0, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := metrics.New()
			m.Failed(newCall("menu"), &tc.failure)
			scrape(t, m.Handler()).want(t, map[string]float64{
				`callhook_fallbacks_total{app="menu",kind="fallback"}`:   tc.wantFallback,
				`callhook_fallbacks_total{app="menu",kind="on_failure"}`: tc.wantOnFail,
			})
		})
	}
}

func TestRefused(t *testing.T) {
	m := metrics.New()
	reasons := []string{"acl", "max_conns", "not_async_full", "no_app", "limit", "draining", "duplicate_id", "other"}
	before := scrape(t, m.Handler())
	for _, r := range reasons {
		key := fmt.Sprintf(`callhook_calls_refused_total{reason="%s"}`, r)
		if v, ok := before[key]; !ok || v != 0 {
			t.Errorf("before any refusal %s = %v (present %v), want 0", key, v, ok)
		}
	}
	peer := &net.TCPAddr{IP: net.IPv4(192, 0, 2, 7), Port: 40000}
	m.Refused(peer, esl.RefusedACL)
	m.Refused(peer, esl.RefusedMaxConns)
	m.CallRefused(&esl.Event{}, "menu", proxy.RefusedLimit)
	m.CallRefused(&esl.Event{}, "menu", proxy.RefusedLimit)
	m.CallRefused(&esl.Event{}, "", proxy.RefusedDraining)
	m.CallRefused(&esl.Event{}, "", "made up by a future version")
	s := scrape(t, m.Handler())
	s.want(t, map[string]float64{
		`callhook_calls_refused_total{reason="acl"}`:            1,
		`callhook_calls_refused_total{reason="max_conns"}`:      1,
		`callhook_calls_refused_total{reason="limit"}`:          2,
		`callhook_calls_refused_total{reason="draining"}`:       1,
		`callhook_calls_refused_total{reason="no_app"}`:         0,
		`callhook_calls_refused_total{reason="not_async_full"}`: 0,
		`callhook_calls_refused_total{reason="other"}`:          1,
	})
	for k := range s {
		if strings.Contains(k, "192.0.2.7") {
			t.Errorf("sample %s has the peer address as a label", k)
		}
	}
}

func TestFrames(t *testing.T) {
	m := metrics.New()
	m.CountFrame(esl.Received, esl.TypeEventPlain, 1200)
	m.CountFrame(esl.Received, esl.TypeEventPlain, 800)
	m.CountFrame(esl.Received, esl.TypeCommandReply, 50)
	m.CountFrame(esl.Sent, esl.CounterCommand, 90)
	m.CountFrame(esl.Received, "text/invented-by-the-peer", 10)
	m.CountFrame(esl.Received, "text/invented-again", 10)
	s := scrape(t, m.Handler())
	s.want(t, map[string]float64{
		`callhook_esl_frames_total{content_type="text/event-plain",direction="received"}`: 2,
		`callhook_esl_bytes_total{content_type="text/event-plain",direction="received"}`:  2000,
		`callhook_esl_frames_total{content_type="command/reply",direction="received"}`:    1,
		`callhook_esl_frames_total{content_type="command",direction="sent"}`:              1,
		`callhook_esl_bytes_total{content_type="command",direction="sent"}`:               90,
		`callhook_esl_frames_total{content_type="other",direction="received"}`:            2,
		`callhook_esl_bytes_total{content_type="other",direction="received"}`:             20,
	})
	for k := range s {
		if strings.Contains(k, "invented") {
			t.Errorf("sample %s has a peer's content type as a label", k)
		}
	}
}

// TestRuntimeCollectors: the registry carries the Go and process
// collectors besides callhook's own series.
func TestRuntimeCollectors(t *testing.T) {
	s := scrape(t, metrics.New().Handler())
	for _, name := range []string{"go_goroutines", "go_memstats_heap_alloc_bytes", "process_open_fds", "process_start_time_seconds"} {
		if _, ok := s[name]; !ok {
			t.Errorf("sample %s missing", name)
		}
	}
}

// TestConcurrent drives every hook from many goroutines at once, as many
// calls do (meaningful under -race), and checks nothing was lost.
func TestConcurrent(t *testing.T) {
	m := metrics.New()
	const workers, calls = 16, 50
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			app := fmt.Sprintf("app%d", w%4)
			for range calls {
				c := newCall(app)
				m.CallStarted(c)
				m.Request(c, &proxy.RequestInfo{Event: "call.start", Attempts: 2, Status: 200, Took: time.Millisecond})
				v := verb.Verb{Name: "play"}
				m.VerbStarted(c, v)
				m.VerbFinished(c, v, &verb.Result{Reason: verb.ReasonOK}, time.Millisecond)
				m.CountFrame(esl.Received, esl.TypeEventPlain, 100)
				m.CallEnded(c, &proxy.CallEnd{Outcome: proxy.OutcomeHangup}, &proxy.CallStats{})
			}
		})
	}
	wg.Wait()
	s := scrape(t, m.Handler())
	const total = workers * calls
	if got := s.sum("callhook_calls_total", `outcome="hangup"`); got != total {
		t.Errorf("calls_total{outcome=hangup} summed = %v, want %v", got, total)
	}
	if got := s.sum("callhook_calls_active"); got != 0 {
		t.Errorf("calls_active summed = %v, want 0", got)
	}
	if got := s.sum("callhook_webhook_retries_total"); got != total {
		t.Errorf("webhook_retries_total summed = %v, want %v", got, total)
	}
	s.want(t, map[string]float64{
		`callhook_verbs_total{result="ok",verb="play"}`:                                   total,
		`callhook_esl_frames_total{content_type="text/event-plain",direction="received"}`: total,
	})
}

func BenchmarkObserverCall(b *testing.B) {
	m := metrics.New()
	c := newCall("menu")
	v := verb.Verb{Name: "play"}
	r := &verb.Result{Reason: verb.ReasonOK}
	info := &proxy.RequestInfo{Event: "call.start", Attempts: 1, Status: 200, Took: time.Millisecond}
	end := &proxy.CallEnd{Outcome: proxy.OutcomeHangup}
	b.ReportAllocs()
	for b.Loop() {
		m.CallStarted(c)
		m.Request(c, info)
		m.VerbFinished(c, v, r, time.Millisecond)
		m.CountFrame(esl.Received, esl.TypeEventPlain, 100)
		m.CallEnded(c, end, nil)
	}
}
