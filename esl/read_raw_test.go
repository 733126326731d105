//go:build unix

package esl

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"os"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// The socket reader (rawSource) must read every stream as the bufio one
// does: the parser tables (read_test.go, parse_test.go) run through it too,
// over real TCP, by this entry in their readers table.
func init() {
	readers = append(readers, struct {
		name string
		wrap func(io.Reader) io.Reader
	}{"tcp", tcpWrap})
}

var (
	tcpOnce sync.Once
	tcpLn   net.Listener
	tcpErr  error
)

// tcpWrap returns the client end of a loopback TCP connection whose server
// end has written all of r and closed. (Test inputs are small: the
// socket's buffers hold them, so writing first cannot block.)
func tcpWrap(r io.Reader) io.Reader {
	tcpOnce.Do(func() { tcpLn, tcpErr = net.Listen("tcp", "127.0.0.1:0") })
	if tcpErr != nil {
		return iotestErr{tcpErr}
	}
	data, err := io.ReadAll(r)
	if err != nil {
		return iotestErr{err}
	}
	client, err := net.Dial("tcp", tcpLn.Addr().String())
	if err != nil {
		return iotestErr{err}
	}
	server, err := tcpLn.Accept()
	if err != nil {
		client.Close()
		return iotestErr{err}
	}
	defer server.Close()
	if _, err := server.Write(data); err != nil {
		client.Close()
		return iotestErr{err}
	}
	return client
}

// iotestErr is a reader that fails: a setup error shows as a test failure.
type iotestErr struct{ err error }

func (r iotestErr) Read([]byte) (int, error) { return 0, r.err }

// tcpPair returns both ends of a loopback TCP connection, closed at the
// end of the test.
func tcpPair(t *testing.T) (client, server *net.TCPConn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	s, err := ln.Accept()
	if err != nil {
		c.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close(); s.Close() })
	return c.(*net.TCPConn), s.(*net.TCPConn)
}

// rawOf returns r's socket source; the test fails if r reads another way.
func rawOf(t *testing.T, r *Reader) *rawSource {
	t.Helper()
	s, ok := r.br.(*rawSource)
	if !ok {
		t.Fatalf("a Reader over a *net.TCPConn reads through %T, want *rawSource", r.br)
	}
	return s
}

// readCounter counts the bytes a rawSource has read, and lets a test wait
// until it has read a given total (it then waits on the socket for more).
type readCounter struct {
	total   atomic.Int64
	changed chan struct{}
}

func countReads(s *rawSource) *readCounter {
	rc := &readCounter{changed: make(chan struct{}, 1)}
	s.onRead = func(n int) {
		rc.total.Add(int64(n))
		select {
		case rc.changed <- struct{}{}:
		default:
		}
	}
	return rc
}

// waitFor waits until total bytes have been read, or the deadline passes.
func (rc *readCounter) waitFor(t *testing.T, total int64) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for rc.total.Load() < total {
		select {
		case <-rc.changed:
		case <-deadline:
			t.Fatalf("reader read %d bytes, want %d", rc.total.Load(), total)
		}
	}
}

// rawTestStream is a few frames of every shape: a reply, an event with an
// inner body, an api response whose body has blank lines, a notice.
var rawTestStream = "Content-Type: command/reply\nReply-Text: +OK\n\n" +
	plainEventFrame("Event-Name: CHANNEL_EXECUTE_COMPLETE\nUnique-ID: u1\nApplication-UUID: a1\nContent-Length: 5\n\nhello") +
	"Content-Type: api/response\r\nContent-Length: 7\r\n\r\n+OK\n\n\nx" +
	"\n\nContent-Type: text/disconnect-notice\nContent-Length: 0\n\n"

// plainEventFrame frames body as FreeSWITCH frames a text/event-plain event.
func plainEventFrame(body string) string {
	return "Content-Length: " + itoa(len(body)) + "\nContent-Type: text/event-plain\n\n" + body
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	for ; n > 0; n /= 10 {
		b = append([]byte{byte('0' + n%10)}, b...)
	}
	return string(b)
}

// wantFrames reads data with the bufio reader: what the socket reader
// must return.
func wantFrames(t *testing.T, data string) []string {
	t.Helper()
	frames, _, err := readAllFrames(NewReader(strings.NewReader(data), Limits{}))
	if err != io.EOF {
		t.Fatalf("reading the test stream: %v", err)
	}
	var dumps []string
	for _, f := range frames {
		dumps = append(dumps, dumpFrame(f))
	}
	return dumps
}

