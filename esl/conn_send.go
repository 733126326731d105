package esl

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"
)

// replySlot is one command's place in the reply FIFO.
type replySlot struct {
	ch        chan *Frame // 1-buffered; the reader writes at most once
	connect   bool        // an outbound connect: the reader keeps its channel data
	abandoned bool        // guarded by Conn.mu: the sender gave up, swallow the reply
	line      string      // the command line, for ErrNoReply
	// timeout is how long FreeSWITCH may take to answer (0: no bound);
	// deadline is when the reply is due, moved on when the reply before
	// it arrives (guarded by Conn.mu).
	timeout  time.Duration
	deadline time.Time
}

// errNotConnected is returned by Send on an outbound Conn before Connect.
var errNotConnected = errors.New("esl: the first command on an outbound connection must be connect")

// Send writes cmd and waits for its reply (command/reply or api/response).
// A "-ERR" reply is returned with a *ReplyError.
//
// The command is encoded first, so an invalid one (CR or LF in a header)
// returns an error before anything is written. On an outbound Conn, any
// command but connect before Connect returns an error without writing:
// FreeSWITCH would run it but never reply, shifting every later reply.
// If ctx ends first, Send returns ctx's error and the late reply is
// swallowed; the connection stays usable.
func (c *Conn) Send(ctx context.Context, cmd Command) (*Frame, error) {
	buf := getWireBuf()
	wire, err := cmd.appendEncoded(*buf)
	if err != nil {
		putWireBuf(buf, wire)
		return nil, fmt.Errorf("encode %q: %w", firstLine(cmd.Line), err)
	}
	s, err := c.write(ctx, cmd, wire)
	putWireBuf(buf, wire)
	if err != nil {
		return nil, err
	}
	return c.awaitReply(ctx, cmd, s)
}

// wireBufs hold the buffers commands are encoded into: a write(2) does not
// keep its bytes, so the buffer goes back once written instead of a new one
// per command. Shared by all connections rather than one per Conn, so a
// held call keeps no buffer.
var wireBufs = sync.Pool{New: func() any {
	b := make([]byte, 0, 512)
	return &b
}}

// maxPooledWire is the largest buffer kept for reuse: a command with a
// long body (a big sendevent) must not stay in memory for good.
const maxPooledWire = 64 << 10

// getWireBuf returns an empty encode buffer.
func getWireBuf() *[]byte { return wireBufs.Get().(*[]byte) }

// putWireBuf gives the buffer back, with wire (its contents, perhaps
// grown) written and no longer used.
func putWireBuf(buf *[]byte, wire []byte) {
	if cap(wire) > maxPooledWire {
		return
	}
	*buf = wire[:0]
	wireBufs.Put(buf)
}

// write pushes a reply slot and writes wire, both under the write lock, so
// slots are in the order FreeSWITCH reads the commands.
func (c *Conn) write(ctx context.Context, cmd Command, wire []byte) (*replySlot, error) {
	line := firstLine(cmd.Line)
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("send %q: %w", line, err)
	}
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if err := ctx.Err(); err != nil {
		// It ended while another write held the lock: nothing of this
		// command is written or queued, so the connection goes on.
		return nil, fmt.Errorf("send %q: %w", line, err)
	}

	c.mu.Lock()
	s, err := c.slotLocked(line)
	c.mu.Unlock()
	if err != nil {
		return nil, err
	}

	if err := c.writeLocked(ctx, wire); err != nil {
		return nil, fmt.Errorf("send %q: %w", line, err)
	}
	return s, nil
}

// slotLocked checks that the command of line may go out now and queues its
// reply slot. The caller holds wmu (the slots are in write order) and mu.
func (c *Conn) slotLocked(line string) (*replySlot, error) {
	isConnect, err := c.mayGoLocked(line, c.connectSent)
	if err != nil {
		return nil, err
	}
	if isConnect {
		c.connectSent = true
	}
	if f, ok := formatOf(line); ok {
		c.format = f
	}
	s := c.slots.get()
	s.connect, s.line = isConnect, line
	c.pushSlotLocked(s)
	return s, nil
}

// recycleSlot keeps s, whose reply its sender has taken, for a later
// command. The reader no longer holds s: it popped s from the FIFO before
// writing the reply, and wrote it under mu, which this takes.
func (c *Conn) recycleSlot(s *replySlot) {
	c.mu.Lock()
	c.slots.put(s)
	c.mu.Unlock()
}

// slotPool is a Conn's reply slots not in use, guarded by Conn.mu. A
// session has at most three commands in flight (SendAll's linger,
// myevents and nixevent), so three slots, held in the Conn itself, serve a
// whole call:
// only their channels are allocated, once each. A slot abandoned by its
// sender is never put back: the reader still owes it a reply.
type slotPool struct {
	store [spareSlots]replySlot  // the Conn's own slots
	made  int                    // store[:made] have been handed out
	spare [spareSlots]*replySlot // free slots, spare[:n]
	n     int
}

// spareSlots is how many free slots a Conn keeps.
const spareSlots = 3

// get returns a free slot, reset, with its channel empty.
func (p *slotPool) get() *replySlot {
	if p.n > 0 {
		p.n--
		s := p.spare[p.n]
		p.spare[p.n] = nil
		return s
	}
	if p.made < len(p.store) {
		s := &p.store[p.made]
		p.made++
		s.ch = make(chan *Frame, 1)
		return s
	}
	return &replySlot{ch: make(chan *Frame, 1)}
}

