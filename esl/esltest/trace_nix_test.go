package esltest

import (
	"bytes"
	"slices"
	"strings"
	"testing"

	"github.com/callhook/callhook/esl"
)

// TestWithNixEventInsertsAndDrops: in a real trace, WithNixEvent puts the
// nixevent and its +OK events nixed right after the reply to myevents,
// drops every later event of the nixed types and keeps every other entry,
// in order, byte for byte; the trace it was given is left as it was.
func TestWithNixEventInsertsAndDrops(t *testing.T) {
	orig, err := LoadTrace("../testdata/real-traces/menu.txt")
	if err != nil {
		t.Fatal(err)
	}
	before := slices.Clone(orig.Entries)
	got, err := orig.WithNixEvent("CHANNEL_STATE", "DTMF")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.EqualFunc(orig.Entries, before, func(a, b esl.WireFrame) bool { return bytes.Equal(a.Raw, b.Raw) && a.Dir == b.Dir }) {
		t.Fatal("WithNixEvent changed the trace it was given")
	}

	var kept []esl.WireFrame
	dropped, myevents := 0, -1
	for i, e := range orig.Entries {
		if e.Dir == "C>" && strings.HasPrefix(string(e.Raw), "myevents") {
			myevents = i
		}
		if n := eventName(e.Raw); e.Dir == "F>" && (n == "CHANNEL_STATE" || n == "DTMF") && myevents >= 0 {
			dropped++
			continue
		}
		kept = append(kept, e)
	}
	if myevents < 0 || dropped == 0 {
		t.Fatalf("menu.txt: myevents at %d, %d CHANNEL_STATE or DTMF after it: the test tests nothing", myevents, dropped)
	}
	if len(got.Entries) != len(kept)+2 {
		t.Fatalf("%d entries, want %d (the %d kept and the 2 inserted)", len(got.Entries), len(kept)+2, len(kept))
	}
	// The inserted pair comes right after the reply to myevents.
	at := myevents + 2
	if c, r := string(got.Entries[at].Raw), string(got.Entries[at+1].Raw); got.Entries[at].Dir != "C>" || c != "nixevent CHANNEL_STATE DTMF\n\n" ||
		got.Entries[at+1].Dir != "F>" || r != "Content-Type: command/reply\nReply-Text: +OK events nixed\n\n" {
		t.Fatalf("entries %d and %d = %s %q, %s %q; want the nixevent and its reply", at, at+1, got.Entries[at].Dir, c, got.Entries[at+1].Dir, r)
	}
	if !bytes.Contains(got.Entries[at-1].Raw, []byte("+OK Events Enabled")) {
		t.Fatalf("the entry before the nixevent is not myevents' reply:\n%s", got.Entries[at-1].Raw)
	}
	rest := slices.Concat(got.Entries[:at], got.Entries[at+2:])
	for i := range rest {
		if rest[i].Dir != kept[i].Dir || !bytes.Equal(rest[i].Raw, kept[i].Raw) {
			t.Fatalf("entry %d differs from the trace's:\n%s\nwant\n%s", i, rest[i].Raw, kept[i].Raw)
		}
	}
	cmds, err := got.Commands()
	if err != nil || !slices.ContainsFunc(cmds, func(c esl.Command) bool { return c.Line == "nixevent CHANNEL_STATE DTMF" }) {
		t.Fatalf("Commands() = %v, %v: no nixevent", cmds, err)
	}
}

// TestWithNixEventRefuses: no names, names not written as the daemon
// writes them, and a trace without myevents are errors.
func TestWithNixEventRefuses(t *testing.T) {
	tr, err := LoadTrace("../testdata/real-traces/menu.txt")
	if err != nil {
		t.Fatal(err)
	}
	for _, names := range [][]string{nil, {"channel_state"}, {"CHANNEL_STATE DTMF"}, {""}} {
		if _, err := tr.WithNixEvent(names...); err == nil {
			t.Errorf("WithNixEvent(%q) = nil error", names)
		}
	}
	noMyevents := &Trace{Name: "x", Entries: tr.Entries[:1]}
	if _, err := noMyevents.WithNixEvent("DTMF"); err == nil || !strings.Contains(err.Error(), "myevents") {
		t.Errorf("WithNixEvent on a trace without myevents = %v, want an error naming myevents", err)
	}
}
