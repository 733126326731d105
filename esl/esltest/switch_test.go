package esltest

import (
	"strings"
	"testing"
)

// statusSessions returns the "N session(s) since startup" and "N
// session(s) - peak" counts of an api status reply.
func statusSessions(t *testing.T, d *daemon) (since, live string) {
	t.Helper()
	body := string(d.cmd("api status").Body)
	for _, line := range strings.Split(body, "\n") {
		switch {
		case strings.HasSuffix(line, " session(s) since startup"):
			since = strings.Fields(line)[0]
		case strings.Contains(line, " session(s) - peak"):
			live = strings.Fields(line)[0]
		}
	}
	if since == "" || live == "" {
		t.Fatalf("api status = %q, want its session lines", body)
	}
	return since, live
}

// TestSwitchCountsItsOwnCalls: api status counts the calls of the
// simulated switch asking, not every simulator in the process (parallel
// tests and the load generator each see their own calls).
func TestSwitchCountsItsOwnCalls(t *testing.T) {
	sw := NewSwitch()
	_, d1 := start(t, Options{Switch: sw})
	d1.cmd("connect")
	_, d2 := start(t, Options{Switch: sw})
	d2.cmd("connect")
	_, alone := start(t, Options{})
	alone.cmd("connect")

	// session_id counts in twos: a channel and its loopback A leg.
	if since, live := statusSessions(t, d2); since != "4" || live != "2" {
		t.Errorf("a shared switch's status: %s since startup, %s up; want 4 and 2", since, live)
	}
	if got := sw.Live(); got != 2 {
		t.Errorf("Live() = %d, want 2", got)
	}
	if since, live := statusSessions(t, alone); since != "2" || live != "1" {
		t.Errorf("a call's own switch's status: %s since startup, %s up; want 2 and 1", since, live)
	}
}
