package statemachine

import (
	"strings"
	"testing"
)

// errorLines parses text and returns its errors, one string each.
func errorLines(t *testing.T, text string) []string {
	t.Helper()
	_, err := Parse("t.yaml", []byte(text))
	if err == nil {
		t.Fatal("Parse = nil error, want errors")
	}
	var out []string
	for _, e := range Errors(err) {
		out = append(out, e.Error())
	}
	return out
}

// A menu of four states behind one gather, each leading on to more: the
// shape in which one mistake used to cascade.
func cascadeFlow(menuVerb, target string) string {
	return src(
		"start: welcome",
		"states:",
		"  welcome:",
		"    verbs: [answer]",
		"    next: "+target,
		"  menu:",
		"    verbs:",
		"      - gather:",
		"          "+menuVerb,
		"    on:",
		"      digits: {'1': sales, '2': support, '3': billing}",
		"      timeout: menu",
		"      invalid: menu",
		"  sales: {verbs: [{play: a.wav}], next: thanks}",
		"  support: {verbs: [{play: b.wav}], next: thanks}",
		"  billing: {verbs: [{play: c.wav}], next: thanks}",
		"  thanks: {verbs: [{play: d.wav}], next: bye}",
		"  bye: {verbs: [hangup]}",
	)
}

// One wrong option inside a gather is one error: not also three claims that
// on.digits, on.timeout and on.invalid need a gather (the gather is there).
func TestOneBadGatherOptionIsOneError(t *testing.T) {
	got := errorLines(t, cascadeFlow("{play: menu.wav, terminator: '#'}", "menu"))
	if len(got) != 1 {
		t.Fatalf("errors = %q, want exactly one", got)
	}
	if !strings.Contains(got[0], `t.yaml:9: gather: unknown option "terminator"`) ||
		!strings.HasSuffix(got[0], `(did you mean "terminators"?)`) {
		t.Errorf("error = %q, want the unknown option at line 9 with a suggestion", got[0])
	}
}

// A typo in a state name is one error with a suggestion: not also one
// "unreachable" line for every state behind the misspelled one.
func TestStateTypoIsOneError(t *testing.T) {
	got := errorLines(t, cascadeFlow("{play: menu.wav}", "mneu"))
	want := []string{`t.yaml:5: unknown state "mneu" (did you mean "menu"?)`}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("errors =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// A target like no state at all: reachability cannot be judged, so only
// the unknown target is reported.
func TestUnguessableTargetIsOneError(t *testing.T) {
	got := errorLines(t, cascadeFlow("{play: menu.wav}", "somewhere_else"))
	want := []string{`t.yaml:5: unknown state "somewhere_else"`}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("errors =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// A genuinely unreachable state is still reported when a typo is fixed by
// its suggestion.
func TestUnreachableStillReportedBesideATypo(t *testing.T) {
	text := cascadeFlow("{play: menu.wav}", "mneu") + src("  orphan: {verbs: [hangup]}")
	got := errorLines(t, text)
	want := []string{
		`t.yaml:5: unknown state "mneu" (did you mean "menu"?)`,
		`t.yaml:19: state "orphan" is unreachable from start state "welcome"`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("errors =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// Unknown keys, verbs and the start state suggest what was meant.
func TestDidYouMean(t *testing.T) {
	for _, tc := range []struct{ name, text, want string }{
		{"state key", src("start: a", "states:", "  a:", "    verbs: [hangup]", "    nxet: a"),
			`t.yaml:5: unknown key "nxet" in state "a" (want verbs, on, next, tries, max_tries, when, else, set, handoff, hangup, fetch, switch) (did you mean "next"?)`},
		{"top key", src("start: a", "stats:", "  a: {verbs: [hangup]}"),
			`t.yaml:2: unknown key "stats" in the flow (want name, description, start, vars, timezone, allow_execute, allow_vars, allow_endpoints, allow_dialplans, states) (did you mean "states"?)`},
		{"verb", src("start: a", "states:", "  a: {verbs: [anwser, hangup]}"),
			`t.yaml:3: unknown verb "anwser" (did you mean "answer"?)`},
		{"start", src("start: wlecome", "states:", "  welcome: {verbs: [hangup]}"),
			`t.yaml:1: start state "wlecome" is not defined (did you mean "welcome"?)`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := errorLines(t, tc.text)
			if !strings.Contains(strings.Join(got, "\n"), tc.want) {
				t.Errorf("errors =\n%s\nwant among them\n%s", strings.Join(got, "\n"), tc.want)
			}
		})
	}
}
