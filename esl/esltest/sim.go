package esltest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/callhook/callhook/esl"
)

// Call is one simulated FreeSWITCH channel whose socket application dialled
// a daemon. All channel state belongs to one goroutine (the loop, which is
// also the connection's only writer); a second goroutine reads commands.
// Caller actions (Digits, Hangup, Talk) are queued to the loop and never
// block; observation methods copy under a mutex.
type Call struct {
	o       Options
	nc      net.Conn
	start   time.Time
	cmds    chan cmdIn
	done    chan struct{} // closed when the call is over and both goroutines have ended
	quit    chan struct{} // closed when the loop ends, to release the reader
	stopped chan struct{} // closed when the reader goroutine has exited

	actMu   sync.Mutex
	actions []action
	actNote chan struct{}

	traceMu sync.Mutex

	mu        sync.Mutex // guards the fields below and every write to ch/aleg vars
	received  []esl.Command
	written   []*esl.Frame
	apps      []AppRun
	changed   chan struct{}
	appCursor map[string]int
	result    *Result

	taps       atomic.Pointer[[]func(*event)] // inbound listeners attached to this call
	userClosed atomic.Bool                    // Close was called

	// Everything below is owned by the loop goroutine.
	ch         channel
	aleg       *channel // the caller's loopback A leg, nil when not loopback
	sub        subscription
	async      bool
	full       bool
	socketData string

	gotFirst    bool
	connected   bool
	afterConn   int // commands answered since connect
	dropReply   bool
	parked      bool
	everParked  bool
	lingering   bool
	lingerSecs  int // -1 forever
	resumed     bool
	transferred bool
	logLevel    int // -1 when not logging
	tailDone    bool
	closing     bool
	finished    bool
	abort       bool // fault injection cut the connection
	hungUpBy    HangupBy

	pending  []*outItem
	holdNext bool
	holding  bool
	hold     *time.Timer
	queue    []*message
	exec     *execRun
	act      activity
	inApp    bool
	inline   *message // a static-mode sendmsg running inline: no reads until it ends
	digits   []byte   // DTMF queued on the channel, not yet read
	dialed   []byte   // every digit read (digits_dialed)
	talkTo   time.Time
	timer    *time.Timer
	timerFn  func()
	deadline time.Time // the timer's simulated deadline
	vnow     time.Time // the simulated clock (see now)
	writes   int
	logAfter []logLine // lines an app logs after switch_core_session_exec's EXECUTE line
	out      []byte    // bytes for the socket, written once per loop step
	outp     *[]byte   // out's pooled buffer
	talkFrom time.Time
}

// cmdIn is one read from the socket.
type cmdIn struct {
	cmd esl.Command
	raw []byte
	err error
}

// outItem is a frame waiting for the listener to be idle: an event
// (serialised when written, in the format current then) or a notice.
type outItem struct {
	ev    *event
	frame *esl.Frame
}

// sessionIDs numbers channels like FreeSWITCH's session_id variable.
var sessionIDs atomic.Int64

// Dial connects to a daemon at addr as FreeSWITCH's socket application does
// and simulates the call until the connection ends. It returns once the TCP
// connection is up; FreeSWITCH then stays silent until the daemon's first
// command.
func Dial(ctx context.Context, addr string, o Options) (*Call, error) {
	var d net.Dialer
	nc, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("esltest: dial %s: %w", addr, err)
	}
	return startCall(nc, addr, o), nil
}

// NewCall simulates a call over an established connection whose other end
// is the daemon, for example one end of net.Pipe in a testing/synctest
// bubble, where Speed 1 then costs no wall-clock time.
func NewCall(nc net.Conn, o Options) *Call {
	addr := nc.RemoteAddr().String()
	if !strings.Contains(addr, ":") {
		addr = "127.0.0.1:8084" // the captures' socket address
	}
	return startCall(nc, addr, o)
}

// startCall builds the call and starts its two goroutines.
func startCall(nc net.Conn, addr string, o Options) *Call {
	c := newCall(nc, addr, o)
	liveCalls.Add(1)
	go c.readLoop()
	go c.run()
	return c
}

