package statemachine

import (
	"errors"
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/callhook/callhook/internal/suggest"
	"github.com/callhook/callhook/internal/yamlx"

	"gopkg.in/yaml.v3"

	"github.com/callhook/callhook/verb"
)

// maxFetchTimeout bounds a fetch state's timeout: the caller hears silence
// while it runs.
const maxFetchTimeout = time.Minute

// defaultFetchTimeout is a fetch's timeout when the state gives none.
const defaultFetchTimeout = 5 * time.Second

// defaultFetchRetries and maxFetchRetries are a fetch's retries when the
// state gives none, and at most: as a webhook app's (retries: 1, at most
// 5), the caller hearing silence meanwhile.
const (
	defaultFetchRetries = 1
	maxFetchRetries     = 5
)

var (
	appName     = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]*$`)
	hangupCause = regexp.MustCompile(`^[A-Z][A-Z0-9_]*$`)
	exactDigits = regexp.MustCompile(`^[0-9*#A-Da-d]+$`)
)

// parser holds what one Parse learns and the problems it finds.
type parser struct {
	file    string
	probs   yamlx.Problems
	f       *Flow
	targets []target  // every transition's target, checked once states are known
	flowUse []flowUse // every {{flow.X}} and when: flow.X
	decl    map[string]bool
	opts    Options
}

// Options are what the config adds to a flow file when it uses it as an
// app. The zero value is what `callhook check FLOW.yaml` checks a flow with.
type Options struct {
	// Files are the folders the flow's verbs may record into and play from
	// (README "Files"; nil: verb.FileRules' zero value). Filled-in
	// templates are checked against them again on every call.
	Files *verb.FileRules
}

// flowUse is a reference to a flow variable, checked against declarations.
type flowUse struct {
	name string
	line int
}

// ParseFile reads and parses a flow file (see Parse). A file that is not
// a regular file (a named pipe, a device such as /dev/zero, a directory) or
// is over MaxFileBytes is refused unread; that error, like any other read
// error, holds no *Error (Errors returns nil).
func ParseFile(path string) (*Flow, error) {
	return ParseFileWith(path, Options{})
}

// ParseFileWith is ParseFile with the app's options.
func ParseFileWith(path string, o Options) (*Flow, error) {
	data, err := readFile(path)
	if err != nil {
		return nil, fmt.Errorf("read flow: %w", err)
	}
	return ParseWith(path, data, o)
}

// Parse parses and validates a flow document; name is the file name used
// in error messages. On any problem it returns nil and every problem it
// found, joined (errors.Join) and ordered by line, each an *Error
// "file:line: message" (list them with Errors).
func Parse(name string, data []byte) (*Flow, error) {
	return ParseWith(name, data, Options{})
}

// ParseWith is Parse with the app's options.
func ParseWith(name string, data []byte, o Options) (*Flow, error) {
	p := &parser{
		file: name,
		opts: o,
		decl: map[string]bool{},
		f: &Flow{
			File:   name,
			Name:   strings.TrimSuffix(filepath.Base(name), filepath.Ext(name)),
			vars:   map[string]string{},
			states: map[string]*State{},
		},
	}
	p.parse(data)
	if err := p.probs.Err(); err != nil {
		return nil, err
	}
	return p.f, nil
}

