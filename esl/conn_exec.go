package esl

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// minLoopMicros is FreeSWITCH's rule for looped executes
// (switch_ivr_parse_event): after an iteration shorter than 500 ms it stops
// looping, whatever "loops" said.
const minLoopMicros = 500_000

// execWaiter waits for the CHANNEL_EXECUTE_COMPLETE events of one execute.
// The reader goroutine updates it under Conn.mu.
type execWaiter struct {
	loops   int         // completions to wait for
	seen    int         // completions so far
	startTS int64       // Event-Date-Timestamp of the latest CHANNEL_EXECUTE, µs
	last    *Event      // the latest completion
	ch      chan *Event // 1-buffered; written once, with the final completion
}

// started notes an iteration's CHANNEL_EXECUTE.
func (w *execWaiter) started(ev *Event) { w.startTS = eventMicros(ev) }

// completed counts a completion and reports whether it is the last one,
// signalling the waiter if so: after the requested number of loops, or
// earlier when FreeSWITCH stops looping (an iteration under 500 ms, judged
// by the event timestamps, or the channel down: our channel's hangup was
// seen, or the completion itself says Answer-State: hangup).
func (w *execWaiter) completed(ev *Event, hungup bool) bool {
	w.seen++
	w.last = ev
	last := w.seen >= w.loops || hungup || ev.Get("Answer-State") == "hangup"
	if !last && w.startTS > 0 {
		if end := eventMicros(ev); end > 0 && end-w.startTS < minLoopMicros {
			last = true
		}
	}
	if last {
		w.ch <- ev
	}
	return last
}

// eventMicros returns Event-Date-Timestamp, 0 when absent or malformed.
func eventMicros(ev *Event) int64 {
	n, err := strconv.ParseInt(ev.Get("Event-Date-Timestamp"), 10, 64)
	if err != nil {
		return 0
	}
	return n
}

// NewUUID returns a random (version 4) UUID, as FreeSWITCH's own look, for
// Event-UUID and Job-UUID headers.
func NewUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	var s [36]byte
	hex.Encode(s[0:8], b[0:4])
	s[8] = '-'
	hex.Encode(s[9:13], b[4:6])
	s[13] = '-'
	hex.Encode(s[14:18], b[6:8])
	s[18] = '-'
	hex.Encode(s[19:23], b[8:10])
	s[23] = '-'
	hex.Encode(s[24:], b[10:])
	return string(s[:])
}

// Connect sends connect (outbound) and returns the channel data, which
// Channel() keeps. It must be the first command on an outbound Conn.
func (c *Conn) Connect(ctx context.Context) (*Event, error) {
	if !c.outbound {
		return nil, errors.New("esl: connect is for outbound connections")
	}
	if _, err := c.Send(ctx, Connect()); err != nil {
		return nil, err
	}
	return c.Channel(), nil
}

// API runs "api cmd" and returns the api/response body. A body starting
// with "-ERR" is returned with a *ReplyError, as is the command/reply
// "-ERR command not found" of an outbound socket without "full".
func (c *Conn) API(ctx context.Context, cmd string) (string, error) {
	f, err := c.Send(ctx, API(cmd))
	if f == nil {
		return "", err
	}
	return string(f.Body), err
}

// BgAPI runs "bgapi cmd" with a fresh Job-UUID and waits for its
// BACKGROUND_JOB event (the output is its Body). The first call subscribes
// to BACKGROUND_JOB in the listener's current event format, so the format
// of other events does not change. The event is also queued for NextEvent.
func (c *Conn) BgAPI(ctx context.Context, cmd string) (*Event, error) {
	if err := c.subscribeJobs(ctx); err != nil {
		return nil, err
	}
	job := NewUUID()
	ch := make(chan *Event, 1)
	c.mu.Lock()
	c.waiters.addJob(job, ch)
	c.mu.Unlock()
	forget := func() {
		c.mu.Lock()
		c.waiters.removeJob(job)
		c.mu.Unlock()
	}
	if _, err := c.Send(ctx, BgAPI(cmd, job)); err != nil {
		forget()
		return nil, err
	}
	select {
	case ev := <-ch:
		return ev, nil
	case <-ctx.Done():
		if !c.endedOnlyByConn() {
			forget()
			return nil, fmt.Errorf("bgapi %s: waiting for job %s: %w", firstLine(cmd), job, ctx.Err())
		}
	case <-c.done:
	}
	select {
	case ev := <-ch:
		return ev, nil
	default:
	}
	return nil, fmt.Errorf("bgapi %s: waiting for job %s: %w", firstLine(cmd), job, c.Err())
}

