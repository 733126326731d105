package statemachine

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/callhook/callhook/internal/suggest"
	"github.com/callhook/callhook/internal/yamlx"

	"gopkg.in/yaml.v3"
)

// Helpers that read yaml.v3 nodes and record problems with their lines.

// kv is one key and value of a mapping node.
type kv struct{ k, v *yaml.Node }

// errorf records a problem at n's line.
func (p *parser) errorf(n *yaml.Node, format string, args ...any) {
	line := 0
	if n != nil {
		line = n.Line
	}
	p.errorAt(line, format, args...)
}

// errorAt records a problem at a line of the file: that of a state or a
// transition, known once the nodes are decoded.
func (p *parser) errorAt(line int, format string, args ...any) {
	p.add(&Error{File: p.file, Line: line, Msg: fmt.Sprintf(format, args...)})
}

// add records a problem, reported with the others in line order.
func (p *parser) add(e *Error) { p.probs.Add(e.Line, e) }

// pairs returns a mapping's entries in file order, checking each key is a
// string one of allowed (when allowed is not nil).
func (p *parser) pairs(n *yaml.Node, what string, allowed ...string) []kv {
	n = yamlx.Deref(n)
	if n.Kind != yaml.MappingNode {
		p.errorf(n, "%s must be a map", what)
		return nil
	}
	var out []kv
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := yamlx.Deref(n.Content[i]), n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			p.errorf(k, "%s: keys must be plain names", what)
			continue
		}
		if allowed != nil && !slices.Contains(allowed, k.Value) {
			p.errorf(k, "unknown key %q in %s (want %s)%s", k.Value, what, strings.Join(allowed, ", "), suggest.Hint(k.Value, allowed))
			continue
		}
		out = append(out, kv{k, v})
	}
	return out
}

// scalar returns a non-empty scalar's text.
func (p *parser) scalar(n *yaml.Node, what string) (string, bool) {
	n = yamlx.Deref(n)
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" || n.Value == "" {
		p.errorf(n, "%s must be a non-empty value", what)
		return "", false
	}
	return n.Value, true
}

// strings reads one scalar or a list of scalars.
func (p *parser) strings(n *yaml.Node, what string) ([]*yaml.Node, bool) {
	n = yamlx.Deref(n)
	if n.Kind == yaml.ScalarNode {
		_, ok := p.scalar(n, what)
		return []*yaml.Node{n}, ok
	}
	if n.Kind != yaml.SequenceNode || len(n.Content) == 0 {
		p.errorf(n, "%s must be a value or a non-empty list", what)
		return nil, false
	}
	var out []*yaml.Node
	ok := true
	for _, c := range n.Content {
		c = yamlx.Deref(c)
		if _, good := p.scalar(c, what); !good {
			ok = false
			continue
		}
		out = append(out, c)
	}
	return out, ok
}

// target reads a state name a transition goes to; it is checked against
// the states once they are all known.
func (p *parser) target(n *yaml.Node, what string) target {
	v, ok := p.scalar(n, what)
	if !ok {
		return target{}
	}
	t := target{State: v, Line: yamlx.Deref(n).Line}
	p.targets = append(p.targets, t)
	return t
}

// positive reads an integer of at least 1.
func (p *parser) positive(n *yaml.Node, what string) int {
	n = yamlx.Deref(n)
	i, err := strconv.Atoi(n.Value)
	if n.Kind != yaml.ScalarNode || err != nil || i < 1 {
		p.errorf(n, "%s must be a whole number of at least 1, not %q", what, n.Value)
		return 0
	}
	return i
}

// duration reads "5s", "500ms" within (0, max].
func (p *parser) duration(n *yaml.Node, what string, max time.Duration) time.Duration {
	n = yamlx.Deref(n)
	d, err := time.ParseDuration(n.Value)
	if n.Kind != yaml.ScalarNode || err != nil || d <= 0 || d > max {
		p.errorf(n, "%s must be a duration such as 5s, above 0 and at most %s, not %q", what, max, n.Value)
		return 0
	}
	return d
}

// checkDuplicates reports every mapping key given twice, anywhere in the
// document (yaml.v3 only does so when decoding into Go values, and flows
// read nodes), and every map used as a key: that is how YAML reads an
// unquoted template, the easiest mistake to make in a flow.
func (p *parser) checkDuplicates(n *yaml.Node, depth int) {
	if n == nil || depth > 100 {
		return
	}
	if n.Kind == yaml.MappingNode {
		seen := map[string]int{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			if k.Kind == yaml.MappingNode {
				// play: {{flow.x}} reads as a map whose key is a map.
				p.errorf(k, "a map as a key: a template must be quoted, as in \"{{flow.name}}\"")
			}
			if k.Kind == yaml.ScalarNode {
				if first, dup := seen[k.Value]; dup {
					p.errorf(k, "duplicate key %q (first at line %d)", k.Value, first)
				} else {
					seen[k.Value] = k.Line
				}
			}
		}
	}
	for _, c := range n.Content {
		p.checkDuplicates(c, depth+1)
	}
}

// hasMapKey tells whether a map under n has a map as a key.
func hasMapKey(n *yaml.Node, depth int) bool {
	if n == nil || depth > 100 {
		return false
	}
	for i, c := range n.Content {
		if n.Kind == yaml.MappingNode && i%2 == 0 && c.Kind == yaml.MappingNode {
			return true
		}
		if hasMapKey(c, depth+1) {
			return true
		}
	}
	return false
}

// scalars calls fn with every scalar value under n (not mapping keys).
func scalars(n *yaml.Node, fn func(*yaml.Node), depth int) {
	if n == nil || depth > 100 {
		return
	}
	switch n.Kind {
	case yaml.ScalarNode:
		fn(n)
	case yaml.MappingNode:
		for i := 1; i < len(n.Content); i += 2 {
			scalars(n.Content[i], fn, depth+1)
		}
	case yaml.SequenceNode, yaml.DocumentNode:
		for _, c := range n.Content {
			scalars(c, fn, depth+1)
		}
	}
}
