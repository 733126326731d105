package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/callhook/callhook/esl/esltest"
	"github.com/callhook/callhook/internal/config"
	"github.com/callhook/callhook/internal/testlog"
)

// flowVersion is a flow that answers, holds the caller in a menu until they
// press a key (the test decides when), then plays a file naming its version.
func flowVersion(v string) string {
	return `name: versioned
start: hold
states:
  hold:
    verbs:
      - answer
      - gather: {play: 'silence_stream://100', timeout: 600s}
    on:
      digits: {"1": version}
      timeout: version
      invalid: version
  version:
    verbs:
      - play: ` + v + `.wav
      - hangup
`
}

// TestReloadFlows: SIGHUP's reload gives new calls the new flow while a call
// in progress finishes on its own, and a broken file changes nothing.
func TestReloadFlows(t *testing.T) {
	dir := t.TempDir()
	flowPath := filepath.Join(dir, "flow.yaml")
	cfgPath := filepath.Join(dir, "config.yaml")
	write := func(path, data string) {
		t.Helper()
		if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(flowPath, flowVersion("v1"))
	write(cfgPath, "listen: 127.0.0.1:18099\nadmin: ''\nlinger: 1s\ndefault_app: ivr\napps:\n  ivr: {flow: flow.yaml}\n")

	s, addr := startTestServer(t, cfgPath)
	dial := func() *esltest.Call {
		c, err := esltest.Dial(t.Context(), addr, esltest.Options{Speed: 1})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	old := dial()
	if _, err := old.WaitApp(ctx, "play_and_get_digits"); err != nil {
		t.Fatal(err)
	}

	write(flowPath, flowVersion("v2"))
	s.reload(t.Context())

	fresh := dial()
	if _, err := fresh.WaitApp(ctx, "play_and_get_digits"); err != nil {
		t.Fatal(err)
	}
	// Both calls wait in their menus; each caller presses 1 and its flow
	// moves on to the state that names its version.
	old.Digits("1")
	fresh.Digits("1")
	if got := lastPlayback(t, ctx, old); got != "v1.wav" {
		t.Errorf("call in progress during the reload played %q, want v1.wav (its own flow)", got)
	}
	if got := lastPlayback(t, ctx, fresh); got != "v2.wav" {
		t.Errorf("call after the reload played %q, want v2.wav (the new flow)", got)
	}

	// A broken flow is refused with its errors; the old one keeps serving.
	write(flowPath, "name: broken\nstart: nowhere\nstates: {}\n")
	s.reload(t.Context())
	if logs := s.log.Out.(*testlog.Buffer).String(); !strings.Contains(logs, "reload refused") || !strings.Contains(logs, "flow.yaml:") {
		t.Errorf("broken reload not logged with its file:line:\n%s", logs)
	}
	after := dial()
	if _, err := after.WaitApp(ctx, "play_and_get_digits"); err != nil {
		t.Fatal(err)
	}
	after.Digits("1")
	if got := lastPlayback(t, ctx, after); got != "v2.wav" {
		t.Errorf("call after a broken reload played %q, want v2.wav (unchanged)", got)
	}
}

// lastPlayback waits for the call to end and returns its last playback.
func lastPlayback(t *testing.T, ctx context.Context, c *esltest.Call) string {
	t.Helper()
	if _, err := c.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	last := ""
	for _, r := range c.Apps() {
		if r.App == "playback" {
			last = r.Arg
		}
	}
	return last
}

// startTestServer runs the serve code path in-process (newServer, then
// serve) without signals, on a free loopback port rather than the config's
// listen address, and with the admin API, when the config has one, on
// another.
func startTestServer(t *testing.T, cfgPath string) (*server, string) {
	t.Helper()
	cfg, err := config.LoadWithLiverpie(cfgPath, "", os.LookupEnv)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Admin != "" {
		cfg.Admin = "127.0.0.1:0"
	}
	s, err := newServer(cfg, newLogger(cfg.Log, &testlog.Buffer{}))
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served, err := s.serve(ln)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		s.ops.stop()
		s.esl.Close()
		<-served
		s.deps.client.CloseIdleConnections()
	})
	return s, ln.Addr().String()
}

