//go:build unix

package esl

import (
	"bytes"
	"io"
	"net"
	"testing"
	"time"
)

// FuzzRawReaderSplits reads data through a loopback TCP socket (rawSource)
// delivered in pieces of sizes drawn from the input, each piece written only
// once the reader has read the one before (so every read(2) ends where a
// piece does: frames cut anywhere, the pooled buffer given back and taken
// again between pieces), and compares what comes out with the bufio
// reader's frames, sizes and errors. The frames and events are compared
// only after the whole stream is read: one that aliased a pooled buffer
// (reused for the later pieces) would show changed bytes.
func FuzzRawReaderSplits(f *testing.F) {
	addFrameSeeds(f)
	f.Add([]byte(rawTestStream))
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) == 0 {
			return
		}
		type result struct {
			dump string
			n    int
			err  string
		}
		readAll := func(r *Reader, plain bool) (kept []func() string, res []result) {
			for {
				var f *Frame
				var ev *Event
				var n int
				var err error
				if plain {
					f, ev, n, err = r.readPlainOrFrame()
				} else {
					f, n, err = r.ReadFrame()
				}
				rs := result{n: n}
				if err != nil {
					rs.err = err.Error()
				}
				switch {
				case f != nil:
					kept = append(kept, func() string { return dumpFrame(f) })
				case ev != nil:
					kept = append(kept, func() string { return dumpEvent(ev) })
				}
				res = append(res, rs)
				if err != nil {
					return kept, res
				}
			}
		}
		for _, plain := range []bool{false, true} {
			wantKept, wantRes := readAll(NewReader(bytes.NewReader(data), fuzzLimits), plain)
			var want []string
			for _, k := range wantKept {
				want = append(want, k())
			}

			client, server := tcpPairF(t)
			r := NewReader(client, fuzzLimits)
			rc := countReads(rawOf(t, r))
			done := make(chan struct{})
			go func() {
				defer server.Close()
				sent, i := 0, 0
				for sent < len(data) {
					// Piece sizes from the input itself: 1 to 64 bytes,
					// then what is left once every byte has picked one.
					k := len(data) - sent
					if i < len(data) {
						k = min(k, int(data[i])%64+1)
						i++
					}
					if _, err := server.Write(data[sent : sent+k]); err != nil {
						return
					}
					sent += k
					// Wait until the reader has read it all (or stopped).
					for rc.total.Load() < int64(sent) {
						select {
						case <-rc.changed:
						case <-done:
							return
						case <-time.After(10 * time.Second):
							return
						}
					}
				}
			}()
			gotKept, gotRes := readAll(r, plain)
			close(done)
			client.Close()
			if len(gotRes) != len(wantRes) {
				t.Fatalf("plain=%v: %d results, want %d: %+v vs %+v", plain, len(gotRes), len(wantRes), gotRes, wantRes)
			}
			for i := range gotRes {
				if gotRes[i] != wantRes[i] {
					t.Fatalf("plain=%v: result %d: %+v, want %+v", plain, i, gotRes[i], wantRes[i])
				}
			}
			for i, k := range gotKept {
				if got := k(); got != want[i] {
					t.Fatalf("plain=%v: frame %d changed after the stream was read:\n%q\nwant\n%q", plain, i, got, want[i])
				}
			}
		}
	})
}

// tcpPairF is tcpPair for a fuzz target's many runs: one listener.
func tcpPairF(t *testing.T) (client, server io.ReadWriteCloser) {
	t.Helper()
	tcpOnce.Do(func() { tcpLn, tcpErr = net.Listen("tcp", "127.0.0.1:0") })
	if tcpErr != nil {
		t.Fatal(tcpErr)
	}
	c, err := net.Dial("tcp", tcpLn.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	s, err := tcpLn.Accept()
	if err != nil {
		c.Close()
		t.Fatal(err)
	}
	return c, s
}
