package esl

import (
	"context"
	"errors"
	"net"
	"os"
	"strings"
	"testing"
)

// tcpConn returns a Conn over a loopback TCP connection with small socket
// buffers, so a command of of 64 KiB fills them, and the peer's end.
func tcpConn(t *testing.T, o ConnOptions) (*Conn, *fsPeer) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		nc, err := l.Accept()
		if err != nil {
			close(accepted)
			return
		}
		accepted <- nc
	}()
	nc, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	peer, ok := <-accepted
	if !ok {
		t.Fatal("accept failed")
	}
	if err := nc.(*net.TCPConn).SetWriteBuffer(4096); err != nil {
		t.Fatal(err)
	}
	if err := peer.(*net.TCPConn).SetReadBuffer(4096); err != nil {
		t.Fatal(err)
	}
	c := NewConn(nc, o)
	t.Cleanup(func() {
		c.Close()
		<-c.Done()
	})
	if rawWrites && c.raw.rc == nil {
		t.Fatal("a TCP Conn does not write through its RawConn")
	}
	return c, newFSPeer(t, peer)
}

// blockedWrites tells when a raw write of c found the socket full.
func blockedWrites(t *testing.T, c *Conn) <-chan struct{} {
	t.Helper()
	if !rawWrites {
		t.Skip("writes go through net.Conn.Write on this platform")
	}
	ch := make(chan struct{}, 1)
	testHookWriteBlocked = func(w *Conn) {
		if w == c {
			select {
			case ch <- struct{}{}:
			default:
			}
		}
	}
	t.Cleanup(func() { testHookWriteBlocked = nil })
	return ch
}

// bigCommand is a command far larger than the test sockets' buffers.
var bigCommand = Command{Line: "sendevent CUSTOM", Body: []byte(strings.Repeat("x", 64<<10))}

// waitBlocked waits for a raw write to find the socket full.
func waitBlocked(t *testing.T, blocked <-chan struct{}, r *result[*Frame]) {
	t.Helper()
	select {
	case <-blocked:
	case <-r.ch:
		t.Fatalf("Send() returned before its write blocked: %v", r.e)
	}
}

// TestRawWriteCutByContext: on a socket, a write that waits for room is
// cut short when its context ends, and the half-written stream ends the
// connection.
func TestRawWriteCutByContext(t *testing.T) {
	c, _ := tcpConn(t, ConnOptions{})
	blocked := blockedWrites(t, c)
	ctx, cancel := context.WithCancel(t.Context())
	r := goCall(func() (*Frame, error) { return c.Send(ctx, bigCommand) })
	waitBlocked(t, blocked, r)
	cancel()
	if _, err := r.wait(t); !errors.Is(err, context.Canceled) {
		t.Fatalf("Send() with a stuck write error = %v, want context.Canceled", err)
	}
	waitDone(t, c)
}

// TestRawWriteBoundedByWriteTimeout: with a context that never ends, a
// write that waits for room ends at WriteTimeout.
func TestRawWriteBoundedByWriteTimeout(t *testing.T) {
	c, _ := tcpConn(t, ConnOptions{WriteTimeout: 50e6})
	blocked := blockedWrites(t, c)
	r := goCall(func() (*Frame, error) { return c.Send(context.Background(), bigCommand) })
	waitBlocked(t, blocked, r)
	if _, err := r.wait(t); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("Send() with a stuck write error = %v, want os.ErrDeadlineExceeded", err)
	}
	waitDone(t, c)
}

// TestRawWriteWaitsThenGoesOn: a write that waited for room completes once
// the peer reads; its context's watch is disarmed with it, so that
// context's end later cuts nothing, and the next writes, with another
// context, go out whole.
func TestRawWriteWaitsThenGoesOn(t *testing.T) {
	// Small socket buffers make the transfer slow: the replies are not
	// the subject here.
	c, p := tcpConn(t, ConnOptions{ReplyTimeout: -1})
	blocked := blockedWrites(t, c)
	ctx, cancel := context.WithCancel(t.Context())
	r := goCall(func() (*Frame, error) { return c.Send(ctx, bigCommand) })
	waitBlocked(t, blocked, r)
	if pc := p.expect("sendevent CUSTOM"); len(pc.Body) != len(bigCommand.Body) {
		t.Fatalf("peer read a body of %d bytes, want %d", len(pc.Body), len(bigCommand.Body))
	}
	p.write(replyFrame("+OK"))
	if _, err := r.wait(t); err != nil {
		t.Fatalf("Send() of a write that waited for room: %v", err)
	}
	cancel()

	// Another big write, with another context, waits and completes too.
	r = goCall(func() (*Frame, error) { return c.Send(t.Context(), bigCommand) })
	waitBlocked(t, blocked, r)
	p.expect("sendevent CUSTOM")
	p.write(replyFrame("+OK"))
	if _, err := r.wait(t); err != nil {
		t.Fatalf("second big Send(): %v", err)
	}
	r = goCall(func() (*Frame, error) { return c.Send(t.Context(), Command{Line: "getvar a"}) })
	p.expect("getvar a")
	p.write(replyFrame("value-a"))
	wantReply(t, r, "getvar a", "value-a")
	if err := c.Err(); err != nil {
		t.Fatalf("connection ended: %v", err)
	}
}
