package esl

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// captures lists every real FreeSWITCH capture in testdata with the number
// of frames FreeSWITCH sent in it (counted by an independent splitter).
var captures = []struct {
	name   string
	frames int
}{
	{"bridge-fail", 20},
	{"bridge-ok", 23},
	{"caller-hangup-mid-playback", 18},
	{"dtmf-while-idle", 18},
	{"events-json", 24},
	{"events-xml", 24},
	{"exit-before-hangup", 10},
	{"first-command-not-connect", 14},
	{"full-commands", 57},
	{"inbound-auth", 9},
	{"menu-call", 26},
	{"no-linger-hangup", 17},
	{"not-full-gates", 18},
	{"pagd-timeout", 26},
	{"record-silence", 20},
	{"record", 22},
	{"sync-mode", 11},
	{"unknown-app", 18},
}

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// captureFrames splits testdata/<name>.fs.raw into frames.
func captureFrames(t testing.TB, name string) []*Frame {
	t.Helper()
	raw := readTestdata(t, name+".fs.raw")
	r := NewReader(bytes.NewReader(raw), Limits{})
	var frames []*Frame
	total := 0
	for {
		f, n, err := r.ReadFrame()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("%s: frame %d: ReadFrame() error %v", name, len(frames)+1, err)
		}
		total += n
		frames = append(frames, f)
	}
	if total != len(raw) {
		t.Fatalf("%s: frame sizes add up to %d, file has %d bytes", name, total, len(raw))
	}
	return frames
}

func TestCapturesFrameRoundTrip(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.fs.raw"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != len(captures) {
		t.Errorf("testdata has %d .fs.raw files, the table lists %d", len(files), len(captures))
	}
	for _, c := range captures {
		t.Run(c.name, func(t *testing.T) {
			frames := captureFrames(t, c.name)
			if len(frames) != c.frames {
				t.Errorf("ReadFrame split %s into %d frames, want %d", c.name, len(frames), c.frames)
			}
			var enc bytes.Buffer
			for _, f := range frames {
				enc.Write(f.Encode())
			}
			if raw := readTestdata(t, c.name+".fs.raw"); !bytes.Equal(enc.Bytes(), raw) {
				t.Errorf("re-encoded frames differ from %s.fs.raw (%d vs %d bytes)", c.name, enc.Len(), len(raw))
			}
		})
	}
}

// isConnectReply tells the connect reply (a serialized CHANNEL_DATA event)
// from the other command/reply frames, whose values are not URL-encoded.
func isConnectReply(f *Frame) bool {
	return f.ContentType() == TypeCommandReply && f.Headers.Get("Event-Name") == EventChannelData
}

// TestCapturesEventRoundTrip parses every event FreeSWITCH sent in the
// captures and re-encodes it with the serializer of its format: the bytes
// must be identical. (No captured value contains a "%XX" that the encoder's
// pass-through would keep, so there is no exception to allow for.)
func TestCapturesEventRoundTrip(t *testing.T) {
	for _, c := range captures {
		t.Run(c.name, func(t *testing.T) {
			events := 0
			for i, f := range captureFrames(t, c.name) {
				ct := f.ContentType()
				var want []byte
				var encode func(*Event) []byte
				switch {
				case ct == TypeEventPlain:
					want, encode = f.Body, (*Event).EncodePlain
				case ct == TypeEventJSON:
					want, encode = f.Body, (*Event).EncodeJSON
				case ct == TypeEventXML:
					want, encode = f.Body, (*Event).EncodeXML
				case isConnectReply(f):
					want, encode = f.Encode(), (*Event).EncodePlain
				default:
					continue
				}
				events++
				e, err := ParseEvent(f)
				if err != nil {
					t.Fatalf("frame %d: ParseEvent(%s) error %v", i+1, ct, err)
				}
				if e.ContentType != ct {
					t.Errorf("frame %d: ContentType = %q, want %q", i+1, e.ContentType, ct)
				}
				if e.Name() == "" {
					t.Errorf("frame %d: %s event without Event-Name", i+1, ct)
				}
				if got := encode(e); !bytes.Equal(got, want) {
					t.Errorf("frame %d (%s %s): re-encoded event differs at byte %d:\n got %q\nwant %q",
						i+1, ct, e.Name(), diffAt(got, want), around(got, diffAt(got, want)), around(want, diffAt(got, want)))
				}
			}
			if events == 0 && c.name != "inbound-auth" {
				t.Errorf("no event in %s", c.name)
			}
		})
	}
}

