package esltest

import (
	"strconv"
	"strings"
	"time"

	"github.com/callhook/callhook/esl"
)

// appDef is a simulated dialplan application. start runs on the loop; it
// either finishes at once (c.finishApp) or leaves an activity in c.act.
// media apps pre-answer an unanswered channel first.
type appDef struct {
	media bool
	start func(c *Call, arg string)
}

// builtinApps are the applications the simulator knows. Those the
// captures show (answer, playback, play_and_get_digits, set, record,
// bridge, hangup) follow them; the others are marked "not captured".
var builtinApps = map[string]appDef{
	"answer":              {start: func(c *Call, _ string) { c.answer(); c.finishApp() }},
	"pre_answer":          {start: func(c *Call, _ string) { c.preAnswer(); c.finishApp() }},
	"ring_ready":          {start: func(c *Call, _ string) { c.ringReady(); c.finishApp() }},
	"playback":            {media: true, start: appPlayback},
	"play_and_get_digits": {media: true, start: appPAGD},
	"record":              {media: true, start: appRecord},
	"record_session":      {media: true, start: appRecordSession},
	"stop_record_session": {start: appStopRecordSession},
	"bridge":              {start: appBridge},
	"set":                 {start: appSet},
	"export":              {start: appSet}, // not captured: as set (export_vars not modelled)
	// not captured: unset, log and info return at once; unset deletes the
	// variable, the others change nothing on the socket.
	"unset": {start: func(c *Call, arg string) { c.delVar(strings.TrimSpace(arg)); c.finishApp() }},
	"log":   {start: func(c *Call, _ string) { c.finishApp() }},
	// not captured: mkdir creates a folder on the switch's host and returns
	// at once; the simulator has no file system.
	"mkdir":     {start: func(c *Call, _ string) { c.finishApp() }},
	"info":      {start: func(c *Call, _ string) { c.finishApp() }},
	"send_dtmf": {start: func(c *Call, _ string) { c.finishApp() }}, // not captured: digits go to the caller, nothing on our socket
	"hangup":    {start: appHangup},
	"respond":   {start: appRespond},
	"transfer":  {start: appTransfer},
	"sleep":     {start: appSleep},
	// not captured: park, conference and echo run until hangup or uuid_break.
	"park":       {start: appForever},
	"conference": {media: true, start: appForever},
	"echo":       {media: true, start: appForever},
	// not captured: say lasts DefaultFileDuration, speak 60 ms per character
	// of text (at least 500 ms); neither sets variables.
	"say":   {media: true, start: appSay},
	"speak": {media: true, start: appSpeak},
}

// lookupApp finds a built-in or an Options.ExtraApps application.
func (c *Call) lookupApp(name string) (appDef, bool) {
	if d, ok := builtinApps[name]; ok {
		return d, true
	}
	if x, ok := c.o.ExtraApps[name]; ok {
		return appDef{start: func(c *Call, _ string) {
			c.waitThen(x.Duration, func() {
				for _, kv := range x.Vars {
					c.setVar(kv[0], kv[1])
				}
				if x.Response != "" {
					c.setVar("current_application_response", x.Response)
				}
			}, false)
		}}, true
	}
	return appDef{}, false
}

// answer marks the channel answered: the caller's loopback leg answers
// first (its CHANNEL_ANSWER reaches only listeners without myevents), then
// ours; the call state turns ACTIVE only after our CHANNEL_ANSWER fired.
func (c *Call) answer() {
	ch := &c.ch
	if ch.answerState == "answered" || !ch.up {
		return
	}
	now := c.now()
	if a := c.aleg; a != nil && a.answerState != "answered" {
		a.prof.answered = now.UnixMicro()
		a.answerState = "answered"
		c.queueEvent(channelEvent(a, "CHANNEL_ANSWER", now, nil, nil))
		a.callState, a.state, a.stateNum = "ACTIVE", csExecute, "4"
	}
	c.mu.Lock()
	ch.prof.answered = now.UnixMicro()
	ch.answerState = "answered"
	c.mu.Unlock()
	c.queueEvent(channelEvent(ch, "CHANNEL_ANSWER", now, nil, nil))
	ch.callState = "ACTIVE"
	c.setVar("endpoint_disposition", "ANSWER")
	c.logAfter = append(c.logAfter, c.answerLogs()...)
}

// preAnswer is early media.
func (c *Call) preAnswer() {
	// not captured: CHANNEL_PROGRESS_MEDIA with Answer-State early, then call
	// state EARLY and endpoint_disposition=EARLY MEDIA.
	ch := &c.ch
	if ch.answerState != "ringing" || !ch.up {
		return
	}
	now := c.now()
	c.mu.Lock()
	ch.prof.progressMedia = now.UnixMicro()
	ch.answerState = "early"
	c.mu.Unlock()
	c.queueEvent(channelEvent(ch, "CHANNEL_PROGRESS_MEDIA", now, nil, nil))
	ch.callState = "EARLY" // after the event, as answer's ACTIVE (captured)
	c.setVar("endpoint_disposition", "EARLY MEDIA")
}

