package liverpie_test

import (
	"bytes"
	"context"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/callhook/callhook/esl"
	"github.com/callhook/callhook/esl/esltest"
	"github.com/callhook/callhook/proxy"
	"github.com/sirupsen/logrus"
)

// harness is a real esl.Server running a proxy.Proxy on a loopback port,
// with a log that tests can read: the engine driving Liverpie apps as the
// daemon does.
type harness struct {
	t     testing.TB
	addr  string
	proxy *proxy.Proxy
	logs  *logBuffer
}

type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// startProxy serves rt's apps on 127.0.0.1:0.
func startProxy(t testing.TB, rt *proxy.Runtime, obs ...proxy.Observer) *harness {
	t.Helper()
	logs := &logBuffer{}
	log := logrus.New()
	log.Out = logs
	log.Level = logrus.DebugLevel
	p := &proxy.Proxy{Log: log, Observer: proxy.Observers(obs), Linger: 60 * time.Second, EndTimeout: 5 * time.Second}
	p.SetRuntime(rt)
	// Generous: this harness tests behaviour, not speed, on busy machines.
	srv := &esl.Server{Handler: p, ConnectTimeout: time.Minute,
		Conn: esl.ConnOptions{ReplyTimeout: time.Minute}}
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
	return &harness{t: t, addr: ln.Addr().String(), proxy: p, logs: logs}
}

// dial places a simulated call; media plays a thousand times faster.
func (h *harness) dial(o esltest.Options) *esltest.Call {
	h.t.Helper()
	if o.Speed == 0 {
		o.Speed = 1000
	}
	c, err := esltest.Dial(h.t.Context(), h.addr, o)
	if err != nil {
		h.t.Fatalf("Dial: %v", err)
	}
	h.t.Cleanup(func() { c.Close() })
	return c
}
