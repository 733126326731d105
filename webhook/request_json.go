package webhook

import (
	"encoding/json"
	"slices"
	"strconv"
	"unicode/utf8"

	"github.com/callhook/callhook/verb"
)

// appendMessage appends m as json.Marshal encodes it, byte for byte,
// without reflection: every request of every webhook call is one, and
// json.Marshal's reflection and map sorting were ~2% of the daemon's CPU at
// saturation. ok=false (dst unchanged) for what it leaves to json.Marshal:
// a recording (the result's or the request's own) and a session that may
// not be in the compact, HTML-escaped form json.Marshal writes a
// json.RawMessage in (the session is always json.Marshal's own output,
// sessionJSON, but a byte that compaction or escaping would change sends
// it to json.Marshal anyway). TestAppendMessageSameAsMarshal and
// FuzzAppendMessage compare the two.
func appendMessage(dst []byte, m *message) ([]byte, bool) {
	if m.Recording != nil || !fastResult(m.Result) || !fastResult(m.LastResult) || !compactSession(m.Session) {
		return dst, false
	}
	b := append(dst, `{"call_id":`...)
	b = appendJSONString(b, m.CallID)
	b = append(b, `,"seq":`...)
	b = strconv.AppendInt(b, int64(m.Seq), 10)
	b = append(b, `,"app":`...)
	b = appendJSONString(b, m.App)
	b = append(b, `,"event":`...)
	b = appendJSONString(b, m.Event)
	b = append(b, `,"call":{"from":`...)
	b = appendJSONString(b, m.Call.From)
	b = append(b, `,"from_name":`...)
	b = appendJSONString(b, m.Call.FromName)
	b = append(b, `,"to":`...)
	b = appendJSONString(b, m.Call.To)
	b = append(b, `,"direction":`...)
	b = appendJSONString(b, m.Call.Direction)
	b = append(b, `,"answered":`...)
	b = strconv.AppendBool(b, m.Call.Answered)
	b = append(b, `,"channel":`...)
	b = appendJSONString(b, m.Call.Channel)
	if m.Call.StartedAt != "" {
		b = append(b, `,"started_at":`...)
		b = appendJSONString(b, m.Call.StartedAt)
	}
	b = append(b, '}')
	if len(m.Vars) > 0 {
		b = append(b, `,"vars":{`...)
		var arr [16]string
		keys := arr[:0]
		for k := range m.Vars {
			keys = append(keys, k)
		}
		slices.Sort(keys) // json.Marshal sorts a map's string keys so
		for i, k := range keys {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(b, k)
			b = append(b, ':')
			b = appendJSONString(b, m.Vars[k])
		}
		b = append(b, '}')
	}
	if m.Result != nil {
		b = append(b, `,"result":`...)
		b = appendResult(b, m.Result)
	}
	if len(m.Session) > 0 {
		b = append(b, `,"session":`...)
		b = append(b, m.Session...)
	}
	if e := m.Error; e != nil {
		b = append(b, `,"error":{"code":`...)
		b = appendJSONString(b, e.Code)
		b = append(b, `,"message":`...)
		b = appendJSONString(b, e.Message)
		b = append(b, `,"url":`...)
		b = appendJSONString(b, e.URL)
		b = append(b, '}')
	}
	if h := m.Hangup; h != nil {
		b = append(b, `,"hangup":{"cause":`...)
		b = appendJSONString(b, h.Cause)
		b = append(b, `,"duration":`...)
		b = strconv.AppendInt(b, h.Duration, 10)
		b = append(b, `,"billsec":`...)
		b = strconv.AppendInt(b, h.Billsec, 10)
		b = append(b, '}')
	}
	if m.HeldMS != nil {
		b = append(b, `,"held_ms":`...)
		b = strconv.AppendInt(b, *m.HeldMS, 10)
	}
	if m.Outcome != "" {
		b = append(b, `,"outcome":`...)
		b = appendJSONString(b, m.Outcome)
	}
	if m.LastResult != nil {
		b = append(b, `,"last_result":`...)
		b = appendResult(b, m.LastResult)
	}
	return append(b, '}'), true
}

