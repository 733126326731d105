package esl

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
)

// fuzzLimits keep fuzzed frames small so that the limits are exercised.
var fuzzLimits = Limits{MaxHeaderBytes: 8 << 10, MaxBodyBytes: 8 << 10}

// addFrameSeeds seeds f with every frame FreeSWITCH sent in the captures,
// each on its own, plus malformed inputs.
func addFrameSeeds(f *testing.F) {
	for _, c := range captures {
		for _, fr := range captureFrames(f, c.name) {
			f.Add(fr.Encode())
		}
	}
	for _, s := range []string{
		"", "\n\n", "Content-Length: -1\n\n", "Content-Length: 5\n\nab", "Content-Length: x\n\n",
		"A: b\r\n\r\nC: d\n\n", "no colon\n\n", "Content-Length: 1\nContent-Length: 2\n\nab",
		"Content-Length: 99999999999999999999\n\n", "A: b\r\r\n\r\n",
	} {
		f.Add([]byte(s))
	}
}

// checkReadError fails unless err is one a Reader may return on in-memory input.
func checkReadError(t *testing.T, err error) {
	t.Helper()
	var pe *ProtocolError
	if err != io.EOF && err != io.ErrUnexpectedEOF && !errors.As(err, &pe) {
		t.Fatalf("unexpected error type %T: %v", err, err)
	}
}

func FuzzReadFrame(f *testing.F) {
	addFrameSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		r := NewReader(bytes.NewReader(data), fuzzLimits)
		total := 0
		for {
			fr, n, err := r.ReadFrame()
			total += n
			if total > len(data) {
				t.Fatalf("read %d bytes from %d", total, len(data))
			}
			if err != nil {
				checkReadError(t, err)
				if err == io.EOF && total != len(data) {
					t.Fatalf("io.EOF after %d of %d bytes", total, len(data))
				}
				if fr != nil {
					t.Fatalf("frame returned with error %v", err)
				}
				return
			}
			if len(fr.Headers) == 0 {
				t.Fatalf("frame without headers")
			}
			hb := 0
			for _, h := range fr.Headers {
				hb += len(h.Name) + len(h.Value) + 2
				if strings.ContainsAny(h.Name, ":\n") || strings.ContainsRune(h.Value, '\n') || strings.HasPrefix(h.Value, " ") {
					t.Fatalf("malformed header %q: %q", h.Name, h.Value)
				}
			}
			if hb > fuzzLimits.MaxHeaderBytes || len(fr.Body) > fuzzLimits.MaxBodyBytes {
				t.Fatalf("frame of %d header bytes and %d body bytes passed the limits %+v", hb, len(fr.Body), fuzzLimits)
			}
		}
	})
}

func FuzzFrameRoundTrip(f *testing.F) {
	addFrameSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		fr, _, err := NewReader(bytes.NewReader(data), Limits{}).ReadFrame()
		if err != nil {
			return
		}
		enc := fr.Encode()
		r := NewReader(bytes.NewReader(enc), Limits{})
		again, n, err := r.ReadFrame()
		if err != nil {
			t.Fatalf("ReadFrame(Encode()) error %v for %q", err, enc)
		}
		if n != len(enc) {
			t.Fatalf("ReadFrame(Encode()) took %d of %d bytes", n, len(enc))
		}
		if dumpFrame(again) != dumpFrame(fr) {
			t.Fatalf("round trip changed the frame:\n%s\n%s", dumpFrame(fr), dumpFrame(again))
		}
		if _, _, err := r.ReadFrame(); err != io.EOF {
			t.Fatalf("after the re-encoded frame: %v, want io.EOF", err)
		}
	})
}

// Event kinds for FuzzParseEvent.
var fuzzEventTypes = []string{TypeEventPlain, TypeEventJSON, TypeEventXML, TypeCommandReply, TypeDisconnectNotice}

