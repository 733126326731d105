package verb

import (
	"fmt"
	"strings"
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
	nodes []optNode     // the options given, in order; see node
	value *yaml.Node    // the map-form value, for verbs that read it whole (set)
	o     *ParseOptions // shared by a reply's verbs, not copied into each
	err   *InvalidReplyError
	// buf holds the nodes of a verb with a few options (most verbs): a
	// parse makes one args per verb and per nested map, and a map of
	// options cost two allocations each.
	buf [6]optNode
}

// optNode is one option's name and value node.
type optNode struct {
	name string
	node *yaml.Node
}

// newArgs returns the args of verb at line, with no options yet.
func newArgs(verb string, line int, o *ParseOptions) *args {
	a := &args{verb: verb, line: line, o: o}
	a.nodes = a.buf[:0]
	return a
}

// node returns the value node of option opt, nil when it was not given.
// The last one filed wins, as in a map; a verb has a handful of options,
// so a scan beats hashing.
func (a *args) node(opt string) *yaml.Node {
	for i := len(a.nodes) - 1; i >= 0; i-- {
		if a.nodes[i].name == opt {
			return a.nodes[i].node
		}
	}
	return nil
}

// setNode files n as the value of option opt.
func (a *args) setNode(opt string, n *yaml.Node) {
	a.nodes = append(a.nodes, optNode{opt, n})
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
	if n := a.node(opt); n != nil && n.Line > 0 {
		return n.Line
	}
	return a.line
}

// has reports whether the option was given.
func (a *args) has(opt string) bool { return a.node(opt) != nil }

// scalar returns the option's scalar node, nil when it is absent or null.
func (a *args) scalar(opt, want string) *yaml.Node {
	n := a.node(opt)
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
	if n.ShortTag() != "!!int" {
		a.failf(n, opt, "want an integer, got %q", n.Value)
		return def
	}
	if v, ok := plainDecimal(n.Value); ok {
		return v
	}
	var v int
	if n.Decode(&v) != nil {
		a.failf(n, opt, "want an integer, got %q", n.Value)
		return def
	}
	return v
}

// plainDecimal reads an integer written the plain way, an optional '-'
// and up to 18 digits with no leading zero, which yaml.v3 decodes to the
// same int (its resolver also reads 0x, 0o, 0b, a leading 0, '+' and
// '_'; those still go through Node.Decode). Node.Decode builds a decoder
// per call: the menus' max, min and tries are plain.
func plainDecimal(s string) (int, bool) {
	digits := strings.TrimPrefix(s, "-")
	if digits == "" || len(digits) > 18 || digits[0] == '0' && len(digits) > 1 {
		return 0, false
	}
	v := 0
	for i := 0; i < len(digits); i++ {
		c := digits[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + int(c-'0')
	}
	if len(digits) < len(s) {
		v = -v
	}
	return v, true
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
	n := a.node(opt)
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
