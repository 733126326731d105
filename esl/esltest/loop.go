package esltest

import (
	"time"
)

// run is the loop: FreeSWITCH's listener thread and the session thread in
// one goroutine, so every state change and every write is ordered.
func (c *Call) run() {
	// FreeSWITCH's 25 s for the first command is real time: the daemon is
	// a program, not media.
	c.timer = time.NewTimer(c.o.ConnectTimeout)
	c.timerFn = c.connectTimeout
	c.deadline = c.vnow.Add(c.o.ConnectTimeout)
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
		hangupC := c.armHangupTimer()
		// Caller actions go first: one posted before a command was sent
		// (press a key, then the daemon plays) must not lose a coin toss
		// against that command in the select below.
		select {
		case <-c.actNote:
			if c.tick(); !c.finished {
				c.drainActions()
			}
			c.settle()
			c.flushOut()
			continue
		default:
		}
		select {
		case in := <-cmds:
			if c.tick(); c.finished {
				break // an overdue timer ended the call first
			}
			if c.holding {
				c.holding = false
				c.hold.Stop()
				c.flush()
			}
			c.onCommand(in)
		case <-c.actNote:
			if c.tick(); c.finished {
				break
			}
			c.drainActions()
		case err := <-c.readErr:
			if c.tick(); !c.finished {
				c.onReadError(err)
			}
		case <-c.timer.C:
			c.fireTimer()
		case <-holdC:
			c.tick()
			c.holding = false
			c.flush()
		case <-hangupC:
			if c.tick(); !c.finished && c.vnow.Before(c.hangupAt) {
				// Woken at the computed real moment: the clock is there
				// up to rounding.
				c.vnow = c.hangupAt
			}
			c.hangupAtDue()
		}
		c.settle()
		c.flushOut()
	}
}

// armHangupTimer sets the HangupAfter timer for the loop's next wait (the
// clock's rate may have changed in the last step) and returns its channel,
// nil when no HangupAfter is pending.
func (c *Call) armHangupTimer() <-chan time.Time {
	wait := c.hangupAtWait()
	if wait < 0 {
		return nil
	}
	if c.hangupTimer == nil {
		c.hangupTimer = time.NewTimer(wait)
	} else {
		c.hangupTimer.Reset(wait)
	}
	return c.hangupTimer.C
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
// loop; while it runs the clock runs at Speed (see clock.go; the loop's
// own work between an input and the timer takes no simulated time). Only one
// activity waits at a time (an app, the linger, the connect deadline), so
// one timer per call is enough.
func (c *Call) setTimer(d time.Duration, fn func()) {
	d = max(d, 0)
	c.timer.Stop()
	c.timer.Reset(c.real(d))
	c.deadline = c.vnow.Add(d)
	c.timerFn = fn
	c.timerScaled = true
}

// stopTimer disarms the timer; the clock runs at real speed again.
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
