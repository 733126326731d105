package esl

import (
	"context"
	"errors"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// Errors of a connection.
var (
	ErrClosed        = errors.New("esl: connection closed")
	ErrDisconnected  = errors.New("esl: disconnected by FreeSWITCH")
	ErrQueueOverflow = errors.New("esl: event queue overflow")
	ErrAuth          = errors.New("esl: authentication failed")
	// ErrNoReply ends a connection whose peer did not answer a command (or
	// a silence probe) in time: a FreeSWITCH that does not answer is gone or
	// stuck, and a reply that came later would be out of step anyway.
	ErrNoReply = errors.New("esl: no reply from FreeSWITCH in time")
)

// ReplyError is a well-formed "-ERR" answer to a command: the connection is
// still usable.
type ReplyError struct {
	Command string // the command line
	Text    string // the reply, "-ERR ..."
}

// Error implements error.
func (e *ReplyError) Error() string { return "esl: " + e.Command + ": " + e.Text }

// Direction tells which way a frame went.
type Direction int

// Directions of a frame, as told to a FrameCounter.
const (
	Received Direction = iota // FreeSWITCH wrote it
	Sent                      // we wrote it
)

// FrameCounter is told about every frame a Conn reads or writes: received
// frames with their Content-Type, sent commands as CounterCommand ("command"), each with its
// size on the wire. It must be safe for concurrent use and must not block
// (the reader goroutine calls it).
type FrameCounter interface {
	CountFrame(dir Direction, contentType string, bytes int)
}

// ConnOptions configure a Conn. Zero values take documented defaults.
type ConnOptions struct {
	Limits          Limits
	MaxQueuedEvents int // events waiting for NextEvent (default 10000); more is ErrQueueOverflow
	// MaxQueuedBytes bounds the wire bytes of the events waiting for
	// NextEvent (default 4 MiB); more is ErrQueueOverflow. With
	// Limits.MaxBodyBytes it bounds what one connection holds in memory
	// however fast FreeSWITCH writes and however slow the consumer is.
	MaxQueuedBytes int
	WriteTimeout   time.Duration // per write (default 10s)
	// ReplyTimeout bounds the wait for a command's reply (default 5s;
	// negative: no bound). FreeSWITCH's listener thread answers every
	// command at once (mod_event_socket.c, parse_command), with two
	// exceptions: api, whose reply comes when the API returns (APITimeout),
	// and sendmsg on a static (sync) outbound socket, whose reply comes when
	// the application ends (no bound). A command waits behind the one before
	// it (FreeSWITCH reads one at a time), so its time counts from the
	// previous reply. A reply that does not come in time ends the connection
	// with ErrNoReply, whether or not the sender still waits for it.
	ReplyTimeout time.Duration
	// APITimeout bounds the wait for an api command's reply (default 2m;
	// negative: no bound).
	APITimeout time.Duration
	// ProbeAfter is how long an outbound connection may stay silent, after
	// connect and with no reply awaited, before the Conn probes it (default
	// 30s; negative: never). A call can legitimately be silent for hours (a
	// bridge, a conference), so silence alone ends nothing: the probe is
	// "getvar" of a variable no channel sets, which FreeSWITCH answers at
	// once even while an application runs, because the listener thread,
	// not the session thread, answers it (parse_command). No reply within
	// ReplyTimeout ends the connection with ErrNoReply.
	ProbeAfter time.Duration
	Counter    FrameCounter // optional
	// Trace, if set, receives every frame both ways in the wire.txt format
	// of esl/testdata ("--- +<ms> C>" / "F>" lines, then the bytes). It is
	// written from the reader goroutine, so it must not block for long, and
	// it sees everything, auth passwords included.
	Trace    io.Writer
	Outbound bool // the peer is FreeSWITCH's socket app (first reply is connect's)
	// EagerEvents parses every text/event-plain event's headers when it is
	// read, into Event.Headers. By default they are found when asked for
	// (Lookup, Get, Var...) and only the values read are decoded; Headers
	// is then nil and AllHeaders builds the whole list (event_lazy.go).
	// JSON and XML events, the connect reply and notices are always eager.
	EagerEvents bool
}

// Defaults of ConnOptions.
const (
	DefaultMaxQueuedEvents = 10000
	// DefaultMaxQueuedBytes is some 200 of the largest events a real call
	// sends (a CHANNEL_HANGUP_COMPLETE with its XML CDR, an estimated
	// 20 KiB; the largest captured event is 8.6 KiB), and
	// far more than a call ever has waiting: its session reads events as
	// they come.
	DefaultMaxQueuedBytes = 4 << 20
	DefaultWriteTimeout   = 10 * time.Second
	DefaultReplyTimeout   = 5 * time.Second
	DefaultAPITimeout     = 2 * time.Minute
	DefaultProbeAfter     = 30 * time.Second
)

// aLongTimeAgo is a deadline in the past: setting it wakes a blocked Read or
// Write at once (net/http uses the same trick), so nothing has to poll.
var aLongTimeAgo = time.Unix(1, 0)

// Conn is one event socket connection, outbound (FreeSWITCH's socket app
// dialled our Server) or inbound (we dialled port 8021 with Dial).
//
// Invariants:
//
//  1. One reader goroutine, started by NewConn, owns the frame Reader and
//     never blocks on a consumer: replies go to 1-buffered slots, events to
//     a capped queue, completions to 1-buffered waiters.
//  2. Replies are matched first in, first out. Send pushes its slot under the
//     write lock, just before it writes. A Send whose ctx ends first leaves
//     its slot in the FIFO marked abandoned, so the late reply is swallowed
//     and never reaches the next command. A reply with no slot waiting means
//     we are out of step with FreeSWITCH: the connection is closed.
//  3. Events and disconnect notices go, in arrival order, to one queue read
//     with NextEvent (or Ready + TryEvent). Execute and BgAPI are told about
//     their completion events by the reader, which still queues them: no
//     event is ever taken out of the stream. More than MaxQueuedEvents, or
//     MaxQueuedBytes, waiting is ErrQueueOverflow, a connection error,
//     never a silent drop.
//  4. When the reader ends (EOF, a protocol error, Close) every waiter gets
//     the terminal error, Err() returns it and Done() closes.
//
// All methods are safe for concurrent use.
type Conn struct {
	nc       net.Conn
	r        *Reader
	opts     ConnOptions
	outbound bool
	start    time.Time // for Trace stamps

	wmu sync.Mutex // serialises writes, and with them the order of reply slots
	// writeWatch is the context whose end cuts a write short
	// (conn_write.go); guarded by its own lock, so that the reader can
	// disarm it at the end without waiting for a writer.
	writeWatch writeWatch
	raw        rawWrite // a socket's raw writes, guarded by wmu (conn_write.go)

	traceMu sync.Mutex                // one trace record at a time, from both directions
	tracer  atomic.Pointer[io.Writer] // Trace, or what SetTrace set

	// events are the events waiting for the consumer; the queue has its
	// own lock (conn_queue.go).
	events eventQueue

	mu sync.Mutex // guards everything below
	// The parts (conn_waiters.go): the commands waiting for their reply,
	// and Execute and BgAPI waiting for their events. Under mu because
	// the reader moves them with the connection's state in one step.
	replyQueue
	waiters
	slots      slotPool               // reply slots to reuse (recycleSlot)
	pendingArr [spareSlots]*replySlot // replyQueue's first array

	connectSent bool   // outbound: connect went out, other commands may follow
	format      Format // event format of the listener, as set by our commands
	channel     *Event // the connect reply, until ReleaseChannel
	connected   bool   // outbound: the connect reply came
	channelID   string // its Unique-ID, kept after ReleaseChannel
	static      bool   // its Socket-Mode is not async: sendmsg replies when the app ends
	hangupEvent *Event
	hungupDone  bool
	finalSeen   bool
	authSeen    bool
	rude        []byte      // body of a text/rude-rejection, for Err()
	closed      bool        // Close was called
	err         error       // terminal error, set once
	watch       *time.Timer // runs watchdog: reply deadlines and silence probes
	watchAt     time.Time   // when watch fires; zero when it is not armed

	// lastRead is when the reader last read a frame, as time since start
	// (monotonic); only kept where silence is probed (outbound).
	lastRead atomic.Int64

	// bgSubscribed: BACKGROUND_JOB is subscribed; bgPending, guarded by
	// mu like it, is closed when the subscription in flight ends (nil
	// when none is).
	bgSubscribed bool
	bgPending    chan struct{}

	// hungupCtx is done when the controlled channel is gone: the one
	// "hung up" signal, behind both Hungup and HungupContext.
	hungupCtx    context.Context
	hungupCancel context.CancelFunc
	final        chan struct{} // closed when the final disconnect notice is read
	authReq      chan struct{} // closed when an inbound auth/request is read
	done         chan struct{} // closed after the reader goroutine has exited
	ctx          context.Context
	cancel       context.CancelFunc
	closeErr     error
	once         sync.Once
}

// NewConn starts the connection's reader goroutine over nc. The Conn owns nc
// from then on; Close (or the end of the connection) closes it.
func NewConn(nc net.Conn, o ConnOptions) *Conn {
	if o.MaxQueuedEvents <= 0 {
		o.MaxQueuedEvents = DefaultMaxQueuedEvents
	}
	if o.MaxQueuedBytes <= 0 {
		o.MaxQueuedBytes = DefaultMaxQueuedBytes
	}
	if o.WriteTimeout <= 0 {
		o.WriteTimeout = DefaultWriteTimeout
	}
	o.ReplyTimeout = withDefault(o.ReplyTimeout, DefaultReplyTimeout)
	o.APITimeout = withDefault(o.APITimeout, DefaultAPITimeout)
	o.ProbeAfter = withDefault(o.ProbeAfter, DefaultProbeAfter)
	c := &Conn{
		nc:       nc,
		r:        NewReader(nc, o.Limits),
		opts:     o,
		outbound: o.Outbound,
		start:    time.Now(),
		format:   FormatPlain,
		waiters:  newWaiters(),
		events:   newEventQueue(o.MaxQueuedEvents, o.MaxQueuedBytes),
		final:    make(chan struct{}),
		authReq:  make(chan struct{}),
		done:     make(chan struct{}),
	}
	c.replyQueue.pending = c.pendingArr[:0]
	c.initRaw()
	if o.Trace != nil {
		c.tracer.Store(&o.Trace)
	}
	c.ctx, c.cancel = context.WithCancel(context.Background())
	c.hungupCtx, c.hungupCancel = context.WithCancel(context.Background())
	go c.readLoop()
	return c
}

// SetTrace starts tracing the connection's frames to w from now on, as
// ConnOptions.Trace does from the start (nil stops it). A session uses it to
// trace one call on demand. Safe from any goroutine.
func (c *Conn) SetTrace(w io.Writer) {
	if w == nil {
		c.tracer.Store(nil)
		return
	}
	c.tracer.Store(&w)
}

// tracing returns the trace writer in force, or nil.
func (c *Conn) tracing() io.Writer {
	if w := c.tracer.Load(); w != nil {
		return *w
	}
	return nil
}

// withDefault maps a zero duration option to def and a negative one to 0,
// "no bound".
func withDefault(d, def time.Duration) time.Duration {
	switch {
	case d == 0:
		return def
	case d < 0:
		return 0
	}
	return d
}

// Channel returns the channel data from the connect reply (nil before it,
// and after ReleaseChannel).
func (c *Conn) Channel() *Event {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.channel
}

// ReleaseChannel drops the Conn's reference to the connect reply, so that a
// handler that kept only what it needs of the channel data lets the rest be
// collected instead of holding it for the call's life. The Conn keeps the
// channel's Unique-ID (to tell its CHANNEL_HANGUP from others) and socket
// mode; Channel returns nil from then on.
func (c *Conn) ReleaseChannel() {
	c.mu.Lock()
	c.channel = nil
	c.mu.Unlock()
}

// Queued returns the number of events waiting for NextEvent and their size
// on the wire, the two things MaxQueuedEvents and MaxQueuedBytes bound.
func (c *Conn) Queued() (events, bytes int) {
	return c.events.size()
}

// Done is closed when the connection has ended and its reader goroutine has
// exited.
func (c *Conn) Done() <-chan struct{} { return c.done }

// Err returns why the connection ended (nil while it is up): ErrClosed after
// Close, an error wrapping ErrDisconnected when FreeSWITCH closed it (plain
// ErrDisconnected after a final disconnect notice), ErrQueueOverflow, or a
// *ProtocolError.
func (c *Conn) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

// Close closes the connection; safe from any goroutine, any number of times.
// It does not wait: Done closes once the reader has exited. Only the first
// call can return an error (that of closing the socket).
func (c *Conn) Close() error {
	c.mu.Lock()
	c.closed = true
	if c.err == nil {
		// Set now, so a write that fails because of this Close does not
		// claim to be the reason.
		c.err = ErrClosed
	}
	c.mu.Unlock()
	return c.shutdown()
}

// shutdown closes the socket once. The past deadline wakes a blocked Read or
// Write even on net.Conn implementations whose Close does not.
func (c *Conn) shutdown() error {
	first := false
	c.once.Do(func() {
		first = true
		_ = c.nc.SetDeadline(aLongTimeAgo)
		c.closeErr = c.nc.Close()
	})
	if !first {
		return nil
	}
	return c.closeErr
}

// fail records err as the terminal error (the first one wins) and closes
// the socket, which ends the reader.
func (c *Conn) fail(err error) {
	c.mu.Lock()
	if c.err == nil {
		c.err = err
	}
	c.mu.Unlock()
	_ = c.shutdown()
}

// RemoteAddr returns the peer's address.
func (c *Conn) RemoteAddr() net.Addr { return c.nc.RemoteAddr() }

// lifetime returns a context cancelled when the connection ends; the
// Server derives handler contexts from it.
func (c *Conn) lifetime() context.Context { return c.ctx }