// newCall builds the channel as the dialplan left it when `socket` ran.
func newCall(nc net.Conn, addr string, o Options) *Call {
	o = o.normalized()
	c := &Call{
		o:         o,
		nc:        nc,
		start:     time.Now(),
		cmds:      make(chan cmdIn),
		done:      make(chan struct{}),
		quit:      make(chan struct{}),
		stopped:   make(chan struct{}),
		actNote:   make(chan struct{}, 1),
		changed:   make(chan struct{}),
		appCursor: map[string]int{},
		logLevel:  -1,
	}
	c.vnow = c.start
	words := strings.Fields(strings.ToLower(o.Mode))
	c.async = slices.Contains(words, "async")
	c.full = slices.Contains(words, "full")
	c.socketData = addr
	if o.Mode != ModeStatic && strings.TrimSpace(o.Mode) != "" {
		c.socketData += " " + o.Mode
	}
	host := addr
	if i := strings.LastIndexByte(addr, ':'); i >= 0 {
		host = addr[:i]
	}
	now := c.now().UnixMicro()
	loopback := strings.HasPrefix(o.ChannelName, "loopback/")
	c.ch = channel{
		prof: profile{
			direction: "inbound", logicalDirection: "inbound",
			cidName: o.CallerIDName, cidNumber: o.CallerIDNumber,
			origCIDName: o.CallerIDName, origCIDNumber: o.CallerIDNumber,
			calleeName: "Outbound Call", calleeNumber: "default",
			ani: o.CallerIDNumber, destination: o.DestinationNumber, uuid: o.UUID,
			source: "mod_loopback", context: "default", channelName: o.ChannelName,
			created: now, withIndex: true,
		},
		name: o.ChannelName, uuid: o.UUID, direction: "inbound", hitDialplan: true,
		state: csExecute, stateNum: "4", callState: "RINGING", answerState: "ringing", up: true,
	}
	if !loopback {
		c.ch.prof.source = "mod_sofia"
	}
	sid := sessionIDs.Add(2)
	v := &c.ch.vars
	v.set("direction", "inbound")
	v.set("uuid", o.UUID)
	v.set("session_id", strconv.FormatInt(sid, 10))
	v.set("channel_name", o.ChannelName)
	v.set("read_codec", "L16")
	v.set("read_rate", "8000")
	v.set("write_codec", "L16")
	v.set("write_rate", "8000")
	if loopback {
		v.set("origination_caller_id_number", o.CallerIDNumber)
		v.set("origination_caller_id_name", o.CallerIDName)
		v.set("origination_uuid", o.CallerUUID)
		v.set("other_loopback_leg_uuid", o.CallerUUID)
		v.set("loopback_leg", "B")
	}
	v.set("call_uuid", o.UUID)
	for _, k := range sortedKeys(o.Vars) {
		v.set(k, o.Vars[k])
	}
	v.set("current_application_data", c.socketData)
	v.set("current_application", "socket")
	v.set("socket_host", host)
	if loopback {
		c.aleg = newALeg(o, sid-1, now)
	}
	return c
}

