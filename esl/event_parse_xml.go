package esl

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// parseXMLEvent parses switch_event_xmlize + switch_xml_toxml output:
//
//	<event>
//	  <headers>
//	    <Name>urlencoded value</Name>
//	  </headers>
//	  <Content-Length>n</Content-Length>
//	  <body>text</body>
//	</event>
//
// It is a small parser for exactly that shape, not a general XML parser:
// header names are arbitrary bytes (variable_<anything>) that FreeSWITCH
// writes unescaped as element names, which a conforming parser would
// reject. Raw is the element text with XML escapes undone (still
// URL-encoded); Value is Raw decoded. An array header arrives as one element
// per item and stays that way. The body text gets the closing tag's
// indentation appended after a final newline, so exactly Content-Length
// bytes of it are kept.
func parseXMLEvent(body []byte) (*Event, error) {
	p := xmlScanner{s: string(body)}
	if err := p.open("event"); err != nil {
		return nil, err
	}
	if err := p.open("headers"); err != nil {
		return nil, err
	}
	e := &Event{Headers: make([]EventHeader, 0, strings.Count(p.s, "\n"))}
	for {
		p.skipSpace()
		if p.consume("</headers>") {
			break
		}
		name, text, err := p.element()
		if err != nil {
			return nil, err
		}
		raw := xmlUnescape(text)
		e.Headers = append(e.Headers, EventHeader{Name: name, Raw: raw})
	}
	p.skipSpace()
	if p.consume("<Content-Length>") {
		i := strings.Index(p.s[p.pos:], "</Content-Length>")
		if i < 0 {
			return nil, errors.New("unterminated <Content-Length>")
		}
		n, ok := parseDecimal(URLDecode(xmlUnescape(p.s[p.pos : p.pos+i])))
		if !ok {
			return nil, fmt.Errorf("invalid <Content-Length> %q", clip(p.s[p.pos:p.pos+i]))
		}
		p.pos += i + len("</Content-Length>")
		if err := p.open("body"); err != nil {
			return nil, err
		}
		// The body may itself contain "</body>": the last one closes it.
		rest := p.s[p.pos:]
		j := strings.LastIndex(rest, "</body>")
		if j < 0 {
			return nil, errors.New("unterminated <body>")
		}
		text := xmlUnescape(rest[:j])
		e.Body = []byte(text[:min(n, len(text))])
		p.pos += j + len("</body>")
	}
	p.skipSpace()
	if !p.consume("</event>") {
		return nil, fmt.Errorf("want </event> at offset %d", p.pos)
	}
	p.skipSpace()
	if p.pos != len(p.s) {
		return nil, fmt.Errorf("data after </event> at offset %d", p.pos)
	}
	decodeValues(e.Headers)
	return e, nil
}

// xmlScanner walks an XML event text.
type xmlScanner struct {
	s   string
	pos int
}

func (p *xmlScanner) skipSpace() {
	for p.pos < len(p.s) {
		switch p.s[p.pos] {
		case ' ', '\t', '\r', '\n':
			p.pos++
		default:
			return
		}
	}
}

func (p *xmlScanner) consume(lit string) bool {
	if strings.HasPrefix(p.s[p.pos:], lit) {
		p.pos += len(lit)
		return true
	}
	return false
}

// open skips white space and the start tag <name>.
func (p *xmlScanner) open(name string) error {
	p.skipSpace()
	if !p.consume("<" + name + ">") {
		return fmt.Errorf("want <%s> at offset %d", name, p.pos)
	}
	return nil
}

// element reads <Name>text</Name> and returns the name and the raw text.
func (p *xmlScanner) element() (name, text string, err error) {
	rest := p.s[p.pos:]
	if !strings.HasPrefix(rest, "<") || strings.HasPrefix(rest, "</") {
		return "", "", fmt.Errorf("want a header element at offset %d", p.pos)
	}
	gt := strings.IndexByte(rest, '>')
	if gt < 0 {
		return "", "", fmt.Errorf("unterminated tag at offset %d", p.pos)
	}
	name = rest[1:gt]
	rest = rest[gt+1:]
	end := closingTag(rest, name)
	if end < 0 {
		return "", "", fmt.Errorf("element <%s> not closed", clip(name))
	}
	p.pos += gt + 1 + end + len(name) + 3
	return name, rest[:end], nil
}

// closingTag returns the index of the first "</name>" in s, or -1.
func closingTag(s, name string) int {
	for off := 0; ; {
		k := strings.Index(s[off:], "</")
		if k < 0 {
			return -1
		}
		k += off
		if tag := s[k+2:]; len(tag) > len(name) && tag[len(name)] == '>' && tag[:len(name)] == name {
			return k
		}
		off = k + 2
	}
}

// xmlUnescape undoes switch_xml_ampencode: the five predefined entities and
// numeric references (FreeSWITCH writes non-ASCII UTF-8 as "&#xHEX;"). After
// a "<!" the encoder stops escaping, so the rest is taken as is; an unknown
// or malformed entity is kept literally.
func xmlUnescape(s string) string {
	immune := strings.Index(s, "<!")
	if immune >= 0 {
		return xmlUnescape(s[:immune]) + s[immune:]
	}
	amp := strings.IndexByte(s, '&')
	if amp < 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for amp >= 0 {
		b.WriteString(s[:amp])
		s = s[amp:]
		n := xmlEntity(&b, s)
		if n == 0 {
			b.WriteByte('&')
			n = 1
		}
		s = s[n:]
		amp = strings.IndexByte(s, '&')
	}
	b.WriteString(s)
	return b.String()
}

// xmlEntity writes the text of the entity at the start of s and returns its
// length, or 0 when s does not start with a known entity.
func xmlEntity(b *strings.Builder, s string) int {
	semi := strings.IndexByte(s, ';')
	if semi < 2 || semi > 12 {
		return 0
	}
	switch ent := s[1:semi]; ent {
	case "amp":
		b.WriteByte('&')
	case "lt":
		b.WriteByte('<')
	case "gt":
		b.WriteByte('>')
	case "quot":
		b.WriteByte('"')
	case "apos":
		b.WriteByte('\'')
	default:
		if ent[0] != '#' {
			return 0
		}
		digits, base := ent[1:], 10
		if strings.HasPrefix(digits, "x") || strings.HasPrefix(digits, "X") {
			digits, base = digits[1:], 16
		}
		r, err := strconv.ParseUint(digits, base, 32)
		if err != nil || digits == "" || digits[0] == '+' || r > utf8.MaxRune {
			return 0
		}
		b.WriteRune(rune(r))
	}
	return semi + 1
}
