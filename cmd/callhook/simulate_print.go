package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/callhook/callhook/esl"
	"github.com/callhook/callhook/esl/esltest"
	"github.com/callhook/callhook/proxy"
	"github.com/callhook/callhook/statemachine"
	"github.com/callhook/callhook/verb"
)

// simPrinter is the proxy.Observer of a simulated call: it prints the call
// as it happens, as text for people or as one JSON object per line for
// tools, and remembers whether the call failed (the exit status). The
// session, the simulated caller and the keyboard reader call it from their
// own goroutines; one mutex keeps lines whole and in order.
type simPrinter struct {
	jsonOut bool
	start   time.Time

	mu     sync.Mutex
	try    statemachine.Transition // a flow's last move, for the try its state is on
	w      io.Writer
	err    error          // the first write error; later lines are dropped
	failed bool           // the fallback or on_failure ran, or an error ended the call
	shown  string         // the last failure printed, not to be repeated at the end
	reqErr bool           // a failed request was printed: it says why the app failed
	http   bool           // the app made HTTP requests (a webhook app), not only steps (a flow)
	over   bool           // the call ended or was refused: the caller is gone
	end    *proxy.CallEnd // as the engine reported it
	stats  proxy.CallStats
	done   chan struct{}
	// onCaller, when set, learns each caller action as it is printed
	// (simulate -save-scenario); it is called with mu held.
	onCaller func(action string, fields []simField)
	// recordings says where the simulated recordings went, when the
	// config delivers them ("": FreeSWITCH's path is all there is).
	recordings string
}

var _ proxy.Observer = (*simPrinter)(nil)

func newSimPrinter(w io.Writer, jsonOut bool) *simPrinter {
	return &simPrinter{w: w, jsonOut: jsonOut, start: time.Now(), done: make(chan struct{})}
}

// simField is one key of a JSON line; lines keep their keys in this order,
// type first, so they read well too.
type simField struct {
	key   string
	value any
}

// emit writes one event: text for people, fields (after "type" and "t_s",
// the seconds since the simulation started, real time) for tools. Every
// field that is a time says its unit in its name: _s or _ms. Empty text
// prints nothing in text mode.
func (p *simPrinter) emit(kind, text string, fields ...simField) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.emitLocked(kind, text, fields...)
}

func (p *simPrinter) emitLocked(kind, text string, fields ...simField) {
	if p.err != nil {
		return
	}
	var b bytes.Buffer
	if p.jsonOut {
		b.WriteString(`{"type":`)
		writeJSON(&b, kind)
		b.WriteString(`,"t_s":`)
		fmt.Fprintf(&b, "%.3f", time.Since(p.start).Seconds())
		for _, f := range fields {
			b.WriteByte(',')
			writeJSON(&b, f.key)
			b.WriteByte(':')
			writeJSON(&b, f.value)
		}
		b.WriteString("}\n")
	} else {
		if text == "" {
			return
		}
		b.WriteString(text)
		b.WriteByte('\n')
	}
	_, p.err = p.w.Write(b.Bytes())
}

// writeJSON encodes v without HTML escaping (URLs and -> stay readable).
func writeJSON(b *bytes.Buffer, v any) {
	enc := json.NewEncoder(b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		// Every value here is a string, number, bool, list or map of them.
		b.WriteString(`null`)
		return
	}
	b.Truncate(b.Len() - 1) // Encode's newline
}

// finishLocked marks the call over: later caller events (a timer firing
// late) are not printed, and Done's channel closes.
func (p *simPrinter) finishLocked() {
	if !p.over {
		p.over = true
		close(p.done)
	}
}

// Done is closed when the call ended or was refused.
func (p *simPrinter) Done() <-chan struct{} { return p.done }

// CallFailed reports whether the exit status must say the call failed.
func (p *simPrinter) CallFailed() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.failed
}

// CallRefused implements proxy.Observer.
func (p *simPrinter) CallRefused(ch *esl.Event, app, reason string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.failed = true
	text := "refused: " + reason
	switch reason {
	case proxy.RefusedNoApp:
		text += " (no app for the call: check -app, routes and default_app)"
	case proxy.RefusedLimit:
		text += " (over max_calls)"
	}
	p.emitLocked("refused", text, simField{"reason", reason}, simField{"app", app})
	p.finishLocked()
}

// CallStarted implements proxy.Observer.
func (p *simPrinter) CallStarted(c *proxy.Call) {
	p.emit("call", fmt.Sprintf("call %s from %s to %s, app %s", shortID(c.ID), c.From, c.To, c.App),
		simField{"call_id", c.ID}, simField{"app", c.App}, simField{"from", c.From}, simField{"to", c.To})
}

