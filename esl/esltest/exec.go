package esltest

import (
	"strconv"
	"strings"
	"time"

	"github.com/callhook/callhook/esl"
)

// message is one sendmsg for our channel (switch_ivr_parse_event input).
type message struct{ cmd esl.Command }

// execRun is a sendmsg execute in progress, across its loop iterations.
type execRun struct {
	app, arg  string
	uuid      string // Event-UUID, "" when none was sent
	uuidName  string
	loops     int // <0 forever
	iter      int // iterations started
	iterStart time.Time
	last      time.Duration // simulated length of the last iteration
	run       int           // index of the current AppRun in c.apps
	argExp    string
	appUUID   string
	msg       *message
	eventLock bool // event-lock: while it runs, no queued message nests in it
}

// suspended is an app interrupted by a message that nested in it.
type suspended struct {
	exec *execRun
	act  activity
	fn   func()        // its pending timer, nil when none
	left time.Duration // the timer's remaining simulated time
}

// activity is a running application waiting for time, digits, audio, a
// break or the hangup. Every method runs on the loop; an activity ends by
// calling c.finishApp. nestable reports whether the app parses the
// session's queued messages while it runs (switch_ivr_parse_all_events),
// which lets a message queued without event-lock run inside it.
type activity interface {
	digit(c *Call, d byte)
	talk(c *Call)
	stop(c *Call, why stopReason)
	nestable() bool
}

type stopReason int

const (
	stopBreak  stopReason = iota // api uuid_break
	stopHangup                   // the channel hung up
)

// sendmsgFrom takes a sendmsg (parse_command, then switch_ivr_parse_event
// on the session thread) and returns its reply
// text, or "" when the reply comes later (static mode runs it inline).
// fromInbound messages always go through the queue.
func (c *Call) sendmsgFrom(cmd esl.Command, fromInbound bool) string {
	target := strings.TrimSpace(cmd.Line[len("sendmsg"):])
	if target == "" {
		target = cmd.Headers.Get("session-id")
	}
	if target != "" && target != c.ch.uuid {
		return "-ERR invalid session id [" + target + "]"
	}
	m := &message{cmd: cmd}
	if c.async || fromInbound || strings.EqualFold(cmd.Headers.Get("async"), "true") {
		// Queued to the session; the push also wakes the park loop, and an
		// app running without event-lock runs it nested (pump, canNest).
		// not captured: in static mode nothing pops the queue during the
		// socket session (FreeSWITCH's session thread sits in the
		// listener), so such messages never run here.
		c.queue = append(c.queue, m)
		return "+OK"
	}
	// Static mode: switch_ivr_parse_event runs in the listener thread, so
	// the reply waits for the app and nothing is read or written meanwhile.
	c.inline = m
	c.runMessage(m)
	c.pump()
	if c.inline == m && c.exec == nil && c.act == nil {
		c.inline = nil
		return "+OK"
	}
	return ""
}

// runMessage is switch_ivr_parse_event for one message.
func (c *Call) runMessage(m *message) {
	h := m.cmd.Headers
	switch h.Get("call-command") {
	case "execute":
		app := h.Get("execute-app-name")
		if app == "" || !c.ch.up {
			// No app, or a dead channel: nothing happens, no events.
			return
		}
		arg := h.Get("execute-app-arg")
		if arg == "" && strings.EqualFold(h.Get("content-type"), "text/plain") {
			arg = string(m.cmd.Body)
		}
		loops := 1
		if s := h.Get("loops"); s != "" {
			loops = atoi(s)
		}
		e := &execRun{app: app, arg: arg, loops: loops, msg: m,
			uuid: h.Get("event-uuid"), uuidName: h.Get("event-uuid-name"),
			eventLock: strings.EqualFold(h.Get("event-lock"), "true") || strings.EqualFold(h.Get("event-lock-pri"), "true")}
		c.logCommandExecute(app, arg)
		if e.uuid != "" {
			c.setVar("app_uuid", e.uuid)
		}
		c.exec = e
	case "hangup":
		c.hangup(causeName(h.Get("hangup-cause")), ByDaemon)
	default:
		// not captured: unicast, nomedia, xferext and unknown call-commands
		// are accepted (+OK) with no visible effect.
	}
}

