package statemachine

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/callhook/callhook/verb"
)

// Memory is what a call remembers between steps: flow variables, retry
// counters, the last gather's digits and the last recording. Step never modifies the Memory it
// is given; it returns the new one in Move.Mem.
type Memory struct {
	Flow   map[string]string // flow variables ({{flow.NAME}})
	Tries  map[string]int    // failures counted per state since it last succeeded
	Digits string            // the last gather's digits ({{digits}})
	// Recording is the last recording a verb of the call made
	// ({{recording.FIELD}}), nil before the first. It is never modified
	// once set, so clones share it.
	Recording *verb.Recording
	HungUp    bool // the call is over: only fetch and routing states run
}

func (m Memory) clone() Memory {
	c := m
	c.Flow = make(map[string]string, len(m.Flow))
	for k, v := range m.Flow {
		c.Flow[k] = v
	}
	c.Tries = make(map[string]int, len(m.Tries))
	for k, v := range m.Tries {
		c.Tries[k] = v
	}
	return c
}

// CallInfo is what templates ({{call.X}}) may read of the call.
type CallInfo struct {
	ID        string
	App       string
	From      string
	FromName  string
	To        string
	Direction string
	Channel   string
}

// Env is everything outside the flow that a transition reads. Making it an
// input (the clock included) keeps Step pure, so business hours can be
// tested at any time of any day.
type Env struct {
	Now  time.Time
	Call CallInfo
	// Vars holds the channel variables the flow reads (Flow.ChannelVars);
	// an absent one reads as "".
	Vars map[string]string
}

// Outcome is what happened in a state: a verb's result, or a fetch's.
type Outcome struct {
	Reason string // verb.ReasonOK, ReasonTimeout, ReasonInvalid, ReasonError or ReasonHangup
	Verb   string // the verb whose result this is; a gather's result sets {{digits}}
	Digits string
	// Recording is the recording the verb made (its result's), which
	// {{recording.FIELD}} reads from then on; nil leaves the last one.
	Recording *verb.Recording
	// Data is a fetch's decoded JSON answer (with json.Number numbers), for
	// save: and switch:, when Reason is ok.
	Data any
}

// Move is where a step leads: the state the call is now in, and what to do
// there. Exactly one of Verbs (possibly with Handoff), Fetch or End (with
// no verbs) describes the work, except that a handoff state may have no
// verbs.
type Move struct {
	State string
	Path  []string // the states entered during the step, in order, State last
	// Verbs are the state's verbs with templates expanded. When the flow
	// wants their result, the last verb's Action is the state's name.
	Verbs []verb.Verb
	// Fetch is set when State is a fetch state: do the request, then Step
	// from State with its outcome.
	Fetch *Fetch
	// Handoff names the app the call goes to once Verbs have run.
	Handoff string
	// End is set when the flow has nothing more to do: the verbs end the
	// call (hangup), or after a hangup the chain of non-media states ended.
	End bool
	Mem Memory
	// Steps say which transitions the move took and why, in order: for
	// people following a call (callhook simulate), not for routing.
	Steps []Transition
}

// Transition is one hop of a move: the state left (From, "" when the
// flow starts), the state entered (To, "" when the flow ends there), and
// why, in words: "9 has no route → invalid, try 2 of 3 → on.invalid".
type Transition struct {
	From, To string
	Why      string
	// Try and Of are set on a move's last transition when the state it
	// enters counts tries: this is try Try of Of.
	Try, Of int
}

// Fetch is an HTTP request a fetch state asks for.
type Fetch struct {
	URL     string        // templates expanded, values URL-escaped
	Method  string        // GET or POST
	Timeout time.Duration // the whole fetch, its retries included
	Retries int           // further attempts after a connection error, a 5xx or a 429
}

// maxHops bounds the states one step may pass through without stopping
// for verbs or a fetch: routing states that lead to each other forever
// would otherwise spin the session goroutine.
const maxHops = 100

// Begin enters the flow's start state.
func (f *Flow) Begin(mem Memory, env Env) (Move, error) {
	return f.walk(nil, Outcome{}, f.Start, mem.clone(), env)
}

// Step leaves state from with outcome o and enters the states it leads to
// until one has work for the call (verbs, a fetch, a handoff) or the flow
// ends. It does no I/O and reads no clock: it is a function of its inputs.
//
// Routing, in order: a hangup outcome takes on.hangup (or ends the flow).
// A gather's result sets {{digits}}. A fetch's answer is saved (save:) and
// switched on (switch:). Digits are matched against on.digits (exact keys
// first, then patterns in file order); digits that match none become an
// invalid outcome. A success resets the state's tries, applies set:, and
// goes to on.ok, else the first when: that holds, else else:, else next:.
// A failure (timeout, invalid, error) counts against tries: the last
// allowed failure goes to max_tries; otherwise on.timeout / on.invalid /
// on.error, else next:, else (with tries) the state itself again.
func (f *Flow) Step(from string, o Outcome, mem Memory, env Env) (Move, error) {
	s := f.states[from]
	if s == nil {
		return Move{State: from, Mem: mem}, fmt.Errorf("step from unknown state %q", from)
	}
	m := mem.clone()
	if o.Reason == verb.ReasonHangup {
		m.HungUp = true
	}
	return f.walk(s, o, "", m, env)
}

