package esl

import (
	"bufio"
	"bytes"
	"context"
	"math"
	"net"
	"os"
	"path/filepath"
	"testing"
)

// captureEventFrame returns the raw bytes of the first captured event named
// name in testdata/<capture>.fs.raw.
func captureEventFrame(b *testing.B, capture, name string) []byte {
	b.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", capture+".fs.raw"))
	if err != nil {
		b.Fatal(err)
	}
	r := NewReader(bytes.NewReader(raw), Limits{})
	for off := 0; ; {
		f, n, err := r.ReadFrame()
		if err != nil {
			b.Fatalf("no %s event in %s: %v", name, capture, err)
		}
		if f.ContentType() == TypeEventPlain {
			if ev, err := ParseEvent(f); err == nil && ev.Name() == name {
				return raw[off : off+n]
			}
		}
		off += n
	}
}

// BenchmarkConnEvents measures one real event (the first
// CHANNEL_EXECUTE_COMPLETE of menu-call: 2827 bytes, 80 headers) going
// through a Conn: read, parse, queue, NextEvent.
func BenchmarkConnEvents(b *testing.B) {
	frame := captureEventFrame(b, "menu-call", EventChannelExecuteComplete)
	a, peer := net.Pipe()
	c := NewConn(a, ConnOptions{MaxQueuedEvents: math.MaxInt, MaxQueuedBytes: math.MaxInt})
	defer func() {
		c.Close()
		<-c.Done()
	}()
	n := b.N
	wrote := make(chan error, 1)
	go func() {
		defer peer.Close()
		w := bufio.NewWriterSize(peer, 64<<10)
		for range n {
			if _, err := w.Write(frame); err != nil {
				wrote <- err
				return
			}
		}
		wrote <- w.Flush()
	}()
	b.SetBytes(int64(len(frame)))
	b.ReportAllocs()
	b.ResetTimer()
	for range n {
		if _, err := c.NextEvent(context.Background()); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	if err := <-wrote; err != nil {
		b.Fatal(err)
	}
}

// BenchmarkConnSend measures a command round trip (Send to reply) over a
// net.Pipe with a peer that answers at once: inbound, where every reply
// has a deadline, and outbound after connect, where each reply also moves
// the silence probe on.
func BenchmarkConnSend(b *testing.B) {
	b.Run("inbound", func(b *testing.B) { benchmarkSend(b, false, context.Background()) })
	b.Run("outbound", func(b *testing.B) { benchmarkSend(b, true, context.Background()) })
	// As a session sends: every command with its call's context, which
	// can end (and then cuts a stuck write short).
	b.Run("outbound_call_context", func(b *testing.B) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		benchmarkSend(b, true, ctx)
	})
}

func benchmarkSend(b *testing.B, outbound bool, ctx context.Context) {
	a, peer := net.Pipe()
	c := NewConn(a, ConnOptions{Outbound: outbound})
	defer func() {
		c.Close()
		<-c.Done()
	}()
	served := make(chan struct{})
	go func() {
		defer close(served)
		defer peer.Close()
		r := NewReader(peer, Limits{})
		reply := []byte(replyFrame("+OK"))
		if outbound {
			if _, _, err := r.ReadCommand(); err != nil {
				return
			}
			if _, err := peer.Write([]byte(connectFrame(testChannelUUID))); err != nil {
				return
			}
		}
		for {
			if _, _, err := r.ReadCommand(); err != nil {
				return
			}
			if _, err := peer.Write(reply); err != nil {
				return
			}
		}
	}()
	if outbound {
		if _, err := c.Connect(ctx); err != nil {
			b.Fatal(err)
		}
	}
	cmd := Command{Line: "getvar x"}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Send(ctx, cmd); err != nil {
			b.Fatal(err)
		}
	}
	c.Close()
	<-served
}