// TestRootConfigServesACall: the repository's config.yaml, through the serve
// code path, accepts a simulated call and drives it with its default app
// (the demo flow, which needs no web app): what `make run` starts.
func TestRootConfigServesACall(t *testing.T) {
	s, addr := startTestServer(t, "../../config.yaml")
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	pressed := false
	c, err := esltest.Dial(ctx, addr, esltest.Options{Speed: 1000, OnApp: func(c *esltest.Call, run esltest.AppRun) {
		// At the menu, 9 is no option: the demo says so, and after three
		// failures (the next two menus time out) it says goodbye.
		if run.App == "play_and_get_digits" && !pressed {
			pressed = true
			c.Digits("9")
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	res, err := c.Wait(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if res.Outcome != esltest.HungUp || res.By != esltest.ByDaemon {
		t.Errorf("call ended %v, want hung up by callhook after the demo's goodbye", res)
	}
	var played []string
	for _, r := range c.Apps() {
		if r.App == "playback" {
			played = append(played, r.Arg)
		}
	}
	want := []string{"ivr/ivr-welcome.wav", "ivr/ivr-that_was_an_invalid_entry.wav", "voicemail/vm-goodbye.wav"}
	for _, w := range want {
		if !slices.Contains(played, w) {
			t.Errorf("played %q, want %s among them", played, w)
		}
	}
	// The parts serve wires around the engine saw the call too: the
	// metrics (the proxy's observer) and the frame counter of the event
	// socket. The call's end is reported before it leaves the proxy.
	if err := s.proxy.WaitIdle(ctx); err != nil {
		t.Fatal(err)
	}
	families, err := s.ops.metrics.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	counted := map[string]float64{}
	for _, f := range families {
		for _, m := range f.GetMetric() {
			counted[f.GetName()] += m.GetCounter().GetValue()
		}
	}
	if counted["callhook_calls_total"] != 1 || counted["callhook_esl_frames_total"] == 0 {
		t.Errorf("metrics counted %v calls and %v frames, want 1 call and its frames",
			counted["callhook_calls_total"], counted["callhook_esl_frames_total"])
	}
}

// TestReloadRedirectLimits: a live redirect (admin POST
// /calls/{id}/redirect) of a call started after a SIGHUP gets the reloaded
// limits (issue 12, item 11: the redirect backend was built once, with the
// startup limits).
func TestReloadRedirectLimits(t *testing.T) {
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "config.yaml")
	write := func(path, data string) {
		t.Helper()
		if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(filepath.Join(dir, "flow.yaml"), flowVersion("v1"))
	cfg := func(maxVerbs int) string {
		return fmt.Sprintf("listen: 127.0.0.1:18099\nadmin: ''\nlinger: 1s\nlimits: {max_verbs: %d}\ndefault_app: ivr\napps:\n  ivr: {flow: flow.yaml}\n", maxVerbs)
	}
	write(cfgPath, cfg(100))
	s, addr := startTestServer(t, cfgPath)

	var requests atomic.Int32
	web := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		requests.Add(1)
		w.Header().Set("Content-Type", "application/yaml")
		io.WriteString(w, "[{play: redirected.wav}, {play: again.wav}, hangup]")
	}))
	t.Cleanup(web.Close)

	write(cfgPath, cfg(2))
	s.reload(t.Context())

	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	c, err := esltest.Dial(ctx, addr, esltest.Options{Speed: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if _, err := c.WaitApp(ctx, "play_and_get_digits"); err != nil {
		t.Fatal(err)
	}
	if err := s.proxy.Redirect(ctx, c.UUID(), web.URL+"/moved"); err != nil {
		t.Fatalf("Redirect() = %v", err)
	}
	res, err := c.Wait(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range c.Apps() {
		if r.App == "playback" {
			t.Errorf("the redirected call played %q: its three verbs were run, over the reloaded max_verbs: 2", r.Arg)
		}
	}
	if res.Cause != "NORMAL_TEMPORARY_FAILURE" {
		t.Errorf("call ended %v, want hung up with NORMAL_TEMPORARY_FAILURE (the reply is invalid: on_failure)", res)
	}
	if logs := s.log.Out.(*testlog.Buffer).String(); !strings.Contains(logs, "too many verbs: 3, at most 2") {
		t.Errorf("log does not say the redirect's reply had too many verbs:\n%s", logs)
	}
	if n := requests.Load(); n != 1 {
		t.Errorf("web app got %d requests, want 1", n)
	}
}
