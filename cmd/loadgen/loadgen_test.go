package main

import (
	"context"
	"fmt"
	"net"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/callhook/callhook/cmd/loadgen/floor"
	"github.com/callhook/callhook/esl"
	"github.com/callhook/callhook/proxy"
	"github.com/callhook/callhook/webhook"
)

// serveESL serves an esl.Handler on addr until stop is called.
func serveESL(addr string, h esl.Handler) (bound string, stop func(), err error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", nil, fmt.Errorf("event socket: %w", err)
	}
	srv := &esl.Server{Handler: h}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(ln)
	}()
	return ln.Addr().String(), func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			srv.Close()
		}
		<-done
	}, nil
}

// daemon is an in-process callhook: the session engine behind a real
// esl.Server on a loopback port, its apps pointing at loadgen's web app.
type daemon struct {
	addr  string
	proxy *proxy.Proxy
	web   *WebApp
}

func startDaemon(t *testing.T, web *WebApp) *daemon {
	t.Helper()
	app := httptest.NewServer(web)
	t.Cleanup(app.Close)
	rt := &proxy.Runtime{Apps: map[string]*proxy.App{}, DefaultApp: "menu"}
	for name, path := range map[string]string{"menu": "/ivr", "hold": "/hold", "slow": "/slow/ivr"} {
		// A generous timeout: this is about correctness under -race on a
		// shared machine, not about latency.
		wa := &webhook.App{Name: name, URL: app.URL + path, Timeout: time.Minute}
		rt.Apps[name] = &proxy.App{Name: name, Backend: wa}
	}
	p := &proxy.Proxy{Linger: 5 * time.Second, EndTimeout: 5 * time.Second}
	p.SetRuntime(rt)
	addr := startESL(t, p)
	return &daemon{addr: addr, proxy: p, web: web}
}

// startESL serves h on 127.0.0.1:0 until the test ends.
func startESL(t *testing.T, h esl.Handler) string {
	t.Helper()
	addr, stop, err := serveESL("127.0.0.1:0", h)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	return addr
}

func runDriver(t *testing.T, d *Driver) *Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	res, err := d.Run(ctx)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	return res
}

// checkCounts fails the test unless every call completed.
func checkCounts(t *testing.T, res *Result, calls int) {
	t.Helper()
	if res.Started != calls || res.Completed != calls || len(res.Failures) != 0 {
		t.Fatalf("started %d, completed %d, failures %s; want %d, %d, none",
			res.Started, res.Completed, res.FailureText, calls, calls)
	}
	if res.CallTime.N != calls {
		t.Errorf("call time samples = %d, want %d", res.CallTime.N, calls)
	}
}

// TestSmokeMenu is the load loop's smoke run: a few hundred menu calls
// through the real session engine, zero failures, two requests per call
// and four timed steps per call (answer → playback → gather → option →
// hangup), one of them a webhook step.
func TestSmokeMenu(t *testing.T) {
	const calls = 300
	web := &WebApp{}
	dm := startDaemon(t, web)
	res := runDriver(t, &Driver{Addr: dm.addr, Calls: calls, Concurrency: 30, Speed: 1e6, Digit: "1", Web: web})
	checkCounts(t, res, calls)
	if got := web.requests.Load(); got != 2*calls {
		t.Errorf("web app requests = %d, want %d", got, 2*calls)
	}
	if got := web.bad.Load(); got != 0 {
		t.Errorf("web app could not answer %d requests, want 0", got)
	}
	if res.Added.N != 4*calls {
		t.Errorf("timed steps = %d, want %d", res.Added.N, 4*calls)
	}
	if res.Webhook.N != calls {
		t.Errorf("webhook steps = %d, want %d", res.Webhook.N, calls)
	}
	if res.MaxActive < 1 || res.MaxActive > 30 {
		t.Errorf("max in flight = %d, want 1..30", res.MaxActive)
	}
}

// TestSmokeRate runs the fixed-rate pacing for a count of calls.
func TestSmokeRate(t *testing.T) {
	const calls = 100
	web := &WebApp{}
	dm := startDaemon(t, web)
	res := runDriver(t, &Driver{Addr: dm.addr, Calls: calls, Rate: 500, Speed: 1e6, Digit: "3", Web: web})
	checkCounts(t, res, calls)
	if res.Rate != 500 || res.StartSpan <= 0 || res.StartRate() <= 0 {
		t.Errorf("rate %v, start span %v, start rate %v; want 500 and both positive", res.Rate, res.StartSpan, res.StartRate())
	}
}

