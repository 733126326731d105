package verb

import (
	"fmt"
	"strings"
	"testing"
)

// aliasedSets is a YAML reply of one anchored set of vars variables and
// aliases verbs "- *a" after it.
func aliasedSets(vars, aliases int) string {
	var b strings.Builder
	b.WriteString("- &a {set: {")
	for i := range vars {
		fmt.Fprintf(&b, "v%d: x, ", i)
	}
	b.WriteString("z: x}}\n")
	b.WriteString(strings.Repeat("- *a\n", aliases))
	return b.String()
}

// TestReplyAliasesBounded: aliases may not make a reply read as far more
// than it holds (each "- *a" was the whole anchored set again, past
// max_reply_bytes and max_verbs), while a reply that reuses a node a few
// times is read as before.
func TestReplyAliasesBounded(t *testing.T) {
	reply := aliasedSets(200, 99)
	rep, err := ParseReply([]byte(reply), ParseOptions{MaxVerbs: 100})
	if err == nil {
		n := 0
		for _, v := range rep.Verbs {
			n += len(v.Spec.Execs(PlanContext{}))
		}
		t.Fatalf("a %d-byte reply was accepted as %d verbs running %d executes", len(reply), len(rep.Verbs), n)
	}
	if !strings.Contains(err.Error(), "too many aliases") {
		t.Fatalf("err = %v, want too many aliases", err)
	}
	// The same verbs under verbs:, next to a session.
	inMap := "session: {a: 1}\nverbs:\n  " + strings.ReplaceAll(strings.TrimSuffix(reply, "\n"), "\n", "\n  ")
	if _, err := ParseReply([]byte(inMap), ParseOptions{MaxVerbs: 100}); err == nil || !strings.Contains(err.Error(), "too many aliases") {
		t.Fatalf("under verbs: err = %v, want too many aliases", err)
	}

	rep, err = ParseReply([]byte("- &p {play: ivr/a.wav}\n- *p\n- {set: &s {a: x}}\n- {set: *s}"), ParseOptions{MaxVerbs: 100})
	if err != nil || len(rep.Verbs) != 4 {
		t.Fatalf("a reply reusing nodes: %v, %v; want its 4 verbs", rep, err)
	}
	// An alias inside its own anchor ends the walk.
	if _, err := ParseReply([]byte("- &a [x, *a]"), ParseOptions{}); err == nil {
		t.Fatal("a self-containing alias was accepted")
	}
}
