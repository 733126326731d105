package esltest

import (
	"regexp"
	"strconv"
	"strings"
	"time"
)

// playbackAct is playback: FILE PLAYED when the file ends or on uuid_break,
// PLAYBACK ERROR when the channel hangs up during it (its COMPLETE then
// follows CHANNEL_HANGUP, caller-hangup-mid-playback). Terminators apply
// only if playback_terminators is set.
type playbackAct struct {
	start time.Time
	terms string
}

func appPlayback(c *Call, arg string) {
	d, ok := c.mediaDuration(arg)
	if !ok {
		c.setVar("current_application_response", "FILE NOT FOUND")
		c.finishApp()
		return
	}
	p := &playbackAct{start: c.now(), terms: c.terminators("")}
	c.act = p
	if d != forever {
		c.setTimer(d, func() { p.end(c, "FILE PLAYED") })
	}
}

func (p *playbackAct) end(c *Call, resp string) {
	c.setPlaybackVars(c.now().Sub(p.start))
	c.setVar("current_application_response", resp)
	c.finishApp()
}

func (p *playbackAct) digit(c *Call, d byte) {
	if strings.IndexByte(p.terms, d) >= 0 {
		c.setVar("playback_terminator_used", string(d))
		p.end(c, "FILE PLAYED")
	}
}

func (p *playbackAct) talk(*Call)     {}
func (p *playbackAct) nestable() bool { return true }

func (p *playbackAct) stop(c *Call, why stopReason) {
	if why == stopHangup {
		p.end(c, "PLAYBACK ERROR")
		return
	}
	p.end(c, "FILE PLAYED")
}

// pagdAct is play_and_get_digits: for each try, the prompt (interrupted by
// the first digit), then digits until max, a terminator or the timeout;
// success sets read_result=success and the variable; a failure sets
// read_result=failure, plays the invalid file and tries again. With no
// valid input the variable stays absent (pagd-timeout).
type pagdAct struct {
	min, max, tries       int
	timeout, digitTimeout time.Duration
	terms                 string
	prompt, invalid       string
	varName               string
	re                    *regexp.Regexp
	try                   int
	phase                 int
	phaseStart            time.Time
	digits                []byte
}

const (
	pagdPrompt = iota
	pagdCollect
	pagdInvalid
)

// appPAGD parses `min max tries timeout terminators file invalid_file
// [var [regexp [digit_timeout]]]`; fewer than six arguments is a usage
// error and the app returns at once.
func appPAGD(c *Call, arg string) {
	a := strings.Fields(arg)
	if len(a) < 6 {
		c.finishApp()
		return
	}
	p := &pagdAct{
		min: max(atoi(a[0]), 0), max: max(atoi(a[1]), 1), tries: max(atoi(a[2]), 1),
		timeout: time.Duration(atoi(a[3])) * time.Millisecond,
		terms:   a[4], prompt: a[5],
	}
	if strings.EqualFold(p.terms, "none") {
		p.terms = ""
	}
	if len(a) > 6 {
		p.invalid = a[6]
	}
	if len(a) > 7 {
		p.varName = a[7]
	}
	if len(a) > 8 {
		p.re, _ = regexp.Compile(a[8])
	}
	p.digitTimeout = p.timeout
	if len(a) > 9 {
		p.digitTimeout = time.Duration(atoi(a[9])) * time.Millisecond
	}
	c.act = p
	p.startTry(c)
}

// startTry plays the prompt of the next try.
// not captured: tries > 1 (the captures use one try); each try repeats the
// prompt as FreeSWITCH's loop does.
func (p *pagdAct) startTry(c *Call) {
	p.try++
	p.digits = p.digits[:0]
	p.phase = pagdPrompt
	p.phaseStart = c.now()
	d, ok := c.mediaDuration(p.prompt)
	if !ok {
		d = 0
	}
	if d != forever {
		c.setTimer(d, func() { p.promptDone(c) })
	}
}

// promptDone ends the prompt and starts waiting for the first digit.
func (p *pagdAct) promptDone(c *Call) {
	c.setPlaybackVars(c.now().Sub(p.phaseStart))
	p.phase = pagdCollect
	c.setTimer(p.timeout, func() { p.inputDone(c) })
}

func (p *pagdAct) digit(c *Call, d byte) {
	switch p.phase {
	case pagdInvalid:
		return
	case pagdPrompt:
		c.setPlaybackVars(c.now().Sub(p.phaseStart))
		p.phase = pagdCollect
	}
	if strings.IndexByte(p.terms, d) >= 0 {
		// switch_ivr_read names the key (src/switch_ivr_play_say.c).
		c.setVar("read_terminator_used", string(d))
		p.inputDone(c)
		return
	}
	p.digits = append(p.digits, d)
	if len(p.digits) >= p.max {
		p.inputDone(c)
		return
	}
	c.setTimer(p.digitTimeout, func() { p.inputDone(c) })
}

