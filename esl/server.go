package esl

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net"
	"net/netip"
	"runtime/debug"
	"sync"
	"time"
)

// ErrServerClosed is returned by Serve after Shutdown or Close.
var ErrServerClosed = errors.New("esl: Server closed")

// Handler serves one outbound connection; the Conn is already connected
// (Channel() holds the channel data). ctx ends when the connection does.
type Handler interface {
	ServeESL(ctx context.Context, c *Conn)
}

// HandlerFunc adapts a function to Handler.
type HandlerFunc func(ctx context.Context, c *Conn)

// ServeESL calls f(ctx, c).
func (f HandlerFunc) ServeESL(ctx context.Context, c *Conn) { f(ctx, c) }

// Logger is the one-method logger esl writes to (*log.Logger and
// *logrus.Entry fit).
type Logger interface {
	Printf(format string, args ...any)
}

// DefaultConnectTimeout bounds the wait for the connect reply.
const DefaultConnectTimeout = 5 * time.Second

// Refusal reasons passed to Server.Refused.
const (
	RefusedACL      = "acl"
	RefusedMaxConns = "max_conns"
)

// Server accepts FreeSWITCH's outbound socket connections. The zero value
// is ready to use once Handler is set; a Server must not be copied after
// first use.
//
// For each connection, the peer is checked against ACL before a byte is
// read; over MaxConns the call is refused politely, handed back to the
// dialplan (Conn.HandBack: connect, then resume and exit in async mode, exit
// alone in static mode, so the dialplan goes on); otherwise the Server sends connect and runs the
// Handler with a ctx that ends with the connection (or Close). A panic in a
// Handler ends that connection only. When the Handler returns, the Server
// closes the connection.
type Server struct {
	Handler        Handler
	ACL            []netip.Prefix // peers allowed; empty allows all
	MaxConns       int            // 0 = no cap; over it a call is handed back to the dialplan (Conn.HandBack)
	ConnectTimeout time.Duration  // for the connect reply (default 5s)
	Conn           ConnOptions
	ErrorLog       Logger
	// Refused, if set, is told about each connection refused (reason "acl" or "max_conns").
	Refused func(addr net.Addr, reason string)
	// ACLLogInterval bounds the log lines of ACL refusals (default 10s): the
	// first refusal is logged at once, later ones only counted, and one line
	// per interval says how many there were. Refused still hears of each.
	ACLLogInterval time.Duration

	mu        sync.Mutex
	listeners map[net.Listener]struct{}
	conns     map[*Conn]struct{}
	active    int // connections counted against MaxConns
	closing   bool
	base      context.Context // parent of handler contexts; cancelled by Close
	cancel    context.CancelFunc
	stop      chan struct{} // closed on Shutdown/Close: wakes accept backoff
	wg        sync.WaitGroup
	aclLog    refusalLog
}

// initLocked sets up the zero Server.
func (s *Server) initLocked() {
	if s.listeners != nil {
		return
	}
	s.listeners = make(map[net.Listener]struct{})
	s.conns = make(map[*Conn]struct{})
	s.base, s.cancel = context.WithCancel(context.Background())
	s.stop = make(chan struct{})
}

// ListenAndServe listens on the TCP address addr (IPv4 or IPv6, such as
// "127.0.0.1:8084" or "[::1]:8084"; ":8084" when empty) and calls Serve.
func (s *Server) ListenAndServe(addr string) error {
	if addr == "" {
		addr = ":8084"
	}
	s.mu.Lock()
	closing := s.closing
	s.mu.Unlock()
	if closing {
		return ErrServerClosed
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("esl: listen: %w", err)
	}
	return s.Serve(l)
}

// Serve accepts connections on l, each served in its own goroutine, until
// Shutdown or Close (then it returns ErrServerClosed) or a permanent accept
// error. Serve closes l before it returns.
func (s *Server) Serve(l net.Listener) error {
	if s.Handler == nil {
		l.Close()
		return errors.New("esl: Server.Handler is nil")
	}
	s.mu.Lock()
	s.initLocked()
	if s.closing {
		s.mu.Unlock()
		l.Close()
		return ErrServerClosed
	}
	s.listeners[l] = struct{}{}
	stop := s.stop
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.listeners, l)
		s.mu.Unlock()
		l.Close()
	}()

	var backoff time.Duration
	for {
		nc, err := l.Accept()
		if err != nil {
			if s.isClosing() {
				return ErrServerClosed
			}
			var te interface{ Temporary() bool }
			if errors.As(err, &te) && te.Temporary() {
				// Too many open files and the like: wait a little,
				// as net/http does, instead of spinning.
				backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
				s.logf("esl: accept error: %v; retrying in %v", err, backoff)
				t := time.NewTimer(backoff)
				select {
				case <-t.C:
				case <-stop:
					t.Stop()
				}
				continue
			}
			return fmt.Errorf("esl: accept: %w", err)
		}
		backoff = 0
		// Checked and counted under the lock that Shutdown takes before
		// it waits, so no connection is added to a WaitGroup being waited on.
		s.mu.Lock()
		if s.closing {
			s.mu.Unlock()
			nc.Close()
			return ErrServerClosed
		}
		s.wg.Go(func() { s.serveConn(nc) })
		s.mu.Unlock()
	}
}

