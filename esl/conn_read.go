package esl

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// readLoop is the connection's only reader. It routes every frame by its
// Content-Type and never blocks on anyone: replies go to 1-buffered slots,
// events to the queue, completions to 1-buffered waiters.
func (c *Conn) readLoop() {
	defer c.finish()
	for {
		var f *Frame
		var ev *Event
		var n int
		var err error
		if c.opts.EagerEvents || c.tracing() != nil {
			// The trace writes each frame as it came: read it whole.
			f, n, err = c.r.ReadFrame()
		} else {
			// A plain event comes back parsed, without a Frame.
			f, ev, n, err = c.r.readPlainOrFrame()
		}
		if err != nil {
			c.fail(c.readLoopError(err, n))
			return
		}
		if c.outbound && c.opts.ProbeAfter > 0 {
			// For the silence probe: one atomic store, no timer reset.
			c.lastRead.Store(int64(time.Since(c.start)))
		}
		if ev != nil {
			if c.opts.Counter != nil {
				c.opts.Counter.CountFrame(Received, TypeEventPlain, n)
			}
			if err := c.deliverEvent(ev, n); err != nil {
				c.fail(err)
				return
			}
			continue
		}
		ct := f.ContentType()
		if c.opts.Counter != nil {
			c.opts.Counter.CountFrame(Received, ct, n)
		}
		if c.tracing() != nil {
			c.trace("F>", f.Encode())
		}
		if err := c.route(f, ct, n); err != nil {
			c.fail(err)
			return
		}
	}
}

// readLoopError is the connection's terminal error for what ended the
// reader: a well-framed event that does not parse (counted as received)
// or a broken stream.
func (c *Conn) readLoopError(err error, n int) error {
	var bad *eventParseError
	if errors.As(err, &bad) {
		// Well framed, but an event we cannot read might be the
		// completion someone waits for: dropping it would hang them, so
		// the connection ends loudly instead (as route does).
		if c.opts.Counter != nil {
			c.opts.Counter.CountFrame(Received, TypeEventPlain, n)
		}
		return parseFrameError(TypeEventPlain, bad.err)
	}
	return c.readError(err)
}

// readError turns the error that ended the reader into the connection's
// terminal error.
func (c *Conn) readError(err error) error {
	c.mu.Lock()
	closed, final, rude := c.closed, c.finalSeen, c.rude
	c.mu.Unlock()
	var pe *ProtocolError
	switch {
	case closed:
		return ErrClosed
	case errors.As(err, &pe):
		return err
	case rude != nil:
		return fmt.Errorf("%w: rude rejection: %s", ErrDisconnected, strings.TrimSpace(string(rude)))
	case final:
		// The final notice said goodbye: whatever the socket reports
		// next (EOF, a reset) is the expected end.
		return ErrDisconnected
	default:
		return fmt.Errorf("%w without a disconnect notice: %w", ErrDisconnected, err)
	}
}

// route handles one frame of n bytes on the wire. An error ends the
// connection.
func (c *Conn) route(f *Frame, ct string, n int) error {
	switch ct {
	case TypeCommandReply, TypeAPIResponse:
		return c.deliverReply(f)
	case TypeEventPlain, TypeEventJSON, TypeEventXML:
		var ev *Event
		var err error
		if ct == TypeEventPlain && !c.opts.EagerEvents {
			ev, err = parsePlainLazy(f.Body)
			if ev != nil {
				ev.ContentType = ct
			}
		} else {
			ev, err = ParseEvent(f)
		}
		if err != nil {
			// The frame was well framed, but an event we cannot read
			// might be the completion someone waits for: dropping it
			// would hang them, so the connection ends loudly instead.
			if ct == TypeEventPlain && !c.opts.EagerEvents {
				err = fmt.Errorf("esl: parse %s: %w", ct, err) // as ParseEvent says it
			}
			return parseFrameError(ct, err)
		}
		return c.deliverEvent(ev, n)
	case TypeDisconnectNotice:
		return c.deliverNotice(f, n)
	case TypeAuthRequest:
		c.mu.Lock()
		if !c.outbound && !c.authSeen {
			c.authSeen = true
			close(c.authReq)
		}
		c.mu.Unlock()
		return nil
	case TypeRudeRejection:
		c.mu.Lock()
		c.rude = append([]byte{}, f.Body...)
		c.mu.Unlock()
		return nil
	default:
		// log/data and content types we do not know are counted (above)
		// and passed over: never fatal (a library that log.Fatal'd on one
		// took the whole daemon down).
		return nil
	}
}

