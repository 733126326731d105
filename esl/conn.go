package esl

import (
	"context"
	"errors"
	"io"
	"net"
	"time"
)

// Errors of a connection.
var (
	ErrClosed        = errors.New("esl: connection closed")
	ErrDisconnected  = errors.New("esl: disconnected by FreeSWITCH")
	ErrQueueOverflow = errors.New("esl: event queue overflow")
	ErrAuth          = errors.New("esl: authentication failed")
)

// ReplyError is a well-formed "-ERR" answer to a command: the connection is
// still usable.
type ReplyError struct {
	Command string // the command line
	Text    string // the reply, "-ERR ..."
}

func (e *ReplyError) Error() string { return "esl: " + e.Command + ": " + e.Text }

// Direction tells which way a frame went.
type Direction int

const (
	Received Direction = iota
	Sent
)

// FrameCounter is told about every frame a Conn reads or writes. It must be
// safe for concurrent use and must not block.
type FrameCounter interface {
	CountFrame(dir Direction, contentType string, bytes int)
}

// ConnOptions configure a Conn. Zero values take documented defaults.
type ConnOptions struct {
	Limits          Limits
	MaxQueuedEvents int           // events waiting for NextEvent (default 10000); more is ErrQueueOverflow
	WriteTimeout    time.Duration // per write (default 10s)
	Counter         FrameCounter  // optional
	Trace           io.Writer     // optional raw tee of both directions
	Outbound        bool          // the peer is FreeSWITCH's socket app (first reply is connect's)
}

// Conn is one event socket connection. See the package doc for its rules.
type Conn struct{}

// NewConn starts the connection's reader goroutine over nc.
func NewConn(nc net.Conn, o ConnOptions) *Conn { panic("unimplemented") }

// Connect sends connect (outbound) and returns the channel data.
func (c *Conn) Connect(ctx context.Context) (*Event, error) { panic("unimplemented") }

// Channel returns the channel data from the connect reply (nil before it).
func (c *Conn) Channel() *Event { panic("unimplemented") }

// Send writes cmd and waits for its reply (command/reply or api/response).
// A "-ERR" reply is returned with a *ReplyError.
func (c *Conn) Send(ctx context.Context, cmd Command) (*Frame, error) { panic("unimplemented") }

// API runs api cmd and returns its body.
func (c *Conn) API(ctx context.Context, cmd string) (string, error) { panic("unimplemented") }

// BgAPI runs bgapi cmd and waits for its BACKGROUND_JOB.
func (c *Conn) BgAPI(ctx context.Context, cmd string) (*Event, error) { panic("unimplemented") }

// Execute runs app with a fresh Event-UUID and event-lock and waits for its
// CHANNEL_EXECUTE_COMPLETE.
func (c *Conn) Execute(ctx context.Context, app, arg string, o ExecuteOptions) (*Event, error) {
	panic("unimplemented")
}

// NextEvent returns the next event in arrival order.
func (c *Conn) NextEvent(ctx context.Context) (*Event, error) { panic("unimplemented") }

// Exit sends exit and waits for the final disconnect notice or EOF.
func (c *Conn) Exit(ctx context.Context) error { panic("unimplemented") }

// Done is closed when the connection has ended.
func (c *Conn) Done() <-chan struct{} { panic("unimplemented") }

// Err returns why the connection ended (nil while it is up).
func (c *Conn) Err() error { panic("unimplemented") }

// Close closes the connection; safe from any goroutine, any number of times.
func (c *Conn) Close() error { panic("unimplemented") }

// RemoteAddr returns the peer's address.
func (c *Conn) RemoteAddr() net.Addr { panic("unimplemented") }