// pump is the session thread: it advances loop iterations, pops queued
// messages while parked, reads DTMF while parked, and runs the hangup tail
// once nothing is executing.
func (c *Call) pump() {
	for !c.finished {
		if c.inApp {
			return
		}
		if c.act != nil {
			if c.canNest() {
				c.suspend()
				continue
			}
			c.readDigits()
			return
		}
		if c.exec != nil {
			c.iterate()
			continue
		}
		if len(c.nested) > 0 {
			// parse_all_events goes on with the queue, then the
			// interrupted app resumes.
			if c.ch.up && len(c.queue) > 0 {
				c.runMessage(c.popQueue())
				continue
			}
			c.resume()
			continue
		}
		if c.transferred && !c.leftSocket && !c.tailDone {
			c.leaveSocket()
			continue
		}
		if !c.ch.up {
			// A static-mode sendmsg still owes its +OK: the tail waits.
			if !c.tailDone && c.inline == nil {
				c.tail()
			}
			return
		}
		if c.async && (c.parked || c.leftSocket) && len(c.queue) > 0 {
			c.runMessage(c.popQueue())
			continue
		}
		if c.leftSocket {
			// The new extension ran out of actions: FreeSWITCH hangs up
			// ("executed the last dialplan instruction").
			c.hangup("NORMAL_CLEARING", ByDialplan)
			continue
		}
		c.readDigits()
		return
	}
}

// popQueue takes the first queued message.
func (c *Call) popQueue() *message {
	m := c.queue[0]
	c.queue[0] = nil
	c.queue = c.queue[1:]
	return m
}

// canNest reports whether the first queued message runs inside the running
// app: async mode, an app that parses events, started without event-lock
// (FreeSWITCH's nested execution: such an app calls
// switch_ivr_parse_all_events, which runs the queue inside it).
func (c *Call) canNest() bool {
	return c.async && c.ch.up && len(c.queue) > 0 && c.exec != nil && !c.exec.eventLock && c.act.nestable()
}

// suspend interrupts the running app (its timer keeps its remaining time)
// and runs the first queued message inside it.
func (c *Call) suspend() {
	st := suspended{exec: c.exec, act: c.act}
	if c.timerFn != nil {
		st.fn, st.left = c.timerFn, c.deadline.Sub(c.vnow)
		c.stopTimer()
	}
	c.nested = append(c.nested, st)
	c.exec, c.act = nil, nil
	c.runMessage(c.popQueue())
}

// resume goes back to the app a nested message interrupted; if the channel
// went down meanwhile, that app ends now, after the nested one.
func (c *Call) resume() {
	st := c.nested[len(c.nested)-1]
	c.nested = c.nested[:len(c.nested)-1]
	c.exec, c.act = st.exec, st.act
	if !c.ch.up {
		c.act.stop(c, stopHangup)
		return
	}
	if st.fn != nil {
		c.setTimer(st.left, st.fn)
	}
}

// iterate starts the next loop iteration of the current execute, or ends
// it. Loops stop early when the channel is down or an iteration took less
// than 500 ms (switch_ivr_parse_event).
func (c *Call) iterate() {
	e := c.exec
	// loops: 0 runs nothing (FreeSWITCH's for loop never starts).
	if !c.ch.up || e.loops == 0 || (e.iter > 0 && ((e.loops >= 0 && e.iter >= e.loops) || e.last < 500*time.Millisecond)) {
		c.endExec()
		return
	}
	e.iter++
	total := strconv.Itoa(e.loops)
	c.setVar("current_loop", strconv.Itoa(e.iter))
	c.setVar("total_loops", total)
	c.startApp(e)
}

// endExec finishes an execute: the loop variables go, and a static-mode
// sendmsg finally gets its +OK.
func (c *Call) endExec() {
	e := c.exec
	if e == nil {
		return
	}
	c.exec = nil
	c.delVar("current_loop")
	c.delVar("total_loops")
	if c.inline == e.msg {
		c.inline = nil
		if !c.finished {
			c.reply(replyFrame("+OK"))
		}
	}
}