// subscribeJobs sends "event <format> BACKGROUND_JOB" once per connection.
// No lock is held across the round trip: the first caller marks the
// subscription in flight (c.bgPending) and later callers wait for it or
// for their own context, whichever ends first. If the first attempt fails,
// a waiter makes its own.
func (c *Conn) subscribeJobs(ctx context.Context) error {
	c.mu.Lock()
	for !c.bgSubscribed && c.bgPending != nil {
		wait := c.bgPending
		c.mu.Unlock()
		select {
		case <-wait:
		case <-ctx.Done():
			return fmt.Errorf("subscribe to %s: %w", EventBackgroundJob, ctx.Err())
		case <-c.done:
			return fmt.Errorf("subscribe to %s: %w", EventBackgroundJob, c.Err())
		}
		c.mu.Lock()
	}
	if c.bgSubscribed {
		c.mu.Unlock()
		return nil
	}
	pending := make(chan struct{})
	c.bgPending = pending
	f := c.format
	c.mu.Unlock()

	_, err := c.Send(ctx, Events(f, EventBackgroundJob))
	c.mu.Lock()
	c.bgPending = nil
	c.bgSubscribed = err == nil
	c.mu.Unlock()
	close(pending)
	if err != nil {
		return fmt.Errorf("subscribe to %s: %w", EventBackgroundJob, err)
	}
	return nil
}

// Execute runs app with arg on a channel (sendmsg execute) and waits for its
// CHANNEL_EXECUTE_COMPLETE, which it returns; the event also stays in the
// NextEvent stream, as does everything that arrives meanwhile (DTMF...).
//
// Execute always sets event-lock, so queued executes run one after another
// instead of inside each other, and sets a fresh Event-UUID unless
// o.EventUUID is given: the completion is matched by Application-UUID,
// never by application name. For a raw sendmsg use Send(ctx, Execute(...)).
//
// With o.Loops > 1 FreeSWITCH sends one completion per loop; Execute
// returns the last, or an earlier one when FreeSWITCH stops looping (an
// iteration under 500 ms, or the channel is down). o.Loops < 0 loops until
// then.
//
// If the channel hangs up first, Execute keeps waiting: FreeSWITCH sends
// CHANNEL_HANGUP before the interrupted app's completion, which carries its
// result. Only the final disconnect notice or the end of the connection
// stops the wait; Execute then returns an error wrapping ErrDisconnected (or
// the connection's error), with the latest completion of a looped execute
// if one came.
func (c *Conn) Execute(ctx context.Context, app, arg string, o ExecuteOptions) (*Event, error) {
	if o.EventUUID == "" {
		o.EventUUID = NewUUID()
	}
	o.EventLock = true
	loops := o.Loops
	switch {
	case loops < 0:
		loops = math.MaxInt
	case loops == 0:
		loops = 1
	}
	id := o.EventUUID
	w := &execWaiter{loops: loops, ch: make(chan *Event, 1)}
	c.mu.Lock()
	if !c.waiters.addExec(id, w) {
		c.mu.Unlock()
		return nil, fmt.Errorf("execute %s: event uuid %s already in use", app, id)
	}
	c.mu.Unlock()
	// forget unregisters the waiter and returns its latest completion.
	forget := func() *Event {
		c.mu.Lock()
		defer c.mu.Unlock()
		c.waiters.removeExec(id, w)
		return w.last
	}

	if _, err := c.Send(ctx, Execute(app, arg, o)); err != nil {
		forget()
		return nil, fmt.Errorf("execute %s: %w", app, err)
	}
	select {
	case ev := <-w.ch:
		return ev, nil
	case <-ctx.Done():
		if c.endedOnlyByConn() {
			return c.execEnded(app, w, forget, c.Err())
		}
		forget()
		return nil, fmt.Errorf("execute %s: waiting for completion: %w", app, ctx.Err())
	case <-c.final:
		return c.execEnded(app, w, forget, ErrDisconnected)
	case <-c.done:
		return c.execEnded(app, w, forget, c.Err())
	}
}

// execEnded finishes an Execute whose connection is ending, preferring a
// completion that arrived just before the end.
func (c *Conn) execEnded(app string, w *execWaiter, forget func() *Event, cause error) (*Event, error) {
	select {
	case ev := <-w.ch:
		return ev, nil
	default:
	}
	last := forget()
	return last, fmt.Errorf("execute %s: no completion before the connection ended: %w", app, cause)
}

// Exit sends exit and waits for FreeSWITCH to close the connection ("+OK
// bye", the final disconnect notice, EOF) or for ctx, then closes it. A
// connection that FreeSWITCH has already closed is not an error.
func (c *Conn) Exit(ctx context.Context) error {
	defer c.Close()
	if _, err := c.Send(ctx, Exit()); err != nil {
		if c.endedByPeer() {
			return nil
		}
		return err
	}
	select {
	case <-c.done:
	case <-ctx.Done():
		if !c.endedOnlyByConn() {
			return fmt.Errorf("exit: waiting for FreeSWITCH to close: %w", ctx.Err())
		}
	}
	if c.endedByPeer() {
		return nil
	}
	return fmt.Errorf("exit: %w", c.Err())
}

// endedByPeer reports whether the connection ended because FreeSWITCH
// closed it.
func (c *Conn) endedByPeer() bool { return errors.Is(c.Err(), ErrDisconnected) }

// isReplyText reports whether a reply starts with want (for "+OK accepted"
// and the like), ignoring the trailing newline FreeSWITCH may leave.
func isReplyText(f *Frame, want string) bool {
	return strings.HasPrefix(strings.TrimSpace(f.ReplyText()), want)
}