// TestRawReadSplitAtEveryByte: the stream arrives in two pieces, split at
// every byte (frames cut in their header line, at the blank line, in the
// body), and the reader has read the whole first piece and waits for the
// socket before the second is written. Every frame must come out whole.
func TestRawReadSplitAtEveryByte(t *testing.T) {
	client, server := tcpPair(t)
	r := NewReader(client, Limits{})
	rc := countReads(rawOf(t, r))
	want := wantFrames(t, rawTestStream)

	type result struct {
		dump string
		n    int
		err  error
	}
	results := make(chan result)
	go func() {
		defer close(results)
		for {
			f, n, err := r.ReadFrame()
			if err != nil {
				results <- result{err: err, n: n}
				return
			}
			results <- result{dump: dumpFrame(f), n: n}
		}
	}()

	var read int64
	for k := 0; k <= len(rawTestStream); k++ {
		if _, err := server.Write([]byte(rawTestStream[:k])); err != nil {
			t.Fatal(err)
		}
		rc.waitFor(t, read+int64(k))
		if _, err := server.Write([]byte(rawTestStream[k:])); err != nil {
			t.Fatal(err)
		}
		size := 0
		for i, w := range want {
			res := <-results
			if res.err != nil {
				t.Fatalf("split at %d: frame %d: error %v", k, i, res.err)
			}
			if res.dump != w {
				t.Fatalf("split at %d: frame %d = %s, want %s", k, i, res.dump, w)
			}
			size += res.n
		}
		if size != len(rawTestStream) {
			t.Fatalf("split at %d: sizes add up to %d, want %d", k, size, len(rawTestStream))
		}
		read += int64(len(rawTestStream))
	}
	server.CloseWrite()
	if res := <-results; res.err != io.EOF {
		t.Fatalf("after the last frame: error %v, want io.EOF", res.err)
	}
	if s := rawOf(t, r); s.buf != nil {
		t.Errorf("the reader holds a %d-byte buffer at the end of the stream", len(s.buf))
	}
}

// TestRawReadSeveralFramesPerRead: frames waiting on the socket together
// come in with one read(2), and the Conn's reader makes the same frames
// and events of them as the bufio one.
func TestRawReadSeveralFramesPerRead(t *testing.T) {
	for _, c := range captures {
		t.Run(c.name, func(t *testing.T) {
			raw := readTestdata(t, c.name+".fs.raw")
			want := NewReader(bytes.NewReader(raw), Limits{})
			client, server := tcpPair(t)
			got := NewReader(client, Limits{})
			var reads []int
			rawOf(t, got).onRead = func(n int) { reads = append(reads, n) }
			go func() {
				// Written from another goroutine: a capture may be more
				// than the socket buffers hold.
				server.Write(raw)
				server.CloseWrite()
			}()
			frames := 0
			for {
				wf, wev, wn, werr := want.readPlainOrFrame()
				gf, gev, gn, gerr := got.readPlainOrFrame()
				if wn != gn || (werr == nil) != (gerr == nil) {
					t.Fatalf("frame %d: %d bytes, error %v; bufio read %d bytes, error %v", frames, gn, gerr, wn, werr)
				}
				if werr != nil {
					if werr != io.EOF || gerr != io.EOF {
						t.Fatalf("frame %d: error %v, bufio's %v", frames, gerr, werr)
					}
					break
				}
				if !reflect.DeepEqual(wf, gf) {
					t.Fatalf("frame %d: %+v, bufio's %+v", frames, gf, wf)
				}
				if (wev == nil) != (gev == nil) || wev != nil && !reflect.DeepEqual(wev.AllHeaders(), gev.AllHeaders()) || wev != nil && !bytes.Equal(wev.Body, gev.Body) {
					t.Fatalf("frame %d: event %+v, bufio's %+v", frames, gev, wev)
				}
				frames++
			}
			if frames != c.frames {
				t.Errorf("read %d frames, want %d", frames, c.frames)
			}
			if len(reads) >= frames {
				t.Errorf("%d reads for %d frames (sizes %v), want fewer reads than frames", len(reads), frames, reads)
			}
		})
	}
}

// TestRawReadLargerThanBuffer: a header line and a body each larger than
// the pooled buffer are assembled from several reads.
func TestRawReadLargerThanBuffer(t *testing.T) {
	long := strings.Repeat("v", 2*rawBufferSize+17)
	body := strings.Repeat("b", 5*rawBufferSize+3)
	stream := "Content-Type: command/reply\nReply-Text: " + long + "\n\n" +
		"Content-Type: api/response\nContent-Length: " + itoa(len(body)) + "\n\n" + body +
		plainEventFrame("Event-Name: X\nVariable-Long: "+long+"\nContent-Length: 3\n\nend")
	client, server := tcpPair(t)
	go func() {
		server.Write([]byte(stream))
		server.CloseWrite()
	}()
	r := NewReader(client, Limits{})
	rawOf(t, r)
	got, size, err := readAllFrames(r)
	if err != io.EOF {
		t.Fatalf("error %v after %d frames, want io.EOF", err, len(got))
	}
	want := wantFrames(t, stream)
	if len(got) != len(want) || size != len(stream) {
		t.Fatalf("%d frames of %d bytes, want %d of %d", len(got), size, len(want), len(stream))
	}
	for i := range got {
		if dumpFrame(got[i]) != want[i] {
			t.Errorf("frame %d differs from the bufio reader's", i)
		}
	}
}

