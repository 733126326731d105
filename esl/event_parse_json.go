package esl

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// parseJSONEvent parses switch_event_serialize_json output: one object whose
// members are the headers in order. It walks the token stream instead of
// unmarshalling into a map because FreeSWITCH writes duplicate keys (two
// Hangup-Cause in CHANNEL_HANGUP_COMPLETE) and their order matters.
//
// Values are not URL-encoded, so Raw equals Value. An array of strings
// becomes "ARRAY::a|:b"; "_body" becomes the body; the "Content-Length"
// member written with it stays a header, as sent. Like
// switch_event_create_json, members that are neither strings nor arrays are
// skipped, and so are array elements that are not strings. encoding/json
// replaces invalid UTF-8 with U+FFFD; FreeSWITCH only sends valid text.
func parseJSONEvent(body []byte) (*Event, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := expectDelim(dec, '{'); err != nil {
		return nil, err
	}
	e := &Event{Headers: make([]EventHeader, 0, bytes.Count(body, []byte(`":`)))}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		name, ok := tok.(string)
		if !ok {
			return nil, fmt.Errorf("object key %v is not a string", tok)
		}
		value, ok, err := jsonHeaderValue(dec)
		if err != nil {
			return nil, fmt.Errorf("value of %q: %w", clip(name), err)
		}
		if !ok {
			continue
		}
		if strings.EqualFold(name, "_body") {
			e.Body = []byte(value)
			continue
		}
		e.Headers = append(e.Headers, EventHeader{Name: name, Value: value, Raw: value})
	}
	if err := expectDelim(dec, '}'); err != nil {
		return nil, err
	}
	if tok, err := dec.Token(); err != io.EOF {
		if err != nil {
			return nil, err
		}
		return nil, fmt.Errorf("data after the event object: %v", tok)
	}
	return e, nil
}

// jsonHeaderValue reads one member value. ok is false for a value
// FreeSWITCH would skip (number, bool, null, object, empty array).
func jsonHeaderValue(dec *json.Decoder) (string, bool, error) {
	tok, err := dec.Token()
	if err != nil {
		return "", false, err
	}
	switch v := tok.(type) {
	case string:
		return v, true, nil
	case json.Delim:
		if v == '{' {
			return "", false, skipJSON(dec, 1)
		}
		// '[': collect its string elements.
		var b strings.Builder
		n := 0
		for dec.More() {
			tok, err := dec.Token()
			if err != nil {
				return "", false, err
			}
			switch el := tok.(type) {
			case string:
				if n == 0 {
					b.WriteString("ARRAY::")
				} else {
					b.WriteString("|:")
				}
				b.WriteString(el)
				n++
			case json.Delim: // '[' or '{': a nested value, skipped
				if err := skipJSON(dec, 1); err != nil {
					return "", false, err
				}
			}
		}
		if err := expectDelim(dec, ']'); err != nil {
			return "", false, err
		}
		return b.String(), n > 0, nil
	}
	return "", false, nil
}

// skipJSON consumes tokens until depth open delimiters are closed.
func skipJSON(dec *json.Decoder, depth int) error {
	for depth > 0 {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		if d, ok := tok.(json.Delim); ok {
			if d == '{' || d == '[' {
				depth++
			} else {
				depth--
			}
		}
	}
	return nil
}

// expectDelim reads the next token and checks that it is want.
func expectDelim(dec *json.Decoder, want json.Delim) error {
	tok, err := dec.Token()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return fmt.Errorf("missing %q: %w", string(want), io.ErrUnexpectedEOF)
		}
		return err
	}
	if d, ok := tok.(json.Delim); !ok || d != want {
		return fmt.Errorf("got %v, want %q", tok, string(want))
	}
	return nil
}
