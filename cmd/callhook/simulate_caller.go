package main

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/callhook/callhook/esl/esltest"
	"github.com/callhook/callhook/proxy"
	"github.com/callhook/callhook/verb"
)

// Apps of the simulated FreeSWITCH that wait for the caller's input: the
// gather verb runs play_and_get_digits, the record verb record.
const (
	appGather = "play_and_get_digits"
	appRecord = "record"
)

// promptApps are the applications that play a prompt, at which a caller
// of a Liverpie app answers (its DTMF goes to the app's dtmf_uri).
var promptApps = map[string]bool{"playback": true, "say": true, "speak": true, "phrase": true}

// recordTalk is how long the simulated caller speaks when a recording
// starts, so the recording has a length; then the scripted keys are
// pressed, or silence detection ends it.
const recordTalk = 3 * time.Second

// simCaller is the person on the simulated phone: scripted (-digits: one
// token of keys for each gather or record, in turn), at the keyboard
// (interactive), or silent. Its methods run on the simulator's goroutine
// (OnApp), on timers and on the keyboard reader, hence the mutex.
type simCaller struct {
	// The caller is an observer too: it learns what the verb that is
	// starting expects (its terminators, how many digits), for the hints.
	proxy.NopObserver

	print       *simPrinter
	speed       float64 // the simulator's Speed, to turn call time into real time
	interactive bool
	// liverpieApps names the config's Liverpie apps: a Liverpie app's menus
	// are prompts (playback) followed by the digits its dtmf_uri gets, with
	// no gather, so the caller answers while a prompt plays.
	liverpieApps map[string]bool

	mu sync.Mutex
	// atPrompts: each scripted token is pressed as the next prompt
	// starts (the call's app is a Liverpie app).
	atPrompts    bool
	liverpieCall bool      // the call's app is a Liverpie app (local simulate)
	verb         verb.Verb // the verb running now
	tokens       []string  // scripted input not used yet
	call         *esltest.Call
	timers       []*time.Timer
	closed       bool
}

// parseDigits splits -digits into tokens: keys (0-9 * # A-D) for one verb
// each, "-" for a verb at which nothing is pressed.
func parseDigits(s string) ([]string, error) {
	tokens := strings.Fields(s)
	for _, t := range tokens {
		if t == "-" {
			continue
		}
		for _, r := range t {
			if r > 0x7f || !isDTMF(byte(r)) {
				return nil, &usageError{msg: "-digits: " + quoteKey(t) + " is not a DTMF key sequence (0-9 * # A-D, or - for nothing)"}
			}
		}
	}
	return tokens, nil
}

func isDTMF(b byte) bool {
	return b >= '0' && b <= '9' || b == '*' || b == '#' || b >= 'A' && b <= 'D' || b >= 'a' && b <= 'd'
}

func quoteKey(s string) string { return `"` + s + `"` }

// attach sets the call the caller acts on (before any app can start).
func (c *simCaller) attach(call *esltest.Call) {
	c.mu.Lock()
	c.call = call
	c.mu.Unlock()
}

// CallStarted implements proxy.Observer: a Liverpie app's call is answered
// at its prompts.
func (c *simCaller) CallStarted(call *proxy.Call) {
	c.mu.Lock()
	c.liverpieCall = c.liverpieApps[call.App]
	c.atPrompts = c.atPrompts || c.liverpieCall
	c.mu.Unlock()
}

// VerbStarted implements proxy.Observer: it notes the verb that runs.
func (c *simCaller) VerbStarted(_ *proxy.Call, v verb.Verb) {
	c.mu.Lock()
	c.verb = v
	c.mu.Unlock()
}

// hint says what the running verb takes: how many keys and which end the
// input.
func (c *simCaller) hint() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch s := c.verb.Spec.(type) {
	case *verb.GatherSpec:
		h := fmt.Sprintf("type up to %d key", s.Max)
		if s.Max > 1 {
			h += "s"
		}
		if s.Terminators != "" && s.Terminators != "none" {
			h += ", " + s.Terminators + " ends"
		}
		return h
	case *verb.RecordSpec:
		if s.Terminators != "" && s.Terminators != "none" {
			return s.Terminators + " stops it, else silence does"
		}
	}
	return "silence stops it"
}

