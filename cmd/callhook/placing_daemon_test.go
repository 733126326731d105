package main

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/callhook/callhook/internal/config"
	"github.com/callhook/callhook/internal/testlog"
)

// startPlacingDaemon writes text as dir's config.yaml and serves it until
// the test ends (its log shown when the test failed), and returns once
// its boxes are up: the daemon of the end-to-end tests that place calls.
// It returns the server, the config file's path and the daemon's log.
func startPlacingDaemon(t *testing.T, dir, text string) (*server, string, *testlog.Buffer) {
	t.Helper()
	path := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(path, os.LookupEnv)
	if err != nil {
		t.Fatalf("config:\n%s\n%v", text, err)
	}
	logs := &testlog.Buffer{}
	s, err := newServer(cfg, newLogger(cfg.Log, logs))
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		t.Fatal(err)
	}
	served, err := s.serve(ln)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		s.stopTwilioAPI()
		s.placing.stop()
		s.ops.stop()
		s.esl.Close()
		<-served
		if t.Failed() {
			t.Logf("daemon log:\n%s", logs)
		}
	})
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	if err := s.placing.m.WaitUp(ctx); err != nil {
		t.Fatal(err)
	}
	return s, path, logs
}