// newALeg is the originated loopback A leg: the caller's side.
func newALeg(o Options, sid int64, now int64) *channel {
	name := strings.TrimSuffix(o.ChannelName, "-b") + "-a"
	a := &channel{
		prof: profile{
			direction: "outbound", logicalDirection: "outbound",
			cidName: o.CallerIDName, cidNumber: o.CallerIDNumber,
			origCIDName: o.CallerIDName, origCIDNumber: o.CallerIDNumber,
			calleeName: "Outbound Call", calleeNumber: "default",
			ani: o.CallerIDNumber, destination: o.DestinationNumber, uuid: o.CallerUUID,
			source: "mod_loopback", context: "default", channelName: name,
			created: now, withIndex: true,
		},
		name: name, uuid: o.CallerUUID, direction: "outbound",
		state: csConsumeMedia, stateNum: "7", callState: "DOWN", answerState: "ringing", up: true,
	}
	v := &a.vars
	v.set("direction", "outbound")
	v.set("is_outbound", "true")
	v.set("session_id", strconv.FormatInt(sid, 10))
	v.set("read_codec", "L16")
	v.set("read_rate", "8000")
	v.set("write_codec", "L16")
	v.set("write_rate", "8000")
	v.set("channel_name", name)
	v.set("uuid", o.CallerUUID)
	v.set("call_uuid", o.CallerUUID)
	v.set("origination_caller_id_number", o.CallerIDNumber)
	v.set("origination_caller_id_name", o.CallerIDName)
	v.set("origination_uuid", o.CallerUUID)
	v.set("originate_early_media", "true")
	v.set("originate_endpoint", "loopback")
	v.set("other_loopback_leg_uuid", o.UUID)
	v.set("loopback_leg", "A")
	return a
}

func sortedKeys(m map[string]string) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

// now is the simulated clock. It moves in steps: to real time since the
// call started times Speed whenever an input arrives, and exactly to a
// timer's deadline when the timer fires. So an app that ends on its own
// lasts exactly its simulated duration however late the goroutine ran
// (the 500 ms loop rule and the playback/record variables depend on it),
// and timestamps and CDR durations agree with the simulated media.
func (c *Call) now() time.Time { return c.vnow }

// tick advances the clock to the scaled real time.
func (c *Call) tick() {
	if t := c.start.Add(time.Duration(float64(time.Since(c.start)) * c.o.Speed)); t.After(c.vnow) {
		c.vnow = t
	}
}

// real converts a simulated duration to wall-clock time.
func (c *Call) real(d time.Duration) time.Duration {
	return time.Duration(float64(d) / c.o.Speed)
}

// readLoop reads commands with FreeSWITCH's input rules and hands them to
// the loop, one at a time (FreeSWITCH reads nothing while it executes).
func (c *Call) readLoop() {
	defer close(c.stopped)
	var rec *recordingReader
	var src io.Reader = c.nc
	if c.o.Trace != nil {
		rec = &recordingReader{r: c.nc}
		src = rec
	}
	r := esl.NewReader(src, esl.Limits{MaxHeaderBytes: 10 << 20, MaxBodyBytes: 16 << 20})
	var pause *time.Timer
	for {
		cmd, n, err := r.ReadCommand()
		in := cmdIn{cmd: cmd, err: err}
		if rec != nil && err == nil {
			in.raw = rec.take(n)
		}
		select {
		case c.cmds <- in:
		case <-c.quit:
			return
		}
		if err != nil {
			return
		}
		if c.o.SlowReader > 0 {
			if pause == nil {
				pause = time.NewTimer(c.o.SlowReader)
			} else {
				pause.Reset(c.o.SlowReader)
			}
			select {
			case <-pause.C:
			case <-c.quit:
				pause.Stop()
				return
			}
		}
	}
}

// recordingReader keeps what the Reader consumed so the trace shows the
// daemon's exact bytes.
type recordingReader struct {
	r   io.Reader
	buf []byte
}

func (rr *recordingReader) Read(p []byte) (int, error) {
	n, err := rr.r.Read(p)
	rr.buf = append(rr.buf, p[:n]...)
	return n, err
}

func (rr *recordingReader) take(n int) []byte {
	n = min(n, len(rr.buf))
	out := slices.Clone(rr.buf[:n])
	rr.buf = append(rr.buf[:0], rr.buf[n:]...)
	return out
}

