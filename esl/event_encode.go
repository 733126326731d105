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
		v := URLEncode(h.Value)
		if v == "" {
			v = "_undef_" // what switch_event_serialize writes for an empty value
		}
		b.WriteString(h.Name)
		b.WriteString(": ")
		b.WriteString(v)
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

// EncodeXML serialises e as switch_event_xmlize + switch_xml_toxml do: two
// spaces of indentation per level, one element per header (one per item for
// an "ARRAY::" value) holding the URL-encoded value, and for a non-empty
// body a <Content-Length> and a <body> element, whose closing tag is
// indented when the body ends in a newline.
func (e *Event) EncodeXML() []byte {
	headers := e.encodedHeaders()
	var b bytes.Buffer
	b.Grow(2*plainSize(headers) + len(e.Body) + 128)
	b.WriteString("<event>\n  <headers>")
	if len(headers) > 0 {
		b.WriteByte('\n') // switch_xml_toxml breaks the line only after a child's '>'
	}
	for _, h := range headers {
		items, ok := arrayItems(h.Value)
		if !ok {
			items = []string{h.Value}
		}
		for _, it := range items {
			b.WriteString("    <")
			b.WriteString(h.Name)
			b.WriteByte('>')
			writeXMLText(&b, URLEncode(it))
			b.WriteString("</")
			b.WriteString(h.Name)
			b.WriteString(">\n")
		}
	}
	if len(headers) > 0 {
		b.WriteString("  ")
	}
	b.WriteString("</headers>\n")
	if len(e.Body) > 0 {
		b.WriteString("  <Content-Length>")
		b.WriteString(strconv.Itoa(len(e.Body)))
		b.WriteString("</Content-Length>\n  <body>")
		writeXMLText(&b, string(e.Body))
		if b.Bytes()[b.Len()-1] == '\n' {
			b.WriteString("  ")
		}
		b.WriteString("</body>\n")
	}
	b.WriteString("</event>\n")
	return b.Bytes()
}

// encodedHeaders returns the headers to write: all of them, less a trailing
// Content-Length when the event has a body (see the note above).
func (e *Event) encodedHeaders() []EventHeader {
	h := e.Headers
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

// arrayItems splits an "ARRAY::a|:b" value into its items.
func arrayItems(v string) ([]string, bool) {
	rest, ok := strings.CutPrefix(v, "ARRAY::")
	if !ok {
		return nil, false
	}
	return strings.Split(rest, "|:"), true
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

// writeXMLText writes s as switch_xml_ampencode does for element text: '&',
// '<' and '>' as entities, CR as "&#xD;", a valid UTF-8 sequence as one
// "&#xHEX;" reference, and, like FreeSWITCH, drops a byte that breaks a
// UTF-8 sequence. A "<!" turns escaping off for the rest of the text.
func writeXMLText(b *bytes.Buffer, s string) {
	var (
		code     rune
		expected int
	)
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '&':
			b.WriteString("&amp;")
			continue
		case '<':
			if i+1 < len(s) && s[i+1] == '!' {
				b.WriteString(s[i:])
				return
			}
			b.WriteString("&lt;")
			continue
		case '>':
			b.WriteString("&gt;")
			continue
		case '\r':
			b.WriteString("&#xD;")
			continue
		case '"', '\n', '\t': // escaped only in attributes; never part of a UTF-8 sequence
			b.WriteByte(c)
			continue
		}
		switch {
		case expected == 0 && c >= 0x80:
			code, expected = utf8Lead(c)
		case expected > 0:
			if c&0xC0 != 0x80 {
				expected = 0 // FreeSWITCH drops the offending byte
				continue
			}
			code = code<<6 | rune(c&0x3f)
			expected--
			if expected == 0 {
				b.WriteString("&#x")
				b.WriteString(strings.ToUpper(strconv.FormatInt(int64(code), 16)))
				b.WriteByte(';')
			}
		default:
			b.WriteByte(c)
		}
	}
}

// utf8Lead returns the payload bits of a UTF-8 lead byte and how many
// continuation bytes FreeSWITCH expects after it (0 for a stray
// continuation byte, which it drops).
func utf8Lead(c byte) (rune, int) {
	switch {
	case c&0x40 == 0: // 10xxxxxx
		return 0, 0
	case c&0x20 == 0: // 110xxxxx
		return rune(c & 0x1f), 1
	case c&0x10 == 0: // 1110xxxx
		return rune(c & 0x0f), 2
	default: // 11110xxx and above
		return rune(c & 0x07), 3
	}
}
