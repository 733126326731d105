package gcpace

import (
	"runtime"
	"runtime/debug"
	"testing"
	"time"
)

func TestPercent(t *testing.T) {
	const mib = 1 << 20
	for _, c := range []struct {
		name              string
		scanned, headroom uint64
		percent, want     int
	}{
		{"nothing measured yet", 0, 64 * mib, 150, 150},
		{"small heap: the headroom decides", 2 * mib, 64 * mib, 150, 3200},
		{"not a whole multiple", 3 * mib, 64 * mib, 150, 2133},
		{"large heap: the percentage decides", 100 * mib, 64 * mib, 150, 150},
		{"where they meet", 64 * mib * 100 / 150, 64 * mib, 150, 150},
		{"a few bytes: bounded", 10, 64 * mib, 150, maxPercent},
		{"no headroom", 2 * mib, 0, 100, 100},
		{"huge headroom does not overflow", 1 << 50, 1 << 62, 100, 4096 * 100},
	} {
		if got := Percent(c.scanned, c.headroom, c.percent); got != c.want {
			t.Errorf("%s: Percent(%d, %d, %d) = %d, want %d", c.name, c.scanned, c.headroom, c.percent, got, c.want)
		}
	}
}

// TestPacerFollowsCycles: after a collection the pacer raises the
// percentage to give a small heap the headroom, and Stop puts the given
// percentage back.
func TestPacerFollowsCycles(t *testing.T) {
	old := debug.SetGCPercent(100)
	t.Cleanup(func() { debug.SetGCPercent(old) })

	const percent, headroom = 150, 1 << 40 // far more than this test's heap
	adjusted := make(chan int, 16)
	p := start(percent, headroom, func(set int) {
		select {
		case adjusted <- set:
		default:
		}
	})
	if got := debug.SetGCPercent(percent); got != percent {
		t.Fatalf("Start set %d, want %d", got, percent)
	}
	deadline := time.After(10 * time.Second)
	for raised := false; !raised; {
		runtime.GC() // the marker made by Start is garbage: its cleanup runs after this cycle
		select {
		case set := <-adjusted:
			if set <= percent {
				t.Fatalf("after a cycle the pacer set %d, want more than %d for a heap far below the headroom", set, percent)
			}
			raised = true
		case <-deadline:
			t.Fatal("no adjustment after 10 s of collections")
		case <-time.After(100 * time.Millisecond):
			// The cleanup goroutine had not run yet: collect again.
		}
	}
	got := debug.SetGCPercent(p.Current())
	if want := p.Current(); got != want {
		t.Errorf("the runtime's percentage is %d, the pacer says it set %d", got, want)
	}
	p.Stop()
	if got := debug.SetGCPercent(percent); got != percent {
		t.Errorf("after Stop the percentage is %d, want %d", got, percent)
	}
}
