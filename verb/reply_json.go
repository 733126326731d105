package verb

import (
	"bytes"
	"encoding/json"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// The JSON fast path. A reply that is a JSON object or array (most web apps
// answer JSON) is read with encoding/json's tokenizer, several times faster
// than yaml.v3, into the very *yaml.Node tree yaml.v3 would have built from
// the same bytes: same kinds, tags, styles, values, lines and columns. Every
// rule after that (ParseVerbs, the specs' checks, sessionValue) runs on that
// tree, so a JSON reply is accepted or refused exactly as before, with the
// same messages and line numbers.
//
// YAML 1.2 reads JSON, but yaml.v3 differs from JSON in corners: it refuses
// the \/ escape and escaped surrogate halves, control and non-character
// code points, a tab before a block-level token; it folds U+2028 and U+2029
// as line breaks; an implicit key ends at a line break or after 1024
// characters. A reply in any of those corners, and any reply encoding/json
// refuses, goes to yaml.v3 as before: jsonDocument then says ok=false, so
// syntax errors keep yaml.v3's messages. reply_json_test.go compares the two
// trees on every input of a corpus and a fuzz target.

// jsonMaxDepth bounds nesting on the fast path; deeper documents go to
// yaml.v3, which has its own limit (10,000) and message.
const jsonMaxDepth = 1000

// jsonDocument returns the root node yaml.v3 would parse from data when data
// is a JSON object or array the fast path can read; ok=false sends data to
// yaml.v3.
func jsonDocument(data []byte) (root *yaml.Node, ok bool) {
	start := 0
	for start < len(data) && (data[start] == ' ' || data[start] == '\n' || data[start] == '\r') {
		start++
	}
	if start == len(data) || (data[start] != '{' && data[start] != '[') {
		return nil, false
	}
	// One pass checks the characters and counts the values (blanks before
	// start count none).
	values, ok := jsonScan(data)
	if !ok {
		return nil, false
	}
	// The walk checks JSON's syntax as it goes (strictly: what it accepts,
	// json.Valid accepts; FuzzJSONFastPathValid), rather than a pass of
	// json.Valid first (json.Decoder.Token would cost more than yaml.v3
	// saves: it allocates an error for every scalar).
	// The reply's values are counted once: the slabs and the stack of
	// open collections' children are sized by the count (the stack, up to
	// jsonStackNodes, is one allocation rather than one per doubling).
	values = max(values, 1)
	p := jsonParser{data: data, text: string(data), off: start, nodes: values,
		stack: make([]*yaml.Node, 0, min(values, jsonStackNodes))}
	root, ok = p.value(0)
	if !ok {
		return nil, false
	}
	// Only blanks and line breaks may follow: yaml.v3 refuses a tab at the
	// start of a line outside a flow collection.
	for _, c := range data[p.off:] {
		if c != ' ' && c != '\n' && c != '\r' {
			return nil, false
		}
	}
	return root, true
}

// jsonScan reports whether data is valid UTF-8 made only of characters
// yaml.v3 reads as JSON does, with no escape yaml.v3 refuses (\/, \u of a
// surrogate half); it errs on the side of false: a false sends the reply
// to yaml.v3, which then decides. When ok, values is the count of the
// values (strings, object keys included, numbers, true, false, null,
// objects, arrays) of valid JSON, or a few more: the nodes the walk will
// make, counted in the same pass (reply_json_test.go keeps that count
// apart, as jsonValues, and compares).
func jsonScan(data []byte) (values int, ok bool) {
	// The state of the values' count.
	inString, escaped, inScalar := false, false, false
	for i := 0; i < len(data); {
		c := data[i]
		if c < utf8.RuneSelf {
			switch {
			case inString:
				switch {
				case escaped:
					escaped = false
				case c == '\\':
					escaped = true
				case c == '"':
					inString = false
				}
			case c == '"':
				inString, inScalar = true, false
				values++
			case c == '{', c == '[':
				inScalar = false
				values++
			case c == ',', c == ':', c == ']', c == '}', c == ' ', c == '\t', c == '\n', c == '\r':
				inScalar = false
			case !inScalar:
				inScalar = true
				values++
			}
			switch {
			case c == '\\' && i+1 < len(data) && data[i+1] == '/':
				return 0, false
			case c == '\\' && i+2 < len(data) && data[i+1] == 'u' && (data[i+2] == 'd' || data[i+2] == 'D'):
				// \uD800-\uDFFF are surrogates; \uD000-\uD7FF are not,
				// but they are rare enough to leave to yaml.v3.
				return 0, false
			case c >= 0x20 && c < 0x7f, c == '\t', c == '\n', c == '\r':
			default:
				return 0, false
			}
			i++
			continue
		}
		r, n := utf8.DecodeRune(data[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			return 0, false
		case r < 0xA0, r == 0x2028, r == 0x2029, r == 0xFEFF, r >= 0xD800 && r < 0xE000, r == 0xFFFE, r == 0xFFFF:
			// C1 controls (NEL among them), the line and paragraph
			// separators YAML folds, the BOM, non-characters.
			return 0, false
		}
		// The count takes each byte of a character outside a string
		// as it does any other scalar byte (JSON has none there).
		if inString {
			escaped = false
		} else {
			if !inScalar {
				values++
			}
			inScalar = true
		}
		i += n
	}
	return values, true
}

// jsonParser walks a document, checking it is JSON, and builds the node
// tree. line and col follow the walk as yaml.v3 counts them (CR LF and a
// lone CR are one line break; columns in characters).
//
// It allocates per reply rather than per token: the strings without
// escapes are slices of one copy of the reply (text), the nodes come from
// slabs, and a collection's children are gathered on a shared stack and
// copied once, when it closes, into a slice of the exact length cut from
// a slab of such slices (kids).
type jsonParser struct {
	data []byte
	text string // data, copied once: the scalars' values are its substrings
	off  int    // next byte to read
	pos  int    // data[:pos] is counted into line and col
	line int    // 0-based, of pos
	col  int    // 0-based, of pos

	slab  []yaml.Node  // nodes not handed out yet
	nodes int          // the reply's values (jsonScan), at least 1
	made  int          // room in the node slabs made so far
	kids  []*yaml.Node // room for children slices not handed out yet
	stack []*yaml.Node // children of the open collections
}

// jsonSlabNodes bounds a slab of nodes, and of children; a menu reply has
// about 30 nodes. jsonStackNodes is the children stack's first size.
const (
	jsonSlabNodes  = 64
	jsonStackNodes = 32
)

// advance moves the line and column count to offset off.
func (p *jsonParser) advance(off int) {
	for p.pos < off {
		c := p.data[p.pos]
		switch {
		case c == '\n':
			p.line, p.col = p.line+1, 0
		case c == '\r':
			if p.pos+1 < len(p.data) && p.data[p.pos+1] == '\n' {
				p.pos++
			}
			p.line, p.col = p.line+1, 0
		case c < utf8.RuneSelf || c >= 0xC0: // not a UTF-8 continuation byte
			p.col++
		}
		p.pos++
	}
}

// skip moves off past blanks, line breaks and the separator sep (0 for
// none).
func (p *jsonParser) skip(sep byte) {
	for p.off < len(p.data) {
		switch c := p.data[p.off]; c {
		case ' ', '\t', '\n', '\r':
		default:
			if sep == 0 || c != sep {
				return
			}
		}
		p.off++
	}
}

// node returns a node of kind at offset off, as yaml.v3's parser makes it.
func (p *jsonParser) node(kind yaml.Kind, tag string, style yaml.Style, value string, off int) *yaml.Node {
	p.advance(off)
	if len(p.slab) == 0 {
		// Sized by the count of the reply's values jsonDocument made,
		// less the room of the slabs made before (not by counting the
		// rest of the reply again: that was a pass over the rest per
		// slab, quadratic, seconds of CPU for a reply of a megabyte of
		// small values); a slab never outgrows jsonSlabNodes, so one
		// kept node pins at most that many.
		size := min(max(p.nodes-p.made, 1), jsonSlabNodes)
		p.made += size
		p.slab = make([]yaml.Node, size)
	}
	n := &p.slab[0]
	p.slab = p.slab[1:]
	// The slab is fresh and zeroed: set the fields that are not zero, one
	// by one (a whole yaml.Node assigned is a copy of its 150 bytes, with
	// write barriers for all its pointers while the GC runs).
	n.Kind, n.Style, n.Line, n.Column = kind, style, p.line+1, p.col+1
	n.Tag = tag
	if value != "" {
		n.Value = value
	}
	return n
}

// children returns the nodes pushed on the stack since mark, in a slice of
// their own, and pops them.
func (p *jsonParser) children(mark int) []*yaml.Node {
	var c []*yaml.Node
	if n := len(p.stack) - mark; n > 0 {
		if len(p.kids) < n {
			// Room for every node of the reply (each is the child of one
			// collection at most), never more than jsonSlabNodes unless
			// one collection has more children.
			p.kids = make([]*yaml.Node, max(n, min(p.nodes, jsonSlabNodes)))
		}
		// Capacity cut to the length: an append to one collection's
		// children can never write into the next one's.
		c = p.kids[:n:n]
		p.kids = p.kids[n:]
		copy(c, p.stack[mark:])
	}
	clear(p.stack[mark:])
	p.stack = p.stack[:mark]
	return c
}

// value reads one JSON value, at p.off after blanks, into a node.
func (p *jsonParser) value(depth int) (*yaml.Node, bool) {
	p.skip(0)
	if p.off >= len(p.data) {
		return nil, false
	}
	start := p.off
	switch c := p.data[start]; c {
	case '{', '[':
		if depth >= jsonMaxDepth {
			return nil, false
		}
		p.off++
		if c == '{' {
			return p.mapping(start, depth+1)
		}
		return p.sequence(start, depth+1)
	case '"':
		s, ok := p.str()
		if !ok {
			return nil, false
		}
		return p.node(yaml.ScalarNode, "!!str", yaml.DoubleQuotedStyle, s, start), true
	}
	// A number, true, false or null: up to the next delimiter.
	for p.off < len(p.data) {
		switch p.data[p.off] {
		case ',', ']', '}', ' ', '\t', '\n', '\r':
		default:
			p.off++
			continue
		}
		break
	}
	value := p.text[start:p.off]
	tag, ok := jsonScalarTag(value)
	if !ok {
		return nil, false
	}
	return p.node(yaml.ScalarNode, tag, 0, value, start), true
}

// jsonScalarTag returns the tag yaml.v3 gives the plain scalar s (its own
// resolution, which is what a node without a tag reports), and whether s
// is a JSON number, true, false or null.
func jsonScalarTag(s string) (string, bool) {
	switch s {
	case "true", "false":
		return "!!bool", true
	case "null":
		return "!!null", true
	case "0", "1", "2", "3", "4", "5", "6", "7", "8", "9":
		return "!!int", true
	}
	if !JSONNumber(s) {
		return "", false
	}
	return (&yaml.Node{Kind: yaml.ScalarNode, Value: s}).ShortTag(), true
}

// str reads the string at p.off. One without escapes is its bytes (none
// of them a control byte, which JSON refuses in a string); encoding/json
// checks and decodes the others.
func (p *jsonParser) str() (string, bool) {
	start := p.off
	escaped := false
	for i := start + 1; i < len(p.data); i++ {
		switch c := p.data[i]; {
		case c == '\\':
			escaped = true
			i++
		case c == '"':
			p.off = i + 1
			if !escaped {
				return p.text[start+1 : i], true
			}
			var s string
			if json.Unmarshal(p.data[start:p.off], &s) != nil {
				return "", false
			}
			return s, true
		case c < 0x20:
			return "", false
		}
	}
	return "", false
}

// next moves past blanks and one ',' before the next item of a
// collection closed by end, and reports whether there is one: false
// after the closing byte (which it consumes) or a syntax error (ok).
func (p *jsonParser) next(end byte, first bool) (more, ok bool) {
	p.skip(0)
	if p.off >= len(p.data) {
		return false, false
	}
	switch c := p.data[p.off]; {
	case c == end:
		p.off++
		return false, true
	case first:
		return true, true
	case c == ',':
		p.off++
		return true, true
	}
	return false, false
}

func (p *jsonParser) sequence(start, depth int) (*yaml.Node, bool) {
	n := p.node(yaml.SequenceNode, "!!seq", yaml.FlowStyle, "", start)
	mark := len(p.stack)
	for first := true; ; first = false {
		more, ok := p.next(']', first)
		if !ok {
			return nil, false
		}
		if !more {
			n.Content = p.children(mark)
			return n, true
		}
		c, ok := p.value(depth)
		if !ok {
			return nil, false
		}
		p.stack = append(p.stack, c)
	}
}

func (p *jsonParser) mapping(start, depth int) (*yaml.Node, bool) {
	n := p.node(yaml.MappingNode, "!!map", yaml.FlowStyle, "", start)
	mark := len(p.stack)
	for first := true; ; first = false {
		more, ok := p.next('}', first)
		if !ok {
			return nil, false
		}
		if !more {
			n.Content = p.children(mark)
			return n, true
		}
		p.skip(0)
		keyStart := p.off
		if p.off >= len(p.data) || p.data[p.off] != '"' {
			return nil, false
		}
		key, ok := p.str()
		if !ok || !p.simpleKey(keyStart) {
			return nil, false
		}
		k := p.node(yaml.ScalarNode, "!!str", yaml.DoubleQuotedStyle, key, keyStart)
		p.skip(0)
		if p.off >= len(p.data) || p.data[p.off] != ':' {
			return nil, false
		}
		p.off++
		v, ok := p.value(depth)
		if !ok {
			return nil, false
		}
		p.stack = append(p.stack, k, v)
	}
}

// simpleKey reports whether the key from keyStart to p.off ends, with its
// ':', the way a YAML implicit key must: on the same line, within 1024
// characters (bytes here, which is stricter).
func (p *jsonParser) simpleKey(keyStart int) bool {
	colon := bytes.IndexByte(p.data[p.off:], ':')
	if colon < 0 || p.off+colon-keyStart >= 1000 {
		return false
	}
	key := p.data[keyStart : p.off+colon]
	return bytes.IndexByte(key, '\n') < 0 && bytes.IndexByte(key, '\r') < 0
}
