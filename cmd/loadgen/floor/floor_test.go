package floor

import (
	"bytes"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/callhook/callhook/cmd/loadgen/replay"
)

// countConn counts the event frames written to the handler.
type countConn struct {
	net.Conn
	mu     sync.Mutex
	events int
}

func (c *countConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	c.events += bytes.Count(p, []byte("Content-Type: text/event-plain"))
	c.mu.Unlock()
	return c.Conn.Write(p)
}

func serveFloor(t *testing.T, web string) (*Handler, string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	h := New(web)
	done := make(chan error, 1)
	go func() { done <- h.Serve(ln) }()
	t.Cleanup(func() {
		ln.Close()
		if err := <-done; err != nil {
			t.Error(err)
		}
	})
	return h, ln.Addr().String()
}

func waitCall(t *testing.T, c *replay.Call) replay.Result {
	t.Helper()
	select {
	case <-c.Done():
	case <-time.After(10 * time.Second):
		c.Close()
		t.Fatal("call not over after 10s")
	}
	return c.Result()
}

// The floor drives a replayed menu call to its hangup, with two requests
// to the web app and the 17 events of the real trace.
func TestFloorMenuCall(t *testing.T) {
	var requests atomic.Int64
	web := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Callhook-Call-Id") == "" {
			t.Error("request without the call id")
		}
		requests.Add(1)
	}))
	defer web.Close()
	h, addr := serveFloor(t, web.URL)
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	cc := &countConn{Conn: nc}
	var apps []string
	call := replay.Start(cc, replay.Menu(), replay.Options{
		UUID: "0b0c3a46-1f77-4d0b-9d0e-2d6c1e0f4a11", App: "menu", Digit: "1",
		OnExecute: func(app, arg string) { apps = append(apps, app) },
	})
	defer call.Close()
	res := waitCall(t, call)
	if res.By != "daemon" || res.Cause != "NORMAL_CLEARING" || res.Err != nil {
		t.Fatalf("call ended %s", res)
	}
	if n, text := h.Failures(); n != 0 {
		t.Fatalf("floor failures: %s", text)
	}
	if got := requests.Load(); got != 2 {
		t.Errorf("web requests = %d, want 2", got)
	}
	if cc.events != 17 {
		t.Errorf("events sent = %d, want the trace's 17", cc.events)
	}
	want := []string{"answer", "playback", "play_and_get_digits", "playback"}
	if len(apps) != len(want) {
		t.Fatalf("apps = %q, want %q", apps, want)
	}
	for i := range want {
		if apps[i] != want[i] {
			t.Fatalf("apps = %q, want %q", apps, want)
		}
	}
}

// A held call waits in its playback until the caller hangs up.
func TestFloorHeldCall(t *testing.T) {
	h, addr := serveFloor(t, "")
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	held := make(chan struct{})
	call := replay.Start(nc, replay.Menu(), replay.Options{
		UUID: "5f3c1a22-8b0e-4c55-a1d2-77e0c9b3f001", App: "hold", HoldArg: HoldFile,
		OnExecute: func(app, arg string) {
			if arg == HoldFile {
				close(held)
			}
		},
	})
	defer call.Close()
	select {
	case <-held:
	case <-time.After(10 * time.Second):
		t.Fatal("never held")
	}
	call.Hangup()
	res := waitCall(t, call)
	if res.By != "caller" || res.Err != nil {
		t.Fatalf("call ended %s", res)
	}
	if n, text := h.Failures(); n != 0 {
		t.Fatalf("floor failures: %s", text)
	}
}
