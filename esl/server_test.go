package esl

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/callhook/callhook/internal/testlog"
)

// refusal is one call of Server.Refused.
type refusal struct {
	addr   net.Addr
	reason string
}

// serveTest runs s on a fresh listener (network "tcp", address addr) and
// returns the address to dial. The Server is closed at the end of the test
// and Serve must then have returned ErrServerClosed.
func serveTest(t *testing.T, s *Server, addr string) string {
	t.Helper()
	l, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	errc := make(chan error, 1)
	go func() { errc <- s.Serve(l) }()
	t.Cleanup(func() {
		s.Close()
		select {
		case err := <-errc:
			if err != ErrServerClosed {
				t.Errorf("Serve() = %v, want ErrServerClosed", err)
			}
		case <-time.After(peerGuard):
			t.Errorf("Serve() did not return after Close")
		}
		// Shutdown after Close waits for every connection goroutine,
		// so none outlives the test.
		if err := s.Shutdown(context.Background()); err != nil {
			t.Errorf("Shutdown() after Close = %v", err)
		}
	})
	return l.Addr().String()
}

// dialFS plays FreeSWITCH's socket app: it dials the Server.
func dialFS(t *testing.T, addr string) *fsPeer {
	t.Helper()
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	return newFSPeer(t, nc)
}

// answerConnect answers the Server's connect.
func (p *fsPeer) answerConnect(uuid string) {
	p.t.Helper()
	p.expect("connect")
	p.write(connectFrame(uuid))
}

// recv waits for a value from ch, with the failure guard.
func recv[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(peerGuard):
		t.Fatalf("no %s within %v", what, peerGuard)
		var zero T
		return zero
	}
}

func TestServerServesCall(t *testing.T) {
	channels := make(chan string, 1)
	s := &Server{Handler: HandlerFunc(func(ctx context.Context, c *Conn) {
		channels <- c.Channel().UniqueID()
		if _, err := c.Send(ctx, Command{Line: "myevents"}); err != nil {
			t.Errorf("Send(myevents) error = %v", err)
		}
	})}
	p := dialFS(t, serveTest(t, s, "127.0.0.1:0"))
	p.answerConnect(testChannelUUID)
	if got := recv(t, channels, "handler call"); got != testChannelUUID {
		t.Errorf("handler Channel().UniqueID() = %q, want %q", got, testChannelUUID)
	}
	p.expect("myevents")
	p.write(replyFrame("+OK Events Enabled"))
	p.expectEOF() // the handler returned: the Server closes the connection
}

func TestServerIPv6(t *testing.T) {
	if l, err := net.Listen("tcp", "[::1]:0"); err != nil {
		t.Skipf("no IPv6 loopback: %v", err)
	} else {
		l.Close()
	}
	called := make(chan struct{}, 1)
	s := &Server{
		Handler: HandlerFunc(func(ctx context.Context, c *Conn) { called <- struct{}{} }),
		ACL:     []netip.Prefix{netip.MustParsePrefix("::1/128")},
	}
	p := dialFS(t, serveTest(t, s, "[::1]:0"))
	p.answerConnect(testChannelUUID)
	recv(t, called, "handler call")
	p.expectEOF()
}

func TestServerACLRefusesBeforeReading(t *testing.T) {
	refused := make(chan refusal, 1)
	var log testlog.Buffer
	s := &Server{
		Handler:  HandlerFunc(func(ctx context.Context, c *Conn) { t.Errorf("handler called for a peer outside the ACL") }),
		ACL:      []netip.Prefix{netip.MustParsePrefix("::1/128")},
		Refused:  func(addr net.Addr, reason string) { refused <- refusal{addr, reason} },
		ErrorLog: &log,
	}
	p := dialFS(t, serveTest(t, s, "127.0.0.1:0"))
	p.expectEOF() // closed without a single command
	r := recv(t, refused, "refusal")
	if r.reason != RefusedACL || !strings.HasPrefix(r.addr.String(), "127.0.0.1:") {
		t.Errorf("Refused(%v, %q), want a 127.0.0.1 peer and %q", r.addr, r.reason, RefusedACL)
	}
	if !strings.Contains(log.String(), "ACL") {
		t.Errorf("log = %q, want the ACL refusal", log.String())
	}
}

