package liverpie

import (
	"net/url"
	"strings"

	"github.com/callhook/callhook/esl"
	"github.com/sirupsen/logrus"
)

// header is one header of a frame as a Liverpie app knows it: its
// name normalised (lower case, '-' turned into '_'), its value exactly as
// FreeSWITCH sent it (raw, what expected_value is compared with) and
// decoded (what the app reads from its form).
type header struct {
	name, raw, value string
}

// view is one frame's headers, normalised, in wire order.
type view []header

// lookup returns the header named name (normalised). When a frame repeats
// a name the last one wins, as in Liverpie's per-frame hash.
func (v view) lookup(name string) (header, bool) {
	for i := len(v) - 1; i >= 0; i-- {
		if v[i].name == name {
			return v[i], true
		}
	}
	return header{}, false
}

// formName normalises a header name as Liverpie did:
// "Caller-Caller-ID-Number" becomes "caller_caller_id_number".
func formName(name string) string {
	return strings.ToLower(strings.ReplaceAll(strings.TrimSpace(name), "-", "_"))
}

// nameCache caches formName for one call. Every event of a call
// repeats the channel's ~200 header names, so normalising each of them
// again (three passes, one or two allocations) is most of an event's cost;
// a lookup is neither. It holds at most maxFormKeys names, as
// many as the call's form can keep, each of at most maxCachedName
// bytes, so a peer sending ever new or ever longer names cannot grow it
// past some 2 MiB; other names are normalised without caching. The zero
// value is ready to use; a nil *nameCache normalises without caching.
type nameCache struct {
	m map[string]string
}

// name returns formName(raw), cached.
func (c *nameCache) name(raw string) string {
	if c == nil {
		return formName(raw)
	}
	if n, ok := c.m[raw]; ok {
		return n
	}
	n := formName(raw)
	if len(c.m) < maxFormKeys && len(raw) <= maxCachedName {
		if c.m == nil {
			c.m = make(map[string]string)
		}
		// A clone, so that the cache does not keep the frame whose
		// bytes the name may share alive for the rest of the call.
		c.m[strings.Clone(raw)] = n
	}
	return n
}

// eventView is an event's headers. An event's frame had its own
// Content-Type (text/event-plain), which Liverpie saw first, so it comes
// first as content_type unless the event carries one (the connect reply and
// disconnect notices do). The outer Content-Length, whose value only sized
// the frame, and an event's body are not part of it. Names are normalised
// through names, which may be nil.
func eventView(ev *esl.Event, names *nameCache) view {
	headers := ev.AllHeaders() // every header: Liverpie apps get them all
	v := make(view, 0, len(headers)+1)
	if ev.ContentType != "" {
		if _, ok := ev.Lookup("Content-Type"); !ok {
			v = append(v, header{"content_type", ev.ContentType, ev.ContentType})
		}
	}
	for _, h := range headers {
		v = append(v, header{names.name(h.Name), h.Raw, h.Value})
	}
	return v
}

// frameView is a reply frame's headers (command/reply, api/response).
// FreeSWITCH does not URL-encode them, so raw and decoded are the same.
// An api/response body is output, not headers, and is not part of it.
// Names are normalised through names, which may be nil.
func frameView(f *esl.Frame, names *nameCache) view {
	v := make(view, 0, len(f.Headers))
	for _, h := range f.Headers {
		v = append(v, header{names.name(h.Name), h.Value, h.Value})
	}
	return v
}

// Bounds of a call's merged form. A channel's data is some 300 headers and
// 20 KiB; a call whose variables grow past these bounds keeps what it had
// and warns once, instead of growing without end.
const (
	maxFormKeys  = 4096
	maxFormBytes = 1 << 20
	// maxCachedName is the longest header name nameCache
	// keeps: real names are under 100 bytes (variable_ and the name).
	maxCachedName = 256
)

// form is every header seen on a call, merged: a later value
// replaces an earlier one, and names keep the place where they were first
// seen (Liverpie's Ruby hash merge!). Each entry is kept form-encoded, so
// the body of a request is a join.
type form struct {
	index  map[string]int
	pairs  []string // "name=value", form-encoded
	size   int      // bytes in pairs
	warned bool
}

// merge merges one frame's headers into the form.
func (f *form) merge(v view, log logrus.FieldLogger) {
	for _, h := range v {
		f.put(h.name, formValue(h.raw, h.value), log)
	}
}

// set sets one value that did not come from FreeSWITCH.
func (f *form) set(name, value string, log logrus.FieldLogger) {
	f.put(name, escape(value), log)
}

// put sets name to an encoded value, within the form's bounds.
func (f *form) put(name, encoded string, log logrus.FieldLogger) {
	if name == "" {
		return
	}
	key := escape(name)
	i, known := f.index[name]
	if known && len(f.pairs[i]) == len(key)+1+len(encoded) && strings.HasSuffix(f.pairs[i], encoded) {
		return // unchanged: most of an event repeats the channel's data
	}
	pair := key + "=" + encoded
	if f.index == nil {
		f.index = make(map[string]int)
	}
	if known {
		if f.size-len(f.pairs[i])+len(pair) > maxFormBytes {
			f.full(log)
			return
		}
		f.size += len(pair) - len(f.pairs[i])
		f.pairs[i] = pair
		return
	}
	if len(f.pairs) >= maxFormKeys || f.size+len(pair)+1 > maxFormBytes {
		f.full(log)
		return
	}
	f.index[name] = len(f.pairs)
	f.pairs = append(f.pairs, pair)
	f.size += len(pair) + 1
}

func (f *form) full(log logrus.FieldLogger) {
	if !f.warned {
		f.warned = true
		log.Warnf("liverpie form is over %d headers or %d bytes; further headers are left out", maxFormKeys, maxFormBytes)
	}
}

// body returns the form as an application/x-www-form-urlencoded body.
func (f *form) body() string { return strings.Join(f.pairs, "&") }

// formValue encodes a header's value for the form so that the app decodes
// exactly the value FreeSWITCH meant. Liverpie pasted raw values into its
// body unencoded; for event and channel data FreeSWITCH had already
// URL-encoded them (every byte of & + = ; % space and more), so the app's
// framework decoded them to the real value. Such a raw value is sent as it
// is, byte for byte what Liverpie sent. A value FreeSWITCH did not encode
// (a command/reply's "+OK Events Enabled", which Liverpie's app read as
// " OK Events Enabled") is encoded here, so the app reads it right.
func formValue(raw, value string) string {
	if safe(raw) && esl.URLDecode(raw) == value {
		return raw
	}
	return escape(value)
}

// safe reports whether s, pasted into a form body, decodes the same in
// every form decoder: only unreserved and harmless sub-delimiter bytes, and
// each '%' starting a valid escape. '+', '&', '=', ';' and spaces are not.
func safe(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case strings.IndexByte("-._~!$'()*,/:@", c) >= 0:
		case c == '%':
			if i+2 >= len(s) || !isHex(s[i+1]) || !isHex(s[i+2]) {
				return false
			}
			i += 2
		default:
			return false
		}
	}
	return true
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// escape form-encodes s with spaces as %20, as FreeSWITCH encodes them
// (a '+' in the output would mean a space to one decoder and a plus to
// another).
func escape(s string) string {
	return strings.ReplaceAll(url.QueryEscape(s), "+", "%20")
}
