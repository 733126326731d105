// Package calltest runs whole calls in tests: the engine (a proxy.Proxy
// with a proxy.Runtime of apps) behind a real esl.Server on a loopback
// port, FreeSWITCH played by the esltest simulator dialling it, and a log
// the test can read while calls write to it. Every package whose tests
// place calls uses it instead of wiring its own.
//
// The name says what it is for (tests that place calls) rather than
// which package it serves: proxy, the backends, admin, metrics, the
// commands and the examples all use it.
package calltest

import (
	"context"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/callhook/callhook/esl"
	"github.com/callhook/callhook/esl/esltest"
	"github.com/callhook/callhook/internal/testlog"
	"github.com/callhook/callhook/proxy"
)

// Hooks is one value serving every hook of the daemon, as metrics.Metrics
// does: the proxy's observer, each connection's frame counter and the
// server's refusal hook.
type Hooks interface {
	proxy.Observer
	esl.FrameCounter
	Refused(addr net.Addr, reason string)
}

// Options adjusts the engine. The zero value suits most tests.
type Options struct {
	// Hooks, when set, is the Observer, Conn.Counter and Refused hook at
	// once (the fields for them must then be left zero).
	Hooks Hooks
	// Observer is told about every call (nil: nobody).
	Observer proxy.Observer
	// Conn is every connection's options. A zero ReplyTimeout becomes a
	// minute: these tests check behaviour, not speed, on busy machines.
	Conn esl.ConnOptions
	// Refused is the server's refusal hook.
	Refused func(addr net.Addr, reason string)
	// ACL, when set, is the server's access list.
	ACL []netip.Prefix
	// Wrap, when set, sees each connection before the proxy does.
	Wrap func(context.Context, *esl.Conn)
	// Version is the proxy's (callhook's version, in the apps' User-Agent).
	Version string
	// RedirectBackend is the proxy's.
	RedirectBackend func(url string) proxy.Backend
	// Linger and EndTimeout are the proxy's (0: 60s and 5s).
	Linger, EndTimeout time.Duration
	// Speed is the default media speed of Dial (0: 1000 times real time).
	Speed float64
	// Recordings is the proxy's recordings delivery (nil: none).
	Recordings proxy.Recordings
}

// Engine is a running engine. Fields are read-only.
type Engine struct {
	Addr  string       // the esl.Server's loopback address
	Proxy *proxy.Proxy // the engine
	Log   *testlog.Log // the proxy's log, at debug level
	// Server is the esl.Server; the test's cleanup shuts it down.
	Server *esl.Server

	t     testing.TB
	speed float64
}

// Apps returns a Runtime serving apps, the first one the default.
func Apps(apps ...*proxy.App) *proxy.Runtime {
	rt := &proxy.Runtime{Apps: map[string]*proxy.App{}}
	for i, a := range apps {
		if i == 0 {
			rt.DefaultApp = a.Name
		}
		rt.Apps[a.Name] = a
	}
	return rt
}

// Start serves rt on 127.0.0.1:0 until the test ends; the cleanup shuts
// the server down gracefully and fails the test if that takes more than
// ten seconds.
func Start(t testing.TB, rt *proxy.Runtime, o Options) *Engine {
	t.Helper()
	if o.Linger == 0 {
		o.Linger = 60 * time.Second
	}
	if o.EndTimeout == 0 {
		o.EndTimeout = 5 * time.Second
	}
	if o.Conn.ReplyTimeout == 0 {
		o.Conn.ReplyTimeout = time.Minute
	}
	if o.Speed == 0 {
		o.Speed = 1000
	}
	if o.Hooks != nil {
		if o.Observer != nil || o.Conn.Counter != nil || o.Refused != nil {
			t.Fatal("calltest: Hooks and Observer, Conn.Counter or Refused set together")
		}
		o.Observer, o.Conn.Counter, o.Refused = o.Hooks, o.Hooks, o.Hooks.Refused
	}
	log := testlog.New()
	p := &proxy.Proxy{Log: log, Observer: o.Observer, Linger: o.Linger, EndTimeout: o.EndTimeout,
		RedirectBackend: o.RedirectBackend, Version: o.Version, Recordings: o.Recordings}
	p.SetRuntime(rt)
	var handler esl.Handler = p
	if o.Wrap != nil {
		handler = esl.HandlerFunc(func(ctx context.Context, c *esl.Conn) {
			o.Wrap(ctx, c)
			p.ServeESL(ctx, c)
		})
	}
	srv := &esl.Server{Handler: handler, ConnectTimeout: time.Minute, Conn: o.Conn, Refused: o.Refused, ACL: o.ACL}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
			srv.Close()
		}
	})
	return &Engine{Addr: ln.Addr().String(), Proxy: p, Log: log, Server: srv, t: t, speed: o.Speed}
}

// Dial places a simulated call, closed when the test ends; media plays at
// the engine's Speed unless o says otherwise.
func (e *Engine) Dial(o esltest.Options) *esltest.Call {
	e.t.Helper()
	return Dial(e.t, e.Addr, o, e.speed)
}

// Dial places a simulated call to addr, closed when the test ends, with
// media at speed unless o says otherwise.
func Dial(t testing.TB, addr string, o esltest.Options, speed float64) *esltest.Call {
	t.Helper()
	if o.Speed == 0 {
		o.Speed = speed
	}
	c, err := esltest.Dial(t.Context(), addr, o)
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// Call places a call and waits for it to end.
func (e *Engine) Call(o esltest.Options) (*esltest.Call, *esltest.Result) {
	e.t.Helper()
	c := e.Dial(o)
	return c, Wait(e.t, c)
}

// Idle waits until every call of the engine has finished: the proxy
// releases a call after its observers heard CallEnded and its call-end
// log line is written, so counters and logs are final then.
func (e *Engine) Idle() {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(e.t.Context(), 20*time.Second)
	defer cancel()
	if err := e.Proxy.WaitIdle(ctx); err != nil {
		e.t.Fatalf("calls still running: %v", err)
	}
}

// Wait waits (20 seconds at most) for a simulated call to end.
func Wait(t testing.TB, c *esltest.Call) *esltest.Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	r, err := c.Wait(ctx)
	if err != nil {
		t.Fatalf("Wait: %v", err)
	}
	return r
}

// StartDialog starts b's dialog for call, as the session does, and
// returns it as the VerbDialog it must be (webhook apps, flows).
func StartDialog(t testing.TB, b proxy.Backend, call *proxy.Call) proxy.VerbDialog {
	t.Helper()
	d, err := b.Start(t.Context(), call)
	if err != nil {
		t.Fatalf("Start() = %v", err)
	}
	vd, ok := d.(proxy.VerbDialog)
	if !ok {
		t.Fatalf("Start() = %T, want a proxy.VerbDialog", d)
	}
	return vd
}
