package suggest

import (
	"strings"
	"testing"
)

func TestClosest(t *testing.T) {
	states := []string{"welcome", "menu", "sales", "support", "goodbye", "invalid"}
	for _, tc := range []struct {
		word       string
		candidates []string
		want       string
	}{
		{"mnu", states, "menu"},        // a deletion
		{"welcom", states, "welcome"},  // a deletion in a longer name
		{"suport", states, "support"},  // a deletion
		{"goodbey", states, "goodbye"}, // a transposition counts once
		{"Menu", states, "menu"},       // case only
		{"billing", states, ""},        // nothing near
		{"x", states, ""},              // too short to guess
		{"b", []string{"a", "c"}, ""},  // one letter: any other is one edit away
		{"menu", states, ""},           // exists: nothing to suggest
		{"", states, ""},               // nothing written
		{"plya", []string{"play", "pause", "park"}, "play"},
		{"terminator", []string{"terminators", "timeout"}, "terminators"},
		{"sesion", []string{"verbs", "session"}, "session"},
		{"lisen", []string{"listen", "acl", "admin"}, "listen"},
	} {
		if got := Closest(tc.word, tc.candidates); got != tc.want {
			t.Errorf("Closest(%q, %q) = %q, want %q", tc.word, tc.candidates, got, tc.want)
		}
	}
}

func TestHint(t *testing.T) {
	if got, want := Hint("mnu", []string{"menu"}), ` (did you mean "menu"?)`; got != want {
		t.Errorf("Hint = %q, want %q", got, want)
	}
	if got := Hint("zzz", []string{"menu"}); got != "" {
		t.Errorf("Hint(no match) = %q, want empty", got)
	}
}

func TestDistance(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want int
	}{
		{"", "", 0}, {"a", "", 1}, {"", "ab", 2}, {"kitten", "sitting", 3},
		{"ab", "ba", 1}, {"abc", "acb", 1}, {"café", "cafe", 1},
	} {
		if got := distance(tc.a, tc.b); got != tc.want {
			t.Errorf("distance(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
	}
}

// TestClosestLongWord: a name far longer than every candidate (a hostile
// reply's 1 MiB "verb") is dismissed by its length, without computing an
// edit distance against each candidate (which cost about 300 ms of CPU per
// reply): no allocation at all.
func TestClosestLongWord(t *testing.T) {
	word := strings.Repeat("x", 1<<20)
	names := []string{"play", "gather", "record", "bridge", "transfer", "conference"}
	if got := Closest(word, names); got != "" {
		t.Errorf("Closest(1 MiB word) = %q, want none", got)
	}
	if n := testing.AllocsPerRun(3, func() { Closest(word, names) }); n != 0 {
		t.Errorf("Closest(1 MiB word) allocated %v times, want 0", n)
	}
}
