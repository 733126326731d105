package statemachine

import (
	"regexp"
	"time"

	"github.com/callhook/callhook/verb"
)

// Flow is a parsed and validated flow file. It is immutable once Parse
// returns it, so one Flow serves any number of concurrent calls (a SIGHUP
// reload makes a new Flow; calls in progress keep theirs).
type Flow struct {
	Name  string // the flow's name: key; the file name without extension when absent
	File  string // the path or name given to Parse, used in error messages
	Start string // the state a call enters first

	vars     map[string]string // initial flow variables
	location *time.Location    // the timezone: default for time conditions; nil when absent
	states   map[string]*State
	order    []string // state names in file order
	chanVars []string // channel variables the flow reads ({{vars.X}}, when: vars.X)
	handoffs []string // apps handoff states name, in file order, without repeats
	// The flow's allow keys, for verb.ParseOptions.
	allowExec      []string
	allowVars      []string
	allowEndpoints []string
	allowDialplans []string
}

// State is one named state of a flow. Only its name, line and verbs are
// exported: the rest is the flow's routing, which Step interprets.
type State struct {
	Name  string
	Line  int
	Verbs []verb.Verb // as parsed: templates not yet expanded, no Action set

	summaries []string        // per verb: "play ivr/ivr-welcome.wav", for graphs
	templates []verbTemplates // per verb: its text arguments' templates, nil when none

	set     []assign
	fetch   *fetchSpec
	sw      *switchSpec
	on      routes
	when    []*condition
	elseTo  target
	next    target
	tries   int
	maxTo   target // max_tries
	handoff string
	hangup  bool // ends the call (a hangup: key, or the last verb is hangup)
	// broken is set when one of the state's verbs did not parse: what the
	// state's routes need from its verbs (a gather last) is then unknown,
	// and checking it would only add wrong errors to the real one.
	broken bool
}

// target is a transition's destination state, with the line that names it.
type target struct {
	State string
	Line  int
}

func (t target) ok() bool { return t.State != "" }

// routes are a state's on: transitions by outcome.
type routes struct {
	digits  []digitRoute
	timeout target // also spelled noinput
	invalid target
	ok      target
	err     target
	hangup  target
}

// digitRoute sends some digits to a target: exact strings or a pattern.
type digitRoute struct {
	label  string   // as written, for graphs: "1", "1, 2", "/^5\d$/"
	exact  []string // matched first, in any order
	re     *regexp.Regexp
	target target
}

// assign sets a flow variable from a template when a state succeeds.
type assign struct {
	name  string
	value *template
}

// fetchSpec is a fetch state's HTTP request.
type fetchSpec struct {
	url     *template
	method  string // GET or POST
	timeout time.Duration
	retries int // further attempts after a connection error, a 5xx or a 429
	save    []saveField
}

// saveField copies a field of a fetch's JSON answer into a flow variable.
type saveField struct {
	name  string // flow variable
	field string // dotted path in the answer
}

// switchSpec branches on a field of a fetch's JSON answer.
type switchSpec struct {
	field string
	cases []switchCase // file order
	def   target
}

type switchCase struct {
	value  string
	target target
}

// States returns the flow's states in file order.
func (f *Flow) States() []*State {
	out := make([]*State, len(f.order))
	for i, name := range f.order {
		out[i] = f.states[name]
	}
	return out
}

// State returns the state called name, or nil.
func (f *Flow) State(name string) *State { return f.states[name] }

// Handoffs returns the names of the apps the flow hands calls to, so a
// config loader can check that each one exists.
func (f *Flow) Handoffs() []string { return append([]string(nil), f.handoffs...) }

// ChannelVars returns the channel variables the flow reads, in the order
// first used. A backend snapshots them into Env.Vars before each step.
func (f *Flow) ChannelVars() []string { return append([]string(nil), f.chanVars...) }

// InitialMemory returns the memory a new call starts with: the flow's
// declared variables with their initial values.
func (f *Flow) InitialMemory() Memory {
	m := Memory{Flow: make(map[string]string, len(f.vars))}
	for k, v := range f.vars {
		m.Flow[k] = v
	}
	return m
}