// put keeps s, whose reply has been taken (its channel is empty), for get.
func (p *slotPool) put(s *replySlot) {
	if p.n == len(p.spare) {
		return
	}
	*s = replySlot{ch: s.ch}
	p.spare[p.n] = s
	p.n++
}

// mayGoLocked reports whether the command of line may be written after
// the commands before it (connectSent: connect is among them or was sent),
// and whether it is an outbound connect.
func (c *Conn) mayGoLocked(line string, connectSent bool) (isConnect bool, err error) {
	if c.err != nil {
		return false, fmt.Errorf("send %q: %w", line, c.err)
	}
	isConnect = c.outbound && strings.EqualFold(commandWord(line), "connect")
	if c.outbound && !connectSent && !isConnect {
		return false, fmt.Errorf("send %q: %w", line, errNotConnected)
	}
	return isConnect, nil
}

// writeLocked writes one command with the write deadline; ctx can cut a
// stuck write short. A failed write may have sent part of a command, so it
// ends the connection: the stream can no longer be trusted.
func (c *Conn) writeLocked(ctx context.Context, wire []byte) error {
	if c.tracing() != nil {
		// Traced before the write: once the bytes are out, the reply can
		// be read (and traced) before Write even returns here.
		c.trace("C>", wire)
	}
	n, err := c.writeWire(ctx, wire)
	if c.opts.Counter != nil {
		c.opts.Counter.CountFrame(Sent, CounterCommand, n)
	}
	return err
}

// awaitReply waits for the reply in s, ctx, or the end of the connection.
func (c *Conn) awaitReply(ctx context.Context, cmd Command, s *replySlot) (*Frame, error) {
	line := firstLine(cmd.Line)
	select {
	case f := <-s.ch:
		c.recycleSlot(s)
		return replyResult(line, f)
	case <-ctx.Done():
		if c.endedOnlyByConn() {
			return c.replyAtEnd(line, s)
		}
		c.mu.Lock()
		s.abandoned = true
		c.mu.Unlock()
		// The reply may have landed just before the slot was marked.
		select {
		case f := <-s.ch:
			return replyResult(line, f)
		default:
		}
		return nil, fmt.Errorf("waiting for the reply to %q: %w", line, ctx.Err())
	case <-c.done:
		return c.replyAtEnd(line, s)
	}
}

// replyAtEnd returns the reply that made it before the connection ended, or
// the connection's error.
func (c *Conn) replyAtEnd(line string, s *replySlot) (*Frame, error) {
	select {
	case f := <-s.ch:
		return replyResult(line, f)
	default:
	}
	return nil, fmt.Errorf("waiting for the reply to %q: %w", line, c.Err())
}

// replyResult turns a "-ERR" reply into a *ReplyError, keeping the frame.
func replyResult(line string, f *Frame) (*Frame, error) {
	text := f.ReplyText()
	if f.ContentType() == TypeAPIResponse {
		text = string(f.Body)
	}
	if strings.HasPrefix(text, "-ERR") {
		return f, &ReplyError{Command: line, Text: strings.TrimRight(text, "\r\n")}
	}
	return f, nil
}

// firstLine cuts s at its first line end, so an error never carries more
// than the command line, and hides the password of auth and userauth:
// errors end up in logs.
func firstLine(s string) string {
	if i := strings.IndexAny(s, "\r\n"); i >= 0 {
		s = s[:i]
	}
	switch w := strings.ToLower(commandWord(s)); w {
	case "auth", "userauth":
		if len(s) > len(w) {
			return s[:len(w)] + " ********"
		}
	}
	return s
}

// commandWord returns the first word of a command line.
func commandWord(line string) string {
	w, _, _ := strings.Cut(strings.TrimLeft(line, " "), " ")
	return w
}

// formatOf reports the event format a command switches the listener to, as
// FreeSWITCH's parse_command does: "myevents" looks for json or xml in its
// arguments (json wins) and otherwise leaves the format alone; "event"
// switches only when its first argument names a format (even if the names
// after it are missing).
func formatOf(line string) (Format, bool) {
	word := strings.ToLower(commandWord(line))
	switch {
	case strings.HasPrefix(word, "myevents"):
		lower := strings.ToLower(line)
		switch {
		case strings.Contains(lower, "json"):
			return FormatJSON, true
		case strings.Contains(lower, "xml"):
			return FormatXML, true
		}
	case strings.HasPrefix(word, "event"):
		fields := strings.Fields(line)
		if len(fields) > 1 {
			switch f := Format(strings.ToLower(fields[1])); f {
			case FormatPlain, FormatJSON, FormatXML:
				return f, true
			}
		}
	}
	return "", false
}

// trace writes one frame to Trace in the transcripts' wire.txt format:
// a "--- +<ms> C>" or "F>" line, the frame's bytes, and a line end if the
// frame has none. Trace write errors are ignored: tracing must never break
// a call.
func (c *Conn) trace(dir string, b []byte) {
	w := c.tracing()
	if w == nil {
		return
	}
	ms := time.Since(c.start).Milliseconds()
	var buf bytes.Buffer
	fmt.Fprintf(&buf, "--- +%d %s\n", ms, dir)
	buf.Write(b)
	if len(b) == 0 || b[len(b)-1] != '\n' {
		buf.WriteByte('\n')
	}
	c.traceMu.Lock()
	defer c.traceMu.Unlock()
	_, _ = w.Write(buf.Bytes())
}
