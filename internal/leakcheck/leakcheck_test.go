package leakcheck

import (
	"slices"
	"strings"
	"testing"
	"time"
)

func TestMain(m *testing.M) { Main(m) }

func TestPackage(t *testing.T) {
	for fn, want := range map[string]string{
		"github.com/callhook/callhook/esl.(*Conn).readLoop":    "github.com/callhook/callhook/esl",
		"github.com/callhook/callhook/esl/esltest.(*Call).run": "github.com/callhook/callhook/esl/esltest",
		"main.runServe.func1":                                  "main",
		"net/http.(*conn).serve":                               "net/http",
		"runtime.gopark":                                       "runtime",
	} {
		if got := Package(fn); got != want {
			t.Errorf("Package(%q) = %q, want %q", fn, got, want)
		}
	}
}

// parked blocks until stop is closed; its name is what Running looks for.
func parked(started chan<- struct{}, stop <-chan struct{}) {
	close(started)
	<-stop
}

func TestRunningSeesAGoroutineUntilItEnds(t *testing.T) {
	started, stop, done := make(chan struct{}), make(chan struct{}), make(chan struct{})
	go func() { parked(started, stop); close(done) }()
	<-started
	const self = Module + "/internal/leakcheck"
	left := Running(self)
	if len(left) != 1 || !strings.Contains(left[0], "leakcheck.parked") {
		t.Fatalf("Running(%q) = %q, want the one parked goroutine", self, left)
	}
	var fns []string
	for _, g := range Goroutines() {
		if g.Runs(self) {
			fns = g.Functions
		}
	}
	if !slices.Contains(fns, self+".parked") {
		t.Errorf("functions of the parked goroutine = %q, want %s.parked among them", fns, self)
	}
	if n := Count(func(f string) bool { return f == self+".parked" }); n != 1 {
		t.Errorf("Count(parked) = %d, want 1", n)
	}
	if got := Running("github.com/nobody"); len(got) != 0 {
		t.Errorf("Running of another module = %q, want none", got)
	}
	close(stop)
	<-done
	if left := Wait(10*time.Second, self); len(left) != 0 {
		t.Errorf("after the goroutine ended, Wait = %q, want none", left)
	}
}