// startApp is switch_core_session_exec: unknown apps hang the channel up
// with no events at all; known ones fire CHANNEL_EXECUTE and run.
func (c *Call) startApp(e *execRun) {
	def, ok := c.lookupApp(e.app)
	if !ok {
		c.hangup("DESTINATION_OUT_OF_ORDER", ByApp)
		return
	}
	arg := c.expand(e.arg)
	e.argExp = arg
	e.appUUID = e.uuid
	if e.appUUID == "" {
		e.appUUID = esl.NewUUID()
	}
	if def.media && c.ch.answerState == "ringing" {
		// switch_core_session_execute_application_get_flags pre-answers
		// for an app that needs media before switch_core_session_exec
		// fires CHANNEL_EXECUTE (src/switch_core_session.c), so
		// CHANNEL_PROGRESS_MEDIA comes first.
		c.preAnswer()
	}
	if e.uuid != "" {
		c.delVar("app_uuid")
	}
	c.setVar("current_application", e.app)
	c.setVar("current_application_data", arg)
	c.delVar("current_application_response")
	c.queueEvent(channelEvent(&c.ch, "CHANNEL_EXECUTE", c.now(), nil, c.appHeaders(e, false)))
	c.setVar("current_application", e.app)
	e.iterStart = c.now()
	run := AppRun{App: e.app, Arg: arg, UUID: e.appUUID, Loop: e.iter, Start: e.iterStart}
	c.mu.Lock()
	e.run = len(c.apps)
	c.apps = append(c.apps, run)
	c.notifyLocked()
	c.mu.Unlock()
	if c.o.OnApp != nil {
		c.o.OnApp(c, run)
	}
	c.inApp = true
	c.logAfter = nil
	def.start(c, arg)
	c.inApp = false
	c.logExecute(&c.ch, e.app, arg)
	for _, l := range c.logAfter {
		c.log(l)
	}
	c.logAfter = nil
	if c.o.OnApp != nil {
		// What the hook asked for (digits, a hangup) reaches the app as it
		// starts, before any of its timers can fire.
		c.drainActions()
	}
}

// appHeaders are the trailing headers of CHANNEL_EXECUTE(_COMPLETE).
func (c *Call) appHeaders(e *execRun, complete bool) []header {
	h := make([]header, 0, 5)
	h = append(h, header{"Application", e.app})
	if e.argExp != "" {
		h = append(h, header{"Application-Data", e.argExp})
	}
	if complete {
		h = append(h, header{"Application-Response", c.appResponse()})
	}
	h = append(h, header{"Application-UUID", e.appUUID})
	if e.uuidName != "" {
		h = append(h, header{"Application-UUID-Name", e.uuidName})
	}
	return h
}

// appResponse is Application-Response: current_application_response, or
// "_none_" when the app left none.
func (c *Call) appResponse() string {
	if r, _ := c.ch.vars.get("current_application_response"); r != "" {
		return r
	}
	return "_none_"
}

// finishApp ends the running application: CHANNEL_EXECUTE_COMPLETE with
// the response the app left in current_application_response.
func (c *Call) finishApp() {
	e := c.exec
	c.act = nil
	if e == nil {
		return
	}
	c.stopTimer()
	post := c.appHeaders(e, true)
	c.queueEvent(channelEvent(&c.ch, "CHANNEL_EXECUTE_COMPLETE", c.now(), nil, post))
	now := c.now()
	e.last = now.Sub(e.iterStart)
	c.mu.Lock()
	if e.run < len(c.apps) {
		c.apps[e.run].Response = c.appResponse()
		c.apps[e.run].End = now
	}
	c.notifyLocked()
	c.mu.Unlock()
}

// expand is switch_channel_expand_variables for ${name} (FreeSWITCH
// expands app arguments unless app_disable_expand_variables is set).
func (c *Call) expand(s string) string {
	if !strings.Contains(s, "${") {
		return s
	}
	if v, _ := c.ch.vars.get("app_disable_expand_variables"); v == "true" {
		return s
	}
	var b strings.Builder
	for {
		i := strings.Index(s, "${")
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		j := strings.IndexByte(s[i:], '}')
		if j < 0 {
			b.WriteString(s)
			return b.String()
		}
		b.WriteString(s[:i])
		v, _ := c.ch.lookupVar(s[i+2 : i+j])
		b.WriteString(v)
		s = s[i+j+1:]
	}
}