// run is the loop: FreeSWITCH's listener thread and the session thread in
// one goroutine, so every state change and every write is ordered.
func (c *Call) run() {
	c.timer = time.NewTimer(c.o.ConnectTimeout)
	c.timerFn = c.connectTimeout
	defer c.cleanup()
	for !c.finished {
		cmds := c.cmds
		if c.inline != nil || c.closing {
			cmds = nil
		}
		var holdC <-chan time.Time
		if c.holding {
			holdC = c.hold.C
		}
		select {
		case in := <-cmds:
			c.tick()
			if c.holding {
				c.holding = false
				c.hold.Stop()
				c.flush()
			}
			c.onCommand(in)
		case <-c.actNote:
			c.tick()
			c.drainActions()
		case <-c.timer.C:
			if c.deadline.After(c.vnow) {
				c.vnow = c.deadline
			}
			fn := c.timerFn
			c.timerFn = nil
			if fn != nil {
				fn()
			}
		case <-holdC:
			c.tick()
			c.holding = false
			c.flush()
		}
		c.settle()
		c.flushOut()
	}
}

// settle runs after every input: the session thread proceeds as far as it
// can, then the listener writes what is pending if it is idle.
func (c *Call) settle() {
	if c.finished {
		return
	}
	c.pump()
	if c.finished || c.inline != nil || c.holding {
		return
	}
	if c.holdNext {
		// EventsBeforeReply: keep what this command caused until the next
		// command (or the grace period), so it lands before that reply.
		c.holdNext = false
		if len(c.pending) > 0 {
			if c.hold == nil {
				c.hold = time.NewTimer(eventsBeforeReplyGrace)
			} else {
				c.hold.Reset(eventsBeforeReplyGrace)
			}
			c.holding = true
			return
		}
	}
	c.flush()
}

// setTimer arms the call's one timer: d of simulated time, then fn on the
// loop. Only one activity waits at a time (an app, the linger, the connect
// deadline), so one timer per call is enough.
func (c *Call) setTimer(d time.Duration, fn func()) {
	d = max(d, 0)
	c.timer.Stop()
	c.timer.Reset(c.real(d))
	c.deadline = c.vnow.Add(d)
	c.timerFn = fn
}

// stopTimer disarms the timer.
func (c *Call) stopTimer() {
	c.timer.Stop()
	c.timerFn = nil
}

// connectTimeout is read_packet's 25 s: no complete first command, so
// "Socket Error!", the disconnect notice, and close.
func (c *Call) connectTimeout() {
	if c.gotFirst {
		return
	}
	c.writeFrame(disconnectFrame(c.ch.uuid))
	c.finish()
}

// queueEvent hands a fired event to the listener if it subscribed (at
// firing time, as event_handler does) and to attached inbound listeners.
func (c *Call) queueEvent(e *event) {
	if taps := c.taps.Load(); taps != nil {
		for _, t := range *taps {
			t(e)
		}
	}
	if c.closing || c.finished || !c.sub.wants(e, c.ch.uuid) {
		return
	}
	c.pending = append(c.pending, &outItem{ev: e})
}

// queueFrame puts a non-event frame (a notice) in the write queue.
func (c *Call) queueFrame(f *esl.Frame) {
	c.pending = append(c.pending, &outItem{frame: f})
}

// flush writes every pending item.
func (c *Call) flush() {
	if len(c.pending) == 0 {
		return
	}
	scratch := scratchPool.Get().(*[]esl.EventHeader)
	defer scratchPool.Put(scratch)
	for len(c.pending) > 0 && !c.finished {
		it := c.pending[0]
		c.pending[0] = nil
		c.pending = c.pending[1:]
		if it.ev != nil {
			c.writeFrame(eventFrame(it.ev, c.sub.format, scratch))
		} else {
			c.writeFrame(it.frame)
		}
	}
	c.pending = c.pending[:0]
}

// writeFrame queues f's bytes for the socket, records it and applies the
// write-counting faults. The bytes go out in one write per loop step
// (flushOut), in order: a step's reply, then its events.
func (c *Call) writeFrame(f *esl.Frame) {
	if c.finished {
		return
	}
	if c.outp == nil {
		c.outp = outPool.Get().(*[]byte)
		c.out = (*c.outp)[:0]
	}
	at := len(c.out)
	c.out = appendFrame(c.out, f)
	c.trace("F>", c.out[at:])
	c.writes++
	if !c.o.DiscardHistory {
		c.mu.Lock()
		c.written = append(c.written, f)
		c.notifyLocked()
		c.mu.Unlock()
	}
	if c.o.GarbageAfter > 0 && c.writes == c.o.GarbageAfter {
		c.out = append(c.out, Garbage...)
	}
	if c.o.AbruptClose > 0 && c.writes == c.o.AbruptClose {
		c.flushOut()
		if tc, ok := c.nc.(*net.TCPConn); ok && c.o.ResetOnClose {
			_ = tc.SetLinger(0)
		}
		c.abort = true
		c.finish()
	}
}

