package statemachine

import (
	"fmt"

	"gopkg.in/yaml.v3"
)

// validate checks what needs the whole flow: targets exist, every state is
// reachable from start, hangup routes lead to non-media states, and flow
// variables are declared.
func (p *parser) validate() {
	f := p.f
	for _, t := range p.targets {
		if f.states[t.State] == nil {
			p.errorf(&yaml.Node{Line: t.Line}, "unknown state %q", t.State)
		}
	}
	for _, u := range p.flowUse {
		if !p.decl[u.name] {
			p.errorf(&yaml.Node{Line: u.line}, "flow variable %q is not declared in vars: nor set anywhere (set:, fetch save:)", u.name)
		}
	}
	for _, name := range f.order {
		s := f.states[name]
		if h := s.on.hangup; h.ok() {
			if t := f.states[h.State]; t != nil && (len(t.Verbs) > 0 || t.handoff != "") {
				p.errorf(&yaml.Node{Line: h.Line}, "state %q: on.hangup goes to %q, which has verbs or a handoff: after a hangup only fetch and routing states run", name, h.State)
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
			if !seen[e.to.State] && f.states[e.to.State] != nil {
				seen[e.to.State] = true
				queue = append(queue, e.to.State)
			}
		}
	}
	for _, name := range f.order {
		if !seen[name] {
			p.errorf(&yaml.Node{Line: f.states[name].Line}, "%s", fmt.Sprintf("state %q is unreachable from start state %q", name, f.Start))
		}
	}
}