func diffAt(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

func around(b []byte, i int) string {
	return string(b[max(0, i-40):min(len(b), i+40)])
}

// TestCapturesKnownValues spot-checks values the transcripts README
// documents.
func TestCapturesKnownValues(t *testing.T) {
	find := func(t *testing.T, capture string, match func(*Event) bool) []*Event {
		t.Helper()
		var out []*Event
		for _, f := range captureFrames(t, capture) {
			if f.ContentType() == TypeCommandReply && !isConnectReply(f) {
				continue
			}
			e, err := ParseEvent(f)
			if err != nil {
				continue // api/response, log/data, auth/request
			}
			if match(e) {
				out = append(out, e)
			}
		}
		if len(out) == 0 {
			t.Fatalf("%s: no matching event", capture)
		}
		return out
	}
	named := func(name string) func(*Event) bool {
		return func(e *Event) bool { return e.Name() == name }
	}

	t.Run("connect reply", func(t *testing.T) {
		e := find(t, "menu-call", named(EventChannelData))[0]
		checks := []struct{ name, value, raw string }{
			{"Reply-Text", "+OK\n", "%2BOK%0A"},
			{"Content-Type", "command/reply", "command/reply"},
			{"Socket-Mode", "async", "async"},
			{"Control", "full", "full"},
			{"variable_current_application_data", "127.0.0.1:8084 async full", "127.0.0.1%3A8084%20async%20full"},
		}
		for _, c := range checks {
			if got := e.Get(c.name); got != c.value {
				t.Errorf("Get(%q) = %q, want %q", c.name, got, c.value)
			}
			if got := e.GetRaw(c.name); got != c.raw {
				t.Errorf("GetRaw(%q) = %q, want %q", c.name, got, c.raw)
			}
		}
		if e.ContentType != TypeCommandReply {
			t.Errorf("ContentType = %q, want %q", e.ContentType, TypeCommandReply)
		}
		if e.Body != nil {
			t.Errorf("connect reply Body = %q, want nil", e.Body)
		}
	})

	t.Run("DTMF digits", func(t *testing.T) {
		var digits, raws []string
		for _, e := range find(t, "dtmf-while-idle", named(EventDTMF)) {
			digits = append(digits, e.DTMFDigit())
			raws = append(raws, e.GetRaw("DTMF-Digit"))
			if d := e.Get("DTMF-Duration"); d != "2000" {
				t.Errorf("DTMF-Duration = %q, want %q", d, "2000")
			}
		}
		if got, want := strings.Join(digits, ","), "1,2,#"; got != want {
			t.Errorf("DTMF digits = %q, want %q", got, want)
		}
		if got, want := strings.Join(raws, ","), "1,2,%23"; got != want {
			t.Errorf("raw DTMF digits = %q, want %q", got, want)
		}
	})

	t.Run("duplicate Hangup-Cause", func(t *testing.T) {
		for _, capture := range []string{"menu-call", "events-json", "events-xml"} {
			e := find(t, capture, named(EventChannelHangupComplete))[0]
			var causes []string
			for _, h := range e.Headers {
				if h.Name == "Hangup-Cause" {
					causes = append(causes, h.Value)
				}
			}
			if len(causes) != 2 {
				t.Errorf("%s: CHANNEL_HANGUP_COMPLETE has %d Hangup-Cause headers, want 2", capture, len(causes))
			}
		}
	})

	t.Run("BACKGROUND_JOB body", func(t *testing.T) {
		for _, capture := range []string{"full-commands", "events-json", "events-xml"} {
			e := find(t, capture, named(EventBackgroundJob))[0]
			if len(e.Body) != 339 {
				t.Errorf("%s: BACKGROUND_JOB body is %d bytes, want 339", capture, len(e.Body))
			}
			if !bytes.HasPrefix(e.Body, []byte("UP 0 years")) || !bytes.HasSuffix(e.Body, []byte("240K/8192K\n")) {
				t.Errorf("%s: BACKGROUND_JOB body = %q", capture, e.Body)
			}
			if _, ok := e.Lookup("Content-Length"); ok != (capture == "events-json") {
				t.Errorf("%s: Content-Length header present = %v, want %v (kept only in JSON)", capture, ok, capture == "events-json")
			}
			if e.JobUUID() == "" {
				t.Errorf("%s: BACKGROUND_JOB without Job-UUID", capture)
			}
		}
	})

	t.Run("sendevent CUSTOM keeps both content-length headers", func(t *testing.T) {
		e := find(t, "full-commands", func(e *Event) bool { return e.Name() == "CUSTOM" })[0]
		if got := e.Get("content-length"); got != "45" {
			t.Errorf("Get(content-length) = %q, want %q", got, "45")
		}
		if e.Headers[0].Name != "Event-Subclass" || e.Get("Event-Subclass") != "callhook::fixture" {
			t.Errorf("first header %s: %q, want Event-Subclass: callhook::fixture (Event-Name is not first)", e.Headers[0].Name, e.Headers[0].Value)
		}
		if got := e.Get("Command"); got != "sendevent CUSTOM" {
			t.Errorf("Get(Command) = %q, want %q", got, "sendevent CUSTOM")
		}
		if want := "fixture body line 1\nline 2 with a colon: yes"; !strings.HasPrefix(string(e.Body), want) || len(e.Body) != 45 {
			t.Errorf("Body = %q (%d bytes), want 45 bytes starting %q", e.Body, len(e.Body), want)
		}
	})

	t.Run("disconnect notices", func(t *testing.T) {
		notices := find(t, "menu-call", func(e *Event) bool { return e.IsDisconnectNotice() })
		if len(notices) != 2 {
			t.Fatalf("menu-call has %d disconnect notices, want 2", len(notices))
		}
		if !notices[0].IsLingerNotice() || notices[0].Get("Linger-Time") != "5" || notices[0].Body != nil {
			t.Errorf("first notice = %+v, want a linger notice with Linger-Time 5 and no body", notices[0])
		}
		final := notices[1]
		if !final.IsFinalNotice() || len(final.Body) != 67 {
			t.Errorf("final notice = %+v, want a 67-byte disconnect notice", final)
		}
		for _, h := range final.Headers {
			if h.Value != h.Raw {
				t.Errorf("notice header %s: Value %q != Raw %q", h.Name, h.Value, h.Raw)
			}
		}
	})

	t.Run("XML values are URL-encoded", func(t *testing.T) {
		e := find(t, "events-xml", named("CHANNEL_EXECUTE"))[0]
		if got, raw := e.Get("FreeSWITCH-IPv6"), e.GetRaw("FreeSWITCH-IPv6"); got != "fd00::2" || raw != "fd00%3A%3A2" {
			t.Errorf("FreeSWITCH-IPv6 = %q raw %q, want %q raw %q", got, raw, "fd00::2", "fd00%3A%3A2")
		}
	})

	t.Run("JSON values are not URL-encoded", func(t *testing.T) {
		e := find(t, "events-json", named(EventChannelHangupComplete))[0]
		if got := e.Get("FreeSWITCH-IPv6"); got != "fd00::2" {
			t.Errorf("FreeSWITCH-IPv6 = %q, want %q", got, "fd00::2")
		}
		if got, want := e.Var("caller_id"), `"test" <1000>`; got != want {
			t.Errorf("Var(caller_id) = %q, want %q (JSON escapes undone)", got, want)
		}
		if got := e.Get("Event-Date-Local"); !strings.Contains(got, " ") || strings.Contains(got, "%") {
			t.Errorf("Event-Date-Local = %q, want a plain date with a space", got)
		}
		for _, h := range e.Headers {
			if h.Value != h.Raw {
				t.Errorf("JSON header %s: Value %q != Raw %q", h.Name, h.Value, h.Raw)
			}
		}
	})
}

func TestReadWireTranscripts(t *testing.T) {
	for _, c := range captures {
		t.Run(c.name, func(t *testing.T) {
			ws, err := ReadWire(readTestdata(t, c.name+".wire.txt"))
			if err != nil {
				t.Fatalf("ReadWire(%s.wire.txt) error %v", c.name, err)
			}
			var fs bytes.Buffer
			counts := map[string]int{}
			var last WireFrame
			for i, w := range ws {
				counts[w.Dir]++
				if i > 0 && w.At < last.At {
					t.Errorf("entry %d at %v before the previous one at %v", i, w.At, last.At)
				}
				last = w
				switch w.Dir {
				case "F>":
					fs.Write(w.Raw)
				case "C>":
					if _, err := ParseCommand(w.Raw); err != nil {
						t.Errorf("entry %d: ParseCommand(%q) error %v", i, w.Raw, err)
					}
				case "#":
					if w.Note == "" || w.Raw != nil {
						t.Errorf("entry %d: note %+v, want text and no bytes", i, w)
					}
				}
			}
			if raw := readTestdata(t, c.name+".fs.raw"); !bytes.Equal(fs.Bytes(), raw) {
				t.Errorf("F> frames of %s.wire.txt differ from %s.fs.raw (%d vs %d bytes)", c.name, c.name, fs.Len(), len(raw))
			}
			if counts["F>"] != c.frames {
				t.Errorf("%d F> frames, want %d", counts["F>"], c.frames)
			}
			if counts["C>"] == 0 || counts["#"] == 0 {
				t.Errorf("entries per direction = %v, want C>, F> and # entries", counts)
			}
		})
	}
}

func TestReadWireMalformed(t *testing.T) {
	tests := []struct{ name, in string }{
		{"no marker", "connect\n\n"},
		{"bad time", "--- +x C>\nconnect\n\n"},
		{"unknown kind", "--- +1 X>\nconnect\n\n"},
		{"marker without newline", "--- +1 C>"},
		{"truncated frame", "--- +1 F>\nContent-Length: 10\n\nabc"},
		{"frame without blank line", "--- +1 F>\nContent-Type: command/reply\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if ws, err := ReadWire([]byte(tc.in)); err == nil {
				t.Errorf("ReadWire(%q) = %+v, want an error", tc.in, ws)
			}
		})
	}
}

