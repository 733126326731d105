package esl

import (
	"context"
	"errors"
	"net"
	"net/netip"
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

// Server accepts FreeSWITCH's outbound socket connections.
type Server struct {
	Handler        Handler
	ACL            []netip.Prefix // peers allowed; empty allows all
	MaxConns       int            // 0 = no cap; over it a call is refused (connect, resume, exit)
	ConnectTimeout time.Duration  // for the connect reply (default 5s)
	Conn           ConnOptions
	ErrorLog       Logger
	// Refused, if set, is told about each connection refused (reason "acl" or "max_conns").
	Refused func(addr net.Addr, reason string)
}

func (s *Server) Serve(l net.Listener) error         { panic("unimplemented") }
func (s *Server) ListenAndServe(addr string) error   { panic("unimplemented") }
func (s *Server) Shutdown(ctx context.Context) error { panic("unimplemented") }
func (s *Server) Close() error                       { panic("unimplemented") }

// Dial connects to FreeSWITCH's inbound event socket (port 8021) and
// authenticates; a refused password is ErrAuth.
func Dial(ctx context.Context, addr, password string, o ConnOptions) (*Conn, error) {
	panic("unimplemented")
}
