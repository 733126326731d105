package main

import (
	"context"
	"io"
	"log"
	"net"
	"net/http/httptest"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/callhook/callhook/esl"
	"github.com/callhook/callhook/esl/esltest"
	"github.com/callhook/callhook/liverpie"
	"github.com/callhook/callhook/proxy"
)

// TestRealTrace replays the wire trace of a real FreeSWITCH 1.10.12 call
// that this app drove through callhook, the caller pressing 2 during the
// menu prompt (esl/testdata/real-traces/liverpie_2.txt, README
// there): callhook, with this app behind it, must send the trace's
// commands, in order, to the frames the real switch sent.
func TestRealTrace(t *testing.T) {
	tr, err := esltest.LoadTrace("../../esl/testdata/real-traces/liverpie_2.txt")
	if err != nil {
		t.Fatal(err)
	}
	web := httptest.NewServer(newApp([]byte("test key"), log.New(io.Discard, "", 0)))
	t.Cleanup(web.Close)
	u, _ := url.Parse(web.URL)
	host, port, _ := net.SplitHostPort(u.Host)
	p, _ := strconv.Atoi(port)
	lp := &liverpie.App{
		Name: "liverpie_app", IP: host, Port: p,
		StateMachineURI: "/ivr/state_machine", ResetURI: "/ivr/reset", DTMFURI: "/ivr/dtmf",
	}
	// The traced callhook ran with the default linger (30s).
	px := &proxy.Proxy{}
	px.SetRuntime(&proxy.Runtime{Apps: map[string]*proxy.App{"liverpie_app": {Name: "liverpie_app", Backend: lp}}})
	srv := &esl.Server{Handler: px}
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
		}
	})
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	if err := esltest.ReplayTrace(ctx, ln.Addr().String(), tr, esltest.ReplayOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := px.WaitIdle(ctx); err != nil {
		t.Fatalf("the engine did not finish the call: %v", err)
	}
}