// walk routes from s by o (or, with s nil, enters to) and keeps going
// through states that need nothing from the call.
func (f *Flow) walk(s *State, o Outcome, to string, m Memory, env Env) (Move, error) {
	var path []string
	var steps []Transition
	if s == nil {
		steps = append(steps, Transition{To: to, Why: "start"})
	}
	for {
		if s != nil {
			next, why, err := f.route(s, o, &m, env)
			steps = append(steps, Transition{From: s.Name, To: next, Why: why})
			if err != nil {
				return Move{State: s.Name, Path: path, Mem: m, Steps: steps}, err
			}
			if next == "" {
				return Move{State: s.Name, Path: path, End: true, Mem: m, Steps: steps}, nil
			}
			to = next
		}
		if len(path) == maxHops {
			return Move{State: to, Path: path, Mem: m}, fmt.Errorf("passed %d states without running a verb: the flow loops through states that have none", maxHops)
		}
		t := f.states[to]
		if t == nil { // Parse rejects such targets; a hand-made Flow might not
			return Move{State: to, Path: path, Mem: m}, fmt.Errorf("transition to unknown state %q", to)
		}
		path = append(path, to)
		mv, cont := f.enter(t, &m, env)
		if cont == nil {
			if t.tries > 0 && len(steps) > 0 {
				steps[len(steps)-1].Try, steps[len(steps)-1].Of = m.Tries[t.Name]+1, t.tries
			}
			mv.State, mv.Path, mv.Mem, mv.Steps = t.Name, path, m, steps
			return mv, nil
		}
		s, o = t, *cont
	}
}

// enter starts state t: it returns its work, or the outcome t has at once
// (routing states succeed at once; a template that cannot expand fails).
func (f *Flow) enter(t *State, m *Memory, env Env) (Move, *Outcome) {
	look := m.lookup(env)
	switch {
	case m.HungUp && t.fetch == nil && (len(t.Verbs) > 0 || t.handoff != ""):
		// Nothing can be played or handed over after a hangup.
		return Move{End: true}, nil
	case t.fetch != nil:
		u := t.fetch.url.expand(look, urlEscape)
		if !verb.IsHTTPURL(u) {
			return Move{}, &Outcome{Reason: verb.ReasonError}
		}
		return Move{Fetch: &Fetch{URL: u, Method: t.fetch.method, Timeout: t.fetch.timeout, Retries: t.fetch.retries}}, nil
	case len(t.Verbs) > 0:
		verbs, err := t.expand(look)
		if err != nil {
			return Move{}, &Outcome{Reason: verb.ReasonError}
		}
		return Move{Verbs: verbs, Handoff: t.handoff, End: t.hangup}, nil
	case t.handoff != "":
		return Move{Handoff: t.handoff}, nil
	}
	return Move{}, &Outcome{Reason: verb.ReasonOK}
}

// expand returns the state's verbs with templates filled in and, when the
// flow wants their result, the last one's Action set to the state's name.
func (s *State) expand(look func(ref) string) ([]verb.Verb, error) {
	out := make([]verb.Verb, len(s.Verbs))
	for i, v := range s.Verbs {
		if ts := s.templates[i]; ts != nil {
			spec, err := v.Spec.MapText(func(text string) (string, error) {
				return expandText(v.Name, text, ts, look)
			})
			if err != nil {
				return nil, fmt.Errorf("state %q: %s: %w", s.Name, v.Name, err)
			}
			v.Spec = spec
		}
		out[i] = v
	}
	if !s.hangup && s.handoff == "" {
		out[len(out)-1].Action = s.Name
	}
	return out, nil
}

// expandText fills in one text argument with its template parsed at load
// (ts). A value can carry a line break (a channel variable, a fetched
// field); only speak sends its text as a body, anywhere else a line break
// would end the ESL command, so it is an error.
func expandText(verb, text string, ts verbTemplates, look func(ref) string) (string, error) {
	t, ok := ts[text]
	if !ok {
		return text, nil // a text argument without a template
	}
	out := t.expand(look, nil)
	if verb != "speak" && strings.ContainsAny(out, "\r\n") {
		return "", fmt.Errorf("expanded text %q has a line break", out)
	}
	return out, nil
}

// lookup reads references for templates and conditions.
func (m *Memory) lookup(env Env) func(ref) string {
	return func(r ref) string {
		switch r.ns {
		case nsDigits:
			return m.Digits
		case nsRecording:
			return recordingField(m.Recording, r.name)
		case nsFlow:
			return m.Flow[r.name]
		case nsVars:
			return env.Vars[r.name]
		case nsCall:
			c := env.Call
			switch r.name {
			case "id":
				return c.ID
			case "app":
				return c.App
			case "from":
				return c.From
			case "from_name":
				return c.FromName
			case "to":
				return c.To
			case "direction":
				return c.Direction
			case "channel":
				return c.Channel
			}
		}
		return ""
	}
}

