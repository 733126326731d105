package esl

import (
	"bytes"
	"testing"
)

// benchFrame returns the largest frame of a capture that match accepts.
func benchFrame(b *testing.B, capture string, match func(*Frame) bool) *Frame {
	b.Helper()
	var best *Frame
	for _, f := range captureFrames(b, capture) {
		if match(f) && (best == nil || len(f.Encode()) > len(best.Encode())) {
			best = f
		}
	}
	if best == nil {
		b.Fatalf("no matching frame in %s", capture)
	}
	return best
}

func isEvent(ct, name string) func(*Frame) bool {
	return func(f *Frame) bool {
		if f.ContentType() != ct {
			return false
		}
		e, err := ParseEvent(f)
		return err == nil && e.Name() == name
	}
}

// repeatReader yields data over and over, so that one Reader can be
// benchmarked on an endless stream of the same frame.
type repeatReader struct {
	data []byte
	off  int
}

func (r *repeatReader) Read(p []byte) (int, error) {
	n := copy(p, r.data[r.off:])
	r.off = (r.off + n) % len(r.data)
	return n, nil
}

func BenchmarkReadFrame(b *testing.B) {
	frames := []struct {
		name string
		f    *Frame
	}{
		{"execute_complete_plain", benchFrame(b, "menu-call", isEvent(TypeEventPlain, EventChannelExecuteComplete))},
		{"connect_reply", benchFrame(b, "menu-call", isConnectReply)},
		{"command_reply", &Frame{Headers: Headers{{"Content-Type", "command/reply"}, {"Reply-Text", "+OK"}}}},
	}
	for _, fr := range frames {
		b.Run(fr.name, func(b *testing.B) {
			wire := fr.f.Encode()
			r := NewReader(&repeatReader{data: wire}, Limits{})
			b.SetBytes(int64(len(wire)))
			b.ReportAllocs()
			for b.Loop() {
				if _, _, err := r.ReadFrame(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkParseEvent(b *testing.B) {
	frames := []struct {
		name string
		f    *Frame
	}{
		{"plain", benchFrame(b, "menu-call", isEvent(TypeEventPlain, EventChannelExecuteComplete))},
		{"json", benchFrame(b, "events-json", isEvent(TypeEventJSON, EventChannelExecuteComplete))},
		{"xml", benchFrame(b, "events-xml", isEvent(TypeEventXML, EventChannelExecuteComplete))},
		{"connect_reply", benchFrame(b, "menu-call", isConnectReply)},
	}
	for _, fr := range frames {
		b.Run(fr.name, func(b *testing.B) {
			b.SetBytes(int64(len(fr.f.Encode())))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := ParseEvent(fr.f); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkEncodeEvent(b *testing.B) {
	e, err := ParseEvent(benchFrame(b, "menu-call", isEvent(TypeEventPlain, EventChannelExecuteComplete)))
	if err != nil {
		b.Fatal(err)
	}
	for _, enc := range []struct {
		name string
		fn   func(*Event) []byte
	}{{"plain", (*Event).EncodePlain}, {"json", (*Event).EncodeJSON}, {"xml", (*Event).EncodeXML}} {
		b.Run(enc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_ = enc.fn(e)
			}
		})
	}
}

func BenchmarkURLDecode(b *testing.B) {
	values := []struct{ name, v string }{
		{"encoded", "Wed,%2025%20Nov%202026%2021%3A13%3A44%20GMT"},
		{"plain", "c0384a13-8499-4375-9a56-845ca67ab78c"},
	}
	for _, tc := range values {
		b.Run(tc.name, func(b *testing.B) {
			b.SetBytes(int64(len(tc.v)))
			b.ReportAllocs()
			for b.Loop() {
				_ = URLDecode(tc.v)
			}
		})
	}
}

func BenchmarkURLEncode(b *testing.B) {
	v := "Wed, 25 Nov 2026 21:13:44 GMT"
	b.SetBytes(int64(len(v)))
	b.ReportAllocs()
	for b.Loop() {
		_ = URLEncode(v)
	}
}

// BenchmarkEventLookup: the lookups a session makes on every event of a
// real completion (~100 headers), one near the start and one near the end.
func BenchmarkEventLookup(b *testing.B) {
	e, err := ParseEvent(benchFrame(b, "menu-call", isEvent(TypeEventPlain, EventChannelExecuteComplete)))
	if err != nil {
		b.Fatal(err)
	}
	if e.AppUUID() == "" {
		b.Fatal("no Application-UUID in the bench event")
	}
	b.ReportAllocs()
	for b.Loop() {
		if e.Name() == "" || e.AppUUID() == "" {
			b.Fatal("lookup failed")
		}
	}
}

// BenchmarkReadEvent: what the Conn does with each plain event it reads,
// eagerly (ConnOptions.EagerEvents) and lazily (the default): parse, then
// the lookups the reader and a session make on a completion.
func BenchmarkReadEvent(b *testing.B) {
	f := benchFrame(b, "menu-call", isEvent(TypeEventPlain, EventChannelExecuteComplete))
	for _, mode := range []struct {
		name  string
		parse func() (*Event, error)
	}{
		{"eager", func() (*Event, error) { return ParseEvent(f) }},
		{"lazy", func() (*Event, error) { return parsePlainLazy(f.Body) }},
	} {
		b.Run(mode.name, func(b *testing.B) {
			b.SetBytes(int64(len(f.Body)))
			b.ReportAllocs()
			for b.Loop() {
				e, err := mode.parse()
				if err != nil || e.Name() == "" || e.AppUUID() == "" || e.UniqueID() == "" || e.AppResponse() == "" {
					b.Fatal("parse or lookup failed")
				}
			}
		})
	}
}

// BenchmarkLazyEventLookup: the lookups the reader and a session make on
// the lazy events a Conn reads: a completion's name and Application-UUID
// (found), and an Application-UUID that a CHANNEL_ANSWER does not have
// (the reader asks every event; a miss scanned every line).
func BenchmarkLazyEventLookup(b *testing.B) {
	for _, c := range []struct{ name, event, header string }{
		{"found", EventChannelExecuteComplete, "Application-UUID"},
		{"missing", "CHANNEL_ANSWER", "Application-UUID"},
		{"variable", EventChannelExecuteComplete, "variable_read_result"},
	} {
		b.Run(c.name, func(b *testing.B) {
			e, err := parsePlainLazy(benchFrame(b, "menu-call", isEvent(TypeEventPlain, c.event)).Body)
			if err != nil {
				b.Fatal(err)
			}
			_, want := e.Lookup(c.header)
			b.ReportAllocs()
			for b.Loop() {
				if _, ok := e.Lookup(c.header); ok != want || e.Name() != c.event {
					b.Fatal("lookup changed")
				}
			}
		})
	}
}

// BenchmarkParsePlainLazy: indexing a plain event's body (the connect
// reply's header block too), what the Conn's reader does to every event.
func BenchmarkParsePlainLazy(b *testing.B) {
	connect := benchFrame(b, "menu-call", isConnectReply)
	connectText, _, err := NewReader(bytes.NewReader(connect.Encode()), Limits{}).ReadFrame()
	if err != nil || connectText.text == nil {
		b.Fatalf("connect reply: %v", err)
	}
	for _, c := range []struct {
		name string
		body []byte
	}{
		{"execute_complete", benchFrame(b, "menu-call", isEvent(TypeEventPlain, EventChannelExecuteComplete)).Body},
		{"channel_answer", benchFrame(b, "menu-call", isEvent(TypeEventPlain, "CHANNEL_ANSWER")).Body},
		{"connect_reply", connectText.text},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(len(c.body)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := parsePlainLazy(c.body); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
