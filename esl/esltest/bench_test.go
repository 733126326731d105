package esltest

import (
	"context"
	"io"
	"net"
	"runtime"
	"testing"

	"github.com/callhook/callhook/esl"
)

// benchScript is a whole short call, pipelined: connect, myevents, linger,
// answer, a 1 s playback, hangup (the events: 13 frames and the notices).
var benchScript = "connect\n\nmyevents\n\nlinger 1\n\n" + execute("answer", "") +
	execute("playback", "/sounds/hello.wav") + hangupCmd

// benchDaemon accepts calls and plays benchScript on each, draining
// everything the simulator writes.
func benchDaemon(b *testing.B) string {
	b.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { ln.Close() })
	go func() {
		for {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer nc.Close()
				if _, err := io.WriteString(nc, benchScript); err != nil {
					return
				}
				_, _ = io.Copy(io.Discard, nc)
			}()
		}
	}()
	return ln.Addr().String()
}

// BenchmarkCall measures one whole simulated call (dial to close) as the
// load generator runs them: DiscardHistory, media at Speed 1e6.
func BenchmarkCall(b *testing.B) {
	addr := benchDaemon(b)
	o := Options{Speed: 1e6, DiscardHistory: true}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		c, err := Dial(ctx, addr, o)
		if err != nil {
			b.Fatal(err)
		}
		r, err := c.Wait(ctx)
		if err != nil || r.Outcome != HungUp {
			b.Fatalf("call ended %v, %v", r, err)
		}
	}
}

// BenchmarkCallParallel runs calls concurrently (GOMAXPROCS × -cpu).
func BenchmarkCallParallel(b *testing.B) {
	addr := benchDaemon(b)
	o := Options{Speed: 1e6, DiscardHistory: true}
	ctx := context.Background()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			c, err := Dial(ctx, addr, o)
			if err != nil {
				b.Error(err)
				return
			}
			if _, err := c.Wait(ctx); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkIdleCallMemory reports the heap and goroutines one connected,
// idle call holds (connect and myevents done, the channel parked), the
// figure that bounds how many concurrent calls the load generator can hold.
func BenchmarkIdleCallMemory(b *testing.B) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer ln.Close()
	const calls = 500
	conns := make(chan net.Conn, calls)
	go func() {
		for {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			conns <- nc
		}
	}()
	ctx := context.Background()
	for b.Loop() {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		g0 := runtime.NumGoroutine()
		sims := make([]*Call, 0, calls)
		daemons := make([]net.Conn, 0, calls)
		for range calls {
			c, err := Dial(ctx, ln.Addr().String(), Options{DiscardHistory: true, Park: ParkImmediately})
			if err != nil {
				b.Fatal(err)
			}
			nc := <-conns
			if _, err := io.WriteString(nc, "connect\n\nmyevents\n\n"); err != nil {
				b.Fatal(err)
			}
			sims, daemons = append(sims, c), append(daemons, nc)
		}
		for _, nc := range daemons {
			r := esl.NewReader(nc, esl.Limits{})
			for range 2 { // connect reply, myevents reply (CHANNEL_PARK came before myevents)
				if _, _, err := r.ReadFrame(); err != nil {
					b.Fatal(err)
				}
			}
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(after.HeapInuse-before.HeapInuse)/calls, "heap-B/call")
		b.ReportMetric(float64(runtime.NumGoroutine()-g0)/calls, "goroutines/call")
		for i, c := range sims {
			daemons[i].Close()
			c.Close()
		}
	}
}
