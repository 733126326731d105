package esl

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// captureKind is how a Conn must route a captured FreeSWITCH frame.
func captureKind(t *testing.T, f *Frame) string {
	t.Helper()
	switch ct := f.ContentType(); ct {
	case TypeCommandReply, TypeAPIResponse:
		return "reply"
	case TypeEventPlain, TypeEventJSON, TypeEventXML:
		ev, err := ParseEvent(f)
		if err != nil {
			t.Fatalf("ParseEvent(captured %s) error = %v", ct, err)
		}
		return ct + " " + ev.Name()
	case TypeDisconnectNotice:
		return ct + " " + f.Headers.Get("Content-Disposition")
	default:
		return "skip"
	}
}

// eventKind is captureKind for what NextEvent returned.
func eventKind(ev *Event) string {
	if ev.IsDisconnectNotice() {
		return ev.ContentType + " " + ev.Get("Content-Disposition")
	}
	return ev.ContentType + " " + ev.Name()
}

// TestReplayCaptures plays every outbound capture (testdata/*.wire.txt) over
// a Conn: our commands go out through Send in the captured order, and
// FreeSWITCH's exact bytes come back in. Every reply must reach the command
// it answered, every event and notice must come out of NextEvent in order,
// and nothing else may be lost or invented.
func TestReplayCaptures(t *testing.T) {
	names, err := filepath.Glob(filepath.Join("testdata", "*.wire.txt"))
	if err != nil || len(names) == 0 {
		t.Fatalf("no captures in testdata: %v", err)
	}
	for _, path := range names {
		name := strings.TrimSuffix(filepath.Base(path), ".wire.txt")
		if name == "inbound-auth" {
			continue // inbound, two connections: see TestDialCapture
		}
		t.Run(name, func(t *testing.T) { replayCapture(t, path) })
	}
}

func replayCapture(t *testing.T, path string) {
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	entries, err := ReadWire(data)
	if err != nil {
		t.Fatalf("ReadWire(%s) error = %v", path, err)
	}
	var fc frameCount
	c, p := pipeConn(t, ConnOptions{Outbound: true, Counter: &fc})

	type sent struct {
		line string
		res  *result[*Frame]
	}
	var (
		sends       []sent
		wantReplies []*Frame
		wantEvents  []string
		lastKind    string
		received    int
		refused     int
	)
	for i, w := range entries {
		switch w.Dir {
		case "C>":
			cmd, _, err := NewReader(bytes.NewReader(w.Raw), Limits{}).ReadCommand()
			if err != nil {
				t.Fatalf("entry %d: ReadCommand(%q) error = %v", i, w.Raw, err)
			}
			if len(sends) == 0 && !strings.EqualFold(commandWord(cmd.Line), "connect") {
				// FreeSWITCH never answers a first command other than
				// connect; a Conn refuses to send one.
				if _, err := c.Send(t.Context(), cmd); !errors.Is(err, errNotConnected) {
					t.Fatalf("entry %d: Send(%q) as first command error = %v, want errNotConnected", i, cmd.Line, err)
				}
				refused++
				continue
			}
			sends = append(sends, sent{line: cmd.Line, res: goCall(func() (*Frame, error) { return c.Send(t.Context(), cmd) })})
			if got := p.readCommand().Line; got != cmd.Line {
				t.Fatalf("entry %d: peer read %q, want %q", i, got, cmd.Line)
			}
		case "F>":
			f, _, err := NewReader(bytes.NewReader(w.Raw), Limits{}).ReadFrame()
			if err != nil {
				t.Fatalf("entry %d: ReadFrame error = %v", i, err)
			}
			received++
			switch kind := captureKind(t, f); kind {
			case "reply":
				wantReplies = append(wantReplies, f)
			case "skip":
			default:
				wantEvents = append(wantEvents, kind)
				lastKind = kind
			}
			p.write(string(w.Raw))
		}
	}
	p.nc.Close()
	waitDone(t, c)

	if len(sends) != len(wantReplies) {
		t.Fatalf("%d commands sent, capture has %d replies", len(sends), len(wantReplies))
	}
	for i, s := range sends {
		f, err := s.res.wait(t)
		var re *ReplyError
		if err != nil && !errors.As(err, &re) {
			t.Fatalf("Send(%q) error = %v, want its reply", s.line, err)
		}
		want := wantReplies[i]
		if f.ReplyText() != want.ReplyText() || !bytes.Equal(f.Body, want.Body) {
			t.Errorf("Send(%q) got reply %q %q, want %q %q", s.line, f.ReplyText(), f.Body, want.ReplyText(), want.Body)
		}
		if strings.EqualFold(s.line, "connect") && c.Channel() == nil {
			t.Errorf("Channel() = nil after the connect reply")
		}
	}
	var got []string
	for ev, ok := c.TryEvent(); ok; ev, ok = c.TryEvent() {
		got = append(got, eventKind(ev))
	}
	if strings.Join(got, "\n") != strings.Join(wantEvents, "\n") {
		t.Errorf("NextEvent stream has %d events, capture %d:\n got: %q\nwant: %q", len(got), len(wantEvents), got, wantEvents)
	}
	seen, _ := fc.snapshot()
	var fromFS int
	for _, s := range seen {
		if strings.HasPrefix(s, "F> ") {
			fromFS++
		}
	}
	if fromFS != received {
		t.Errorf("Counter saw %d frames from FreeSWITCH, capture has %d", fromFS, received)
	}
	err = c.Err()
	switch {
	case strings.HasSuffix(lastKind, " disconnect") && err != ErrDisconnected:
		t.Errorf("Err() = %v after a final notice and EOF, want ErrDisconnected", err)
	case !errors.Is(err, ErrDisconnected):
		t.Errorf("Err() = %v, want ErrDisconnected", err)
	}
	if _, err := c.NextEvent(t.Context()); !errors.Is(err, ErrDisconnected) {
		t.Errorf("NextEvent() after the drain error = %v, want ErrDisconnected", err)
	}
	if refused > 0 && !strings.Contains(path, "first-command-not-connect") {
		t.Errorf("refused %d first commands in a capture that starts with connect", refused)
	}
}
