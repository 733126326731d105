package esl

import (
	"fmt"
	"strings"
	"unsafe"
)

// ParseEvent parses a text/event-plain, -json or -xml frame (or a connect
// reply, whose headers are URL-encoded) into an Event, decoding each value
// once. A text/disconnect-notice becomes an Event with the frame's raw
// headers and body. Other content types are an error: they carry no event.
//
// Event.Body, and for text/event-plain the headers' names and raw values,
// share memory with f.Body: the frame's body must not be modified
// afterwards.
func ParseEvent(f *Frame) (*Event, error) {
	ct := f.ContentType()
	var (
		e   *Event
		err error
	)
	switch ct {
	case TypeEventPlain:
		e, err = parsePlainEvent(f.Body)
	case TypeEventJSON:
		e, err = parseJSONEvent(f.Body)
	case TypeEventXML:
		e, err = parseXMLEvent(f.Body)
	case TypeCommandReply:
		e = eventFromHeaders(f, true)
	case TypeDisconnectNotice:
		e = eventFromHeaders(f, false)
	default:
		return nil, fmt.Errorf("esl: parse event: content type %q carries no event", ct)
	}
	if err != nil {
		return nil, fmt.Errorf("esl: parse %s: %w", ct, err)
	}
	e.ContentType = ct
	return e, nil
}

// eventFromHeaders builds an Event from a frame's own headers: the connect
// reply's (CHANNEL_DATA, URL-encoded, decode set) or a disconnect notice's
// (raw). The frame body, if any, becomes the event body.
func eventFromHeaders(f *Frame, decode bool) *Event {
	e := &Event{Headers: make([]EventHeader, len(f.Headers)), Body: f.Body}
	for i, h := range f.Headers {
		e.Headers[i] = EventHeader{Name: h.Name, Value: h.Value, Raw: h.Value}
	}
	if decode {
		decodeValues(e.Headers)
	}
	return e
}

// parsePlainEvent parses a text/event-plain body and decodes its values.
func parsePlainEvent(body []byte) (*Event, error) {
	e, err := splitPlainEvent(body)
	if err != nil {
		return nil, err
	}
	decodeValues(e.Headers)
	return e, nil
}

// splitPlainEvent parses switch_event_serialize output: "Name: value\n" lines
// with URL-encoded values, then either a blank line alone or, for an event
// with a body, "Content-Length: n\n\n" and n bytes of body. The inner
// Content-Length is consumed: it is the body's length, not a header. Values
// are left raw.
func splitPlainEvent(body []byte) (*Event, error) {
	s := bodyString(body)
	lines := s
	if i := strings.Index(s, "\n\n"); i >= 0 {
		lines = s[:i+1] // size the headers by the header lines, not the body's
	}
	e := &Event{Headers: make([]EventHeader, 0, strings.Count(lines, "\n")+1)}
	rest, end := s, false
	for rest != "" {
		line := rest
		if i := strings.IndexByte(rest, '\n'); i >= 0 {
			line, rest = rest[:i], rest[i+1:]
		} else {
			rest = ""
		}
		line = strings.TrimSuffix(line, "\r")
		if line == "" {
			end = true
			break
		}
		colon := strings.IndexByte(line, ':')
		if colon < 0 {
			return nil, fmt.Errorf("header line without ':': %q", clip(line))
		}
		raw := line[colon+1:]
		for raw != "" && raw[0] == ' ' {
			raw = raw[1:]
		}
		e.Headers = append(e.Headers, EventHeader{Name: line[:colon], Raw: raw})
	}
	if !end {
		return e, nil
	}
	// The serializer writes the body's Content-Length as the very last
	// header, right before the blank line, so that is the only one that
	// frames a body; an event may carry other headers named content-length
	// (a sendevent's own, for instance).
	last := len(e.Headers) - 1
	if last < 0 || e.Headers[last].Name != "Content-Length" {
		return e, nil
	}
	n, ok := parseDecimal(e.Headers[last].Raw)
	if !ok || n == 0 || n > len(rest) {
		return e, nil // an ordinary header that happens to come last
	}
	e.Headers = e.Headers[:last]
	start := len(s) - len(rest)
	e.Body = body[start : start+n : start+n]
	return e, nil
}

// bodyString is body as a string without a copy: header names and raw
// values are substrings of the frame body, which ParseEvent's callers
// never modify (the doc says so; the Conn's frames are read into fresh
// memory and never written again). The copy it saves was, per event, as
// big as the event (3-5 KiB) and a third of its allocated bytes.
func bodyString(body []byte) string {
	if len(body) == 0 {
		return ""
	}
	return unsafe.String(unsafe.SliceData(body), len(body))
}

// parseDecimal parses a non-negative decimal number of at most 9 digits.
func parseDecimal(s string) (int, bool) {
	if s == "" || len(s) > 9 {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
		n = n*10 + int(s[i]-'0')
	}
	return n, true
}