// fastResult reports whether appendResult writes r (nil included).
func fastResult(r *verb.Result) bool { return r == nil || r.Recording == nil }

// appendResult appends a verb.Result without a recording.
func appendResult(b []byte, r *verb.Result) []byte {
	b = append(b, `{"verb":`...)
	b = appendJSONString(b, r.Verb)
	b = append(b, `,"reason":`...)
	b = appendJSONString(b, r.Reason)
	if r.Digits != "" {
		b = append(b, `,"digits":`...)
		b = appendJSONString(b, r.Digits)
	}
	if r.Terminator != "" {
		b = append(b, `,"terminator":`...)
		b = appendJSONString(b, r.Terminator)
	}
	b = append(b, `,"response":`...)
	b = appendJSONString(b, r.Response)
	if r.Message != "" {
		b = append(b, `,"message":`...)
		b = appendJSONString(b, r.Message)
	}
	if br := r.Bridge; br != nil {
		b = append(b, `,"bridge":{"status":`...)
		b = appendJSONString(b, br.Status)
		b = append(b, `,"cause":`...)
		b = appendJSONString(b, br.Cause)
		if br.AnsweredBy != "" {
			b = append(b, `,"answered_by":`...)
			b = appendJSONString(b, br.AnsweredBy)
		}
		if br.DurationMS != 0 {
			b = append(b, `,"duration_ms":`...)
			b = strconv.AppendInt(b, br.DurationMS, 10)
		}
		b = append(b, '}')
	}
	return append(b, '}')
}

// compactSession reports whether s is written by json.Marshal as it is:
// no blank (compaction drops those outside strings) and nothing it
// escapes (<, >, &, U+2028, U+2029).
func compactSession(s []byte) bool {
	for _, c := range s {
		switch c {
		case ' ', '\t', '\n', '\r', '<', '>', '&', 0xE2:
			return false
		}
	}
	return true
}

const jsonHex = "0123456789abcdef"

// appendJSONString appends s quoted as encoding/json writes a string with
// HTML escaping (json.Marshal's): <, > and & as \u003c, \u003e, \u0026,
// control characters as \b \f \n \r \t or \u00XX, invalid UTF-8 as
// \ufffd, U+2028 and U+2029 as \u2028 and \u2029.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '\\', '"':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', jsonHex[c>>4], jsonHex[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', jsonHex[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// appendSession appends v, a reply's session value as verb's sessionValue
// makes it (map[string]any, []any, string, json.Number, bool, nil), as
// json.Marshal encodes jsonValue(v): maps with their keys sorted, strings
// escaped as appendJSONString does, a nil map or list as an empty one. ok=false (b's new bytes to be dropped) for
// any other value and past sessionMaxDepth levels: json.Marshal then
// decides, as it did for every session (sessionJSON).
func appendSession(b []byte, v any, depth int) ([]byte, bool) {
	if depth > sessionMaxDepth {
		return b, false
	}
	switch x := v.(type) {
	case nil:
		return append(b, "null"...), true
	case string:
		return appendJSONString(b, x), true
	case bool:
		return strconv.AppendBool(b, x), true
	case json.Number:
		if x == "" {
			return append(b, '0'), true // as encoding/json writes the zero Number
		}
		if !verb.JSONNumber(string(x)) {
			return b, false // json.Marshal refuses it
		}
		return append(b, x...), true
	case []any:
		b = append(b, '[') // nil too: jsonValue made it an empty list
		for i, e := range x {
			if i > 0 {
				b = append(b, ',')
			}
			var ok bool
			if b, ok = appendSession(b, e, depth+1); !ok {
				return b, false
			}
		}
		return append(b, ']'), true
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		b = append(b, '{') // nil too, as for a list
		for i, k := range keys {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(b, k)
			b = append(b, ':')
			var ok bool
			if b, ok = appendSession(b, x[k], depth+1); !ok {
				return b, false
			}
		}
		return append(b, '}'), true
	}
	return b, false
}

// sessionMaxDepth bounds appendSession's nesting; a deeper session goes
// to json.Marshal.
const sessionMaxDepth = 1000