func (p *parser) parse(data []byte) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		p.yamlError(data, err)
		return
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		p.add(&Error{File: p.file, Line: 1, Msg: "empty flow: want name, start and states"})
		return
	}
	root := yamlx.Deref(doc.Content[0])
	p.checkDuplicates(root, 0)
	if root.Kind != yaml.MappingNode {
		p.errorf(root, "the flow must be a map of name, start, states, ...")
		return
	}
	top := map[string]kv{}
	for _, e := range p.pairs(root, "the flow", "name", "description", "start", "vars", "timezone", "allow_execute", "allow_vars", "allow_endpoints", "allow_dialplans", "states") {
		if _, dup := top[e.k.Value]; !dup {
			top[e.k.Value] = e
		}
	}
	if e, ok := top["name"]; ok {
		if v, ok := p.scalar(e.v, "name"); ok {
			p.f.Name = v
		}
	}
	if e, ok := top["description"]; ok {
		p.scalar(e.v, "description")
	}
	if e, ok := top["timezone"]; ok {
		p.f.location = p.location(e.v)
	}
	// What the flow's verbs may make FreeSWITCH do beyond the defaults:
	// the keys of an app in the config (README, "Security model").
	for _, k := range []struct {
		key string
		dst *[]string
	}{
		{"allow_execute", &p.f.allowExec},
		{"allow_vars", &p.f.allowVars},
		{"allow_endpoints", &p.f.allowEndpoints},
		{"allow_dialplans", &p.f.allowDialplans},
	} {
		e, ok := top[k.key]
		if !ok {
			continue
		}
		list, ok := p.strings(e.v, k.key)
		if !ok {
			continue
		}
		for _, n := range list {
			switch {
			case k.key == "allow_execute" && verb.CheckAllowExecute(n.Value) != nil:
				p.errorf(n, "allow_execute: %v", verb.CheckAllowExecute(n.Value))
				continue
			case k.key == "allow_dialplans" && strings.EqualFold(n.Value, "inline"):
				p.errorf(n, "allow_dialplans: inline cannot be allowed: it runs the applications named in the extension")
				continue
			}
			*k.dst = append(*k.dst, n.Value)
		}
	}
	if e, ok := top["vars"]; ok {
		p.parseVars(e.v)
	}
	states, ok := top["states"]
	if !ok {
		p.errorf(root, "the flow has no states:")
		return
	}
	p.parseStates(states.v)
	if e, ok := top["start"]; ok {
		if v, ok := p.scalar(e.v, "start"); ok {
			p.f.Start = v
			if p.f.states[v] == nil && len(p.f.states) > 0 {
				p.errorf(e.v, "start state %q is not defined%s", v, suggest.Hint(v, p.f.order))
			}
		}
	} else {
		p.errorf(root, "the flow has no start: state")
	}
	p.validate()
}

// yamlError turns a yaml.v3 syntax error into an Error at the line and
// column where the document stops parsing (yaml.v3's own line is often
// where the enclosing construct began), or a type error into Errors.
func (p *parser) yamlError(data []byte, err error) {
	var te *yaml.TypeError
	if !errors.As(err, &te) {
		pos := yamlx.Locate(data, err)
		p.add(&Error{File: p.file, Line: pos.Line, Column: pos.Column, Msg: pos.Msg})
		return
	}
	for _, msg := range te.Errors {
		pos := yamlx.SplitText(msg)
		p.add(&Error{File: p.file, Line: pos.Line, Msg: pos.Msg})
	}
}

func (p *parser) location(n *yaml.Node) *time.Location {
	v, ok := p.scalar(n, "timezone")
	if !ok {
		return nil
	}
	loc, err := time.LoadLocation(v)
	if err != nil || v == "Local" {
		p.errorf(n, "unknown timezone %q (want an IANA name such as Europe/London)", v)
		return nil
	}
	return loc
}

func (p *parser) parseVars(n *yaml.Node) {
	for _, e := range p.pairs(n, "vars", nil...) {
		if !flowVarName.MatchString(e.k.Value) {
			p.errorf(e.k, "bad flow variable name %q (want letters, digits and _)", e.k.Value)
			continue
		}
		v := yamlx.Deref(e.v)
		if v.Kind != yaml.ScalarNode {
			p.errorf(v, "flow variable %q must have a plain value", e.k.Value)
			continue
		}
		val := v.Value
		if v.Tag == "!!null" {
			val = ""
		}
		if strings.ContainsAny(val, "\r\n") {
			p.errorf(v, "flow variable %q has a line break", e.k.Value)
			continue
		}
		p.f.vars[e.k.Value] = val
		p.decl[e.k.Value] = true
	}
}

func (p *parser) parseStates(n *yaml.Node) {
	pairs := p.pairs(n, "states", nil...)
	if len(pairs) == 0 && yamlx.Deref(n).Kind == yaml.MappingNode {
		p.errorf(n, "states: is empty")
	}
	for _, e := range pairs {
		name := e.k.Value
		if _, dup := p.f.states[name]; dup {
			continue // reported by checkDuplicates
		}
		s := &State{Name: name, Line: e.k.Line}
		p.f.states[name] = s
		p.f.order = append(p.f.order, name)
		p.parseState(s, e.v)
	}
}