func TestServerACLMatching(t *testing.T) {
	s := &Server{ACL: []netip.Prefix{
		netip.MustParsePrefix("127.0.0.0/8"),
		netip.MustParsePrefix("::1/128"),
	}}
	tests := []struct {
		addr net.Addr
		want bool
	}{
		{&net.TCPAddr{IP: net.ParseIP("127.0.0.1"), Port: 1}, true},
		{&net.TCPAddr{IP: net.ParseIP("::ffff:127.0.0.2"), Port: 1}, true}, // IPv4-mapped
		{&net.TCPAddr{IP: net.ParseIP("::1"), Port: 1}, true},
		{&net.TCPAddr{IP: net.ParseIP("10.0.0.1"), Port: 1}, false},
		{&net.TCPAddr{IP: net.ParseIP("::2"), Port: 1}, false},
		{&net.UnixAddr{Name: "/tmp/sock", Net: "unix"}, false}, // unreadable peer, ACL set
	}
	for _, tc := range tests {
		t.Run(tc.addr.String(), func(t *testing.T) {
			if got := s.allowed(tc.addr); got != tc.want {
				t.Errorf("allowed(%v) = %v, want %v", tc.addr, got, tc.want)
			}
		})
	}
	if open := (&Server{}); !open.allowed(&net.TCPAddr{IP: net.ParseIP("192.0.2.1")}) {
		t.Errorf("allowed() with no ACL = false, want true")
	}
}

func TestServerMaxConnsRefusesPolitely(t *testing.T) {
	started := make(chan struct{}, 2)
	release := make(chan struct{})
	refused := make(chan refusal, 1)
	s := &Server{
		Handler: HandlerFunc(func(ctx context.Context, c *Conn) {
			started <- struct{}{}
			<-release
		}),
		MaxConns: 1,
		Refused:  func(addr net.Addr, reason string) { refused <- refusal{addr, reason} },
		ErrorLog: &testlog.Buffer{},
	}
	addr := serveTest(t, s, "127.0.0.1:0")
	first := dialFS(t, addr)
	first.answerConnect(testChannelUUID)
	recv(t, started, "first handler")

	second := dialFS(t, addr)
	second.answerConnect(otherUUID)
	second.expect("resume")
	second.write(replyFrame("+OK"))
	second.expect("exit")
	second.write(replyFrame("+OK bye"), finalFrame(otherUUID))
	second.nc.Close()
	if r := recv(t, refused, "refusal"); r.reason != RefusedMaxConns {
		t.Errorf("Refused reason = %q, want %q", r.reason, RefusedMaxConns)
	}

	close(release)
	first.expectEOF()
	// The place is free again.
	third := dialFS(t, addr)
	third.answerConnect(testChannelUUID)
	recv(t, started, "third handler")
	third.expectEOF()
}

func TestServerRecoversHandlerPanic(t *testing.T) {
	var calls atomic.Int32
	var log testlog.Buffer
	s := &Server{
		Handler: HandlerFunc(func(ctx context.Context, c *Conn) {
			if calls.Add(1) == 1 {
				panic("handler bug")
			}
		}),
		ErrorLog: &log,
	}
	addr := serveTest(t, s, "127.0.0.1:0")
	p := dialFS(t, addr)
	p.answerConnect(testChannelUUID)
	p.expectEOF()
	if got := log.String(); !strings.Contains(got, "panic") || !strings.Contains(got, "handler bug") || !strings.Contains(got, "goroutine") {
		t.Errorf("log = %q, want the panic and its stack", got)
	}
	p = dialFS(t, addr)
	p.answerConnect(testChannelUUID)
	p.expectEOF()
	if n := calls.Load(); n != 2 {
		t.Errorf("handler called %d times, want 2 (the server kept serving)", n)
	}
}

