package esltest

import (
	"errors"
	"strconv"
	"strings"

	"github.com/callhook/callhook/esl"
)

// onReadError ends the listener: the daemon closed (or reset) the socket,
// or sent what FreeSWITCH drops the connection for (a Content-Length < 0
// or > 16 MiB). FreeSWITCH still tries the disconnect notice.
// not captured: during a static-mode app FreeSWITCH would notice only once
// the app returns; the simulator ends at once, so nothing waits on a
// connection nobody reads.
func (c *Call) onReadError(err error) {
	var pe *esl.ProtocolError
	if errors.As(err, &pe) {
		c.closeWithNotice()
		return
	}
	c.pending = nil
	c.writeFrame(disconnectFrame(c.ch.uuid))
	c.finish()
}

// onCommand handles one command, as listener_run and parse_command do.
func (c *Call) onCommand(in cmdIn) {
	cmd := in.cmd
	c.mu.Lock()
	c.received = append(c.received, cmd)
	c.notifyLocked()
	c.mu.Unlock()
	if in.raw != nil {
		c.trace("C>", in.raw)
	}
	if !c.gotFirst {
		c.gotFirst = true
		c.stopTimer()
		// listener_run runs the first packet through parse_command but only
		// connect writes its own reply; any other reply is dropped.
		c.dropReply = !isWord(cmd.Line, "connect")
	}
	wasConnected := c.connected
	c.dispatch(cmd)
	if c.finished || !wasConnected {
		return
	}
	c.afterConn++
	if c.async && !c.everParked && c.ch.up {
		switch p := c.o.Park; {
		case p > 0 && c.afterConn >= int(p):
			c.park()
		case p == ParkOnFirstSendmsg && isWord(cmd.Line, "sendmsg"):
			c.park()
		}
	}
	c.holdNext = c.o.EventsBeforeReply
}

// isWord reports whether line starts with word, case-insensitively
// (parse_command's strncasecmp prefix matching).
func isWord(line, word string) bool {
	return len(line) >= len(word) && strings.EqualFold(line[:len(word)], word)
}

// reply writes a command's reply, unless it is the dropped reply to a
// first command that was not connect.
func (c *Call) reply(f *esl.Frame) {
	if c.dropReply {
		c.dropReply = false
		return
	}
	c.writeFrame(f)
}