// TestRawReadEOFMidFrame: the stream ending inside a frame is
// io.ErrUnexpectedEOF wherever it ends.
func TestRawReadEOFMidFrame(t *testing.T) {
	frame := plainEventFrame("Event-Name: X\nContent-Length: 3\n\nabc")
	for _, cut := range []int{1, strings.Index(frame, "\n\n") + 1, strings.Index(frame, "\n\n") + 2, len(frame) - 1} {
		client, server := tcpPair(t)
		server.Write([]byte(frame[:cut]))
		server.CloseWrite()
		r := NewReader(client, Limits{})
		if _, _, err := r.ReadFrame(); err != io.ErrUnexpectedEOF {
			t.Errorf("cut at %d: error %v, want io.ErrUnexpectedEOF", cut, err)
		}
	}
}

// TestRawReadDeadline: a read deadline ends a read waiting on the socket,
// mid-frame or between frames, with the error net.Conn.Read gives, and a
// reader with nothing buffered holds no buffer.
func TestRawReadDeadline(t *testing.T) {
	for _, partial := range []string{"", "Content-Type: command/re"} {
		client, server := tcpPair(t)
		r := NewReader(client, Limits{})
		rc := countReads(rawOf(t, r))
		server.Write([]byte("Content-Type: command/reply\nReply-Text: +OK\n\n" + partial))
		if _, _, err := r.ReadFrame(); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() {
			_, _, err := r.ReadFrame()
			done <- err
		}()
		// The reader has everything written: it waits on the socket now
		// (or is about to), and the deadline must wake it.
		rc.waitFor(t, int64(len("Content-Type: command/reply\nReply-Text: +OK\n\n")+len(partial)))
		client.SetReadDeadline(time.Now())
		var err error
		select {
		case err = <-done:
		case <-time.After(10 * time.Second):
			t.Fatal("ReadFrame still blocked after its deadline")
		}
		var oe *net.OpError
		var ne net.Error
		if !errors.Is(err, os.ErrDeadlineExceeded) || !errors.As(err, &ne) || !ne.Timeout() || !errors.As(err, &oe) || oe.Op != "read" {
			t.Errorf("partial %q: error %#v, want a read *net.OpError that is a timeout", partial, err)
		}
		if s := rawOf(t, r); (s.buf != nil) != (partial != "") {
			t.Errorf("partial %q: reader holds a buffer: %v", partial, s.buf != nil)
		}
	}
}

// TestRawReadClose: closing the socket ends a read waiting on it.
func TestRawReadClose(t *testing.T) {
	client, server := tcpPair(t)
	r := NewReader(client, Limits{})
	rc := countReads(rawOf(t, r))
	server.Write([]byte("Content-Length: 10\n\nabc"))
	done := make(chan error, 1)
	go func() {
		_, _, err := r.ReadFrame()
		done <- err
	}()
	rc.waitFor(t, 23)
	client.Close()
	select {
	case err := <-done:
		if !errors.Is(err, net.ErrClosed) {
			t.Errorf("error %v, want net.ErrClosed", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("ReadFrame still blocked after Close")
	}
}

// TestConnOverTCPReadsRaw: a Conn reads a *net.TCPConn through the socket
// reader.
func TestConnOverTCPReadsRaw(t *testing.T) {
	client, server := tcpPair(t)
	c := NewConn(client, ConnOptions{})
	defer func() {
		c.Close()
		<-c.Done()
	}()
	rawOf(t, c.r)
	server.Write([]byte(plainEventFrame("Event-Name: CHANNEL_ANSWER\nUnique-ID: u\n\n")))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ev, err := c.NextEvent(ctx)
	if err != nil || ev.Name() != "CHANNEL_ANSWER" {
		t.Errorf("NextEvent() = %v, %v; want CHANNEL_ANSWER", ev, err)
	}
}

// TestRawReadReset: a reset connection reads as the same error through
// both paths: a "read" *net.OpError wrapping ECONNRESET, the same text.
func TestRawReadReset(t *testing.T) {
	reset := func(wrap func(net.Conn) io.Reader) (error, string) {
		client, server := tcpPair(t)
		server.SetLinger(0)
		server.Close()
		_, _, err := NewReader(wrap(client), Limits{}).ReadFrame()
		want := "read tcp " + client.LocalAddr().String() + "->" + client.RemoteAddr().String() + ": read: connection reset by peer"
		return err, want
	}
	for _, path := range []struct {
		name string
		wrap func(net.Conn) io.Reader
	}{
		{"raw", func(c net.Conn) io.Reader { return c }},
		{"bufio", func(c net.Conn) io.Reader { return &countingConn{Conn: c} }},
	} {
		err, want := reset(path.wrap)
		var oe *net.OpError
		if !errors.Is(err, syscall.ECONNRESET) || !errors.As(err, &oe) || oe.Op != "read" || err.Error() != want {
			t.Errorf("%s: error %v, want %q", path.name, err, want)
		}
	}
}