// onApp is esltest's OnApp hook: it runs on the simulator's goroutine as
// each application starts, so scripted keys reach a gather before any of
// its timers, whatever the speed.
func (c *simCaller) onApp(call *esltest.Call, run esltest.AppRun) {
	c.mu.Lock()
	atPrompts, liverpie := c.atPrompts, c.liverpieCall
	c.mu.Unlock()
	if liverpie {
		// A Liverpie app's msg names FreeSWITCH applications, not verbs:
		// show them as the switch runs them.
		text := "   " + run.App
		if run.Arg != "" {
			text += " " + run.Arg
		}
		c.print.emit("app", text, simField{"app", run.App}, simField{"arg", run.Arg})
	}
	if atPrompts && promptApps[run.App] {
		if c.interactive {
			c.print.Caller("prompt", "     (the prompt is playing: type digits; h hangs up)", simField{"app", run.App})
			return
		}
		if keys, ok := c.next(); ok {
			c.press(call, keys)
		}
		return
	}
	switch run.App {
	case appGather:
		if c.interactive {
			c.print.Caller("prompt", "     (the prompt is playing: "+c.hint()+"; h hangs up)", simField{"app", run.App})
			return
		}
		if keys, ok := c.next(); ok {
			c.press(call, keys)
		}
	case appRecord:
		// The caller leaves a message: FreeSWITCH records while they talk.
		call.Talk(recordTalk)
		if c.interactive {
			c.print.Caller("talk", "     (recording: the caller speaks for "+recordTalk.String()+"; "+c.hint()+")",
				simField{"talk_s", recordTalk.Seconds()})
			return
		}
		c.print.Caller("talk", "     caller speaks for "+recordTalk.String(), simField{"talk_s", recordTalk.Seconds()})
		if keys, ok := c.next(); ok {
			c.after(recordTalk, func() { c.press(call, keys) })
		}
	}
}

// next takes the scripted keys for this verb; ok is false when there are
// none ("-", or the script ran out).
func (c *simCaller) next() (keys string, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.tokens) == 0 {
		return "", false
	}
	t := c.tokens[0]
	c.tokens = c.tokens[1:]
	return t, t != "-"
}

// unused returns the scripted keys no gather or record took.
func (c *simCaller) unused() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.tokens)
}

// press makes the caller press keys.
func (c *simCaller) press(call *esltest.Call, keys string) {
	keys = strings.ToUpper(keys)
	c.print.Caller("keys", "     caller presses "+keys, simField{"keys", keys})
	call.Digits(keys)
}

// hangup makes the caller hang up.
func (c *simCaller) hangup(why string) {
	c.mu.Lock()
	call := c.call
	c.mu.Unlock()
	if call == nil {
		return
	}
	select {
	case <-call.Done():
		return
	default:
	}
	c.print.Caller("hangup", "     caller hangs up"+why, simField{"why", strings.TrimPrefix(why, " ")})
	call.Hangup("NORMAL_CLEARING")
}

// after runs f after d of call time (the simulator runs media at speed).
func (c *simCaller) after(d time.Duration, f func()) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return
	}
	c.timers = append(c.timers, time.AfterFunc(time.Duration(float64(d)/c.speed), f))
}

// close stops the caller's pending timers.
func (c *simCaller) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closed = true
	for _, t := range c.timers {
		t.Stop()
	}
}

// readKeys is the interactive caller: each key typed is pressed on the
// phone at once; h (or Ctrl-C, Ctrl-D, q) hangs up. It returns when r
// fails (its deadline is set when the call is over) or the call ends.
func (c *simCaller) readKeys(ctx context.Context, r io.Reader) {
	buf := make([]byte, 64)
	for ctx.Err() == nil {
		n, err := r.Read(buf)
		for _, b := range buf[:n] {
			switch {
			case isDTMF(b):
				c.mu.Lock()
				call := c.call
				c.mu.Unlock()
				c.press(call, string(b))
			case b == 'h' || b == 'H' || b == 'q' || b == 3 || b == 4:
				c.hangup("")
			}
		}
		if err != nil {
			return
		}
	}
}
