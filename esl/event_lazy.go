package esl

import (
	"fmt"
	"strings"
	"sync"
)

// A lazy event (the default, ConnOptions.EagerEvents off) keeps a text/event-plain frame's
// header block as it came, an index of where each header line starts, and
// nothing else: a header is found when it is asked for and only its value
// is decoded. A session reads a handful of the ~100 headers of an event,
// and most events (CHANNEL_STATE, CHANNEL_EXECUTE, ...) only for their
// name, so the eager parse (a 48-byte EventHeader per header, every
// encoded value decoded) was mostly work nobody used: ~5 KiB and a scan
// of every line per event.
//
// The index is built when the event is parsed, on the connection's reader
// goroutine, and never written afterwards, so lookups from any goroutine
// are safe. AllHeaders builds the eager form once, for the few readers
// that want every header (Liverpie, encoders).
type plainIndex struct {
	block  string   // the header lines, each ending in '\n'; aliases the frame body
	starts []uint32 // where each header line starts in block
	once   sync.Once
	all    []EventHeader
}

// lazyEvent is a lazy event's one allocation.
type lazyEvent struct {
	ev    Event
	x     plainIndex
	lines [128]uint32
}

// parsePlainLazy is parsePlainEvent without the eager split and decode:
// the same lines are headers, the same inner Content-Length frames the
// same body, a line without ':' is the same error.
func parsePlainLazy(body []byte) (*Event, error) {
	s := bodyString(body)
	// One allocation for the event, its index and (up to 128 headers, a
	// real event has ~100) the line table.
	le := &lazyEvent{}
	x := &le.x
	x.starts = le.lines[:0]
	rest, blank, off := "", false, 0
	for off < len(s) {
		line := s[off:]
		next := len(s)
		if i := strings.IndexByte(line, '\n'); i >= 0 {
			line, next = line[:i], off+i+1
		}
		line = strings.TrimSuffix(line, "\r")
		if line == "" {
			blank, rest = true, s[next:]
			break
		}
		if strings.IndexByte(line, ':') < 0 {
			return nil, fmt.Errorf("header line without ':': %q", clip(line))
		}
		x.starts = append(x.starts, uint32(off))
		off = next
	}
	x.block = s[:off]
	e := &le.ev
	e.lazy = x
	// The serializer writes an inner body's Content-Length as the very
	// last header (see splitPlainEvent): it frames the body and is not a
	// header of the event.
	if n := len(x.starts); n > 0 && blank {
		if name, raw := x.line(n - 1); name == "Content-Length" {
			if c, ok := parseDecimal(raw); ok && c > 0 && c <= len(rest) {
				start := len(s) - len(rest)
				e.Body = body[start : start+c : start+c]
				x.block = x.block[:x.starts[n-1]]
				x.starts = x.starts[:n-1]
			}
		}
	}
	return e, nil
}

// line returns header i's name and raw value, as splitPlainEvent cuts them.
func (x *plainIndex) line(i int) (name, raw string) {
	end := len(x.block)
	if i+1 < len(x.starts) {
		end = int(x.starts[i+1])
	}
	l := strings.TrimSuffix(x.block[x.starts[i]:end], "\n")
	l = strings.TrimSuffix(l, "\r")
	colon := strings.IndexByte(l, ':')
	raw = l[colon+1:]
	for raw != "" && raw[0] == ' ' {
		raw = raw[1:]
	}
	return l[:colon], raw
}

// lookup finds the first header named name and returns its raw value.
func (x *plainIndex) lookup(name string) (string, bool) {
	if strings.IndexByte(name, ':') >= 0 {
		return "", false // no header's name holds one
	}
	for i, st := range x.starts {
		l := x.block[st:]
		// A cheap test first: the name's length puts the colon.
		if len(l) <= len(name) || l[len(name)] != ':' || !sameName(l[:len(name)], name) {
			continue
		}
		_, raw := x.line(i)
		return raw, true
	}
	return "", false
}

// headers builds the eager form once.
func (x *plainIndex) headers() []EventHeader {
	x.once.Do(func() {
		x.all = make([]EventHeader, len(x.starts))
		for i := range x.starts {
			x.all[i].Name, x.all[i].Raw = x.line(i)
		}
		decodeValues(x.all)
	})
	return x.all
}

// decodeRaw decodes a raw value; without a '%' it is the value itself.
func decodeRaw(raw string) string {
	if strings.IndexByte(raw, '%') < 0 {
		return raw
	}
	return URLDecode(raw)
}

// AllHeaders returns every header of the event, in order, decoded. For an
// event parsed eagerly it is Headers; for a lazy one (ConnOptions.
// EagerEvents off) it is built on the first call and shared by later ones: do
// not modify it.
func (e *Event) AllHeaders() []EventHeader {
	if e.Headers == nil && e.lazy != nil {
		return e.lazy.headers()
	}
	return e.Headers
}