// inputDone judges the input of this try.
func (p *pagdAct) inputDone(c *Call) {
	in := string(p.digits)
	valid := len(in) >= p.min && len(in) > 0 && (p.re == nil || p.re.MatchString(in))
	if valid {
		c.setVar("read_result", "success")
		if p.varName != "" {
			c.setVar(p.varName, in)
		}
		c.finishApp()
		return
	}
	c.setVar("read_result", "failure")
	if in != "" && p.varName != "" {
		// not captured: digits that fail the regexp are kept in <var>_invalid.
		c.setVar(p.varName+"_invalid", in)
	}
	p.phase = pagdInvalid
	p.phaseStart = c.now()
	d, ok := time.Duration(0), p.invalid != ""
	if ok {
		d, ok = c.mediaDuration(p.invalid)
	}
	if !ok {
		p.invalidDone(c, false)
		return
	}
	if d == forever {
		return
	}
	c.setTimer(d, func() { p.invalidDone(c, true) })
}

// invalidDone ends the invalid-input file, then retries or gives up.
func (p *pagdAct) invalidDone(c *Call, played bool) {
	if played {
		c.setPlaybackVars(c.now().Sub(p.phaseStart))
	}
	if p.try >= p.tries {
		c.finishApp()
		return
	}
	p.startTry(c)
}

func (p *pagdAct) talk(*Call) {}

// nestable: the prompt and the digit collection both parse events.
func (p *pagdAct) nestable() bool { return true }

func (p *pagdAct) stop(c *Call, _ stopReason) {
	if p.phase != pagdCollect {
		c.setPlaybackVars(c.now().Sub(p.phaseStart))
	}
	c.finishApp()
}

// recordAct is record `path [max_secs [silence_thresh [silence_secs]]]`:
// it stops on a terminator (default *, record capture), after max_secs, or
// after silence_secs without caller audio (record-silence), or at hangup or
// uuid_break. Only the caller's audio is written: with nobody talking the
// file is a 44-byte WAV header.
type recordAct struct {
	start                time.Time
	maxSecs, silenceSecs int
	thresh               int
	terms                string
	maxAt, silentAt      time.Time
	path                 string // the file (or URL) it writes
}

func appRecord(c *Call, arg string) {
	// not captured: max_secs (the captures stop on * and on silence) and
	// stopping on hangup or uuid_break, which leave the same variables.
	a := strings.Fields(arg)
	// record_function clears the last key before it records
	// (src/mod/applications/mod_dptools/mod_dptools.c): an earlier
	// playback's is not this record's.
	c.delVar("playback_terminator_used")
	r := &recordAct{start: c.now(), terms: c.terminators("*")}
	if len(a) > 0 {
		r.path = a[0]
		c.recordEvent("RECORD_START", r.path, "")
	}
	if len(a) > 1 {
		r.maxSecs = atoi(a[1])
	}
	if len(a) > 2 {
		r.thresh = atoi(a[2])
	}
	if len(a) > 3 {
		r.silenceSecs = atoi(a[3])
	}
	c.act = r
	r.schedule(c)
}

// schedule arms the timer for the earliest of max_secs and the end of the
// silence window.
func (r *recordAct) schedule(c *Call) {
	now := c.now()
	var at time.Time
	if r.maxSecs > 0 {
		r.maxAt = r.start.Add(time.Duration(r.maxSecs) * time.Second)
		at = r.maxAt
	}
	r.silentAt = time.Time{}
	if r.thresh > 0 && r.silenceSecs > 0 {
		quiet := r.start
		if c.talkTo.After(quiet) {
			quiet = c.talkTo
		}
		r.silentAt = quiet.Add(time.Duration(r.silenceSecs) * time.Second)
		if at.IsZero() || r.silentAt.Before(at) {
			at = r.silentAt
		}
	}
	if at.IsZero() {
		c.stopTimer()
		return
	}
	c.setTimer(at.Sub(now), func() {
		silent := !r.silentAt.IsZero() && !c.now().Before(r.silentAt) && (r.maxAt.IsZero() || !r.silentAt.After(r.maxAt))
		r.end(c, silent, 0)
	})
}

func (r *recordAct) digit(c *Call, d byte) {
	if strings.IndexByte(r.terms, d) >= 0 {
		r.end(c, false, d)
	}
}

func (r *recordAct) talk(c *Call) { r.schedule(c) }

// nestable: not captured; record is taken not to run queued messages.
func (r *recordAct) nestable() bool { return false }

func (r *recordAct) stop(c *Call, _ stopReason) { r.end(c, false, 0) }

// end sets the variables record leaves, in the captured order.
func (r *recordAct) end(c *Call, silent bool, term byte) {
	now := c.now()
	from, to := maxTime(r.start, c.talkFrom), minTime(now, c.talkTo)
	var ms int64
	if to.After(from) {
		ms = to.Sub(from).Milliseconds()
	}
	samples := ms * 8
	size := strconv.FormatInt(44+samples*2, 10)
	c.setVar("silence_hits_exhausted", strconv.FormatBool(silent))
	if term != 0 {
		c.setVar("playback_terminator_used", string(term))
	}
	c.setVar("record_record_file_size", size)
	c.setVar("record_file_size", size)
	if r.path != "" {
		c.deliverRecording(r.path, ms, 1) // the file closes (recording.go)
	}
	c.setVar("record_seconds", strconv.FormatInt(ms/1000, 10))
	c.setVar("record_ms", strconv.FormatInt(ms, 10))
	c.setVar("record_samples", strconv.FormatInt(samples, 10))
	if r.path != "" {
		c.recordEvent("RECORD_STOP", r.path, "")
	}
	c.setVar("read_codec", "L16")
	c.setVar("read_rate", "8000")
	c.finishApp()
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
