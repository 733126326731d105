package main

import (
	"runtime/debug"
	"testing"
)

// TestPaceGC: serve paces the collector from serveGCPercent up unless GOGC
// is set, which then decides; stopping the pacing sets serveGCPercent.
func TestPaceGC(t *testing.T) {
	old := debug.SetGCPercent(100)
	t.Cleanup(func() { debug.SetGCPercent(old) })

	stop := paceGC(func(string) (string, bool) { return "", false })
	if got := debug.SetGCPercent(serveGCPercent); got < serveGCPercent {
		t.Errorf("without GOGC: GC percent %d, want at least %d", got, serveGCPercent)
	}
	stop()
	if got := debug.SetGCPercent(100); got != serveGCPercent {
		t.Errorf("after stop: GC percent %d, want %d", got, serveGCPercent)
	}
	stop = paceGC(func(k string) (string, bool) { return "50", k == "GOGC" })
	stop()
	if got := debug.SetGCPercent(100); got != 100 {
		t.Errorf("with GOGC set: GC percent changed to %d", got)
	}
}
