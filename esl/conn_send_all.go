package esl

import (
	"context"
	"fmt"
)

// SendAll writes cmds back to back, in one write, and waits for their
// replies in order: replies[i] and errs[i] are what Send(ctx, cmds[i])
// would have returned. It is for commands a caller would send one after
// another anyway, whatever the replies say (linger and myevents at the
// start of a call): one write(2) and one round trip instead of one per
// command.
//
// FreeSWITCH reads a socket's commands one at a time and answers each
// before it reads the next (mod_event_socket.c: the listener's loop calls
// read_packet, then parse_command, which writes the reply), so commands
// written together are answered in order, as if sent one by one; the
// reply slots are queued in that order under the write lock, and only the
// first one's reply deadline runs until its reply comes (pushSlotLocked).
//
// The checks of Send apply to each command in order: if one cannot be
// encoded or may not go out (a command before connect, the connection
// ended), nothing is written and every errs[i] says why. If ctx ends
// first, the replies still awaited are swallowed as Send swallows its own.
func (c *Conn) SendAll(ctx context.Context, cmds ...Command) (replies []*Frame, errs []error) {
	replies, errs = make([]*Frame, len(cmds)), make([]error, len(cmds))
	var slotArr [4]*replySlot // a call's SendAll sends at most three: no allocation
	slots, err := c.writeAll(ctx, cmds, slotArr[:0])
	if err != nil {
		for i := range errs {
			errs[i] = err
		}
		return replies, errs
	}
	for i, s := range slots {
		replies[i], errs[i] = c.awaitReply(ctx, cmds[i], s)
	}
	return replies, errs
}

// writeAll is write for several commands: their slots are queued in order,
// appended to slots, and their wire bytes written at once, under the write
// lock.
func (c *Conn) writeAll(ctx context.Context, cmds []Command, slots []*replySlot) ([]*replySlot, error) {
	buf := getWireBuf()
	wire := *buf
	defer func() { putWireBuf(buf, wire) }()
	var endArr [4]int
	ends := endArr[:0] // where each command's bytes end in wire
	for _, cmd := range cmds {
		var err error
		if wire, err = cmd.appendEncoded(wire); err != nil {
			return nil, fmt.Errorf("encode %q: %w", firstLine(cmd.Line), err)
		}
		ends = append(ends, len(wire))
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("send %q: %w", firstLine(cmds[0].Line), err)
	}
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if err := ctx.Err(); err != nil {
		// It ended while another write held the lock: nothing is
		// written or queued, so the connection goes on.
		return nil, fmt.Errorf("send %q: %w", firstLine(cmds[0].Line), err)
	}

	c.mu.Lock()
	// Every command is checked before any slot is queued: nothing is
	// written unless all of them may go.
	connectSent := c.connectSent
	for _, cmd := range cmds {
		isConnect, err := c.mayGoLocked(firstLine(cmd.Line), connectSent)
		if err != nil {
			c.mu.Unlock()
			return nil, err
		}
		connectSent = connectSent || isConnect
	}
	for _, cmd := range cmds {
		s, _ := c.slotLocked(firstLine(cmd.Line)) // checked above
		slots = append(slots, s)
	}
	c.mu.Unlock()

	if tr := c.tracing(); tr != nil {
		// One trace record per command, as if each had its own write.
		start := 0
		for _, end := range ends {
			c.trace("C>", wire[start:end])
			start = end
		}
	}
	n, err := c.writeWire(ctx, wire)
	if c.opts.Counter != nil {
		if err == nil {
			start := 0
			for _, end := range ends {
				c.opts.Counter.CountFrame(Sent, CounterCommand, end-start)
				start = end
			}
		} else {
			c.opts.Counter.CountFrame(Sent, CounterCommand, n)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("send %q: %w", firstLine(cmds[0].Line), err)
	}
	return slots, nil
}