// TestSmokeBaseline drives the baseline handler, with and without its
// one request per step.
func TestSmokeBaseline(t *testing.T) {
	for _, tc := range []struct {
		name     string
		http     bool
		requests int // per call
		webhook  int // timed steps that made a request, per call
	}{
		{"plain", false, 0, 0},
		{"http", true, 2, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			const calls = 200
			web := &WebApp{}
			app := httptest.NewServer(web)
			t.Cleanup(app.Close)
			url := ""
			if tc.http {
				url = app.URL
			}
			b := floor.New(url)
			addr, stop, err := serveFloor("127.0.0.1:0", b)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(stop)
			res := runDriver(t, &Driver{Addr: addr, Calls: calls, Concurrency: 20, Speed: 1e6, Digit: "1", Web: web})
			checkCounts(t, res, calls)
			if got := web.requests.Load(); got != int64(tc.requests*calls) {
				t.Errorf("web app requests = %d, want %d", got, tc.requests*calls)
			}
			if res.Added.N != 4*calls || res.Webhook.N != tc.webhook*calls {
				t.Errorf("timed steps = %d, webhook steps %d; want %d, %d", res.Added.N, res.Webhook.N, 4*calls, tc.webhook*calls)
			}
			if n, text := b.Failures(); n != 0 {
				t.Errorf("baseline failed %d calls: %s", n, text)
			}
		})
	}
}

// TestHeld holds calls in the hold app's long playback until release.
func TestHeld(t *testing.T) {
	const calls = 50
	web := &WebApp{}
	dm := startDaemon(t, web)
	release := make(chan struct{})
	d := &Driver{Addr: dm.addr, Calls: calls, Concurrency: calls, Speed: 1, App: "hold",
		Expect: CallerHangsUp, Release: release, Web: web}
	done := make(chan *Result, 1)
	go func() {
		res, err := d.Run(t.Context())
		if err != nil {
			t.Errorf("Run: %v", err)
		}
		done <- res
	}()
	guard := time.After(2 * time.Minute)
	for {
		held, note := d.Held()
		if held == calls {
			break
		}
		select {
		case <-note:
		case res := <-done:
			t.Fatalf("run ended before all calls held: %+v", res)
		case <-guard:
			t.Fatalf("%d of %d calls holding", held, calls)
		}
	}
	if got := dm.proxy.Active(); got != calls {
		t.Errorf("daemon has %d calls in progress, want %d", got, calls)
	}
	close(release)
	res := <-done
	if res == nil {
		t.FailNow()
	}
	checkCounts(t, res, calls)
	if held, _ := d.Held(); held != 0 {
		t.Errorf("Held() after the run = %d, want 0", held)
	}
	if got := web.requests.Load(); got != calls {
		t.Errorf("web app requests = %d, want %d (call.start only)", got, calls)
	}
}

// TestSlowApp runs concurrent calls against the slow app; only counts are
// checked (no timing thresholds in tests).
func TestSlowApp(t *testing.T) {
	const calls = 10
	web := &WebApp{Delay: 20 * time.Millisecond}
	dm := startDaemon(t, web)
	res := runDriver(t, &Driver{Addr: dm.addr, Calls: calls, Concurrency: calls, Speed: 1e6, App: "slow", Digit: "2", Web: web})
	checkCounts(t, res, calls)
	if got := web.requests.Load(); got != 2*calls {
		t.Errorf("web app requests = %d, want %d", got, 2*calls)
	}
}

// TestFailuresByKind: calls to a port nobody listens on fail as one kind.
func TestFailuresByKind(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	res := runDriver(t, &Driver{Addr: addr, Calls: 5, Concurrency: 2, Speed: 1e6})
	if res.Started != 5 || res.Completed != 0 || res.Failures["dial: connection refused"] != 5 {
		t.Errorf("started %d, completed %d, failures %v; want 5, 0, 5 refused", res.Started, res.Completed, res.Failures)
	}
}

// TestWrongApp: a daemon that refuses the call (no such app) shows up as
// an outcome failure, not a completion.
func TestWrongApp(t *testing.T) {
	dm := startDaemon(t, &WebApp{})
	res := runDriver(t, &Driver{Addr: dm.addr, Calls: 3, Concurrency: 3, Speed: 1e6, App: "nope"})
	if res.Completed != 0 || res.Failures["outcome: daemon left without a hangup"] != 3 {
		t.Errorf("completed %d, failures %v; want 0 and 3 refusals", res.Completed, res.Failures)
	}
}

func TestRunNeedsALimit(t *testing.T) {
	if _, err := (&Driver{Addr: "127.0.0.1:1"}).Run(t.Context()); err == nil {
		t.Error("Run without Calls or Duration = nil error, want one")
	}
}
