package esl

import (
	"context"
	"net"
	"runtime"
	"testing"
)

// BenchmarkHeldConn measures what an idle Conn costs while a call is held:
// heapB/conn is the live heap of a Conn (its reader, read buffer, queues,
// the peer side's net.Conn included) after it read and handed out one real
// event (the first CHANNEL_EXECUTE_COMPLETE of menu-call, 2827 bytes) and
// went back to waiting for the next frame; stackB/conn is the stack of its
// reader goroutine, parked in read(2). Each iteration holds heldConns
// Conns over loopback TCP and measures after a GC.
func BenchmarkHeldConn(b *testing.B) {
	const heldConns = 500
	frame := captureEventFrame(b, "menu-call", EventChannelExecuteComplete)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer ln.Close()
	var heap, stack float64
	b.ReportAllocs()
	for b.Loop() {
		runtime.GC()
		var before runtime.MemStats
		runtime.ReadMemStats(&before)
		conns := make([]*Conn, 0, heldConns)
		peers := make([]net.Conn, 0, heldConns)
		for range heldConns {
			peer, err := net.Dial("tcp", ln.Addr().String())
			if err != nil {
				b.Fatal(err)
			}
			nc, err := ln.Accept()
			if err != nil {
				b.Fatal(err)
			}
			c := NewConn(nc, ConnOptions{})
			if _, err := peer.Write(frame); err != nil {
				b.Fatal(err)
			}
			if _, err := c.NextEvent(context.Background()); err != nil {
				b.Fatal(err)
			}
			conns, peers = append(conns, c), append(peers, peer)
		}
		runtime.GC()
		var after runtime.MemStats
		runtime.ReadMemStats(&after)
		heap += float64(after.HeapAlloc) - float64(before.HeapAlloc)
		stack += float64(after.StackInuse) - float64(before.StackInuse)
		for i, c := range conns {
			c.Close()
			<-c.Done()
			peers[i].Close()
		}
	}
	n := float64(b.N) * heldConns
	b.ReportMetric(heap/n, "heapB/conn")
	b.ReportMetric(stack/n, "stackB/conn")
}