// Request implements proxy.Observer.
func (p *simPrinter) Request(_ *proxy.Call, r *proxy.RequestInfo) {
	target := r.URL
	if r.Fallback {
		target += " (fallback)"
	}
	var res string
	switch {
	case r.Err != nil:
		res = "<- failed"
		if r.Attempts > 1 {
			res += fmt.Sprintf(" after %d attempts", r.Attempts)
		}
		res += fmt.Sprintf(" in %s: %v", ms(r.Took), r.Err)
	default:
		res = fmt.Sprintf("<- %d in %s", r.Status, ms(r.Took))
		if reply := oneLine(r.Reply, 120); reply != "" {
			res += ": " + reply
		}
	}
	p.mu.Lock()
	p.http = true
	p.reqErr = p.reqErr || r.Err != nil
	p.mu.Unlock()
	fields := []simField{{"event", r.Event}, {"url", r.URL}, {"status", r.Status},
		{"attempts", r.Attempts}, {"took_ms", r.Took.Milliseconds()}, {"fallback", r.Fallback}, {"reply", r.Body}}
	if r.Err != nil {
		fields = append(fields, simField{"error", r.Err.Error()})
	}
	p.emit("request", "-> "+r.Event+" "+target+"\n"+res, fields...)
}

// VerbStarted implements proxy.Observer.
func (p *simPrinter) VerbStarted(_ *proxy.Call, v verb.Verb) {
	args := map[string]any{}
	for _, a := range verbArgs(v) {
		args[a.Name] = a.Value
	}
	fields := []simField{{"verb", v.Name}, {"args", args}}
	if v.Action != "" {
		fields = append(fields, simField{"action", v.Action})
	}
	line := verbLine(v)
	p.mu.Lock()
	if t := p.try; v.Action != "" && !strings.Contains(v.Action, "://") && t.To == v.Action && t.Of > 0 {
		// A flow's state counts its tries: say which this is.
		line = strings.TrimSuffix(line, ")") + fmt.Sprintf(", try %d of %d)", t.Try, t.Of)
		fields = append(fields, simField{"try", t.Try}, simField{"of", t.Of})
	}
	p.mu.Unlock()
	p.emit("verb", "   "+line, fields...)
}

// VerbFinished implements proxy.Observer.
func (p *simPrinter) VerbFinished(_ *proxy.Call, v verb.Verb, r *verb.Result, took time.Duration) {
	// Every verb says how it ended, so a transcript shows the result the
	// next step went on with.
	text := "     = done"
	if line := resultLine(r, true); line != "" {
		text = "     = " + line
	}
	switch {
	case r != nil && r.Recording != nil && p.recordings != "":
		text += "\n       (simulated: " + p.recordings + ")"
	case r != nil && r.Recording != nil:
		// The simulated switch records nothing: the path is where
		// FreeSWITCH would have written the file.
		text += "\n       (simulated: no file is written; FreeSWITCH would write it there)"
	}
	fields := []simField{{"verb", v.Name}, {"took_ms", took.Milliseconds()}}
	if r != nil {
		fields = append(fields, simField{"result", r})
	}
	p.emit("result", text, fields...)
}

// Failed implements proxy.Observer: the app failed and its fallback or
// on_failure verbs took over, so the exit status is 1.
func (p *simPrinter) Failed(_ *proxy.Call, f *proxy.Failure) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.failed = true
	then := "its on_failure verbs run"
	if f.Fallback {
		then = "its fallback_url answered"
	}
	msg := ""
	if f.Err != nil {
		msg = f.Err.Error()
	}
	p.shown = msg
	text := "!! the app failed: " + msg + "; " + then
	if p.reqErr {
		text = "!! the app failed (see above); " + then
	}
	p.emitLocked("failed", text,
		simField{"error", msg}, simField{"fallback", f.Fallback}, simField{"on_failure", f.OnFailure})
}

// CallEnded implements proxy.Observer. The end is printed by End, once
// the simulated FreeSWITCH has said who hung up.
func (p *simPrinter) CallEnded(_ *proxy.Call, end *proxy.CallEnd, s *proxy.CallStats) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if end.Outcome == proxy.OutcomeFailed || end.Err != nil {
		p.failed = true
	}
	p.end, p.stats = end, *s
	p.finishLocked()
}

