package statemachine

import (
	"fmt"
	"strings"
)

// edge is one transition of a state, for validation and graphs.
type edge struct {
	label string // "1", "timeout", "when mon-fri 09:00-17:00", "max tries", ...
	to    target
}

// edges lists a state's transitions in a fixed order: digits, the other
// outcomes, switch, when/else, next, max tries; with implicit, also the
// retry a state with tries makes of an unrouted failure.
func (s *State) edges(implicit bool) []edge {
	var out []edge
	add := func(label string, t target) {
		if t.ok() {
			out = append(out, edge{label: label, to: t})
		}
	}
	for _, d := range s.on.digits {
		add(d.label, d.target)
	}
	add("ok", s.on.ok)
	add("timeout", s.on.timeout)
	add("invalid", s.on.invalid)
	add("error", s.on.err)
	add("hangup", s.on.hangup)
	if s.sw != nil {
		for _, c := range s.sw.cases {
			add(fmt.Sprintf("%s = %s", s.sw.field, c.value), c.target)
		}
		add(s.sw.field+": other", s.sw.def)
	}
	for _, c := range s.when {
		add("when "+c.label, c.target)
	}
	add("else", s.elseTo)
	add("next", s.next)
	add("max tries", s.maxTo)
	if implicit && s.tries > 0 && !s.next.ok() {
		var retried []string
		if !s.on.timeout.ok() && s.lastVerb() == "gather" {
			retried = append(retried, "timeout")
		}
		if !s.on.invalid.ok() && s.lastVerb() == "gather" {
			retried = append(retried, "invalid")
		}
		if !s.on.err.ok() {
			retried = append(retried, "error")
		}
		if len(retried) > 0 {
			add("retry ("+strings.Join(retried, ", ")+")", target{State: s.Name})
		}
	}
	return out
}

// lastVerb returns the name of the state's last verb, or "".
func (s *State) lastVerb() string {
	if len(s.Verbs) == 0 {
		return ""
	}
	return s.Verbs[len(s.Verbs)-1].Name
}