// ringReady signals ringing.
func (c *Call) ringReady() {
	// not captured: CHANNEL_PROGRESS (once), then call state RING_WAIT.
	ch := &c.ch
	if ch.answerState != "ringing" || !ch.up || ch.prof.progress != 0 {
		return
	}
	now := c.now()
	c.mu.Lock()
	ch.prof.progress = now.UnixMicro()
	c.mu.Unlock()
	c.queueEvent(channelEvent(ch, "CHANNEL_PROGRESS", now, nil, nil))
	ch.callState = "RING_WAIT" // after the event, as answer's ACTIVE (captured)
}

// appSet is set name=value (an empty value unsets).
func appSet(c *Call, arg string) {
	name, value, _ := strings.Cut(arg, "=")
	if name = strings.TrimSpace(name); name != "" {
		c.setVar(name, value)
	}
	c.finishApp()
}

// appHangup hangs the channel up from inside the app: CHANNEL_HANGUP comes
// between the app's EXECUTE and its COMPLETE.
func appHangup(c *Call, arg string) {
	cause := strings.TrimSpace(arg)
	if cause == "" {
		cause = "NORMAL_CLEARING"
	}
	c.hangup(causeName(cause), ByApp)
	c.finishApp()
}

// appRespond is respond "<code> [reason]" (mod_dptools' respond_function
// sends SWITCH_MESSAGE_INDICATE_RESPOND). mod_sofia answers it on an
// unanswered channel with code over 399 by sending that final response
// and hanging up with sofia_glue_sip_cause_to_freeswitch(code)
// (src/mod/endpoints/mod_sofia/mod_sofia.c, sofia_glue.c): CHANNEL_HANGUP
// comes before the app's completion, as with hangup. Other endpoints
// (loopback) have no handler for the message: nothing happens. Not
// captured; the simulator keeps the code it sent in sip_term_status-like
// RespondedCode for tests.
func appRespond(c *Call, arg string) {
	code := atoi(strings.Fields(arg + " 0")[0])
	if strings.HasPrefix(c.ch.name, "sofia/") && c.ch.answerState != "answered" && code > 399 {
		c.mu.Lock()
		c.responded = code
		c.mu.Unlock()
		c.hangup(causeName(sofiaCause(code)), ByApp)
	}
	c.finishApp()
}

// sofiaCause is sofia_glue_sip_cause_to_freeswitch for the codes the
// simulator's tests send; others are NORMAL_UNSPECIFIED there too.
func sofiaCause(code int) string {
	switch code {
	case 486, 600:
		return "USER_BUSY"
	case 402, 403, 603, 608:
		return "CALL_REJECTED"
	case 404:
		return "UNALLOCATED_NUMBER"
	case 480:
		return "NO_USER_RESPONSE"
	case 400, 481, 500, 503:
		return "NORMAL_TEMPORARY_FAILURE"
	case 488, 606:
		return "INCOMPATIBLE_DESTINATION"
	}
	return "NORMAL_UNSPECIFIED"
}

// appTransfer is transfer `extension [dialplan [context]]`: the channel
// gets a new caller profile (destination, Transfer-Source, RDNIS, Profile-
// Index 2) and the transfer variables, the app returns, and once nothing
// executes the channel leaves the socket application for the new extension
// (leaveSocket). As captured in transfer.txt.
func appTransfer(c *Call, arg string) {
	f := strings.Fields(arg)
	ext, dialplan, context := "", "xml", "default"
	if len(f) > 0 {
		ext = f[0]
	}
	if len(f) > 1 {
		dialplan = strings.ToLower(f[1])
	}
	if len(f) > 2 {
		context = f[2]
	}
	src := strconv.FormatInt(c.now().Unix(), 10) + ":" + esl.NewUUID() + ":bl_xfer:" + ext + "/" + context + "/" + dialplan
	c.mu.Lock()
	p := &c.ch.prof
	p.rdnis, p.destination, p.context = p.destination, ext, context
	p.transferSource = src
	p.index = max(p.index, 1) + 1
	c.mu.Unlock()
	c.setVar("max_forwards", "70")
	c.setVar("transfer_history", src)
	c.setVar("transfer_source", src)
	// The state number moves to CS_ROUTING before the name does: the
	// transfer's completion, CHANNEL_UNPARK and the socket app's completion
	// say CS_EXECUTE, number 2 (transfer.txt).
	c.ch.stateNum = stateNumbers[csRouting]
	c.transferTo = ext
	c.finishApp()
	c.transferred = true
}

// appSleep waits arg milliseconds (scaled by Speed).
func appSleep(c *Call, arg string) {
	// not captured: no variables; digits are not consumed; uuid_break ends it.
	c.wait(time.Duration(atoi(strings.TrimSpace(arg))) * time.Millisecond)
}

// appForever runs until hangup or uuid_break.
func appForever(c *Call, _ string) { c.wait(forever) }

// appSpeak is speak "engine|voice|text". With no module registering the
// engine it completes at once, having played nothing (modules.go).
func appSpeak(c *Call, arg string) {
	// not captured: it lasts 60 ms a character of text, at least 500 ms.
	engine, _, _ := strings.Cut(arg, "|")
	if !c.o.Switch.hasInterface("speech", engine) {
		c.finishApp()
		return
	}
	c.wait(ttsDuration(arg))
}

