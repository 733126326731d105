package main

import (
	"context"
	"testing"
	"time"

	"github.com/callhook/callhook/esl/esltest"
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
	// The traced callhook ran with the default linger (30s).
	e := startCallhook(t, 30*time.Second)
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	if err := esltest.ReplayTrace(ctx, e.Addr, tr, esltest.ReplayOptions{}); err != nil {
		t.Fatal(err)
	}
	e.Idle()
}
