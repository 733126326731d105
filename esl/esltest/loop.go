package esltest

import (
	"time"
)

// run is the loop: FreeSWITCH's listener thread and the session thread in
// one goroutine, so every state change and every write is ordered.
func (c *Call) run() {
	c.timer = time.NewTimer(c.o.ConnectTimeout)
	c.timerFn = c.connectTimeout
	c.deadline = c.vnow.Add(time.Duration(float64(c.o.ConnectTimeout) * c.o.Speed))
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