func TestServerShutdownWaitsForHandlers(t *testing.T) {
	started := make(chan struct{}, 1)
	release := make(chan struct{})
	s := &Server{Handler: HandlerFunc(func(ctx context.Context, c *Conn) {
		started <- struct{}{}
		<-release
	})}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	serveErr := make(chan error, 1)
	go func() { serveErr <- s.Serve(l) }()
	p := dialFS(t, l.Addr().String())
	p.answerConnect(testChannelUUID)
	recv(t, started, "handler")

	shut := goCall(func() (struct{}, error) { return struct{}{}, s.Shutdown(t.Context()) })
	if err := recv(t, serveErr, "Serve return"); err != ErrServerClosed {
		t.Fatalf("Serve() after Shutdown = %v, want ErrServerClosed", err)
	}
	if shut.returned() {
		t.Fatalf("Shutdown() returned while a handler was running")
	}
	expired, cancel := context.WithCancel(t.Context())
	cancel()
	if err := s.Shutdown(expired); !errors.Is(err, context.Canceled) {
		t.Errorf("Shutdown(cancelled ctx) = %v, want context.Canceled", err)
	}
	if _, err := net.Dial("tcp", l.Addr().String()); !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("Dial after Shutdown error = %v, want connection refused", err)
	}
	close(release)
	if _, err := shut.wait(t); err != nil {
		t.Errorf("Shutdown() = %v, want nil", err)
	}
	p.expectEOF()
	if err := s.Serve(l); err != ErrServerClosed {
		t.Errorf("Serve() after Shutdown = %v, want ErrServerClosed", err)
	}
}

func TestServerCloseEndsConnections(t *testing.T) {
	started := make(chan struct{}, 1)
	ended := make(chan error, 1)
	s := &Server{Handler: HandlerFunc(func(ctx context.Context, c *Conn) {
		started <- struct{}{}
		<-ctx.Done()
		ended <- ctx.Err()
	})}
	p := dialFS(t, serveTest(t, s, "127.0.0.1:0"))
	p.answerConnect(testChannelUUID)
	recv(t, started, "handler start")
	if err := s.Close(); err != nil {
		t.Errorf("Close() = %v", err)
	}
	if err := recv(t, ended, "handler end"); !errors.Is(err, context.Canceled) {
		t.Errorf("handler ctx.Err() = %v, want context.Canceled", err)
	}
	p.expectEOF()
}

func TestServerHandlerContextEndsWithConnection(t *testing.T) {
	ended := make(chan error, 1)
	s := &Server{Handler: HandlerFunc(func(ctx context.Context, c *Conn) {
		<-ctx.Done()
		ended <- c.Err()
	})}
	p := dialFS(t, serveTest(t, s, "127.0.0.1:0"))
	p.answerConnect(testChannelUUID)
	p.write(finalFrame(testChannelUUID))
	p.nc.Close()
	if err := recv(t, ended, "handler end"); err != ErrDisconnected {
		t.Errorf("Conn.Err() when the handler ctx ended = %v, want ErrDisconnected", err)
	}
}

func TestServerConnectTimeout(t *testing.T) {
	var log testlog.Buffer
	s := &Server{
		Handler:        HandlerFunc(func(ctx context.Context, c *Conn) { t.Errorf("handler called without a connect reply") }),
		ConnectTimeout: time.Millisecond, // short only to keep the test fast; nothing races it
		ErrorLog:       &log,
	}
	p := dialFS(t, serveTest(t, s, "127.0.0.1:0"))
	p.expect("connect")
	p.expectEOF()
	if got := log.String(); !strings.Contains(got, "deadline exceeded") {
		t.Errorf("log = %q, want the connect timeout", got)
	}
}

