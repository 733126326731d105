package proxy

import (
	"math"

	"gopkg.in/yaml.v3"
)

// sessionValue converts a reply's session: value into plain Go values that
// encoding/json marshals as they were written: map[string]any, []any,
// string, bool, int64, uint64, float64 and nil. Timestamps and other tagged
// scalars stay strings, so the app gets back exactly the text it sent.
// size is the reply's length: following aliases may visit at most about
// twice as many nodes, which stops "billion laughs" documents.
func sessionValue(n *yaml.Node, size int) (any, error) {
	c := &sessionConv{budget: 2*size + 64}
	return c.value(n)
}

type sessionConv struct {
	budget int // nodes left to visit
}

func (c *sessionConv) value(n *yaml.Node) (any, error) {
	if c.budget--; c.budget < 0 {
		return nil, &InvalidReplyError{Line: n.Line, Msg: "session: too many aliases (the value would be too large)"}
	}
	switch n.Kind {
	case yaml.AliasNode:
		if n.Alias == nil {
			return nil, &InvalidReplyError{Line: n.Line, Msg: "session: unknown alias"}
		}
		return c.value(n.Alias)
	case yaml.MappingNode:
		return c.mapping(n)
	case yaml.SequenceNode:
		out := make([]any, 0, len(n.Content))
		for _, e := range n.Content {
			v, err := c.value(e)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, nil
	case yaml.ScalarNode:
		return scalarValue(n)
	}
	return nil, &InvalidReplyError{Line: n.Line, Msg: "session: unexpected YAML node"}
}

// mapping converts a map; JSON object keys are strings, so scalar keys are
// taken as written and other keys are refused.
func (c *sessionConv) mapping(n *yaml.Node) (any, error) {
	out := make(map[string]any, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := deref(n.Content[i])
		if k.Kind != yaml.ScalarNode {
			return nil, &InvalidReplyError{Line: k.Line, Msg: "session: a map key must be a string"}
		}
		if _, dup := out[k.Value]; dup {
			return nil, &InvalidReplyError{Line: k.Line, Msg: "session: key " + quote(k.Value) + " given twice"}
		}
		v, err := c.value(n.Content[i+1])
		if err != nil {
			return nil, err
		}
		out[k.Value] = v
	}
	return out, nil
}

// scalarValue converts a scalar by its resolved tag.
func scalarValue(n *yaml.Node) (any, error) {
	switch n.ShortTag() {
	case "!!null":
		return nil, nil
	case "!!bool":
		var b bool
		if err := n.Decode(&b); err == nil {
			return b, nil
		}
	case "!!int":
		var i int64
		if err := n.Decode(&i); err == nil {
			return i, nil
		}
		var u uint64
		if err := n.Decode(&u); err == nil {
			return u, nil
		}
		var f float64
		if err := n.Decode(&f); err == nil && !math.IsInf(f, 0) {
			return f, nil
		}
	case "!!float":
		var f float64
		if err := n.Decode(&f); err == nil {
			if math.IsInf(f, 0) || math.IsNaN(f) {
				return nil, &InvalidReplyError{Line: n.Line, Msg: "session: " + quote(n.Value) + " is not a number JSON can carry"}
			}
			return f, nil
		}
	}
	return n.Value, nil
}