func FuzzParseEvent(f *testing.F) {
	for _, c := range captures {
		for _, fr := range captureFrames(f, c.name) {
			for i, ct := range fuzzEventTypes {
				if fr.ContentType() == ct {
					f.Add(uint8(i), fr.Body)
				}
			}
		}
	}
	f.Add(uint8(0), []byte("Event-Name: X\nContent-Length: 3\n\nabc"))
	f.Add(uint8(1), []byte(`{"a":["b",1,{"c":[]}],"_body":"x","n":null}`))
	f.Add(uint8(2), []byte("<event><headers><a>%41</a></headers><Content-Length>3</Content-Length><body>&amp;<!x</body></event>"))
	f.Fuzz(func(t *testing.T, kind uint8, body []byte) {
		ct := fuzzEventTypes[int(kind)%len(fuzzEventTypes)]
		fr := &Frame{Headers: Headers{{"Content-Type", ct}, {"X", string(body)}}, Body: body}
		e, err := ParseEvent(fr)
		if err != nil {
			return
		}
		if e.ContentType != ct {
			t.Fatalf("ContentType = %q, want %q", e.ContentType, ct)
		}
		encoded := ct == TypeEventPlain || ct == TypeEventXML || ct == TypeCommandReply
		for _, h := range e.Headers {
			if want := h.Raw; encoded && h.Value != URLDecode(want) || !encoded && h.Value != want {
				t.Fatalf("%s header %q: Value %q from Raw %q", ct, h.Name, h.Value, h.Raw)
			}
		}
		// Whatever parsed must serialise into something that parses again.
		var enc []byte
		switch ct {
		case TypeEventPlain:
			enc = e.EncodePlain()
		case TypeEventJSON:
			enc = e.EncodeJSON()
		case TypeEventXML:
			enc = e.EncodeXML()
		default:
			return
		}
		if _, err := ParseEvent(&Frame{Headers: Headers{{"Content-Type", ct}}, Body: enc}); err != nil {
			t.Fatalf("ParseEvent(encoded %s) error %v\nevent %s\nencoded %q", ct, err, dumpEvent(e), enc)
		}
	})
}

func FuzzParseCommand(f *testing.F) {
	for _, c := range captures {
		ws, err := ReadWire(readTestdata(f, c.name+".wire.txt"))
		if err != nil {
			f.Fatal(err)
		}
		for _, w := range ws {
			if w.Dir == "C>" {
				f.Add(w.Raw)
			}
		}
	}
	for _, tc := range commandTests {
		f.Add([]byte(tc.in))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if c, err := ParseCommand(data); err == nil {
			checkCommand(t, c)
		} else {
			var pe *ProtocolError
			if !errors.As(err, &pe) {
				t.Fatalf("ParseCommand error %T %v, want a *ProtocolError", err, err)
			}
		}
		r := NewReader(bytes.NewReader(data), fuzzLimits)
		total := 0
		for {
			c, n, err := r.ReadCommand()
			total += n
			if total > len(data) {
				t.Fatalf("read %d bytes from %d", total, len(data))
			}
			if err != nil {
				checkReadError(t, err)
				if err == io.EOF && total != len(data) {
					t.Fatalf("io.EOF after %d of %d bytes", total, len(data))
				}
				return
			}
			checkCommand(t, c)
		}
	})
}

// checkCommand checks what read_packet guarantees about a parsed command.
func checkCommand(t *testing.T, c Command) {
	t.Helper()
	if c.Line == "" || strings.ContainsAny(c.Line, "\r\n") {
		t.Fatalf("command line %q", c.Line)
	}
	for _, h := range c.Headers {
		if h.Value == "" || strings.HasPrefix(h.Value, " ") || strings.ContainsAny(h.Name, ":\r\n") || strings.ContainsAny(h.Value, "\r\n") {
			t.Fatalf("command header %q: %q", h.Name, h.Value)
		}
	}
	if bytes.IndexByte(c.Body, 0) >= 0 || c.Body != nil && len(c.Body) == 0 {
		t.Fatalf("command body %q", c.Body)
	}
}

func FuzzURLRoundTrip(f *testing.F) {
	for _, s := range []string{"", "+OK\n", "100%41", "%ab", "%", "é☎ #&:", "Wed,%2025%20Nov"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		enc := URLEncode(s)
		for i := 0; i < len(enc); i++ {
			if urlUnsafe[enc[i]] && !passThrough(enc, i) {
				t.Fatalf("URLEncode(%q) = %q leaves unsafe byte %q", s, enc, enc[i])
			}
		}
		quirk := false
		for i := range len(s) {
			quirk = quirk || passThrough(s, i)
		}
		if got := URLDecode(enc); got != s && !quirk {
			t.Fatalf("URLDecode(URLEncode(%q)) = %q", s, got)
		}
	})
}