// Shutdown stops accepting and waits for the live connections' handlers to
// return, up to ctx; like net/http, it does not cancel them (Close does).
func (s *Server) Shutdown(ctx context.Context) error {
	s.beginClose()
	idle := make(chan struct{})
	go func() {
		s.wg.Wait()
		close(idle)
	}()
	select {
	case <-idle:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("esl: shutdown: %w", ctx.Err())
	}
}

// Close stops accepting and closes every live connection at once; their
// handler contexts are cancelled. It does not wait for handlers to return.
func (s *Server) Close() error {
	err := s.beginClose()
	s.mu.Lock()
	s.cancel()
	conns := make([]*Conn, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
	}
	s.mu.Unlock()
	for _, c := range conns {
		c.Close()
	}
	return err
}

// beginClose marks the Server closing and closes its listeners.
func (s *Server) beginClose() error {
	s.aclLog.flush(s)
	s.mu.Lock()
	s.initLocked()
	if !s.closing {
		s.closing = true
		close(s.stop)
	}
	ls := make([]net.Listener, 0, len(s.listeners))
	for l := range s.listeners {
		ls = append(ls, l)
	}
	s.mu.Unlock()
	var err error
	for _, l := range ls {
		if cerr := l.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("esl: close listener: %w", cerr)
		}
	}
	return err
}

func (s *Server) isClosing() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closing
}

// serveConn runs one connection from the ACL check to the handler's end.
func (s *Server) serveConn(nc net.Conn) {
	addr := nc.RemoteAddr()
	if !s.allowed(addr) {
		nc.Close()
		s.aclLog.refused(s, addr)
		s.refused(addr, RefusedACL)
		return
	}
	o := s.Conn
	o.Outbound = true
	c := NewConn(nc, o)
	full, ok := s.track(c)
	defer func() {
		// The MaxConns place is given back before the peer sees the
		// close, so a call that follows this one finds it free.
		if ok {
			s.untrack(c, !full)
		}
		c.Close()
		<-c.Done()
	}()
	if !ok {
		return
	}

	ctx, cancel := context.WithCancel(s.base)
	defer cancel()
	stopWatch := context.AfterFunc(c.lifetime(), cancel)
	defer stopWatch()

	if full {
		s.refuse(ctx, c)
		return
	}
	cctx, ccancel := context.WithTimeout(ctx, s.connectTimeout())
	_, err := c.Connect(cctx)
	ccancel()
	if err != nil {
		s.logf("esl: %v: %v", addr, err)
		return
	}
	s.runHandler(ctx, c)
}

// runHandler calls the Handler, containing a panic to this connection.
func (s *Server) runHandler(ctx context.Context, c *Conn) {
	defer func() {
		if r := recover(); r != nil {
			s.logf("esl: panic serving %v: %v\n%s", c.RemoteAddr(), r, debug.Stack())
		}
	}()
	s.Handler.ServeESL(ctx, c)
}

// refuse turns a call away over MaxConns without leaving it parked or
// stranded: connect (FreeSWITCH requires it first), then HandBack, which
// picks resume+exit or exit alone by the socket's mode.
func (s *Server) refuse(ctx context.Context, c *Conn) {
	addr := c.RemoteAddr()
	s.logf("esl: refused %v: MaxConns (%d) reached", addr, s.MaxConns)
	s.refused(addr, RefusedMaxConns)
	ctx, cancel := context.WithTimeout(ctx, s.connectTimeout())
	defer cancel()
	if _, err := c.Connect(ctx); err != nil {
		s.logf("esl: refusing %v: %v", addr, err)
		return
	}
	if err := c.HandBack(ctx); err != nil {
		s.logf("esl: refusing %v: %v", addr, err)
	}
}

// track registers a live connection. full reports that it is over
// MaxConns; ok is false once the Server is closing.
func (s *Server) track(c *Conn) (full, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.initLocked()
	if s.base.Err() != nil {
		return false, false
	}
	s.conns[c] = struct{}{}
	if s.MaxConns > 0 && s.active >= s.MaxConns {
		return true, true
	}
	s.active++
	return false, true
}

// untrack forgets a connection; counted says whether it held a MaxConns place.
func (s *Server) untrack(c *Conn, counted bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.conns[c]; !ok {
		return
	}
	delete(s.conns, c)
	if counted {
		s.active--
	}
}

// allowed checks a peer against ACL. An IPv4-mapped IPv6 address is
// unmapped first, so 10.0.0.0/8 matches ::ffff:10.1.2.3. A peer whose
// address cannot be read is refused when there is an ACL.
func (s *Server) allowed(addr net.Addr) bool {
	if len(s.ACL) == 0 {
		return true
	}
	var ip netip.Addr
	switch a := addr.(type) {
	case *net.TCPAddr:
		ip = a.AddrPort().Addr()
	default:
		ap, err := netip.ParseAddrPort(addr.String())
		if err != nil {
			return false
		}
		ip = ap.Addr()
	}
	ip = ip.Unmap()
	for _, p := range s.ACL {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

func (s *Server) connectTimeout() time.Duration {
	if s.ConnectTimeout > 0 {
		return s.ConnectTimeout
	}
	return DefaultConnectTimeout
}

func (s *Server) refused(addr net.Addr, reason string) {
	if s.Refused != nil {
		s.Refused(addr, reason)
	}
}

func (s *Server) logf(format string, args ...any) {
	if s.ErrorLog != nil {
		s.ErrorLog.Printf(format, args...)
		return
	}
	log.Printf(format, args...)
}
