package statemachine

import (
	"fmt"

	"github.com/callhook/callhook/internal/suggest"
)

// validate checks what needs the whole flow: targets exist, every state is
// reachable from start, hangup routes lead to non-media states, and flow
// variables are declared.
func (p *parser) validate() {
	f := p.f
	// A typo in a target would make every state behind it unreachable:
	// reachability follows the state the typo most likely meant, and when
	// no state is near, unreachable states are not reported at all (the
	// unknown target is the one error to fix).
	meant := map[string]string{}
	guessed := true
	for _, t := range p.targets {
		if f.states[t.State] == nil {
			best := suggest.Closest(t.State, f.order)
			if best == "" {
				guessed = false
			}
			meant[t.State] = best
			p.errorAt(t.Line, "unknown state %q%s", t.State, suggest.Hint(t.State, f.order))
		}
	}
	for _, u := range p.flowUse {
		if !p.decl[u.name] {
			p.errorAt(u.line, "flow variable %q is not declared in vars: nor set anywhere (set:, fetch save:)", u.name)
		}
	}
	for _, name := range f.order {
		s := f.states[name]
		if h := s.on.hangup; h.ok() {
			if t := f.states[h.State]; t != nil && (len(t.Verbs) > 0 || t.handoff != "") {
				p.errorAt(h.Line, "state %q: on.hangup goes to %q, which has verbs or a handoff: after a hangup only fetch and routing states run", name, h.State)
			}
		}
	}
	if f.states[f.Start] == nil {
		return // reported by parse; reachability would flag everything
	}
	seen := map[string]bool{f.Start: true}
	queue := []string{f.Start}
	for len(queue) > 0 {
		s := f.states[queue[0]]
		queue = queue[1:]
		for _, e := range s.edges(false) {
			to := e.to.State
			if f.states[to] == nil {
				to = meant[to]
			}
			if !seen[to] && f.states[to] != nil {
				seen[to] = true
				queue = append(queue, to)
			}
		}
	}
	if !guessed {
		return
	}
	for _, name := range f.order {
		if !seen[name] {
			p.errorAt(f.states[name].Line, "%s", fmt.Sprintf("state %q is unreachable from start state %q", name, f.Start))
		}
	}
}
