package esltest

import (
	"time"

	"github.com/callhook/callhook/esl"
)

// actionKind is what another goroutine asks the loop to do.
type actionKind int

const (
	actDigits actionKind = iota
	actHangup
	actTalk
	actKill
	actClose
	actAPI     // an api command from an inbound listener
	actSendmsg // a sendmsg from an inbound listener
	actHangupAt
)

// action is one request queued to the loop. reply, when set, receives one
// answer (it must be buffered).
type action struct {
	kind  actionKind
	s     string
	d     time.Duration
	cmd   esl.Command
	fn    func()
	reply chan string
}

// post queues a to the loop without blocking; it reports false when the
// call is already over.
func (c *Call) post(a action) bool {
	select {
	case <-c.done:
		return false
	default:
	}
	c.actMu.Lock()
	c.actions = append(c.actions, a)
	c.actMu.Unlock()
	select {
	case c.actNote <- struct{}{}:
	default:
	}
	return true
}

// request posts a and waits for its reply, or "" when the call ends (or
// cancel closes) first.
func (c *Call) request(a action, cancel <-chan struct{}) string {
	a.reply = make(chan string, 1)
	if !c.post(a) {
		return ""
	}
	select {
	case s := <-a.reply:
		return s
	case <-c.done:
		// The action may have been the call's last (uuid_kill): its reply
		// is then already buffered.
		select {
		case s := <-a.reply:
			return s
		default:
			return ""
		}
	case <-cancel:
		return ""
	}
}

// drainActions runs every queued action in order (on the loop).
func (c *Call) drainActions() {
	c.actMu.Lock()
	as := c.actions
	c.actions = nil
	c.actMu.Unlock()
	for _, a := range as {
		if c.finished {
			if a.reply != nil {
				a.reply <- ""
			}
			continue
		}
		switch a.kind {
		case actDigits:
			c.callerActs()
			c.digits = append(c.digits, a.s...)
			c.readDigits()
		case actHangup:
			c.callerActs()
			c.hangup(a.s, ByCaller)
		case actTalk:
			c.callerActs()
			now := c.now()
			if !c.talkTo.After(now) {
				c.talkFrom = now
			}
			if until := now.Add(a.d); until.After(c.talkTo) {
				c.talkTo = until
			}
			if c.act != nil {
				c.act.talk(c)
			}
		case actClose:
			c.abort = true
			c.finish()
		case actKill:
			c.kill(a.s)
		case actAPI:
			c.callerActs()
			a.reply <- c.api(a.s, ByAPI)
		case actSendmsg:
			c.callerActs()
			a.reply <- c.sendmsgFrom(a.cmd, true)
		case actHangupAt:
			c.hangupAt, c.hangupAtCause, c.hangupAtFn = c.start.Add(a.d), a.s, a.fn
		}
	}
}

// callerActs parks a channel whose park is still pending: in real
// FreeSWITCH the session thread parks within milliseconds of connect, long
// before a human presses a key or another listener acts on the call.
func (c *Call) callerActs() {
	if c.connected && c.async && !c.everParked {
		c.park()
	}
}

// Digits makes the caller press keys: each becomes a DTMF event when
// something reads the channel's media (the park loop in async mode, or a
// running app); in static mode while no app runs they wait on the channel,
// as in real FreeSWITCH. Valid keys: 0-9 * # A-D.
func (c *Call) Digits(s string) { c.post(action{kind: actDigits, s: s}) }

// Hangup makes the caller hang up with cause (default NORMAL_CLEARING, as a
// loopback A leg's uuid_kill gives the B leg).
func (c *Call) Hangup(cause string) {
	if cause == "" {
		cause = "NORMAL_CLEARING"
	}
	c.post(action{kind: actHangup, s: cause})
}

// HangupAfter makes the caller hang up with cause (default
// NORMAL_CLEARING) once the call has lasted d of simulated call time,
// counted from the start of the call as the simulated clock counts it
// (media fast, waiting on the daemon in real time), so "hang up after 30 s
// of call" means the same whatever the Speed. before, if set, runs on the
// simulator's goroutine just before the hangup, as OnApp does (it must not
// block).
func (c *Call) HangupAfter(d time.Duration, cause string, before func()) {
	if cause == "" {
		cause = "NORMAL_CLEARING"
	}
	c.post(action{kind: actHangupAt, d: d, s: cause, fn: before})
}

// hangupAtDue hangs up for HangupAfter once its time has come; the clock
// is current.
func (c *Call) hangupAtDue() {
	if c.hangupAt.IsZero() || c.finished || c.vnow.Before(c.hangupAt) {
		return
	}
	fn, cause := c.hangupAtFn, c.hangupAtCause
	c.hangupAt, c.hangupAtFn = time.Time{}, nil
	if !c.ch.up {
		return
	}
	c.callerActs()
	if fn != nil {
		fn()
	}
	c.hangup(cause, ByCaller)
}

// hangupAtWait is the real time until HangupAfter's moment at the clock's
// present rate (the loop re-arms it after every step, when the rate may
// have changed), or -1 when none is pending.
func (c *Call) hangupAtWait() time.Duration {
	if c.hangupAt.IsZero() {
		return -1
	}
	sim := c.hangupAt.Sub(c.vnow)
	if sim <= 0 {
		return 0
	}
	wait := time.Duration(float64(sim)/c.rate()) - time.Since(c.lastReal)
	return max(wait, 0)
}

// Talk makes the caller send audio for d of simulated time from now (the
// captures' "caller talks": uuid_broadcast of a tone on the A leg). record
// writes it and its silence detection waits for it to end.
func (c *Call) Talk(d time.Duration) { c.post(action{kind: actTalk, d: d}) }

// Bodies of the notices FreeSWITCH's kill_listener sends (mod_event_socket.c,
// from another thread) instead of the usual goodbye.
const (
	KillShutdown   = "The system is being shut down.\n"
	KillLostEvents = "killed listener because of lost events\n"
	KillLostLogs   = "killed listener because of lost log lines\n"
)

// KillListener makes FreeSWITCH drop the listener as kill_listener does:
// a disconnect notice whose body is reason (KillShutdown, KillLostEvents,
// KillLostLogs), then close, events not yet written lost. The outcome is
// Aborted: what happens to the channel then is FreeSWITCH's business.
func (c *Call) KillListener(reason string) { c.post(action{kind: actKill, s: reason}) }

// readDigits delivers queued digits while something reads the channel:
// switch_channel_dequeue_dtmf fires the DTMF event, then the reader (a
// running app) gets the digit.
func (c *Call) readDigits() {
	for len(c.digits) > 0 && c.ch.up && !c.finished {
		if c.act == nil && !(c.async && c.parked && c.exec == nil) {
			return
		}
		d := c.digits[0]
		c.digits = c.digits[1:]
		c.dialed = append(c.dialed, d)
		c.queueEvent(channelEvent(&c.ch, "DTMF", c.now(), nil, []header{
			{"DTMF-Digit", string(d)},
			{"DTMF-Duration", "2000"},
			{"DTMF-Source", "UNKNOWN"},
		}))
		if c.act != nil {
			c.act.digit(c, d)
		}
	}
}
