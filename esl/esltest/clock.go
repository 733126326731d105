package esltest

import (
	"time"
)

// The simulated clock. Media runs fast, people and web apps do not: while
// an application runs on the channel (a prompt playing, a gather's
// timeout, a bridge ringing, park) or the call's timer runs for simulated
// time (the linger), real time counts Options.Speed times over; while
// nothing of the kind runs (the channel is parked between commands,
// waiting for the daemon, which may be waiting for its web app) real time
// counts once. So an app that took 3 s to answer adds 3 s to the call, not
// 3 s times Speed, and a 3 s prompt still plays in 3 s / Speed.
//
// The clock moves in steps: when an input arrives (a command, a caller
// action) it catches up with the real time since its last step, at the
// rate in force; when the timer fires it moves exactly to the timer's
// deadline. So an app that ends on its own lasts exactly its simulated
// duration however late the goroutine ran (the 500 ms loop rule and the
// playback/record variables depend on it), and timestamps and CDR
// durations agree with the simulated media.

// now is the simulated time.
func (c *Call) now() time.Time { return c.vnow }

// rate is how many simulated nanoseconds a real one is worth now: Speed
// while an app runs or a simulated-time timer does, 1 otherwise.
func (c *Call) rate() float64 {
	if c.act != nil || len(c.nested) > 0 || (c.timerFn != nil && c.timerScaled) {
		return c.o.Speed
	}
	return 1
}

// tick brings the clock up to the present for an input that just arrived.
// A timer whose deadline that passes fires first, at its deadline: in
// simulated time it happened before the input, even if the goroutine got
// to the input first; the real time after it counts at the rate that
// follows.
func (c *Call) tick() {
	now := time.Now()
	for !c.finished {
		r := now.Sub(c.lastReal)
		if r < 0 {
			r = 0
		}
		t := c.vnow.Add(time.Duration(float64(r) * c.rate()))
		if c.timerFn == nil || t.Before(c.deadline) {
			c.vnow, c.lastReal = t, now
			return
		}
		c.timer.Stop()
		c.fireTimer()
		c.settle()
	}
}

// fireTimer moves the clock to the timer's deadline and runs its function.
// A HangupAfter due no later than that deadline goes first: the two wait
// on separate real timers, which at a high Speed fire within the same
// instant, and the loop's select would pick between them at random (a
// record's silence timer ending the recording before a hangup simulated
// to come earlier). After the hangup the timer is re-armed for what is
// left of it, if the hangup left it set.
func (c *Call) fireTimer() {
	if !c.hangupAt.IsZero() && !c.hangupAt.After(c.deadline) {
		c.advanceTo(c.hangupAt)
		c.hangupAtDue()
		if !c.finished && c.timerFn != nil {
			c.timer.Stop()
			c.timer.Reset(c.real(max(c.deadline.Sub(c.vnow), 0)))
		}
		return
	}
	c.advanceTo(c.deadline)
	fn := c.timerFn
	c.timerFn = nil
	if fn != nil {
		fn()
	}
}

// advanceTo moves the clock to the simulated moment t, if it is ahead, and
// the real instant it is measured from to the one t stands for (not later
// than now).
func (c *Call) advanceTo(t time.Time) {
	if t.After(c.vnow) {
		at := c.lastReal.Add(time.Duration(float64(t.Sub(c.vnow)) / c.rate()))
		c.lastReal = minTime(at, time.Now())
		c.vnow = t
	}
}

// real converts a simulated duration to wall-clock time at Speed.
func (c *Call) real(d time.Duration) time.Duration {
	return time.Duration(float64(d) / c.o.Speed)
}
