package esl

import "context"

// NextEvent returns the next event in arrival order: FreeSWITCH events and
// disconnect notices (see Event.IsLingerNotice and IsFinalNotice). Once the
// connection has ended it still returns what was queued, then Err().
func (c *Conn) NextEvent(ctx context.Context) (*Event, error) {
	for {
		if ev, ok := c.TryEvent(); ok {
			return ev, nil
		}
		select {
		case <-c.events.ready:
		case <-c.done:
			if ev, ok := c.TryEvent(); ok {
				return ev, nil
			}
			return nil, c.Err()
		case <-ctx.Done():
			if c.endedOnlyByConn() {
				continue
			}
			return nil, ctx.Err()
		}
	}
}

// TryEvent pops the next queued event without blocking; ok is false when
// the queue is empty.
func (c *Conn) TryEvent() (ev *Event, ok bool) { return c.events.pop() }

// Ready returns a 1-buffered channel that holds a token whenever the event
// queue may be non-empty, so a session can select on it together with its
// own channels. It is level-triggered: after it fires, drain with TryEvent
// until it reports false, then select again. A token does not promise an
// event (another consumer may have taken it); Ready never fires for the end
// of the connection, so select on Done too:
//
//	for {
//		select {
//		case <-c.Ready():
//			for ev, ok := c.TryEvent(); ok; ev, ok = c.TryEvent() {
//				handle(ev)
//			}
//		case <-c.Done():
//			// drain what is left with TryEvent, then look at c.Err()
//		case r := <-webReplies:
//			...
//		}
//	}
func (c *Conn) Ready() <-chan struct{} { return c.events.ready }

// Hungup is closed when the controlled channel is gone: the reader saw its
// CHANNEL_HANGUP (the one whose Unique-ID is the connect reply's; any
// CHANNEL_HANGUP on a connection without channel data), a linger or final
// disconnect notice, or the end of the connection. Sessions derive "the
// caller is gone" contexts from it, to cancel in-flight work. Events keep
// flowing after it closes (linger), so keep reading NextEvent.
func (c *Conn) Hungup() <-chan struct{} { return c.hungupCtx.Done() }

// HungupContext returns a context that is done exactly when Hungup is
// closed. With context.AfterFunc it lets a session cancel work at the
// hangup without a goroutine of its own waiting on Hungup.
func (c *Conn) HungupContext() context.Context { return c.hungupCtx }

// HangupEvent returns the CHANNEL_HANGUP that closed Hungup, or nil if
// Hungup closed for another reason or has not closed.
func (c *Conn) HangupEvent() *Event {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.hangupEvent
}

// endedOnlyByConn is called when a caller's ctx is done. It reports whether
// that is only because the connection is ending (the Server derives handler
// contexts from it), and then waits for Done, so callers report the
// connection's end rather than a bare context error.
func (c *Conn) endedOnlyByConn() bool {
	if c.ctx.Err() == nil {
		return false
	}
	<-c.done
	return true
}