// stateKeys are the keys a state may have.
var stateKeys = []string{"verbs", "on", "next", "tries", "max_tries", "when", "else", "set", "handoff", "hangup", "fetch", "switch"}

func (p *parser) parseState(s *State, n *yaml.Node) {
	where := fmt.Sprintf("state %q", s.Name)
	if yamlx.Deref(n).Kind == yaml.ScalarNode && yamlx.Deref(n).Tag == "!!null" {
		p.errorf(n, "%s is empty: give it verbs and transitions, or hangup: true", where)
		return
	}
	keys := map[string]kv{}
	for _, e := range p.pairs(n, where, stateKeys...) {
		if _, dup := keys[e.k.Value]; !dup {
			keys[e.k.Value] = e
		}
	}
	has := func(k string) bool { _, ok := keys[k]; return ok }

	if e, ok := keys["verbs"]; ok {
		p.parseVerbs(s, e.v)
	}
	if n := len(s.Verbs); n > 0 && (s.Verbs[n-1].Name == "hangup" || s.Verbs[n-1].Name == "reject") {
		// reject ends the call too (or, on an answered call, the app fails).
		s.hangup = true
	}
	if e, ok := keys["hangup"]; ok {
		p.parseHangup(s, e.v)
	}
	if e, ok := keys["on"]; ok {
		p.parseOn(s, e.v)
	}
	if e, ok := keys["next"]; ok {
		if s.next.ok() {
			p.errorf(e.k, "%s: next is given twice (here and in on:)", where)
		} else {
			s.next = p.target(e.v, "next")
		}
	}
	if e, ok := keys["tries"]; ok {
		s.tries = p.positive(e.v, "tries")
	}
	if e, ok := keys["max_tries"]; ok {
		s.maxTo = p.target(e.v, "max_tries")
		if !has("tries") {
			p.errorf(e.k, "%s: max_tries without tries", where)
		}
	} else if has("tries") {
		p.errorf(keys["tries"].k, "%s: tries without max_tries (the state to go to once they run out)", where)
	}
	if e, ok := keys["when"]; ok {
		p.parseWhen(s, e.v)
	}
	if e, ok := keys["else"]; ok {
		s.elseTo = p.target(e.v, "else")
		if !has("when") {
			p.errorf(e.k, "%s: else without when", where)
		}
	}
	if e, ok := keys["set"]; ok {
		p.parseSet(s, e.v)
	}
	if e, ok := keys["handoff"]; ok {
		if v, ok := p.scalar(e.v, "handoff"); ok {
			if !appName.MatchString(v) {
				p.errorf(e.v, "bad app name %q in handoff", v)
			} else {
				s.handoff = v
				if !slices.Contains(p.f.handoffs, v) {
					p.f.handoffs = append(p.f.handoffs, v)
				}
			}
		}
	}
	if e, ok := keys["fetch"]; ok {
		p.parseFetch(s, e.v)
	}
	if e, ok := keys["switch"]; ok {
		p.parseSwitch(s, e.v)
		if !has("fetch") {
			p.errorf(e.k, "%s: switch without fetch (switch branches on a fetched field; use when: for variables)", where)
		}
	}
	p.checkState(s, keys)
}