// dispatch is parse_command: commands in its order, the full gate, and the
// exact reply texts, typos included (mod_event_socket.c). Without full,
// every command after sendmsg in parse_command's order answers "-ERR
// command not found", api included (as a command/reply).
func (c *Call) dispatch(cmd esl.Command) {
	line := cmd.Line
	arg := func(n int) string { return strings.TrimSpace(line[n:]) }
	switch {
	case isWord(line, "exit"), isWord(line, "..."):
		c.reply(replyFrame("+OK bye"))
		c.pending = nil
		c.closeWithNotice()
		return
	case isWord(line, "filter "):
		c.reply(replyFrame(c.sub.filterCmd(arg(7))))
		return
	case isWord(line, "resume"):
		c.resumed = true
		c.setVar("socket_resume", "true")
		c.reply(replyFrame("+OK"))
		return
	case isWord(line, "connect"):
		c.connect()
		return
	case isWord(line, "getvar"):
		v, _ := c.ch.lookupVar(arg(6))
		if v == "" {
			v = "-ERR command not found"
		}
		c.reply(replyFrame(v))
		return
	case isWord(line, "myevents"):
		c.reply(replyFrame(c.myEvents(line)))
		return
	case isWord(line, "divert_events"):
		switch v := arg(13); {
		case v == "":
			c.reply(replyFrame("-ERR missing value."))
		case strings.EqualFold(v, "on"):
			c.reply(replyFrame("+OK events diverted"))
		default:
			c.reply(replyFrame("+OK events not diverted"))
		}
		return
	case isWord(line, "sendmsg"):
		if r := c.sendmsgFrom(cmd, false); r != "" {
			c.reply(replyFrame(r))
		}
		return
	}
	if !c.full {
		c.reply(replyFrame("-ERR command not found"))
		return
	}
	switch {
	case isWord(line, "linger"):
		c.lingering = true
		if s := arg(6); s == "" {
			c.lingerSecs = -1
			c.reply(replyFrame("+OK will linger"))
		} else {
			c.lingerSecs = atoi(s)
			c.reply(replyFrame("+OK will linger " + strconv.Itoa(c.lingerSecs) + " seconds"))
		}
	case isWord(line, "nolinger"):
		c.lingering = false
		c.reply(replyFrame("+OK will not linger"))
		if c.tailDone {
			// Lingering after the hangup: the listener's next idle check
			// sees the channel down with no linger and disconnects.
			c.closeWithNotice()
		}
	case isWord(line, "event"):
		c.reply(replyFrame(c.sub.eventCmd(arg(5))))
	case isWord(line, "nixevent"):
		if c.sub.nix(strings.Fields(arg(8))) {
			c.reply(replyFrame("+OK events nixed"))
		} else {
			c.reply(replyFrame("-ERR no keywords supplied"))
		}
	case isWord(line, "noevents"):
		c.dropQueuedEvents()
		if c.sub.active {
			c.sub.clear()
			c.reply(replyFrame("+OK no longer listening for events"))
		} else {
			c.reply(replyFrame("-ERR not listening for events"))
		}
	case isWord(line, "api "):
		c.reply(apiFrame(c.api(arg(4), ByDaemon)))
	case isWord(line, "bgapi "):
		c.bgapi(arg(6), cmd.Headers.Get("Job-UUID"))
	case isWord(line, "sendevent"):
		c.reply(replyFrame(c.sendEvent(cmd, arg(9))))
	case isWord(line, "log"):
		s := arg(3)
		if s == "" {
			s = "debug"
		}
		if lvl, ok := parseLogLevel(s); ok {
			c.logLevel = lvl
			c.reply(replyFrame("+OK log level " + s + " [" + strconv.Itoa(lvl) + "]"))
		} else {
			c.reply(replyFrame("-ERR invalid log level"))
		}
	case isWord(line, "nolog"):
		if c.logLevel >= 0 {
			c.logLevel = -1
			c.reply(replyFrame("+OK no longer logging"))
		} else {
			c.reply(replyFrame("-ERR not loging"))
		}
	default:
		c.reply(replyFrame("-ERR command not found"))
	}
}

// atoi is C's atoi: leading digits (and sign), 0 otherwise.
func atoi(s string) int {
	i := 0
	if i < len(s) && (s[i] == '-' || s[i] == '+') {
		i++
	}
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	n, _ := strconv.Atoi(s[:i])
	return n
}

// connect answers with the channel data: a CHANNEL_DATA event serialised
// with URL-encoding, no Content-Length, ending with Content-Type,
// Reply-Text (%2BOK%0A, "+OK\n" encoded), Socket-Mode and Control, its last
// four headers (parse_command in mod_event_socket.c).
func (c *Call) connect() {
	first := !c.connected
	c.connected = true
	h := make([]header, 0, 160)
	h = c.o.Switch.prep(h, "CHANNEL_DATA", c.now())
	h = c.ch.prof.appendTo(h, "Channel-")
	h = c.ch.appendBasic(h)
	h = c.ch.appendVars(h)
	mode, control := "static", "single-channel"
	if c.async {
		mode = "async"
	}
	if c.full {
		control = "full"
	}
	h = append(h,
		header{"Content-Type", esl.TypeCommandReply},
		header{"Reply-Text", "+OK\n"},
		header{"Socket-Mode", mode},
		header{"Control", control},
	)
	f := &esl.Frame{Headers: make(esl.Headers, len(h))}
	for i, x := range h {
		f.Headers[i] = esl.Header{Name: x.name, Value: esl.URLEncode(x.value)}
	}
	c.reply(f)
	if first && c.async && c.o.Park == ParkImmediately {
		c.park()
	}
}