// recordingField is {{recording.name}} of rec: "" before any recording,
// and for an upload field when no upload was asked for.
func recordingField(rec *verb.Recording, name string) string {
	if rec == nil {
		return ""
	}
	switch name {
	case "url":
		return rec.URL
	case "path":
		return rec.Path
	case "name":
		return rec.Name
	case "format":
		return rec.Format
	case "size":
		return strconv.FormatInt(rec.Size, 10)
	case "duration_ms":
		return strconv.FormatInt(rec.DurationMS, 10)
	}
	u := rec.Upload
	if u == nil {
		return ""
	}
	switch name {
	case "upload_url":
		return u.URL
	case "upload_method":
		return u.Method
	case "upload_status":
		if u.Status == 0 {
			return ""
		}
		return strconv.Itoa(u.Status)
	case "upload_error":
		return u.Error
	}
	return ""
}

// route picks the state s leads to after outcome o; "" means the flow ends
// (a hangup with no on.hangup).
func (f *Flow) route(s *State, o Outcome, m *Memory, env Env) (to, why string, err error) {
	if o.Reason == verb.ReasonHangup {
		return s.on.hangup.State, "hangup → on.hangup", nil
	}
	if o.Verb == "gather" {
		m.Digits = o.Digits
	}
	if o.Recording != nil {
		m.Recording = o.Recording
	}
	reason := o.Reason
	var via string
	if reason == verb.ReasonOK {
		if s.fetch != nil {
			if to = s.fetched(o.Data, m); to != "" {
				via = "fetched → switch"
			}
		}
		if to == "" && len(s.on.digits) > 0 {
			if to = matchDigits(s.on.digits, o.Digits); to == "" {
				reason = verb.ReasonInvalid
				via = quoteDigits(o.Digits) + " has no route → invalid"
			} else {
				via = quoteDigits(o.Digits) + " → on.digits"
			}
		}
	}
	if reason == verb.ReasonOK {
		delete(m.Tries, s.Name)
		look := m.lookup(env)
		for _, a := range s.set {
			m.Flow[a.name] = a.value.expand(look, nil)
		}
		if to == "" && s.on.ok.ok() {
			to, via = s.on.ok.State, "ok → on.ok"
		}
		for _, c := range s.when {
			if to != "" {
				break
			}
			if c.holds(env.Now, look) {
				to, via = c.target.State, "ok → when "+c.label
			}
		}
		for _, t := range []struct {
			t    target
			name string
		}{{s.elseTo, "else"}, {s.next, "next"}} {
			if to == "" && t.t.ok() {
				to, via = t.t.State, "ok → "+t.name
			}
		}
		if to == "" {
			return "", "ok: no route", fmt.Errorf("state %q, outcome %s: %w", s.Name, reason, ErrNoTransition)
		}
		return to, via, nil
	}

	if via == "" {
		via = reason
	}
	if s.tries > 0 {
		n := m.Tries[s.Name] + 1
		if n >= s.tries {
			delete(m.Tries, s.Name)
			return s.maxTo.State, fmt.Sprintf("%s, %d of %d tries used → max_tries", via, n, s.tries), nil
		}
		m.Tries[s.Name] = n
		via = fmt.Sprintf("%s, try %d of %d", via, n+1, s.tries)
	}
	switch reason {
	case verb.ReasonTimeout:
		to = s.on.timeout.State
	case verb.ReasonInvalid:
		to = s.on.invalid.State
	default:
		to = s.on.err.State
	}
	if to != "" {
		via += " → on." + reason
	}
	if to == "" && s.next.ok() {
		to, via = s.next.State, via+" → next"
	}
	if to == "" && s.tries > 0 {
		to, via = s.Name, via+" → again"
	}
	if to == "" {
		return "", via + ": no route", fmt.Errorf("state %q, outcome %s: %w", s.Name, reason, ErrNoTransition)
	}
	return to, via, nil
}

// quoteDigits shows a gather's digits in an explanation ("no digits" when
// none came).
func quoteDigits(d string) string {
	if d == "" {
		return "no digits"
	}
	return d
}

// fetched saves fields of a fetch's answer and returns the switch's pick
// ("" when it has none or no case matches and it has no default).
func (s *State) fetched(data any, m *Memory) string {
	for _, sv := range s.fetch.save {
		v, _ := jsonField(data, sv.field)
		m.Flow[sv.name] = jsonString(v)
	}
	if s.sw == nil {
		return ""
	}
	v, ok := jsonField(data, s.sw.field)
	if ok {
		got := jsonString(v)
		for _, c := range s.sw.cases {
			if c.value == got {
				return c.target.State
			}
		}
	}
	return s.sw.def.State
}

// matchDigits returns the target of the first route the digits match:
// exact keys first, then patterns in file order.
func matchDigits(rs []digitRoute, digits string) string {
	for _, r := range rs {
		for _, e := range r.exact {
			if e == digits {
				return r.target.State
			}
		}
	}
	for _, r := range rs {
		if r.re != nil && r.re.MatchString(digits) {
			return r.target.State
		}
	}
	return ""
}
