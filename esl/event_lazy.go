package esl

import (
	"fmt"
	"math"
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
	block string // the header lines, each ending in '\n'; aliases the frame body
	// Where each header line starts in block: short when block is under
	// 64 KiB (every real event: 2-5 KB), long otherwise.
	short []uint16
	long  []uint32
	// hot[k] is 1 + the line of the first header named hotNames[k], 0
	// when the event has none: the names every event is asked for (the
	// reader asks each one for its Application-UUID, most have none),
	// found while the lines are indexed instead of by a scan per lookup.
	hot  [len(hotNames)]uint32
	once sync.Once
	all  []EventHeader
}

// lazyEvent is a lazy event's one allocation. The index of a real event
// (~100 headers) fits in lines: 16-bit offsets keep the allocation at 448
// bytes instead of 704 with 32-bit ones, for every event a call reads.
type lazyEvent struct {
	ev    Event
	x     plainIndex
	lines [128]uint16
}

// hotNames are the headers a lazy event finds without a scan: what the
// reader and a session read of (nearly) every event.
var hotNames = [...]string{
	"Event-Name", "Unique-ID", "Application-UUID", "Application",
	"Application-Response", "Event-Date-Timestamp", "Answer-State", "Job-UUID",
}

// hotSlot returns name's index in hotNames, or -1.
func hotSlot(name string) int {
	var k int
	switch len(name) {
	case len("Event-Name"):
		k = 0
	case len("Unique-ID"):
		k = 1
	case len("Application-UUID"):
		k = 2
	case len("Application"):
		k = 3
	case len("Application-Response"): // and Event-Date-Timestamp
		if sameName(name, hotNames[4]) {
			return 4
		}
		k = 5
	case len("Answer-State"):
		k = 6
	case len("Job-UUID"):
		k = 7
	default:
		return -1
	}
	if sameName(name, hotNames[k]) {
		return k
	}
	return -1
}

// count returns the number of header lines.
func (x *plainIndex) count() int {
	if x.long != nil {
		return len(x.long)
	}
	return len(x.short)
}

// start returns where header line i starts in block.
func (x *plainIndex) start(i int) int {
	if x.long != nil {
		return int(x.long[i])
	}
	return int(x.short[i])
}

// add notes a header line starting at off.
func (x *plainIndex) add(off int) {
	if x.long != nil {
		x.long = append(x.long, uint32(off))
	} else {
		x.short = append(x.short, uint16(off))
	}
}

// dropLast forgets the last header line.
func (x *plainIndex) dropLast() {
	if x.long != nil {
		x.long = x.long[:len(x.long)-1]
	} else {
		x.short = x.short[:len(x.short)-1]
	}
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
	if len(s) <= math.MaxUint16 {
		x.short = le.lines[:0]
	} else {
		x.long = make([]uint32, 0, len(le.lines))
	}
	rest, blank, off := "", false, 0
	for off < len(s) {
		line := s[off:]
		next := len(s)
		if i := strings.IndexByte(line, '\n'); i >= 0 {
			line, next = line[:i], off+i+1
		}
		// The CR before the LF (one, as splitPlainEvent drops) is not cut
		// off: it is no ':', and the line's length is not needed.
		if len(line) <= 1 && (line == "" || line == "\r") {
			blank, rest = true, s[next:]
			break
		}
		colon := strings.IndexByte(line, ':')
		if colon < 0 {
			return nil, fmt.Errorf("header line without ':': %q", clip(strings.TrimSuffix(line, "\r")))
		}
		// Every hot name starts with one of these letters: most lines
		// (variable_*, Channel-*, Caller-*) skip the lookup.
		if c := line[0] | 0x20; c == 'e' || c == 'u' || c == 'a' || c == 'j' {
			if k := hotSlot(line[:colon]); k >= 0 && x.hot[k] == 0 {
				x.hot[k] = uint32(x.count() + 1)
			}
		}
		x.add(off)
		off = next
	}
	x.block = s[:off]
	e := &le.ev
	e.lazy = x
	// The serializer writes an inner body's Content-Length as the very
	// last header (see splitPlainEvent): it frames the body and is not a
	// header of the event.
	if n := x.count(); n > 0 && blank {
		if name, raw := x.line(n - 1); name == "Content-Length" {
			if c, ok := parseDecimal(raw); ok && c > 0 && c <= len(rest) {
				start := len(s) - len(rest)
				e.Body = body[start : start+c : start+c]
				x.block = x.block[:x.start(n-1)]
				x.dropLast()
			}
		}
	}
	return e, nil
}

// line returns header i's name and raw value, as splitPlainEvent cuts them.
func (x *plainIndex) line(i int) (name, raw string) {
	end := len(x.block)
	if i+1 < x.count() {
		end = x.start(i + 1)
	}
	l := strings.TrimSuffix(x.block[x.start(i):end], "\n")
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
	i := x.find(name)
	if i < 0 {
		return "", false
	}
	_, raw := x.line(i)
	return raw, true
}

// find returns the line of the first header named name, or -1.
func (x *plainIndex) find(name string) int {
	if k := hotSlot(name); k >= 0 {
		if i := int(x.hot[k]); i > 0 && i <= x.count() {
			return i - 1
		}
		return -1
	}
	if strings.IndexByte(name, ':') >= 0 {
		return -1 // no header's name holds one
	}
	for i, n := 0, x.count(); i < n; i++ {
		l := x.block[x.start(i):]
		// A cheap test first: the name's length puts the colon.
		if len(l) <= len(name) || l[len(name)] != ':' || !sameName(l[:len(name)], name) {
			continue
		}
		return i
	}
	return -1
}

// headers builds the eager form once.
func (x *plainIndex) headers() []EventHeader {
	x.once.Do(func() {
		x.all = make([]EventHeader, x.count())
		for i := range x.all {
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
