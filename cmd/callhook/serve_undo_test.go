package main

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/callhook/callhook/internal/config"
	"github.com/callhook/callhook/internal/testlog"
)

// TestServeFailureLeavesNothingRunning: when the last listener serve
// starts (twilio_api's) cannot bind, serve fails and what it started
// before (the admin API, the recordings listener, the event socket) is
// stopped again: each port can be bound once more.
func TestServeFailureLeavesNothingRunning(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	ports := opsFreePorts(t, 3) // event socket, admin, recordings
	dir := t.TempDir()
	text := fmt.Sprintf("listen: %s\nadmin: %s\nadmin_token: 0123456789abcdef0123\n"+
		"recordings: {listen: %s, dir: %s}\n"+
		"apps:\n  tw:\n    twiml: http://127.0.0.1:1/voice\n    account_sid: AC0123456789abcdef0123456789abcdef\n"+
		"    auth_token: s3cret-token-of-32-characters-xx\n    allow_to: ['user/1000']\n"+
		"boxes:\n  - {name: fs1, addr: 127.0.0.1:1, password: ClueCon, connect_back: %s}\n"+
		"twilio_api: {listen: '%s'}\n",
		ports[0], ports[1], ports[2], filepath.Join(dir, "rec"), ports[0], taken.Addr())
	path := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(path, os.LookupEnv)
	if err != nil {
		t.Fatalf("config:\n%s\n%v", text, err)
	}
	s, err := newServer(cfg, newLogger(cfg.Log, &testlog.Buffer{}))
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.serve(ln); err == nil || !strings.Contains(err.Error(), "twilio_api") {
		t.Fatalf("serve = %v, want the twilio_api listener's error", err)
	}
	for _, p := range ports {
		l, err := net.Listen("tcp", p)
		if err != nil {
			t.Errorf("%s is still held after serve failed: %v", p, err)
			continue
		}
		l.Close()
	}
}
