package esl_test

import (
	"slices"
	"sync"
	"testing"

	"github.com/callhook/callhook/esl"
)

// Counters must satisfy the interface a Conn reports frames to.
var _ esl.FrameCounter = (*esl.Counters)(nil)

func TestDirectionString(t *testing.T) {
	tests := []struct {
		d    esl.Direction
		want string
	}{
		{esl.Received, "received"},
		{esl.Sent, "sent"},
		{esl.Direction(7), "Direction(7)"},
	}
	for _, tc := range tests {
		if got := tc.d.String(); got != tc.want {
			t.Errorf("Direction(%d).String() = %q, want %q", int(tc.d), got, tc.want)
		}
	}
}

// TestCountersBuckets checks which bucket each content type lands in, and
// the snapshot's order: received before sent, fixed content-type order.
func TestCountersBuckets(t *testing.T) {
	var c esl.Counters
	if got := c.Snapshot(); len(got) != 0 {
		t.Fatalf("zero Counters Snapshot() = %+v, want empty", got)
	}
	c.CountFrame(esl.Sent, "", 10)
	c.CountFrame(esl.Received, esl.TypeEventPlain, 100)
	c.CountFrame(esl.Received, "Text/Event-Plain", 50)
	c.CountFrame(esl.Received, esl.TypeCommandReply, 30)
	c.CountFrame(esl.Received, "text/x-surprise", 7)
	c.CountFrame(esl.Received, "application/also-unknown", 3)
	c.CountFrame(esl.Sent, esl.CounterCommand, 20)
	c.CountFrame(esl.Sent, "", -4)
	c.CountFrame(esl.Direction(9), esl.TypeEventPlain, 1000)
	want := []esl.CounterSample{
		{Dir: esl.Received, ContentType: esl.TypeCommandReply, Frames: 1, Bytes: 30},
		{Dir: esl.Received, ContentType: esl.TypeEventPlain, Frames: 2, Bytes: 150},
		{Dir: esl.Received, ContentType: esl.CounterOther, Frames: 2, Bytes: 10},
		{Dir: esl.Sent, ContentType: esl.CounterCommand, Frames: 1, Bytes: 20},
		{Dir: esl.Sent, ContentType: esl.CounterNone, Frames: 2, Bytes: 10},
	}
	if got := c.Snapshot(); !slices.Equal(got, want) {
		t.Errorf("Snapshot() = %+v, want %+v", got, want)
	}
}

// TestCountersConcurrent counts from many goroutines at once (run with
// -race) and expects exact totals.
func TestCountersConcurrent(t *testing.T) {
	const workers, perWorker = 16, 2000
	types := []string{esl.TypeEventPlain, esl.TypeCommandReply, "", "x/unknown"}
	var c esl.Counters
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range perWorker {
				dir := esl.Direction((w + i) % 2)
				c.CountFrame(dir, types[i%len(types)], 3)
				if i%100 == 0 {
					c.Snapshot()
				}
			}
		})
	}
	wg.Wait()
	var frames, bytes uint64
	for _, s := range c.Snapshot() {
		frames += s.Frames
		bytes += s.Bytes
	}
	if frames != workers*perWorker || bytes != 3*workers*perWorker {
		t.Errorf("after %d frames of 3 bytes: Snapshot() totals %d frames, %d bytes", workers*perWorker, frames, bytes)
	}
}

// BenchmarkCountFrame measures the per-frame cost a Conn pays, from many
// goroutines at once as on a busy server.
func BenchmarkCountFrame(b *testing.B) {
	var c esl.Counters
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			c.CountFrame(esl.Received, esl.TypeEventPlain, 1200)
		}
	})
}
