package esl

import (
	"bytes"
	"strconv"
	"strings"
)

// The encoders below serialise an Event the way FreeSWITCH does, so that
// the simulator (esl/esltest) writes events byte-identical in shape to real
// ones. They encode each header's Value (Raw is ignored), as FreeSWITCH
// encodes its stored value. A body is framed by a Content-Length the encoder
// computes; a header named Content-Length that comes last in an event with
// a body is taken to be that length (text/event-json keeps it as a header
// when parsed) and is not written twice.

// EncodePlain serialises e as FreeSWITCH's switch_event_serialize does (the
// body of a text/event-plain frame): "Name: urlencoded value\n" per header,
// then "Content-Length: n\n\n" and the body, or a blank line when there is
// no body. An empty encoded value is written as "_undef_", as FreeSWITCH
// does.
func (e *Event) EncodePlain() []byte {
	headers := e.encodedHeaders()
	var b bytes.Buffer
	b.Grow(plainSize(headers) + len(e.Body) + 32)
	for _, h := range headers {
		b.WriteString(h.Name)
		b.WriteString(": ")
		if h.Value == "" {
			b.WriteString("_undef_") // what switch_event_serialize writes for an empty value
		} else {
			writeURLEncoded(&b, h.Value)
		}
		b.WriteByte('\n')
	}
	if len(e.Body) > 0 {
		b.WriteString("Content-Length: ")
		b.WriteString(strconv.Itoa(len(e.Body)))
		b.WriteString("\n\n")
		b.Write(e.Body)
	} else {
		b.WriteByte('\n')
	}
	return b.Bytes()
}

// EncodeJSON serialises e as FreeSWITCH's switch_event_serialize_json does:
// one unformatted cJSON object with no trailing newline, values not
// URL-encoded, an "ARRAY::" value as a JSON array, and for an event with a
// body "Content-Length" and "_body" as the last two members.
func (e *Event) EncodeJSON() []byte {
	headers := e.encodedHeaders()
	var b bytes.Buffer
	b.Grow(plainSize(headers) + 2*len(e.Body) + 64)
	b.WriteByte('{')
	for i, h := range headers {
		if i > 0 {
			b.WriteByte(',')
		}
		writeJSONString(&b, h.Name)
		b.WriteByte(':')
		if items, ok := arrayItems(h.Value); ok {
			b.WriteByte('[')
			for j, it := range items {
				if j > 0 {
					b.WriteByte(',')
				}
				writeJSONString(&b, it)
			}
			b.WriteByte(']')
			continue
		}
		writeJSONString(&b, h.Value)
	}
	if e.Body != nil {
		if len(headers) > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`"Content-Length":"`)
		b.WriteString(strconv.Itoa(len(e.Body)))
		b.WriteString(`","_body":`)
		writeJSONString(&b, string(e.Body))
	}
	b.WriteByte('}')
	return b.Bytes()
}

// encodedHeaders returns the headers to write: all of them, less a trailing
// Content-Length when the event has a body (see the note above).
func (e *Event) encodedHeaders() []EventHeader {
	h := e.AllHeaders()
	if e.Body != nil && len(h) > 0 && h[len(h)-1].Name == "Content-Length" {
		h = h[:len(h)-1]
	}
	return h
}

func plainSize(headers []EventHeader) int {
	n := 1
	for _, h := range headers {
		n += len(h.Name) + len(h.Value) + 3
	}
	return n
}

// arrayItems splits an "ARRAY::a|:b" value into its items (SplitArray), and
// reports whether v was an array at all: an encoder writes an array
// differently from a plain value, even a one-item array.
func arrayItems(v string) ([]string, bool) {
	if !strings.HasPrefix(v, "ARRAY::") {
		return nil, false
	}
	return SplitArray(v), true
}

// writeJSONString writes s as cJSON's print_string_ptr does: '"', '\\' and
// \b \f \n \r \t escaped by name, other bytes below 0x20 as \u00xx
// (lowercase hex), every other byte (non-ASCII included) as is.
func writeJSONString(b *bytes.Buffer, s string) {
	b.WriteByte('"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' {
			continue
		}
		b.WriteString(s[start:i])
		start = i + 1
		switch c {
		case '"', '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case '\b':
			b.WriteString(`\b`)
		case '\f':
			b.WriteString(`\f`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		default:
			b.WriteString(`\u00`)
			b.WriteByte(lowerHex[c>>4])
			b.WriteByte(lowerHex[c&0x0f])
		}
	}
	b.WriteString(s[start:])
	b.WriteByte('"')
}

const lowerHex = "0123456789abcdef"