// parseFrameError is the error that ends the connection on an event it
// cannot parse.
func parseFrameError(ct string, err error) error {
	return fmt.Errorf("parse %s frame: %w", ct, err)
}

// deliverReply gives a reply to the oldest pending command.
func (c *Conn) deliverReply(f *Frame) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	s, ok := c.replyQueue.pop()
	if !ok {
		return &ProtocolError{Msg: fmt.Sprintf("unexpected %s %q with no command waiting", f.ContentType(), f.ReplyText())}
	}
	if s.connect {
		// Parsed here, before the next frame is read, so a CHANNEL_HANGUP
		// right behind the reply is already matched against our channel.
		ev, err := c.parseChannel(f)
		if err != nil {
			return fmt.Errorf("parse connect reply: %w", err)
		}
		c.channel = ev
		c.connected = true
		// A clone: the Unique-ID must not keep the whole reply alive
		// after ReleaseChannel.
		c.channelID = strings.Clone(ev.UniqueID())
		c.static = !ev.AsyncSocket()
	}
	c.repliedLocked()
	if !s.abandoned {
		s.ch <- f // 1-buffered and written once: never blocks
	}
	return nil
}

// parseChannel parses the connect reply into the call's channel data. With
// lazy events (the default) a reply whose header block the Reader kept as
// lines (Frame.text: every real connect reply, 5-15 KiB) is indexed where
// it lies, as a text/event-plain body is: a session reads a dozen of its
// ~100 headers (proxy's compactChannel), and the eager parse (an
// EventHeader per header, every encoded value decoded) was ~4 KiB per
// call nobody read. It reads the same headers as ParseEvent does, in the
// same order (TestConnectReplyLazyMatchesEager): the block has no blank
// line, so no Content-Length in it is taken for an inner body's.
func (c *Conn) parseChannel(f *Frame) (*Event, error) {
	if c.opts.EagerEvents || f.text == nil || len(f.Body) > 0 {
		return ParseEvent(f)
	}
	ev, err := parsePlainLazy(f.text)
	if err != nil {
		return nil, err
	}
	ev.ContentType = TypeCommandReply
	return ev, nil
}

// deliverEvent tells waiters about their completion events, then queues
// the event, n bytes on the wire, for the consumer.
func (c *Conn) deliverEvent(ev *Event, n int) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.waiters.tell(ev, c.connected && c.hungupDone)
	if ev.Name() == EventChannelHangup {
		if !c.connected || ev.UniqueID() == c.channelID {
			if c.hangupEvent == nil {
				c.hangupEvent = ev
			}
			c.markHungupLocked()
		}
	}
	return c.enqueueLocked(ev, n)
}

// deliverNotice queues a disconnect notice as an Event: a linger notice
// means the channel is gone, a final one that FreeSWITCH is about to close.
func (c *Conn) deliverNotice(f *Frame, n int) error {
	ev := &Event{ContentType: TypeDisconnectNotice, Headers: make([]EventHeader, 0, len(f.Headers))}
	for _, h := range f.Headers {
		ev.Headers = append(ev.Headers, EventHeader{Name: h.Name, Value: h.Value, Raw: h.Value})
	}
	if len(f.Body) > 0 {
		ev.Body = f.Body
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.markHungupLocked()
	if ev.IsFinalNotice() && !c.finalSeen {
		c.finalSeen = true
		close(c.final)
	}
	return c.enqueueLocked(ev, n)
}

// markHungupLocked closes Hungup once.
func (c *Conn) markHungupLocked() {
	if !c.hungupDone {
		c.hungupDone = true
		c.hungupCancel()
	}
}

// enqueueLocked queues ev, n bytes on the wire, for the consumer. The
// caller holds c.mu, so that waiters told of ev and ev queued are one step
// for anyone holding it.
func (c *Conn) enqueueLocked(ev *Event, n int) error { return c.events.push(ev, n) }

// finish runs when the reader exits: it fixes the terminal error, wakes
// everyone and closes Done last.
func (c *Conn) finish() {
	_ = c.shutdown()
	c.mu.Lock()
	if c.err == nil {
		c.err = ErrClosed
	}
	c.markHungupLocked()
	c.replyQueue.clear()
	c.stopWatchLocked()
	c.mu.Unlock()
	c.writeWatch.close()
	c.cancel()
	close(c.done)
}
