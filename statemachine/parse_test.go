package statemachine

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// src joins lines with "\n", so a case's line numbers can be read off it:
// the first argument is line 1.
func src(lines ...string) string { return strings.Join(lines, "\n") + "\n" }

// mustParse parses a flow that must be valid.
func mustParse(t *testing.T, text string) *Flow {
	t.Helper()
	f, err := Parse("t.yaml", []byte(text))
	if err != nil {
		t.Fatalf("Parse = %v, want no error", err)
	}
	return f
}

func TestExampleFlows(t *testing.T) {
	paths, err := filepath.Glob("../examples/flows/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	// The flows' scenario files (callhook test's) sit beside them.
	paths = slices.DeleteFunc(paths, func(p string) bool { return strings.HasSuffix(p, ".scenario.yaml") })
	if len(paths) < 3 {
		t.Fatalf("found %d example flows, want at least 3", len(paths))
	}
	for _, p := range paths {
		t.Run(filepath.Base(p), func(t *testing.T) {
			f, err := ParseFile(p)
			if err != nil {
				t.Fatalf("ParseFile(%q) = %v", p, err)
			}
			if f.State(f.Start) == nil {
				t.Errorf("ParseFile(%q): start %q is not a state", p, f.Start)
			}
		})
	}
}

func TestParseFileMissing(t *testing.T) {
	_, err := ParseFile(filepath.Join(t.TempDir(), "none.yaml"))
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("ParseFile(missing) = %v, want an error wrapping os.ErrNotExist", err)
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want []string
	}{
		{"yaml syntax", src(
			"start: a",
			"states:",
			"  a: [",
		), []string{"t.yaml:3:6: did not find expected node content"}},
		// yaml.v3 puts this one on line 1 (where the states mapping began).
		{"yaml indentation", src(
			"start: a",
			"states:",
			"  a:",
			"    verbs: [hangup]",
			"   next: a",
		), []string{"t.yaml:5:4: did not find expected key"}},
		{"empty", "", []string{"t.yaml:1: empty flow: want name, start and states"}},
		{"not a map", src("- a"), []string{"t.yaml:1: the flow must be a map of name, start, states, ..."}},
		{"no states, no start", src("name: x"), []string{"t.yaml:1: the flow has no states:"}},
		{"no start", src(
			"states:",
			"  a: {hangup: true}",
		), []string{"t.yaml:1: the flow has no start: state"}},
		{"unknown start", src(
			"start: b",
			"states:",
			"  a: {hangup: true}",
		), []string{"t.yaml:1: start state \"b\" is not defined"}},
		{"unknown top-level key", src(
			"start: a",
			"stats: {}",
			"states:",
			"  a: {hangup: true}",
		), []string{`t.yaml:2: unknown key "stats" in the flow (want name, description, start, vars, timezone, allow_execute, allow_vars, allow_endpoints, allow_dialplans, states) (did you mean "states"?)`}},
		{"unknown target", src(
			"start: a",
			"states:",
			"  a:",
			"    verbs: [answer]",
			"    next: nowhere",
		), []string{`t.yaml:5: unknown state "nowhere"`}},
		{"unreachable", src(
			"start: a",
			"states:",
			"  a: {hangup: true}",
			"  b: {hangup: true}",
		), []string{`t.yaml:4: state "b" is unreachable from start state "a"`}},
		{"no way out", src(
			"start: a",
			"states:",
			"  a:",
			"    verbs: [answer]",
		), []string{`t.yaml:3: state "a" has no way out: add transitions (on:, next:, when:), hangup: true, or end its verbs with hangup`}},
		{"only a hangup route is no way out", src(
			"start: a",
			"states:",
			"  a:",
			"    verbs: [answer]",
			"    on: {hangup: b}",
			"  b: {next: a}",
		), []string{`t.yaml:3: state "a" has no way out: add transitions (on:, next:, when:), hangup: true, or end its verbs with hangup`}},
		{"empty state", src(
			"start: a",
			"states:",
			"  a:",
		), []string{`t.yaml:3: state "a" is empty: give it verbs and transitions, or hangup: true`}},
		{"unknown state key", src(
			"start: a",
			"states:",
			"  a:",
			"    hangup: true",
			"    nxt: a",
		), []string{`t.yaml:5: unknown key "nxt" in state "a" (want verbs, on, next, tries, max_tries, when, else, set, handoff, hangup, fetch, switch) (did you mean "next"?)`}},
		{"duplicate state", src(
			"start: a",
			"states:",
			"  a: {hangup: true}",
			"  a: {hangup: true}",
		), []string{`t.yaml:4: duplicate key "a" (first at line 3)`}},
		{"duplicate key in a state", src(
			"start: a",
			"states:",
			"  a:",
			"    verbs: [answer]",
			"    next: a",
			"    next: a",
		), []string{`t.yaml:6: duplicate key "next" (first at line 5)`}},
		{"next twice", src(
			"start: a",
			"states:",
			"  a:",
			"    verbs: [answer]",
			"    on: {default: a}",
			"    next: a",
		), []string{`t.yaml:6: state "a": next is given twice (here and in on:)`}},
		{"timeout and noinput", src(
			"start: a",
			"states:",
			"  a:",
			"    verbs: [gather: x.wav]",
			"    on: {timeout: a, noinput: a, invalid: a, ok: a}",
		), []string{`t.yaml:5: state "a": on: timeout is given twice (timeout/noinput and default/next are the same)`}},
		{"action in a flow verb", src(
			"start: a",
			"states:",
			"  a:",
			"    verbs:",
			"      - gather: {play: x.wav, action: /menu}",
			"    hangup: true",
		), []string{`t.yaml:5: state "a": gather: action is not used in flows (on:, next: and when: say where the call goes)`}},
		{"redirect in a flow", src(
			"start: a",
			"states:",
			"  a:",
			"    verbs: [redirect: http://x]",
			"    next: a",
		), []string{`t.yaml:4: state "a": redirect is not available in flows (hand the call to a webhook app with handoff:)`}},
		{"hangup not last", src(
			"start: a",
			"states:",
			"  a:",
			"    verbs: [hangup, answer]",
			"    next: a",
		), []string{`t.yaml:4: state "a": hangup must be the last verb (the verbs after it would never run)`}},
		{"hangup verb and hangup key", src(
			"start: a",
			"states:",
			"  a:",
			"    verbs: [answer, hangup]",
			"    hangup: true",
		), []string{`t.yaml:5: state "a" already ends with a hangup verb`}},
		{"bad hangup", src(
			"start: a",
			"states:",
			"  a:",
			"    verbs: [answer]",
			"    hangup: soon",
		), []string{
			`t.yaml:3: state "a" has no way out: add transitions (on:, next:, when:), hangup: true, or end its verbs with hangup`,
			`t.yaml:5: hangup must be true or a hangup cause such as NORMAL_CLEARING, not "soon"`,
		}},
		{"hangup state with transitions", src(
			"start: a",
			"states:",
			"  a:",
			"    hangup: true",
			"    next: a",
		), []string{`t.yaml:5: state "a": the state ends the call, so it cannot have next (only on: {hangup: STATE})`}},
		{"undeclared flow variable", src(
			"start: a",
			"states:",
			"  a:",
			"    verbs:",
			"      - play: \"{{flow.nope}}.wav\"",
			"    hangup: true",
		), []string{`t.yaml:5: flow variable "nope" is not declared in vars: nor set anywhere (set:, fetch save:)`}},
		{"unknown namespace", src(
			"start: a",
			"states:",
			"  a:",
			"    verbs: [play: \"{{foo.bar}}\"]",
			"    hangup: true",
		), []string{`t.yaml:4: state "a": unknown namespace "foo" in "foo.bar": want call, vars, flow, recording or digits`}},
		{"unknown call field", src(
			"start: a",
			"states:",
			"  a:",
			"    verbs: [play: \"{{ call.nope }}\"]",
			"    hangup: true",
		), []string{`t.yaml:4: state "a": unknown call field "nope" (want one of id, app, from, from_name, to, direction, channel)`}},
		{"unclosed template", src(
			"start: a",
			"states:",
			"  a:",
			"    verbs: [log: \"{{digits\"]",
			"    hangup: true",
		), []string{`t.yaml:4: state "a": unclosed {{ in "{{digits"`}},
		{"digits need gather", src(
			"start: a",
			"states:",
			"  a:",
			"    verbs: [answer]",
			"    on: {digits: {\"1\": a}, ok: a}",
		), []string{`t.yaml:5: state "a": on.digits needs a gather as the state's last verb`}},
		{"bad digit pattern", src(
			"start: a",
			"states:",
			"  a:",
			"    verbs: [gather: x.wav]",
			"    on:",
			"      digits: {'/[/': a, x1: a, \"1\": a, [1]: a}",
			"    next: a",
		), []string{
			"t.yaml:6: state \"a\": on.digits: bad pattern /[/: error parsing regexp: missing closing ]: `[`",
			`t.yaml:6: state "a": on.digits: "x1" is not digits (0-9, *, #, A-D), a list [1, 2] or a pattern /.../`,
			`t.yaml:6: state "a": on.digits: "1" is routed twice (first at line 6)`,
		}},
		{"same digits twice", src(
			"start: a",
			"states:",
			"  a:",
			"    verbs: [gather: x.wav]",
			"    on:",
			"      digits:",
			"        1: a",
			"        \"1\": a",
			"        [2, 1]: a",
			"    next: a",
		), []string{
			`t.yaml:8: duplicate key "1" (first at line 7)`,
			`t.yaml:9: state "a": on.digits: "1" is routed twice (first at line 7)`,
		}},
		{"tries without max_tries", src(
			"start: a",
			"states:",
			"  a:",
			"    verbs: [gather: x.wav]",
			"    tries: 3",
			"    next: a",
		), []string{`t.yaml:5: state "a": tries without max_tries (the state to go to once they run out)`}},
		{"max_tries without tries", src(
			"start: a",
			"states:",
			"  a:",
			"    verbs: [gather: x.wav]",
			"    max_tries: a",
			"    next: a",
		), []string{`t.yaml:5: state "a": max_tries without tries`}},
		{"bad tries", src(
			"start: a",
			"states:",
			"  a:",
			"    verbs: [gather: x.wav]",
			"    tries: 0",
			"    max_tries: a",
			"    next: a",
		), []string{`t.yaml:5: tries must be a whole number of at least 1, not "0"`}},
		{"bad time conditions", src(
			"start: a",
			"timezone: Mars/Olympus",
			"states:",
			"  a:",
			"    when:",
			"      - weekdays: [mon, funday]",
			"        time: 25:00-26:00",
			"        goto: a",
			"      - time: 09:00-09:00",
			"        timezone: Europe/London",
			"        goto: a",
			"    else: a",
		), []string{
			`t.yaml:2: unknown timezone "Mars/Olympus" (want an IANA name such as Europe/London)`,
			`t.yaml:6: state "a": when: unknown weekday "funday" (want mon, tue, wed, thu, fri, sat, sun or a range mon-fri)`,
			`t.yaml:6: state "a": when: a time condition needs a timezone (here or the flow's timezone:): the server's clock zone is rarely the business's`,
			`t.yaml:7: state "a": when: bad time range "25:00-26:00": "25:00" is not a time of day`,
			`t.yaml:9: state "a": when: bad time range "09:00-09:00": empty (leave time: out for all day)`,
		}},
		{"bad var conditions", src(
			"start: a",
			"states:",
			"  a:",
			"    when:",
			"      - var: flow.x",
			"        matches: '('",
			"        goto: a",
			"      - equals: 1",
			"        goto: a",
			"      - var: sip.x",
			"        equals: 1",
			"      - var: digits",
			"        goto: a",
			"    else: a",
		), []string{
			`t.yaml:5: flow variable "x" is not declared in vars: nor set anywhere (set:, fetch save:)`,
			"t.yaml:6: state \"a\": when: bad pattern \"(\": error parsing regexp: missing closing ): `(`",
			`t.yaml:8: state "a": when: equals without var`,
			`t.yaml:8: state "a": when: a condition needs weekdays, time or var`,
			`t.yaml:10: state "a": when: unknown namespace "sip" in "sip.x": want call, vars, flow, recording or digits`,
			`t.yaml:10: state "a": when: a condition needs goto: (the state it leads to)`,
			`t.yaml:12: state "a": when: var needs equals or matches`,
		}},
		{"else without when", src(
			"start: a",
			"states:",
			"  a:",
			"    verbs: [answer]",
			"    else: a",
		), []string{`t.yaml:5: state "a": else without when`}},
		{"fetch problems", src(
			"start: a",
			"states:",
			"  a:",
			"    fetch: {url: ftp://x, method: PUT, timeout: 2h}",
			"    switch: {field: a..b, cases: {}}",
			"    next: b",
			"  b:",
			"    switch: {field: x, cases: {y: a}}",
			"    next: a",
		), []string{
			`t.yaml:4: state "a": fetch: url must start with http:// or https://`,
			`t.yaml:4: state "a": fetch: method must be GET or POST, not "PUT"`,
			`t.yaml:4: timeout must be a duration such as 5s, above 0 and at most 1m0s, not "2h"`,
			`t.yaml:5: state "a": switch: bad field path "a..b" (want names separated by dots, like account.status)`,
			`t.yaml:8: state "b": switch without fetch (switch branches on a fetched field; use when: for variables)`,
		}},
		{"fetch without error route", src(
			"start: a",
			"states:",
			"  a:",
			"    fetch: {url: \"http://x/{{call.from}}\"}",
			"    on: {ok: b}",
			"  b: {hangup: true}",
		), []string{`t.yaml:4: state "a": a fetch can fail: give it on: {error: STATE} (or next:)`}},
		{"fetch with verbs", src(
			"start: a",
			"states:",
			"  a:",
			"    verbs: [answer]",
			"    fetch: {url: \"http://x/\"}",
			"    next: a",
		), []string{`t.yaml:4: state "a": a fetch state has no verbs (play them in the state before it)`}},
		{"hangup route to a media state", src(
			"start: a",
			"states:",
			"  a:",
			"    verbs: [answer]",
			"    on: {ok: b, hangup: b}",
			"  b: {hangup: true}",
		), []string{`t.yaml:5: state "a": on.hangup goes to "b", which has verbs or a handoff: after a hangup only fetch and routing states run`}},
		{"handoff with transitions", src(
			"start: a",
			"states:",
			"  a:",
			"    handoff: support",
			"    next: a",
		), []string{`t.yaml:5: state "a": a handoff state cannot have next: the call leaves the flow`}},
		{"outcomes not routed", src(
			"start: a",
			"states:",
			"  a:",
			"    verbs: [play: x.wav]",
			"    on: {error: b}",
			"  b:",
			"    verbs: [gather: x.wav]",
			"    on: {digits: {\"1\": c}}",
			"  c:",
			"    when: [{weekdays: mon, timezone: UTC, goto: a}]",
		), []string{
			`t.yaml:3: state "a": nothing routes its success: add on: {ok: STATE}, next:, or else: (when: may match nothing)`,
			`t.yaml:6: state "b": its gather can time out: add on: {timeout: STATE}, tries: or next:`,
			`t.yaml:6: state "b": its gather can get invalid digits: add on: {invalid: STATE}, tries: or next:`,
			`t.yaml:9: state "c": nothing routes its success: add on: {ok: STATE}, next:, or else: (when: may match nothing)`,
		}},
		{"unquoted template", src(
			"start: a",
			"states:",
			"  a:",
			"    verbs:",
			"      - play: {{flow.x}}",
			"    hangup: true",
		), []string{
			`t.yaml:5: a map as a key: a template must be quoted, as in "{{flow.name}}"`,
		}},
		{"unknown verb and option", src(
			"start: a",
			"states:",
			"  a:",
			"    verbs:",
			"      - plya: x.wav",
			"      - play: {file: x.wav, bogus: 1}",
			"    hangup: true",
		), []string{
			`t.yaml:5: unknown verb "plya" (did you mean "play"?)`,
			`t.yaml:6: play: unknown option "bogus" (options: file, loop)`,
		}},
		{"template in an option that is not text", src(
			"start: a",
			"states:",
			"  a:",
			"    verbs:",
			"      - gather: {play: \"{{digits}}.wav\", regex: \"{{digits}}\"}",
			"    hangup: true",
		), []string{`t.yaml:5: state "a": gather: "{{digits}}" is not a text argument, so its template would never be filled in`}},
		{"bad vars and set", src(
			"start: a",
			"vars: {ok: 1, 9bad: x, list: [1]}",
			"states:",
			"  a:",
			"    set: {x-y: 1, z: [1]}",
			"    next: a",
		), []string{
			`t.yaml:2: bad flow variable name "9bad" (want letters, digits and _)`,
			`t.yaml:2: flow variable "list" must have a plain value`,
			`t.yaml:5: state "a": set: bad flow variable name "x-y" (want letters, digits and _)`,
			`t.yaml:5: state "a": set: z must be a plain value or a template such as "{{digits}}"`,
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, err := Parse("t.yaml", []byte(tc.src))
			if f != nil {
				t.Errorf("Parse returned a flow with errors %v", err)
			}
			var got []string
			for _, e := range Errors(err) {
				got = append(got, e.Error())
			}
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("Parse(%q) errors =\n%s\nwant\n%s", tc.name, strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
			if err != nil && err.Error() != strings.Join(got, "\n") {
				t.Errorf("Parse(%q).Error() = %q, want the errors joined by newlines", tc.name, err.Error())
			}
		})
	}
}

func TestParseAccepts(t *testing.T) {
	f := mustParse(t, src(
		"start: menu",
		"vars: {lang: en, empty: ~}",
		"timezone: America/New_York",
		"states:",
		"  menu:",
		"    verbs:",
		"      - gather: {play: \"{{ flow.lang }}/menu.wav\", max: 2}",
		"    on:",
		"      digits: {\"1\": a, [2, \"3\"]: a, '/^9\\d$/': a, \"#\": a}",
		"      noinput: a",
		"      default: a",
		"  a:",
		"    when:",
		"      - {weekdays: sat-sun, goto: b}",
		"      - {var: vars.sip_user_agent, matches: ^Polycom, goto: b}",
		"    else: b",
		"  b:",
		"    verbs: [play: \"{{vars.greeting}}\"]",
		"    hangup: NORMAL_CLEARING",
	))
	if got, want := strings.Join(f.ChannelVars(), ","), "sip_user_agent,greeting"; got != want {
		t.Errorf("ChannelVars() = %q, want %q", got, want)
	}
	if f.Name != "t" {
		t.Errorf("Name = %q, want the file name without extension, %q", f.Name, "t")
	}
	var labels []string
	for _, e := range f.State("menu").edges(false) {
		labels = append(labels, e.label)
	}
	if got, want := strings.Join(labels, "|"), `1|2, 3|/^9\d$/|#|timeout|next`; got != want {
		t.Errorf("menu edges = %q, want %q", got, want)
	}
	if m := f.InitialMemory(); m.Flow["lang"] != "en" || m.Flow["empty"] != "" || len(m.Flow) != 2 {
		t.Errorf("InitialMemory().Flow = %v, want lang=en and empty=\"\"", m.Flow)
	}
}