func TestReadWireShape(t *testing.T) {
	in := "--- +0 # originate\n" +
		"--- +5 C>\nconnect\n\n" +
		"--- +7 F>\nContent-Length: 2\nContent-Type: text/event-json\n\n{}\n" +
		"--- +9 C>\nsendevent CUSTOM\ncontent-length: 3\n\nabc\n" +
		"--- +12 #\n"
	ws, err := ReadWire([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	want := []WireFrame{
		{Dir: "#", At: 0, Note: "originate"},
		{Dir: "C>", At: 5e6, Raw: []byte("connect\n\n")},
		{Dir: "F>", At: 7e6, Raw: []byte("Content-Length: 2\nContent-Type: text/event-json\n\n{}")},
		{Dir: "C>", At: 9e6, Raw: []byte("sendevent CUSTOM\ncontent-length: 3\n\nabc")},
		{Dir: "#", At: 12e6},
	}
	if len(ws) != len(want) {
		t.Fatalf("ReadWire = %d entries, want %d: %+v", len(ws), len(want), ws)
	}
	for i := range want {
		if ws[i].Dir != want[i].Dir || ws[i].At != want[i].At || !bytes.Equal(ws[i].Raw, want[i].Raw) || ws[i].Note != want[i].Note {
			t.Errorf("entry %d = %+v, want %+v", i, ws[i], want[i])
		}
	}
	if _, err := ReadWire(nil); err != nil {
		t.Errorf("ReadWire(nil) error %v, want none", err)
	}
	var pe *ProtocolError
	if _, err := ReadWire([]byte("--- +1 F>\nContent-Length: -1\n\n")); !errors.As(err, &pe) {
		t.Errorf("ReadWire(negative Content-Length) error %v, want a *ProtocolError", err)
	}
}
