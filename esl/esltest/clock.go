package esltest

import (
	"time"
)

// now is the simulated clock. It moves in steps: to real time since the
// call started times Speed whenever an input arrives, and exactly to a
// timer's deadline when the timer fires. So an app that ends on its own
// lasts exactly its simulated duration however late the goroutine ran
// (the 500 ms loop rule and the playback/record variables depend on it),
// and timestamps and CDR durations agree with the simulated media.
func (c *Call) now() time.Time { return c.vnow }

// tick advances the clock to the scaled real time, for an input that just
// arrived. A timer whose deadline that passes fires first, at its
// deadline: in simulated time it happened before the input, even if the
// goroutine got to the input first.
func (c *Call) tick() {
	t := c.start.Add(time.Duration(float64(time.Since(c.start)) * c.o.Speed))
	for c.timerFn != nil && !c.finished && !t.Before(c.deadline) {
		c.timer.Stop()
		c.fireTimer()
		c.settle()
	}
	if t.After(c.vnow) {
		c.vnow = t
	}
}

// fireTimer moves the clock to the timer's deadline and runs its function.
func (c *Call) fireTimer() {
	if c.deadline.After(c.vnow) {
		c.vnow = c.deadline
	}
	fn := c.timerFn
	c.timerFn = nil
	if fn != nil {
		fn()
	}
}

// real converts a simulated duration to wall-clock time.
func (c *Call) real(d time.Duration) time.Duration {
	return time.Duration(float64(d) / c.o.Speed)
}