// flushOut writes what writeFrame queued. A write error (the daemon is
// gone) ends the call, as it ends FreeSWITCH's listener.
func (c *Call) flushOut() {
	if c.outp == nil {
		return
	}
	var err error
	if len(c.out) > 0 && !c.finished {
		_, err = c.nc.Write(c.out)
	}
	*c.outp = c.out[:0]
	outPool.Put(c.outp)
	c.outp, c.out = nil, nil
	if err != nil {
		c.finish()
	}
}

// outPool and scratchPool share write buffers and header scratch space
// between calls: thousands of load-generator calls reuse a few buffers.
var (
	outPool     = sync.Pool{New: func() any { b := make([]byte, 0, 16<<10); return &b }}
	scratchPool = sync.Pool{New: func() any { s := make([]esl.EventHeader, 0, 256); return &s }}
)

// appendFrame is esl.Frame.Encode appending to b, so the loop reuses one
// buffer for every frame.
func appendFrame(b []byte, f *esl.Frame) []byte {
	for _, h := range f.Headers {
		b = append(b, h.Name...)
		b = append(b, ": "...)
		b = append(b, h.Value...)
		b = append(b, '\n')
	}
	b = append(b, '\n')
	return append(b, f.Body...)
}

// trace writes one frame to Options.Trace in the wire.txt format.
func (c *Call) trace(dir string, b []byte) {
	if c.o.Trace == nil {
		return
	}
	c.traceMu.Lock()
	defer c.traceMu.Unlock()
	ms := time.Since(c.start).Milliseconds()
	fmt.Fprintf(c.o.Trace, "--- +%d %s\n", ms, dir)
	_, _ = c.o.Trace.Write(b)
	if len(b) > 0 && b[len(b)-1] != '\n' {
		_, _ = io.WriteString(c.o.Trace, "\n")
	}
}

// closeWithNotice writes the final disconnect notice and closes, as
// FreeSWITCH does when the listener ends (exit, end of linger, hangup
// without linger).
func (c *Call) closeWithNotice() {
	if c.finished {
		return
	}
	c.flush()
	c.writeFrame(disconnectFrame(c.ch.uuid))
	c.finish()
}

// finish closes the connection and settles the call's outcome.
func (c *Call) finish() {
	if c.finished {
		return
	}
	c.flushOut()
	c.finished = true
	c.stopTimer()
	if c.hold != nil {
		c.hold.Stop()
	}
	_ = c.nc.Close()
	r := c.outcome()
	c.mu.Lock()
	c.result = r
	c.notifyLocked()
	c.mu.Unlock()
}

// cleanup ends the loop: the reader is told to stop and waited for, so no
// goroutine outlives Done.
func (c *Call) cleanup() {
	c.finish()
	c.timer.Stop()
	liveCalls.Add(-1)
	close(c.quit)
	<-c.stopped
	close(c.done)
}

// Close drops the connection at once, without any notice (a crashed
// FreeSWITCH; the outcome is Aborted unless the call had already ended),
// and waits for the simulator's goroutines to end. Closing the socket
// directly also frees a loop blocked writing to a daemon that stopped
// reading. Safe to call any number of times, from any goroutine.
func (c *Call) Close() error {
	c.userClosed.Store(true)
	err := c.nc.Close()
	<-c.done
	if err != nil && !errors.Is(err, net.ErrClosed) {
		return fmt.Errorf("esltest: close: %w", err)
	}
	return nil
}

// errNoCall is returned by waits on a call whose simulator has ended.
var errNoCall = errors.New("esltest: call ended")
