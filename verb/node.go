package verb

import (
	"fmt"
	"time"

	"github.com/callhook/callhook/internal/yamlx"
	"gopkg.in/yaml.v3"
)

// args holds one verb's option nodes while its spec is built. Its getters
// only check YAML types and apply defaults; each spec's check method does
// the rest, so that MapText can run the same checks again. The first error
// is kept and the getters return zero values after it.
type args struct {
	verb  string
	line  int
	nodes map[string]*yaml.Node // option name -> value node
	value *yaml.Node            // the map-form value, for verbs that read it whole (set)
	o     ParseOptions
	err   *InvalidReplyError
}

// failf records the first error, at n's line (the verb's line when n is nil).
func (a *args) failf(n *yaml.Node, opt, format string, v ...any) {
	if a.err != nil {
		return
	}
	line := a.line
	if n != nil && n.Line > 0 {
		line = n.Line
	}
	msg := a.verb + ": " + fmt.Sprintf(format, v...)
	if opt != "" {
		msg = a.verb + ": " + opt + ": " + fmt.Sprintf(format, v...)
	}
	a.err = &InvalidReplyError{Line: line, Msg: msg}
}

// lineOf returns the line of an option's value, or the verb's line.
func (a *args) lineOf(opt string) int {
	if n := a.nodes[opt]; n != nil && n.Line > 0 {
		return n.Line
	}
	return a.line
}

// has reports whether the option was given.
func (a *args) has(opt string) bool { return a.nodes[opt] != nil }

// scalar returns the option's scalar node, nil when it is absent or null.
func (a *args) scalar(opt, want string) *yaml.Node {
	n := a.nodes[opt]
	if n == nil || yamlx.IsNull(n) {
		return nil
	}
	if n.Kind != yaml.ScalarNode {
		a.failf(n, opt, "want %s, got %s", want, kindName(n))
		return nil
	}
	return n
}

// str returns a string option. Any scalar is taken literally, so that
// send_dtmf: 123 and play: 42.wav both mean what they look like.
func (a *args) str(opt, def string) string {
	n := a.scalar(opt, "a string")
	if n == nil {
		return def
	}
	return n.Value
}

// integer returns an integer option; strings and floats are refused.
func (a *args) integer(opt string, def int) int {
	n := a.scalar(opt, "an integer")
	if n == nil {
		return def
	}
	var v int
	if n.ShortTag() != "!!int" || n.Decode(&v) != nil {
		a.failf(n, opt, "want an integer, got %q", n.Value)
		return def
	}
	return v
}

// duration returns a duration option, written as a Go duration string
// ("5s", "500ms"). A bare number is refused: it has no unit.
func (a *args) duration(opt string, def time.Duration) time.Duration {
	n := a.scalar(opt, `a duration such as "5s"`)
	if n == nil {
		return def
	}
	if n.ShortTag() != "!!str" {
		a.failf(n, opt, `want a duration string such as "5s" or "500ms", got %s (a bare number has no unit)`, n.Value)
		return def
	}
	d, err := time.ParseDuration(n.Value)
	if err != nil {
		a.failf(n, opt, `want a duration such as "5s" or "500ms", got %q`, n.Value)
		return def
	}
	return d
}

// boolean returns a true/false option.
func (a *args) boolean(opt string, def bool) bool {
	n := a.scalar(opt, "true or false")
	if n == nil {
		return def
	}
	var v bool
	if n.ShortTag() != "!!bool" || n.Decode(&v) != nil {
		a.failf(n, opt, "want true or false, got %q", n.Value)
		return def
	}
	return v
}

// list returns a list-of-strings option; a single scalar is a list of one.
func (a *args) list(opt string) []string {
	n := a.nodes[opt]
	if n == nil || yamlx.IsNull(n) {
		return nil
	}
	n = yamlx.Deref(n)
	switch n.Kind {
	case yaml.ScalarNode:
		return []string{n.Value}
	case yaml.SequenceNode:
		out := make([]string, 0, len(n.Content))
		for _, c := range n.Content {
			c = yamlx.Deref(c)
			if c.Kind != yaml.ScalarNode || yamlx.IsNull(c) {
				a.failf(c, opt, "want a list of strings, found %s in it", kindName(c))
				return nil
			}
			out = append(out, c.Value)
		}
		return out
	}
	a.failf(n, opt, "want a string or a list of strings, got %s", kindName(n))
	return nil
}

// kindName names a node's kind for error messages.
func kindName(n *yaml.Node) string {
	switch yamlx.Deref(n).Kind {
	case yaml.MappingNode:
		return "a map"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		if yamlx.IsNull(n) {
			return "null"
		}
		return fmt.Sprintf("%q", n.Value)
	case yaml.AliasNode:
		return "an alias"
	}
	return "a document"
}