// ttsDuration is how long "engine|voice|text" speaks.
func ttsDuration(arg string) time.Duration {
	text := arg
	if i := strings.LastIndexByte(arg, '|'); i >= 0 {
		text = arg[i+1:]
	}
	return max(time.Duration(len(text))*60*time.Millisecond, 500*time.Millisecond)
}

// appSay is say "module[:lang] type method [gender] text": it lasts
// DefaultFileDuration, or completes at once when no module registered the
// say interface (modules.go).
func appSay(c *Call, arg string) {
	module, _, _ := strings.Cut(arg, " ")
	module, _, _ = strings.Cut(module, ":")
	if !c.o.Switch.hasInterface("say", module) {
		c.finishApp()
		return
	}
	c.wait(c.o.DefaultFileDuration)
}

// forever is a duration that never elapses.
const forever = time.Duration(-1)

// waitAct is an app that only waits: its end runs then it completes.
// nest says whether it parses queued messages meanwhile (sleep, park,
// conference, echo, say, speak do; an ExtraApp is taken not to).
type waitAct struct {
	end  func()
	nest bool
}

func (w *waitAct) digit(*Call, byte) {}
func (w *waitAct) talk(*Call)        {}
func (w *waitAct) nestable() bool    { return w.nest }
func (w *waitAct) stop(c *Call, _ stopReason) {
	if w.end != nil {
		w.end()
	}
	c.finishApp()
}

// wait makes the running app last d (forever: until break or hangup),
// parsing queued messages meanwhile.
func (c *Call) wait(d time.Duration) { c.waitThen(d, nil, true) }

// waitThen is wait with a function run just before completion.
func (c *Call) waitThen(d time.Duration, end func(), nest bool) {
	w := &waitAct{end: end, nest: nest}
	c.act = w
	if d != forever {
		c.setTimer(d, func() { w.stop(c, stopBreak) })
	}
}

// terminators returns playback_terminators, or def when unset ("none"
// means no terminator).
func (c *Call) terminators(def string) string {
	v, ok := c.ch.vars.get("playback_terminators")
	if !ok {
		return def
	}
	if strings.EqualFold(v, "none") {
		return ""
	}
	return v
}

// setPlaybackVars sets the four variables switch_ivr_play_file leaves
// (8 kHz: 8 samples a millisecond).
func (c *Call) setPlaybackVars(played time.Duration) {
	ms := played.Milliseconds()
	samples := strconv.FormatInt(ms*8, 10)
	c.setVar("playback_last_offset_pos", samples)
	c.setVar("playback_seconds", strconv.FormatInt(ms/1000, 10))
	c.setVar("playback_ms", strconv.FormatInt(ms, 10))
	c.setVar("playback_samples", samples)
}

// mediaDuration is how long file plays; ok is false for a missing file.
func (c *Call) mediaDuration(file string) (time.Duration, bool) {
	if d, ok := c.o.PlaybackDurations[file]; ok {
		if d < 0 {
			return 0, false
		}
		return d, true
	}
	switch {
	case strings.HasPrefix(file, "silence_stream://"):
		n := atoi(strings.TrimPrefix(file, "silence_stream://"))
		if n <= 0 {
			return forever, true
		}
		return time.Duration(n) * time.Millisecond, true
	case strings.HasPrefix(file, "tone_stream://"):
		return toneDuration(strings.TrimPrefix(file, "tone_stream://")), true
	case strings.HasPrefix(file, "tts://"):
		// mod_ssml's file interface; without it the file does not open.
		if !c.o.Switch.hasInterface("file", "tts") {
			return 0, false
		}
		return ttsDuration(strings.TrimPrefix(file, "tts://")), true
	case strings.HasPrefix(file, "file_string://"):
		// next_file (mod_dptools.c) skips a part that does not open; the
		// file_string fails to open only when none does.
		var total time.Duration
		opened := false
		for _, f := range strings.Split(strings.TrimPrefix(file, "file_string://"), "!") {
			d, ok := c.mediaDuration(f)
			if !ok {
				continue
			}
			if d == forever {
				return forever, true
			}
			opened = true
			total += d
		}
		return total, opened
	}
	return c.o.DefaultFileDuration, true
}

// toneDuration sums the on and off times of every %(on,off,freq) segment,
// times loops= (-1: forever).
func toneDuration(spec string) time.Duration {
	var total time.Duration
	loops := 1
	for _, part := range strings.Split(spec, ";") {
		if v, ok := strings.CutPrefix(part, "loops="); ok {
			loops = atoi(v)
			continue
		}
		for rest := part; ; {
			i := strings.Index(rest, "%(")
			if i < 0 {
				break
			}
			rest = rest[i+2:]
			nums := strings.SplitN(rest, ",", 3)
			if len(nums) >= 2 {
				total += time.Duration(atoi(nums[0])+atoi(nums[1])) * time.Millisecond
			}
		}
	}
	if loops < 0 {
		return forever
	}
	return total * time.Duration(max(loops, 1))
}