// checkState checks that a state's keys fit together.
func (p *parser) checkState(s *State, keys map[string]kv) {
	where := fmt.Sprintf("state %q", s.Name)
	routes := []string{"on", "next", "tries", "max_tries", "when", "else", "switch"}
	if _, ok := keys["handoff"]; ok {
		for _, k := range append(routes, "hangup", "fetch", "set") {
			if _, bad := keys[k]; bad {
				p.errorf(keys[k].k, "%s: a handoff state cannot have %s: the call leaves the flow", where, k)
			}
		}
		if _, both := keys["hangup"]; s.hangup && !both {
			p.errorf(keys["handoff"].k, "%s: its verbs end with hangup, so the handoff would never happen", where)
		}
		return
	}
	if s.hangup {
		for _, k := range append(routes, "fetch", "set") {
			if _, bad := keys[k]; bad && !(k == "on" && s.onlyHangupRoute()) {
				p.errorf(keys[k].k, "%s: the state ends the call, so it cannot have %s (only on: {hangup: STATE})", where, k)
			}
		}
		return
	}
	if e, ok := keys["fetch"]; ok {
		if _, bad := keys["verbs"]; bad {
			p.errorf(keys["verbs"].k, "%s: a fetch state has no verbs (play them in the state before it)", where)
		}
		if !s.on.err.ok() && !s.next.ok() && s.tries == 0 {
			p.errorf(e.k, "%s: a fetch can fail: give it on: {error: STATE} (or next:)", where)
		}
	}
	if s.broken {
		// One verb's error is reported; the routes' needs of the verbs
		// (a gather last, coverage of its outcomes) cannot be judged.
		return
	}
	if e, ok := keys["on"]; ok && s.lastVerb() != "gather" {
		for _, what := range []struct {
			name string
			set  bool
		}{{"digits", len(s.on.digits) > 0}, {"timeout", s.on.timeout.ok()}, {"invalid", s.on.invalid.ok()}} {
			if what.set {
				p.errorf(e.k, "%s: on.%s needs a gather as the state's last verb", where, what.name)
			}
		}
	}
	if len(s.edges(false)) == 0 || (len(s.edges(false)) == 1 && s.on.hangup.ok()) {
		p.errorAt(s.Line, "%s has no way out: add transitions (on:, next:, when:), hangup: true, or end its verbs with hangup", where)
		return
	}
	p.checkCoverage(s)
}

// checkCoverage checks that the outcomes every state can have are routed:
// success always, and a gather's timeout and invalid input. An unrouted
// outcome at run time fails the call (ErrNoTransition), which a caller
// hears as a hangup; a verb's rare error is left to that.
func (p *parser) checkCoverage(s *State) {
	gather := s.lastVerb() == "gather"
	success := s.on.ok.ok() || s.next.ok() || s.elseTo.ok() ||
		(gather && len(s.on.digits) > 0) || (s.sw != nil && s.sw.def.ok())
	if !success {
		p.errorAt(s.Line, "state %q: nothing routes its success: add on: {ok: STATE}, next:, or else: (when: may match nothing)", s.Name)
	}
	if !gather || s.next.ok() || s.tries > 0 {
		return
	}
	if !s.on.timeout.ok() {
		p.errorAt(s.Line, "state %q: its gather can time out: add on: {timeout: STATE}, tries: or next:", s.Name)
	}
	if !s.on.invalid.ok() {
		p.errorAt(s.Line, "state %q: its gather can get invalid digits: add on: {invalid: STATE}, tries: or next:", s.Name)
	}
}

func (s *State) onlyHangupRoute() bool {
	r := s.on
	return len(r.digits) == 0 && !r.timeout.ok() && !r.invalid.ok() && !r.ok.ok() && !r.err.ok()
}

func (p *parser) parseHangup(s *State, n *yaml.Node) {
	n = yamlx.Deref(n)
	cause := ""
	switch {
	case n.Kind == yaml.ScalarNode && n.Tag == "!!bool":
		if n.Value != "true" {
			p.errorf(n, "hangup must be true or a hangup cause such as NORMAL_CLEARING")
			return
		}
	case n.Kind == yaml.ScalarNode && hangupCause.MatchString(n.Value):
		cause = n.Value
	default:
		p.errorf(n, "hangup must be true or a hangup cause such as NORMAL_CLEARING, not %q", n.Value)
		return
	}
	if s.hangup {
		p.errorf(n, "state %q already ends with a hangup verb", s.Name)
		return
	}
	v, err := verb.Hangup(cause)
	if err != nil {
		p.errorf(n, "%v", err)
		return
	}
	v.Line = n.Line
	summary := "hangup"
	if cause != "" {
		summary += " " + cause
	}
	s.Verbs = append(s.Verbs, v)
	s.summaries = append(s.summaries, summary)
	s.templates = append(s.templates, nil)
	s.hangup = true
}
