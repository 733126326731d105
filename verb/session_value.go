package verb

import (
	"encoding/json"

	"github.com/callhook/callhook/internal/yamlx"
	"gopkg.in/yaml.v3"
)

// sessionValue converts a reply's session: value into plain Go values that
// encoding/json marshals back to what the app wrote: map[string]any, []any,
// string, json.Number, bool and nil. The app gets its data back unchanged
// (README, "session"):
//
//   - a plain scalar that is a JSON number (0, -12, 1.0, 1e5,
//     123456789012345678901234567890) comes back as the same literal, as
//     a json.Number: never through int64 or float64, which would turn 1.0
//     into 1 and round big numbers;
//   - true, false and null (and YAML's other spellings of them, such as
//     True, ~ or no value at all) are JSON's true, false and null;
//   - any other scalar is the string written: YAML 1.1 and 1.2 read 01234,
//     0x1F and 1_000 as integers and .inf as a float, but a zip code or a
//     phone number must not come back as 668 or 9479982;
//   - quoted and block scalars, and scalars tagged !!str, are strings.
//
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
		k := yamlx.Deref(n.Content[i])
		if k.Kind != yaml.ScalarNode {
			return nil, &InvalidReplyError{Line: k.Line, Msg: "session: a map key must be a string"}
		}
		if _, dup := out[k.Value]; dup {
			return nil, &InvalidReplyError{Line: k.Line, Msg: "session: key " + Quote(k.Value) + " given twice"}
		}
		v, err := c.value(n.Content[i+1])
		if err != nil {
			return nil, err
		}
		out[k.Value] = v
	}
	return out, nil
}

// scalarValue converts a scalar as sessionValue says.
func scalarValue(n *yaml.Node) (any, error) {
	if n.Style&(yaml.SingleQuotedStyle|yaml.DoubleQuotedStyle|yaml.LiteralStyle|yaml.FoldedStyle) != 0 {
		return n.Value, nil
	}
	switch n.ShortTag() {
	case "!!str":
		return n.Value, nil
	case "!!null":
		return nil, nil
	case "!!bool":
		var b bool
		if err := n.Decode(&b); err == nil {
			return b, nil
		}
	}
	if JSONNumber(n.Value) {
		return json.Number(n.Value), nil
	}
	return n.Value, nil
}

// JSONNumber reports whether s is a number literal as JSON writes it
// (RFC 8259, section 6), what encoding/json requires of a json.Number:
// -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?
func JSONNumber(s string) bool {
	i := 0
	digits := func() int {
		start := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		return i - start
	}
	if i < len(s) && s[i] == '-' {
		i++
	}
	switch {
	case i < len(s) && s[i] == '0':
		i++
	case digits() == 0:
		return false
	}
	if i < len(s) && s[i] == '.' {
		i++
		if digits() == 0 {
			return false
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if digits() == 0 {
			return false
		}
	}
	return i == len(s)
}
