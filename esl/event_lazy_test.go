package esl

import (
	"bytes"
	"reflect"
	"strings"
	"testing"
)

// checkLazyMatchesEager fails unless the lazy parse of a plain event body
// answers every question as the eager parse does: the same error or none,
// the same headers in order (AllHeaders), the same first value and raw
// value per name, the same body and the same CarriesAllVars.
func checkLazyMatchesEager(t *testing.T, body []byte) {
	t.Helper()
	eager, eerr := ParseEvent(&Frame{Headers: Headers{{"Content-Type", TypeEventPlain}}, Body: body})
	lazy, lerr := parsePlainLazy(body)
	if (eerr == nil) != (lerr == nil) {
		t.Fatalf("body %q: eager error %v, lazy error %v", body, eerr, lerr)
	}
	if eerr != nil {
		return
	}
	lazy.ContentType = TypeEventPlain
	if lazy.Headers != nil {
		t.Fatalf("a lazy event has Headers set")
	}
	all := lazy.AllHeaders()
	if len(all) != len(eager.Headers) || (len(all) > 0 && !reflect.DeepEqual(all, eager.Headers)) {
		t.Fatalf("body %q:\nlazy headers  %+v\neager headers %+v", body, all, eager.Headers)
	}
	if !bytes.Equal(lazy.Body, eager.Body) || (lazy.Body == nil) != (eager.Body == nil) {
		t.Fatalf("body %q: lazy Body %q, eager Body %q", body, lazy.Body, eager.Body)
	}
	fresh, _ := parsePlainLazy(body) // lookups before AllHeaders
	fresh.ContentType = TypeEventPlain
	names := []string{"Event-Name", "event-name", "Application-UUID", "missing", "a:b", "", "Content-Length"}
	for _, h := range eager.Headers {
		names = append(names, h.Name, strings.ToUpper(h.Name))
	}
	for _, n := range names {
		ev, eok := eager.Lookup(n)
		lv, lok := fresh.Lookup(n)
		if ev != lv || eok != lok || eager.GetRaw(n) != fresh.GetRaw(n) {
			t.Fatalf("body %q: Lookup(%q) lazy %q %v raw %q, eager %q %v raw %q", body, n, lv, lok, fresh.GetRaw(n), ev, eok, eager.GetRaw(n))
		}
	}
	if lazy.CarriesAllVars() != eager.CarriesAllVars() {
		t.Fatalf("body %q: CarriesAllVars lazy %v, eager %v", body, lazy.CarriesAllVars(), eager.CarriesAllVars())
	}
}

// lazyEdgeBodies are plain bodies at the edges of the format.
var lazyEdgeBodies = []string{
	"", "\n", "\n\n", "A: b", "A: b\n", "A: b\n\n", "A:b\r\n\r\nrest", "A: b\r\r\n\r\n",
	"no colon\n\n", "A: b\nno colon\n", "Event-Name: X\nContent-Length: 3\n\nabc",
	"Event-Name: X\nContent-Length: 3\n\nab", "Event-Name: X\nContent-Length: 0\n\n",
	"Content-Length: 2\n\nab", "A: %41%zz%\nA: second\na: third\n\n", "variable_x: 1\n\n",
	"Event-Name: DTMF\nX: y\n\nvariable_in_body: 1\n", ":\n\n", "A::b\n\n",
	// The names a lazy event notes while indexing: the first of each, in
	// any case, wherever it is, and a name that only starts like one.
	"event-name: a\nEvent-Name: b\nAPPLICATION-UUID: %41\nJob-UUID:\nAnswer-State:x\n\n",
	"X: 1\nApplication-Response: r\nEvent-Date-Timestamp: 1\napplication: app\nUnique-ID: u\nUnique-ID: v\n\n",
	"Event-Names: no\nApplication-UUIDs: no\nEvent-Name:: colon\n\n",
}

// TestLazyEventMatchesEager: over every plain event of the captures and the
// edge cases, the lazy parse the Conn uses answers as ParseEvent does.
func TestLazyEventMatchesEager(t *testing.T) {
	n := 0
	for _, c := range captures {
		for _, fr := range captureFrames(t, c.name) {
			if fr.ContentType() == TypeEventPlain {
				checkLazyMatchesEager(t, fr.Body)
				n++
			}
		}
	}
	if n == 0 {
		t.Fatal("no plain events in the captures")
	}
	for _, b := range lazyEdgeBodies {
		checkLazyMatchesEager(t, []byte(b))
	}
	// Past 64 KiB the index takes 32-bit offsets: a header after a huge
	// value, a body after a huge header block, and the edge of the switch.
	huge := strings.Repeat("x", 70_000)
	for _, b := range []string{
		"Event-Name: CUSTOM\nvariable_big: " + huge + "\nUnique-ID: after-the-big-one\n\n",
		"Event-Name: BACKGROUND_JOB\nvariable_big: " + huge + "\nContent-Length: 5\n\n+OK\nx",
		"Event-Name: CUSTOM\nA: " + huge[:65535-len("Event-Name: CUSTOM\nA: \nB: b\n")] + "\nB: b\n",
		"Event-Name: CUSTOM\nA: " + huge[:65536-len("Event-Name: CUSTOM\nA: \nB: b\n")] + "\nB: b\n",
	} {
		checkLazyMatchesEager(t, []byte(b))
		e, err := parsePlainLazy([]byte(b))
		if err != nil || (len(b) > 65535) != (e.lazy.long != nil) {
			t.Errorf("%d-byte body: 32-bit index %v, error %v", len(b), e != nil && e.lazy.long != nil, err)
		}
	}
}

func FuzzLazyEvent(f *testing.F) {
	for _, c := range captures {
		for _, fr := range captureFrames(f, c.name) {
			if fr.ContentType() == TypeEventPlain {
				f.Add(fr.Body)
			}
		}
	}
	for _, b := range lazyEdgeBodies {
		f.Add([]byte(b))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		checkLazyMatchesEager(t, body)
	})
}

// TestLazyEventAllocations: reading a real completion lazily and asking it
// what a session asks costs one allocation (the event with its index);
// the eager parse costs three, one of them a 48-byte header per header.
func TestLazyEventAllocations(t *testing.T) {
	f := captureFrames(t, "menu-call")
	var body []byte
	for _, fr := range f {
		if fr.ContentType() == TypeEventPlain && bytes.Contains(fr.Body, []byte("CHANNEL_EXECUTE_COMPLETE")) {
			body = fr.Body
		}
	}
	if body == nil {
		t.Fatal("no completion in menu-call")
	}
	n := testing.AllocsPerRun(100, func() {
		e, err := parsePlainLazy(body)
		if err != nil || e.Name() != EventChannelExecuteComplete || e.AppUUID() == "" {
			t.Fatalf("lazy parse: %v", err)
		}
	})
	if n != 1 {
		t.Errorf("lazy parse and two lookups allocate %v times, want 1", n)
	}
}
