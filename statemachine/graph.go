package statemachine

import (
	"fmt"
	"strings"
)

// maxLabelVerbs is how many verb summaries a graph node shows.
const maxLabelVerbs = 4

// nodeLines is a state's label: its name, then what it does.
func (s *State) nodeLines() []string {
	lines := []string{s.Name}
	switch {
	case s.fetch != nil:
		lines = append(lines, shorten(s.fetch.method+" "+s.fetch.urlText(), 48))
	case len(s.Verbs) > 0:
		for i, sum := range s.summaries {
			if i == maxLabelVerbs && len(s.summaries) > maxLabelVerbs+1 {
				lines = append(lines, fmt.Sprintf("… %d more", len(s.summaries)-maxLabelVerbs))
				break
			}
			lines = append(lines, sum)
		}
	case len(s.when) > 0:
		lines = append(lines, "when")
	}
	if s.handoff != "" {
		lines = append(lines, "handoff "+s.handoff)
	}
	return lines
}

// urlText is the fetch URL as written, templates included.
func (fs *fetchSpec) urlText() string {
	var b strings.Builder
	for _, p := range fs.url.parts {
		if p.isRef {
			b.WriteString("{{" + p.ref.String() + "}}")
		} else {
			b.WriteString(p.lit)
		}
	}
	return b.String()
}

// Mermaid draws the flow as a Mermaid flowchart: a node per state (its name
// and what it does), edges labelled by outcome, and a node per app that
// handoff states hand calls to. The output is the same for the same file.
func (f *Flow) Mermaid() string {
	ids := f.nodeIDs("s_", "app_", func(r rune) bool {
		return r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9'
	})
	esc := strings.NewReplacer(`"`, "#quot;", "<", "#lt;", ">", "#gt;", "|", "#124;")
	var b strings.Builder
	b.WriteString("flowchart TD\n")
	fmt.Fprintf(&b, "  start_node((start)) --> %s\n", ids.state[f.Start])
	for _, s := range f.States() {
		lines := s.nodeLines()
		for i := range lines {
			lines[i] = esc.Replace(lines[i])
		}
		label := `"` + strings.Join(lines, "<br/>") + `"`
		open, close := "[", "]"
		switch {
		case s.hangup:
			open, close = "([", "])"
		case s.fetch != nil:
			open, close = "[[", "]]"
		case len(s.Verbs) == 0 && s.handoff == "":
			open, close = "{", "}"
		}
		fmt.Fprintf(&b, "  %s%s%s%s\n", ids.state[s.Name], open, label, close)
	}
	for _, app := range f.handoffs {
		fmt.Fprintf(&b, "  %s{{\"app: %s\"}}\n", ids.app[app], esc.Replace(app))
	}
	for _, s := range f.States() {
		for _, e := range s.edges(true) {
			fmt.Fprintf(&b, "  %s -->|\"%s\"| %s\n", ids.state[s.Name], esc.Replace(e.label), ids.state[e.to.State])
		}
		if s.handoff != "" {
			fmt.Fprintf(&b, "  %s -->|\"handoff\"| %s\n", ids.state[s.Name], ids.app[s.handoff])
		}
	}
	return b.String()
}

// DOT draws the flow as a Graphviz digraph, with the same nodes and edges
// as Mermaid.
func (f *Flow) DOT() string {
	q := func(s string) string {
		return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(s) + `"`
	}
	var b strings.Builder
	fmt.Fprintf(&b, "digraph %s {\n", q(f.Name))
	b.WriteString("  node [shape=box, fontname=\"Helvetica\"];\n")
	b.WriteString("  edge [fontname=\"Helvetica\", fontsize=10];\n")
	b.WriteString("  \"start\" [shape=circle, label=\"start\"];\n")
	fmt.Fprintf(&b, "  \"start\" -> %s;\n", q("s:"+f.Start))
	for _, s := range f.States() {
		attrs := ""
		switch {
		case s.hangup:
			attrs = ", style=rounded, peripheries=2"
		case s.fetch != nil:
			attrs = ", shape=component"
		case len(s.Verbs) == 0 && s.handoff == "":
			attrs = ", shape=diamond"
		}
		fmt.Fprintf(&b, "  %s [label=%s%s];\n", q("s:"+s.Name), q(strings.Join(s.nodeLines(), "\n")), attrs)
	}
	for _, app := range f.handoffs {
		fmt.Fprintf(&b, "  %s [shape=hexagon, label=%s];\n", q("app:"+app), q("app: "+app))
	}
	for _, s := range f.States() {
		for _, e := range s.edges(true) {
			fmt.Fprintf(&b, "  %s -> %s [label=%s];\n", q("s:"+s.Name), q("s:"+e.to.State), q(e.label))
		}
		if s.handoff != "" {
			fmt.Fprintf(&b, "  %s -> %s [label=\"handoff\"];\n", q("s:"+s.Name), q("app:"+s.handoff))
		}
	}
	b.WriteString("}\n")
	return b.String()
}

// graphIDs are node identifiers, unique and safe for the graph language.
type graphIDs struct {
	state, app map[string]string
}

// nodeIDs derives readable identifiers from state and app names: the name
// with unsafe characters replaced, prefixed so that no state can be
// confused with an app or with Mermaid keywords such as end, and numbered
// when two names come out the same.
func (f *Flow) nodeIDs(statePrefix, appPrefix string, safe func(rune) bool) graphIDs {
	used := map[string]bool{"start_node": true}
	mk := func(prefix, name string) string {
		id := prefix + strings.Map(func(r rune) rune {
			if safe(r) {
				return r
			}
			return '_'
		}, name)
		base := id
		for i := 2; used[id]; i++ {
			id = fmt.Sprintf("%s_%d", base, i)
		}
		used[id] = true
		return id
	}
	ids := graphIDs{state: map[string]string{}, app: map[string]string{}}
	for _, name := range f.order {
		ids.state[name] = mk(statePrefix, name)
	}
	for _, app := range f.handoffs {
		ids.app[app] = mk(appPrefix, app)
	}
	return ids
}
