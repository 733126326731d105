package main

import (
	"slices"
	"testing"
	"time"

	"github.com/callhook/callhook/esl"
	"github.com/callhook/callhook/internal/config"
)

// noEnv is an environment with no variables, so that tests never read the
// process's.
func noEnv(string) (string, bool) { return "", false }

// TestRootConfigBuilds: the repository's config.yaml, loaded with no
// environment at all, builds: its flow parses and validates.
func TestRootConfigBuilds(t *testing.T) {
	c, err := config.Load("../../config.yaml", noEnv)
	if err != nil {
		t.Fatalf("config.Load(config.yaml):\n%v", err)
	}
	if _, err := buildRuntime(c, newDeps()); err != nil {
		t.Errorf("buildRuntime(config.yaml):\n%v", err)
	}
}

// TestEventSocketOptions: the event_socket key reaches every connection
// from FreeSWITCH. A 16 MB event used to be accepted (esl's default is
// FreeSWITCH's own 16 MiB maximum); the daemon's frames are now bounded by
// max_frame_bytes, its queues by max_queued_bytes, its waits by the
// deadlines, and probe_after: 0s means never.
func TestEventSocketOptions(t *testing.T) {
	for _, tc := range []struct {
		config string
		want   esl.ConnOptions
	}{
		{"", esl.ConnOptions{
			Limits:         esl.Limits{MaxHeaderBytes: 1 << 20, MaxBodyBytes: 1 << 20},
			MaxQueuedBytes: 4 << 20, ReplyTimeout: 5 * time.Second, APITimeout: 2 * time.Minute, ProbeAfter: 30 * time.Second,
		}},
		{"event_socket: {reply_timeout: 2s, api_timeout: 30s, probe_after: 0s, max_frame_bytes: 256KiB, max_queued_bytes: 512KiB}\n", esl.ConnOptions{
			Limits:         esl.Limits{MaxHeaderBytes: 256 << 10, MaxBodyBytes: 256 << 10},
			MaxQueuedBytes: 512 << 10, ReplyTimeout: 2 * time.Second, APITimeout: 30 * time.Second, ProbeAfter: -1,
		}},
	} {
		c := mustParseConfig(t, tc.config+minimalApps)
		if got := connOptions(c.EventSocket, nil); got != tc.want {
			t.Errorf("config %q: connOptions = %+v, want %+v", tc.config, got, tc.want)
		}
	}
	c := mustParseConfig(t, "event_socket: {reply_timeout: 2s}\n"+minimalApps)
	if restart := config.RestartOnly(mustParseConfig(t, minimalApps), c); !slices.Contains(restart, "event_socket") {
		t.Errorf("RestartOnly() = %q, want event_socket among the keys that need a restart", restart)
	}
}

// minimalApps makes a config valid.
const minimalApps = "apps:\n  a: {url: http://127.0.0.1:8000/ivr}\n"

// mustParseConfig parses data as config.yaml with no environment and fails
// the test on any error.
func mustParseConfig(t *testing.T, data string) *config.Config {
	t.Helper()
	c, err := config.Parse("config.yaml", []byte(data), noEnv)
	if err != nil {
		t.Fatalf("config.Parse(%q) error:\n%v", data, err)
	}
	return c
}