// End prints how the call ended: the engine's view (outcome, cause, what
// it did) and the simulator's (who hung up); res is nil when the
// simulator could not say.
func (p *simPrinter) End(res *esltest.Result) {
	p.mu.Lock()
	defer p.mu.Unlock()
	end := p.end
	if end == nil {
		return
	}
	text := "end: " + end.Outcome
	if end.Cause != "" {
		text += ", " + end.Cause
	}
	fields := []simField{{"outcome", end.Outcome}, {"cause", end.Cause}}
	if res != nil {
		if by := hungUpBy(res); by != "" {
			text += " " + by
		}
		fields = append(fields, simField{"simulator", string(res.Outcome)}, simField{"hung_up_by", string(res.By)})
	}
	steps := "app step"
	if p.http {
		steps = "request"
	}
	text += fmt.Sprintf(" after %ds of call time (%s, %s)", end.Duration, count(p.stats.Verbs, "verb"), count(p.stats.Requests, steps))
	fields = append(fields, simField{"duration_s", end.Duration}, simField{"verbs", p.stats.Verbs},
		simField{"requests", p.stats.Requests}, simField{"failed", p.failed})
	if end.Err != nil {
		if msg := end.Err.Error(); msg != p.shown {
			text += "\n   error: " + msg
		}
		fields = append(fields, simField{"error", end.Err.Error()})
	}
	p.emitLocked("end", text, fields...)
}

// hungUpBy says who ended the call, as the simulated FreeSWITCH saw it.
func hungUpBy(res *esltest.Result) string {
	switch res.Outcome {
	case esltest.Transferred:
		return "(transferred out of callhook's hands)"
	case esltest.DialplanContinued:
		return "(the call went back to the dialplan)"
	case esltest.HungUp:
	default:
		return ""
	}
	switch res.By {
	case esltest.ByCaller:
		return "by the caller"
	case esltest.ByDaemon:
		return "by callhook"
	case esltest.ByApp:
		return "by FreeSWITCH"
	case esltest.ByDialplan:
		return "by the dialplan (callhook let go of the live call)"
	}
	return ""
}

// Caller prints what the simulated caller does or hears (keys pressed, a
// hangup, a prompt waiting for input); JSON lines carry the same as
// "caller" events.
func (p *simPrinter) Caller(action, text string, fields ...simField) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.over {
		// A timer that fired as the call ended: nobody is on the line.
		return
	}
	if p.onCaller != nil {
		p.onCaller(action, fields)
	}
	p.emitLocked("caller", text, append([]simField{{"action", action}}, fields...)...)
}

// Note prints a line for people only (hints, the simulation's setup).
func (p *simPrinter) Note(text string) {
	if !p.jsonOut {
		p.emit("note", text)
	}
}

// Error reports why the simulation could not place or finish the call.
func (p *simPrinter) Error(err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.failed = true
	p.emitLocked("error", "error: "+err.Error(), simField{"error", err.Error()})
}

// WriteErr returns the first error writing the transcript.
func (p *simPrinter) WriteErr() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.err != nil {
		return fmt.Errorf("write transcript: %w", p.err)
	}
	return nil
}

// oneLine squeezes a reply onto one line of at most max runes.
func oneLine(s string, max int) string {
	s = strings.Join(strings.Fields(s), " ")
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	r := []rune(s)
	return string(r[:max]) + "…"
}

// count says "1 verb", "2 verbs".
func count(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

func ms(d time.Duration) string {
	if d < time.Millisecond {
		return d.Round(time.Microsecond).String()
	}
	return d.Round(time.Millisecond).String()
}

// shortID is enough of a call id to tell calls apart on screen.
func shortID(id string) string {
	if i := strings.IndexByte(id, '-'); i > 0 {
		return id[:i]
	}
	return id
}

// Transitions prints a flow's moves: which route each result took and why
// ("menu: 9 has no route → invalid, try 2 of 3 → on.invalid: invalid").
// It is statemachine.Backend's OnMove.
func (p *simPrinter) Transitions(_ *proxy.Call, steps []statemachine.Transition) {
	for _, st := range steps {
		var text string
		switch {
		case st.From == "":
			text = "   [" + st.Why + ": " + st.To + "]"
		case st.To == "":
			text = "   [" + st.From + ": " + st.Why + ": the flow ends]"
		default:
			text = "   [" + st.From + ": " + st.Why + ": " + st.To + "]"
		}
		fields := []simField{{"from", st.From}, {"to", st.To}, {"why", st.Why}}
		if st.Of > 0 {
			fields = append(fields, simField{"try", st.Try}, simField{"of", st.Of})
		}
		p.emit("transition", text, fields...)
	}
	p.mu.Lock()
	p.try = steps[len(steps)-1]
	p.mu.Unlock()
}