// flakyListener fails its first Accept with a temporary error.
type flakyListener struct {
	net.Listener
	failed atomic.Bool
}

type temporaryError struct{}

func (temporaryError) Error() string   { return "accept: too many open files" }
func (temporaryError) Temporary() bool { return true }
func (temporaryError) Timeout() bool   { return false }

func (l *flakyListener) Accept() (net.Conn, error) {
	if l.failed.CompareAndSwap(false, true) {
		return nil, temporaryError{}
	}
	return l.Listener.Accept()
}

func TestServerRetriesTemporaryAcceptErrors(t *testing.T) {
	called := make(chan struct{}, 1)
	var log testlog.Buffer
	s := &Server{
		Handler:  HandlerFunc(func(ctx context.Context, c *Conn) { called <- struct{}{} }),
		ErrorLog: &log,
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	serveErr := make(chan error, 1)
	go func() { serveErr <- s.Serve(&flakyListener{Listener: l}) }()
	p := dialFS(t, l.Addr().String())
	p.answerConnect(testChannelUUID)
	recv(t, called, "handler call")
	p.expectEOF()
	s.Close()
	if err := recv(t, serveErr, "Serve return"); err != ErrServerClosed {
		t.Errorf("Serve() = %v, want ErrServerClosed", err)
	}
	if err := s.Shutdown(t.Context()); err != nil {
		t.Errorf("Shutdown() = %v", err)
	}
	if !strings.Contains(log.String(), "too many open files") {
		t.Errorf("log = %q, want the temporary accept error", log.String())
	}
}

func TestListenAndServe(t *testing.T) {
	s := &Server{Handler: HandlerFunc(func(ctx context.Context, c *Conn) {})}
	if err := s.ListenAndServe("256.0.0.1:0"); err == nil || err == ErrServerClosed {
		t.Errorf("ListenAndServe(bad address) = %v, want a listen error", err)
	}
	s.Close()
	if err := s.ListenAndServe("127.0.0.1:0"); err != ErrServerClosed {
		t.Errorf("ListenAndServe() after Close = %v, want ErrServerClosed", err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if err := (&Server{}).Serve(l); err == nil || err == ErrServerClosed {
		t.Errorf("Serve() without a Handler = %v, want an error", err)
	}
}

// TestServerACLRefusalLogIsRateLimited: 500 connections from outside the
// ACL made 1,000 log lines in 10 ms. Now the first refusal is logged and
// the rest are counted into one line per interval (here: at Close); the
// Refused hook still hears of each.
func TestServerACLRefusalLogIsRateLimited(t *testing.T) {
	const peers = 50
	refused := make(chan refusal, peers)
	var log testlog.Buffer
	s := &Server{
		Handler:        HandlerFunc(func(ctx context.Context, c *Conn) { t.Errorf("handler called for a peer outside the ACL") }),
		ACL:            []netip.Prefix{netip.MustParsePrefix("::1/128")},
		Refused:        func(addr net.Addr, reason string) { refused <- refusal{addr, reason} },
		ErrorLog:       &log,
		ACLLogInterval: time.Hour,
	}
	addr := serveTest(t, s, "127.0.0.1:0")
	for range peers {
		dialFS(t, addr).expectEOF()
	}
	for range peers {
		recv(t, refused, "refusal")
	}
	if got := strings.Count(log.String(), "\n"); got != 1 {
		t.Errorf("%d refusals logged %d lines before the interval ended, want 1:\n%s", peers, got, log.String())
	}
	s.Close()
	lines := strings.Split(strings.TrimSpace(log.String()), "\n")
	if len(lines) != 2 || !strings.Contains(lines[0], "not in the ACL") ||
		!strings.Contains(lines[1], "refused 49 more connections not in the ACL") {
		t.Errorf("log after Close =\n%s\nwant the first refusal, then a count of the other 49", log.String())
	}
}
