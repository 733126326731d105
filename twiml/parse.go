package twiml

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// Node is one element of a TwiML document: a verb (Say, Gather, ...) or a
// noun (a Dial's Number, a Gather's Say). Parse keeps the document's shape
// and nothing more; what the elements mean is plan.go's.
type Node struct {
	Name  string
	Attrs []Attr
	// Text is the element's character data, trimmed of surrounding white
	// space (Say's words, Play's URL, Dial's bare number).
	Text     string
	Children []*Node
	Line     int // where the element starts in the document
}

// Attr is one attribute of a Node, in document order.
type Attr struct{ Name, Value string }

// Attr returns the value of the attribute called name and whether the
// element has it.
func (n *Node) Attr(name string) (string, bool) {
	for _, a := range n.Attrs {
		if a.Name == name {
			return a.Value, true
		}
	}
	return "", false
}

// Limits bound what Parse accepts of a document, which is peer input.
type Limits struct {
	MaxBytes    int // the document's size (0: DefaultMaxBytes)
	MaxElements int // elements in all (0: DefaultMaxElements)
}

// Defaults of Limits. TwiML nests three deep at most (Response, Gather,
// Say), so depth is fixed: a deeper document is no TwiML.
const (
	DefaultMaxBytes    = 64 << 10
	DefaultMaxElements = 500
	maxDepth           = 3
	maxAttrs           = 32
	maxTextBytes       = 4096
)

// ParseError is a document that is no TwiML callhook can read: not well
// formed, too large or too deep, or with an element or attribute that
// TwiML does not have. Twilio reports the first as error 12100 (document
// parse failure), the others as 12200 (schema validation).
type ParseError struct {
	Line int
	Msg  string
	// Malformed is set for XML that is not well formed (12100).
	Malformed bool
}

func (e *ParseError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("twiml: line %d: %s", e.Line, e.Msg)
	}
	return "twiml: " + e.Msg
}

// Parse reads a TwiML document: one Response element holding verbs. It
// checks the XML alone (well formed, within limits, no DTD, UTF-8);
// Plan checks the verbs. encoding/xml expands only XML's five predefined
// entities and numeric references, and Parse refuses every directive
// (<!DOCTYPE ...>), so no entity can grow the document or reach a file.
func Parse(data []byte, lim Limits) (*Node, error) {
	maxBytes := lim.MaxBytes
	if maxBytes <= 0 {
		maxBytes = DefaultMaxBytes
	}
	maxElems := lim.MaxElements
	if maxElems <= 0 {
		maxElems = DefaultMaxElements
	}
	if len(data) > maxBytes {
		return nil, &ParseError{Msg: fmt.Sprintf("document over %d bytes", maxBytes)}
	}
	if !utf8.Valid(data) {
		return nil, &ParseError{Msg: "document is not UTF-8", Malformed: true}
	}
	// A UTF-8 document may start with a byte order mark (XML 1.0, 4.3.3;
	// .NET's XmlWriter writes one), which encoding/xml would read as text.
	data = bytes.TrimPrefix(data, []byte("\xEF\xBB\xBF"))
	dec := xml.NewDecoder(bytes.NewReader(data))
	dec.Strict = true
	dec.CharsetReader = func(label string, in io.Reader) (io.Reader, error) {
		// The data is valid UTF-8 (checked above), which US-ASCII is a
		// part of; any other encoding would be misread.
		if strings.EqualFold(label, "us-ascii") || strings.EqualFold(label, "ascii") {
			return in, nil
		}
		return nil, fmt.Errorf("encoding %q: only UTF-8 is read", label)
	}
	var (
		stack []*Node
		root  *Node
		elems int
		text  [][]byte
	)
	line := func() int { l, _ := dec.InputPos(); return l }
	for {
		start := line()
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var se *xml.SyntaxError
			if errors.As(err, &se) {
				return nil, &ParseError{Line: se.Line, Msg: se.Msg, Malformed: true}
			}
			return nil, &ParseError{Line: line(), Msg: err.Error(), Malformed: true}
		}
		switch t := tok.(type) {
		case xml.StartElement:
			elems++
			if elems > maxElems {
				return nil, &ParseError{Line: start, Msg: fmt.Sprintf("more than %d elements", maxElems)}
			}
			if len(stack) >= maxDepth {
				return nil, &ParseError{Line: start, Msg: fmt.Sprintf("<%s> nested %d deep: TwiML nests at most %d (Response, a verb, its nouns)", t.Name.Local, len(stack)+1, maxDepth)}
			}
			if t.Name.Space != "" {
				return nil, &ParseError{Line: start, Msg: fmt.Sprintf("<%s>: namespaced elements are no TwiML", t.Name.Local)}
			}
			if len(t.Attr) > maxAttrs {
				return nil, &ParseError{Line: start, Msg: fmt.Sprintf("<%s>: more than %d attributes", t.Name.Local, maxAttrs)}
			}
			n := &Node{Name: t.Name.Local, Line: start}
			for _, a := range t.Attr {
				if a.Name.Space != "" {
					return nil, &ParseError{Line: start, Msg: fmt.Sprintf("<%s>: namespaced attribute %s:%s is no TwiML", n.Name, a.Name.Space, a.Name.Local)}
				}
				if _, dup := n.Attr(a.Name.Local); dup {
					return nil, &ParseError{Line: start, Msg: fmt.Sprintf("<%s>: attribute %s given twice", n.Name, a.Name.Local), Malformed: true}
				}
				n.Attrs = append(n.Attrs, Attr{Name: a.Name.Local, Value: a.Value})
			}
			if len(stack) == 0 {
				if root != nil {
					return nil, &ParseError{Line: start, Msg: "more than one root element", Malformed: true}
				}
				root = n
			} else {
				p := stack[len(stack)-1]
				p.Children = append(p.Children, n)
			}
			stack = append(stack, n)
			text = append(text, nil)
		case xml.EndElement:
			n := stack[len(stack)-1]
			n.Text = strings.TrimSpace(string(text[len(text)-1]))
			stack, text = stack[:len(stack)-1], text[:len(text)-1]
		case xml.CharData:
			if len(stack) == 0 {
				if len(bytes.TrimSpace(t)) > 0 {
					return nil, &ParseError{Line: start, Msg: "text outside the Response element", Malformed: true}
				}
				continue
			}
			b := &text[len(text)-1]
			if len(*b)+len(t) > maxTextBytes {
				return nil, &ParseError{Line: start, Msg: fmt.Sprintf("<%s>: text over %d bytes", stack[len(stack)-1].Name, maxTextBytes)}
			}
			*b = append(*b, t...)
		case xml.Directive:
			return nil, &ParseError{Line: start, Msg: "a DOCTYPE or other directive: TwiML has none", Malformed: true}
		case xml.ProcInst:
			if t.Target != "xml" {
				return nil, &ParseError{Line: start, Msg: fmt.Sprintf("processing instruction <?%s?>: TwiML has none", t.Target)}
			}
		case xml.Comment:
		}
	}
	if root == nil {
		return nil, &ParseError{Msg: "empty document: want <Response>", Malformed: true}
	}
	if root.Name != "Response" {
		return nil, &ParseError{Line: root.Line, Msg: fmt.Sprintf("root element <%s>: want <Response>", root.Name)}
	}
	if len(root.Attrs) > 0 {
		return nil, &ParseError{Line: root.Line, Msg: fmt.Sprintf("<Response> has attribute %s: it takes none", root.Attrs[0].Name)}
	}
	if root.Text != "" {
		return nil, &ParseError{Line: root.Line, Msg: "<Response> holds text outside its verbs"}
	}
	return root, nil
}
