package esl

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// A Conn bounds how long FreeSWITCH may stay silent with one timer, the
// watchdog, armed for the earliest of two things:
//
//   - the deadline of the oldest reply awaited (ReplyTimeout, APITimeout),
//     whether or not its sender still waits: a slot left by a cancelled Send
//     is still FreeSWITCH's to answer;
//   - on an outbound connection after connect, with no reply awaited, the
//     end of ProbeAfter of silence, when it sends a probe.
//
// The reader only stamps lastRead per frame; the timer is moved only to
// fire earlier (a command's deadline before the time armed), never later:
// the watchdog re-arms itself when it fires early. No goroutine waits for
// any of it.

// probeCommand is the silence probe: getvar of a variable no dialplan sets.
// FreeSWITCH's listener thread answers it at once, even while the session
// thread runs a bridge or a conference (mod_event_socket.c, parse_command:
// getvar only reads the channel's variables), with "-ERR command not found"
// for an unset variable. Any reply proves the peer alive; it is swallowed.
const probeCommand = "getvar callhook_probe"

// replyTimeoutLocked is how long FreeSWITCH may take to answer a command.
func (c *Conn) replyTimeoutLocked(line string) time.Duration {
	word := strings.ToLower(commandWord(line))
	switch {
	case word == "api":
		// parse_command runs the API inline and replies when it returns.
		return c.opts.APITimeout
	case c.outbound && c.static && strings.HasPrefix(word, "sendmsg"):
		// A static socket runs the application inline and replies when
		// it ends (switch_ivr_parse_event via parse_command).
		return 0
	}
	return c.opts.ReplyTimeout
}

// pushSlotLocked queues s for the next reply and arms its deadline. Only
// the oldest slot's deadline runs: FreeSWITCH reads a command only once it
// has answered the one before, so a later slot's time starts then
// (repliedLocked).
func (c *Conn) pushSlotLocked(s *replySlot) {
	s.timeout = c.replyTimeoutLocked(s.line)
	if s.timeout > 0 {
		s.deadline = time.Now().Add(s.timeout)
	}
	c.replyQueue.push(s)
	if c.replyQueue.len() == 1 && s.timeout > 0 {
		c.armLocked(s.deadline)
	}
}

// repliedLocked runs when a reply has been taken off the FIFO: the next
// slot's time starts now, or, with nothing awaited, the silence probe's.
func (c *Conn) repliedLocked() {
	if next := c.replyQueue.head(); next != nil {
		if next.timeout > 0 {
			if d := time.Now().Add(next.timeout); d.After(next.deadline) {
				next.deadline = d
			}
			c.armLocked(next.deadline)
		}
		return
	}
	if c.probing() {
		// Only ever earlier: the timer is mostly armed already, for the
		// deadline of the reply that just came, at most ReplyTimeout from
		// now (an api's APITimeout can be later than the probe: then it
		// moves). It is left there: the watchdog then finds nothing overdue and re-arms
		// itself for the probe, due ProbeAfter after the last frame read.
		// A call sends its commands far more often than ReplyTimeout, so
		// that costs less than moving the timer at every reply (and again
		// at every command).
		c.armLocked(time.Now().Add(c.opts.ProbeAfter))
	} else {
		c.stopWatchLocked()
	}
}

// probing reports whether silence is probed: an outbound connection after
// the connect reply, before FreeSWITCH said goodbye.
func (c *Conn) probing() bool {
	return c.opts.ProbeAfter > 0 && c.outbound && c.connected && !c.finalSeen && c.err == nil
}

// armLocked makes the watchdog run at at, or earlier if it is armed for
// earlier.
func (c *Conn) armLocked(at time.Time) {
	if c.err != nil {
		return
	}
	if !c.watchAt.IsZero() && !at.Before(c.watchAt) {
		return
	}
	c.watchAt = at
	d := time.Until(at)
	if c.watch == nil {
		c.watch = time.AfterFunc(d, c.watchdog)
		return
	}
	c.watch.Reset(d)
}

// stopWatchLocked disarms the watchdog.
func (c *Conn) stopWatchLocked() {
	if c.watch != nil && !c.watchAt.IsZero() {
		c.watch.Stop()
	}
	c.watchAt = time.Time{}
}

// watchdog runs on the timer's goroutine: it ends the connection when the
// oldest awaited reply is overdue, probes a silent connection, and re-arms
// itself for whatever comes next.
func (c *Conn) watchdog() {
	c.mu.Lock()
	c.watchAt = time.Time{}
	if c.err != nil {
		c.mu.Unlock()
		return
	}
	now := time.Now()
	if s := c.replyQueue.head(); s != nil {
		if s.timeout <= 0 {
			// Unbounded (a static sendmsg): repliedLocked re-arms.
			c.mu.Unlock()
			return
		}
		if now.Before(s.deadline) {
			c.armLocked(s.deadline)
			c.mu.Unlock()
			return
		}
		what := "the reply to " + fmt.Sprintf("%q", s.line)
		if s.line == probeCommand {
			what = fmt.Sprintf("the reply to the silence probe (%q)", s.line)
		}
		c.mu.Unlock()
		c.fail(fmt.Errorf("%w: %s did not come within %v", ErrNoReply, what, s.timeout))
		return
	}
	if !c.probing() {
		c.mu.Unlock()
		return
	}
	quietSince := c.start.Add(time.Duration(c.lastRead.Load()))
	if due := quietSince.Add(c.opts.ProbeAfter); now.Before(due) {
		c.armLocked(due)
		c.mu.Unlock()
		return
	}
	c.mu.Unlock()
	c.probe()
}

// probe sends the silence probe with a slot abandoned from the start: no
// goroutine waits for the reply, the watchdog enforces its deadline and the
// reader swallows it.
func (c *Conn) probe() {
	wire, _ := Command{Line: probeCommand}.Encode()
	c.wmu.Lock()
	defer c.wmu.Unlock()
	c.mu.Lock()
	if c.err != nil || c.replyQueue.len() > 0 {
		// A command went out meanwhile: its reply is the probe.
		c.mu.Unlock()
		return
	}
	c.pushSlotLocked(&replySlot{abandoned: true, line: probeCommand})
	c.mu.Unlock()
	// The write is bounded by WriteTimeout; a failed write ends the
	// connection (writeLocked).
	_ = c.writeLocked(context.Background(), wire)
}