// park parks the channel (async mode): CHANNEL_PARK, then the session
// thread starts popping queued messages.
func (c *Call) park() {
	if !c.async || c.everParked || !c.ch.up {
		return
	}
	c.parked, c.everParked = true, true
	c.queueEvent(channelEvent(&c.ch, "CHANNEL_PARK", c.now(), nil, nil))
}

// myEvents subscribes the session's events and turns the session filter on.
func (c *Call) myEvents(line string) string {
	if c.sub.myevents {
		return "-ERR aready enabled."
	}
	c.sub.myevents = true
	c.sub.subscribe(myEventsList)
	// parse_command looks for the words anywhere in the packet (strstr).
	if strings.Contains(line, "xml") || strings.Contains(line, "XML") {
		c.sub.format = esl.FormatXML
	}
	if strings.Contains(line, "json") || strings.Contains(line, "JSON") {
		c.sub.format = esl.FormatJSON
	}
	return "+OK Events Enabled"
}

// dropQueuedEvents purges events not yet written (noevents does).
func (c *Call) dropQueuedEvents() {
	kept := c.pending[:0]
	for _, it := range c.pending {
		if it.ev == nil {
			kept = append(kept, it)
		}
	}
	c.pending = kept
}

// sendEvent fires an event built from the command's headers and body, as
// captured: Event-Subclass first, then Command, the daemon's headers, a new
// Event-UUID, and only then the prep headers.
func (c *Call) sendEvent(cmd esl.Command, name string) string {
	name = strings.ToUpper(strings.TrimPrefix(strings.ToUpper(name), "SWITCH_EVENT_"))
	if name == "" {
		name = "CUSTOM"
	}
	if !knownEvents[name] {
		return "-ERR invalid event" // not captured: switch_name_event failure
	}
	e := &event{name: name}
	sub := cmd.Headers.Get("Event-Subclass")
	if name == "CUSTOM" && sub != "" {
		e.subclass = sub
		e.h = append(e.h, header{"Event-Subclass", sub})
	}
	e.h = append(e.h, header{"Command", cmd.Line})
	for _, h := range cmd.Headers {
		if name == "CUSTOM" && strings.EqualFold(h.Name, "Event-Subclass") {
			continue
		}
		e.h = append(e.h, header{h.Name, h.Value})
	}
	id := esl.NewUUID()
	e.h = append(e.h, header{"Event-UUID", id})
	e.h = c.o.Switch.prep(e.h, name, c.now())
	e.body = cmd.Body
	c.queueEvent(e)
	return "+OK " + id
}

// bgapi answers with the job UUID (Reply-Text plus a separate Job-UUID
// header), then fires BACKGROUND_JOB owned by our session.
func (c *Call) bgapi(line, jobUUID string) {
	if jobUUID == "" {
		jobUUID = esl.NewUUID()
	}
	c.reply(&esl.Frame{Headers: esl.Headers{
		{Name: "Content-Type", Value: esl.TypeCommandReply},
		{Name: "Reply-Text", Value: "+OK Job-UUID: " + jobUUID},
		{Name: "Job-UUID", Value: jobUUID},
	}})
	out := c.api(line, ByDaemon)
	c.queueEvent(c.o.Switch.backgroundJob(jobUUID, c.ch.uuid, line, out, c.now()))
}

// setVar sets a channel variable of the controlled channel (under the lock
// Var reads with).
func (c *Call) setVar(name, value string) {
	c.mu.Lock()
	c.ch.vars.set(name, value)
	c.mu.Unlock()
}

// pushVar adds to a channel variable in place (varList.push).
func (c *Call) pushVar(name, value string) {
	c.mu.Lock()
	c.ch.vars.push(name, value)
	c.mu.Unlock()
}

// delVar deletes a channel variable.
func (c *Call) delVar(name string) {
	c.mu.Lock()
	c.ch.vars.del(name)
	c.mu.Unlock()
}
