package esl

import (
	"bytes"
	"strconv"
	"strings"
)

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
			// URL-encoded text is printable ASCII without & < > or quotes,
			// so switch_xml_ampencode leaves it as it is.
			writeURLEncoded(&b, it)
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
