package esl

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// lazyChannel parses f as Conn.parseChannel does with lazy events.
func lazyChannel(t testing.TB, f *Frame) *Event {
	t.Helper()
	c := &Conn{}
	ev, err := c.parseChannel(f)
	if err != nil {
		t.Fatalf("parseChannel: %v", err)
	}
	return ev
}

// sameChannel checks that the lazy channel data lazy reads exactly as the
// eager eventFromHeaders one, eager: every header in order, every lookup.
func sameChannel(t testing.TB, lazy, eager *Event) {
	t.Helper()
	if lazy.ContentType != eager.ContentType {
		t.Errorf("content type %q, eager %q", lazy.ContentType, eager.ContentType)
	}
	if !reflect.DeepEqual(lazy.AllHeaders(), eager.AllHeaders()) {
		t.Fatalf("headers differ:\nlazy  %q\neager %q", lazy.AllHeaders(), eager.AllHeaders())
	}
	if len(lazy.Body) != 0 || len(eager.Body) != 0 {
		t.Errorf("body %q, eager %q: a connect reply has none", lazy.Body, eager.Body)
	}
	names := []string{"unique-id", "UNIQUE-ID", "Content-Length", "Socket-Mode", "Nope", "variable_x", ":", ""}
	for _, h := range eager.AllHeaders() {
		names = append(names, h.Name, strings.ToUpper(h.Name))
	}
	for _, n := range names {
		lv, lok := lazy.Lookup(n)
		ev, eok := eager.Lookup(n)
		lh, lhok := lazy.Header(n)
		eh, ehok := eager.Header(n)
		if lv != ev || lok != eok || lazy.GetRaw(n) != eager.GetRaw(n) || lh != eh || lhok != ehok || lhok != lok {
			t.Errorf("%q: lazy %q %v %+v, eager %q %v %+v", n, lv, lok, lh, ev, eok, eh)
		}
	}
}

// TestConnectReplyLazyMatchesEager: the connect reply a Conn keeps as a
// lazy event over the frame's header text reads the same as the eager
// parse, on every connect reply of the real traces and on odd header
// blocks (no space after the colon, several, CRs, duplicates, a
// Content-Length of 0, encoded values).
func TestConnectReplyLazyMatchesEager(t *testing.T) {
	var streams []string
	raws, _ := filepath.Glob("testdata/*.fs.raw")
	for _, p := range raws {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		streams = append(streams, string(b))
	}
	if len(streams) == 0 {
		t.Fatal("no traces in testdata")
	}
	long := "Content-Type: command/reply\nReply-Text: +OK\n" + strings.Repeat("variable_pad: "+strings.Repeat("x", 60)+"\n", 3)
	streams = append(streams,
		long+"Unique-ID:no-space\nCaller-Caller-ID-Name:    many%20spaces\r\nUnique-ID: second\nContent-Length: 0\nvariable_e: %zz%41%\n\n",
		long+"Event-Name: CHANNEL_DATA\r\r\nA: \nB:\n:empty-name\n\n",
	)
	checked := 0
	for i, s := range streams {
		r := NewReader(strings.NewReader(s), Limits{})
		for {
			f, _, err := r.ReadFrame()
			if err != nil {
				break
			}
			if f.ContentType() != TypeCommandReply || f.text == nil {
				continue
			}
			eager, err := ParseEvent(f)
			if err != nil {
				t.Fatalf("stream %d: %v", i, err)
			}
			lazy := lazyChannel(t, f)
			if lazy.Headers != nil {
				t.Fatalf("stream %d: the channel data was parsed eagerly", i)
			}
			sameChannel(t, lazy, eager)
			checked++
		}
	}
	if checked < len(raws)+2 {
		t.Fatalf("checked %d connect replies, want at least %d", checked, len(raws)+2)
	}
}

// FuzzConnectReplyLazy: any big command/reply header block reads the same
// lazily as eagerly.
func FuzzConnectReplyLazy(f *testing.F) {
	pad := strings.Repeat("variable_pad: "+strings.Repeat("y", 60)+"\n", 2)
	f.Add("Unique-ID: a\nX:b\n")
	f.Add("A:  %41\r\nA: dup\nContent-Length: 0\n")
	f.Fuzz(func(t *testing.T, block string) {
		in := "Content-Type: command/reply\n" + pad + block + "\n\n"
		fr, _, err := NewReader(strings.NewReader(in), Limits{}).ReadFrame()
		if err != nil || fr.ContentType() != TypeCommandReply || fr.text == nil || len(fr.Body) > 0 {
			return
		}
		eager, err := ParseEvent(fr)
		if err != nil {
			t.Fatal(err)
		}
		sameChannel(t, lazyChannel(t, fr), eager)
	})
}

// BenchmarkConnectChannel: a real connect reply read (ReadFrame), parsed
// into the call's channel data as the Conn does (lazy: indexed in the
// frame's header text; eager: ConnOptions.EagerEvents, the parse every
// connect reply had before), then the dozen headers a call copies
// (proxy's compactChannel) looked up.
func BenchmarkConnectChannel(b *testing.B) {
	wire := benchFrame(b, "menu-call", isConnectReply).Encode()
	names := []string{"Unique-ID", "Caller-Caller-ID-Number", "Caller-Caller-ID-Name",
		"Caller-Destination-Number", "Channel-Destination-Number", "Call-Direction",
		"Channel-Name", "Answer-State", "Socket-Mode", "Control", "variable_callhook_app", "variable_sip_user_agent"}
	for _, eager := range []bool{false, true} {
		name := "lazy"
		if eager {
			name = "eager"
		}
		b.Run(name, func(b *testing.B) {
			c := &Conn{opts: ConnOptions{EagerEvents: eager}}
			r := NewReader(&repeatReader{data: wire}, Limits{})
			b.SetBytes(int64(len(wire)))
			b.ReportAllocs()
			for b.Loop() {
				f, _, err := r.ReadFrame()
				if err != nil {
					b.Fatal(err)
				}
				ev, err := c.parseChannel(f)
				if err != nil {
					b.Fatal(err)
				}
				for _, n := range names {
					ev.Header(n)
				}
			}
		})
	}
}
