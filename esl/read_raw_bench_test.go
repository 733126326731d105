//go:build unix

package esl

import (
	"net"
	"runtime"
	"testing"
)

// countingConn hides a *net.TCPConn behind a Read of its own (so a Reader
// takes the bufio path, as before the socket path) and counts the reads.
type countingConn struct {
	net.Conn
	reads int
}

func (c *countingConn) Read(p []byte) (int, error) {
	c.reads++
	return c.Conn.Read(p)
}

// BenchmarkReadTCP: the Conn's reader (readPlainOrFrame) on a real call's
// frames (the menu-call capture, over and over) arriving over loopback TCP,
// through the socket path ("raw") and through the bufio path it replaced
// ("bufio"). reads/frame counts the read(2) calls that returned data.
func BenchmarkReadTCP(b *testing.B) {
	raw := readTestdata(b, "menu-call.fs.raw")
	for _, path := range []string{"raw", "bufio"} {
		b.Run(path, func(b *testing.B) {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				b.Fatal(err)
			}
			defer ln.Close()
			client, err := net.Dial("tcp", ln.Addr().String())
			if err != nil {
				b.Fatal(err)
			}
			defer client.Close()
			server, err := ln.Accept()
			if err != nil {
				b.Fatal(err)
			}
			written := make(chan struct{})
			go func() {
				defer close(written)
				for {
					if _, err := server.Write(raw); err != nil {
						return
					}
				}
			}()
			defer func() {
				server.Close()
				<-written
			}()
			var r *Reader
			reads := func() int { return 0 }
			if path == "raw" {
				r = NewReader(client, Limits{})
				n := 0
				r.br.(*rawSource).onRead = func(int) { n++ }
				reads = func() int { return n }
			} else {
				cc := &countingConn{Conn: client}
				r = NewReader(cc, Limits{})
				reads = func() int { return cc.reads }
			}
			b.SetBytes(int64(len(raw)) / 26) // the capture has 26 frames
			b.ReportAllocs()
			// The reader's own CPU time: the writer's is not in it, nor
			// what other work on the machine takes of the wall clock.
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			cpu := threadCPU()
			frames := 0
			for b.Loop() {
				if _, _, _, err := r.readPlainOrFrame(); err != nil {
					b.Fatal(err)
				}
				frames++
			}
			b.ReportMetric(float64(threadCPU()-cpu)/float64(frames), "cpu-ns/frame")
			b.ReportMetric(float64(reads())/float64(frames), "reads/frame")
		})
	}
}
