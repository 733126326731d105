package statemachine

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/callhook/callhook/verb"
)

// texts returns a verb's text arguments, read through Spec.MapText.
func texts(t *testing.T, v verb.Verb) []string {
	t.Helper()
	var out []string
	if _, err := v.Spec.MapText(func(s string) (string, error) {
		out = append(out, s)
		return s, nil
	}); err != nil {
		t.Fatalf("%s: MapText = %v", v.Name, err)
	}
	return out
}

// names lists verb names, with "->ACTION" on a verb that has an action.
func names(vs []verb.Verb) string {
	var out []string
	for _, v := range vs {
		n := v.Name
		if v.Action != "" {
			n += "->" + v.Action
		}
		out = append(out, n)
	}
	return strings.Join(out, ",")
}

var testEnv = Env{
	Now:  time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC), // a Monday
	Call: CallInfo{ID: "uuid-1", App: "demo", From: "+1 555&x=1", To: "7000"},
	Vars: map[string]string{"sip_user_agent": "Polycom/5", "evil": "a\nb", "api": "${system(reboot)}"},
}

func loadDemo(t *testing.T) *Flow {
	t.Helper()
	f, err := ParseFile("../examples/flows/demo.yaml")
	if err != nil {
		t.Fatalf("ParseFile(demo.yaml) = %v", err)
	}
	return f
}

// step is one Step call of a scripted walk and what it must lead to.
type step struct {
	o     Outcome
	state string // the state the call is in after the step
	verbs string // names(Move.Verbs)
	end   bool
}

// walk runs steps from Begin, checking each move, and returns the last.
func walk(t *testing.T, f *Flow, env Env, begin string, steps []step) Move {
	t.Helper()
	mv, err := f.Begin(f.InitialMemory(), env)
	if err != nil {
		t.Fatalf("Begin = %v", err)
	}
	if mv.State != begin {
		t.Fatalf("Begin: state %q, want %q", mv.State, begin)
	}
	for i, s := range steps {
		from := mv.State
		mv, err = f.Step(from, s.o, mv.Mem, env)
		if err != nil {
			t.Fatalf("step %d: Step(%q, %+v) = %v", i, from, s.o, err)
		}
		if mv.State != s.state || names(mv.Verbs) != s.verbs || mv.End != s.end {
			t.Fatalf("step %d: Step(%q, %+v) = state %q verbs %q end %v, want %q %q %v",
				i, from, s.o, mv.State, names(mv.Verbs), mv.End, s.state, s.verbs, s.end)
		}
	}
	return mv
}

func gathered(d string) Outcome { return Outcome{Reason: verb.ReasonOK, Verb: "gather", Digits: d} }

var (
	ok       = Outcome{Reason: verb.ReasonOK, Verb: "play"}
	timedOut = Outcome{Reason: verb.ReasonTimeout, Verb: "gather"}
	invalid  = Outcome{Reason: verb.ReasonInvalid, Verb: "gather"}
	failed   = Outcome{Reason: verb.ReasonError, Verb: "record"}
)

func TestDemoTransitions(t *testing.T) {
	const (
		menu    = "gather->menu"
		goodbye = "play,hangup"
	)
	tests := []struct {
		name  string
		steps []step
	}{
		{"1 sales", []step{
			{ok, "menu", menu, false},
			{gathered("1"), "sales", "play,play,play->sales", false},
			{ok, "menu", menu, false},
		}},
		{"2 support", []step{
			{ok, "menu", menu, false},
			{gathered("2"), "support", "log,play,play->support", false},
		}},
		{"3 record", []step{
			{ok, "menu", menu, false},
			{gathered("3"), "leave_message", "play,record->leave_message", false},
			{Outcome{Reason: verb.ReasonOK, Verb: "record"}, "thanks", "play->thanks", false},
			{ok, "goodbye", goodbye, true},
		}},
		{"record fails", []step{
			{ok, "menu", menu, false},
			{gathered("3"), "leave_message", "play,record->leave_message", false},
			{failed, "goodbye", goodbye, true},
		}},
		{"unrouted digit is invalid", []step{
			{ok, "menu", menu, false},
			{gathered("9"), "invalid", "play->invalid", false},
			{ok, "menu", menu, false},
		}},
		{"timeouts until max tries", []step{
			{ok, "menu", menu, false},
			{timedOut, "menu", menu, false},
			{timedOut, "menu", menu, false},
			{timedOut, "goodbye", goodbye, true},
		}},
		{"invalid and timeout count together", []step{
			{ok, "menu", menu, false},
			{invalid, "invalid", "play->invalid", false},
			{ok, "menu", menu, false},
			{timedOut, "menu", menu, false},
			{gathered("7"), "goodbye", goodbye, true},
		}},
		{"a success resets tries", []step{
			{ok, "menu", menu, false},
			{timedOut, "menu", menu, false},
			{timedOut, "menu", menu, false},
			{gathered("1"), "sales", "play,play,play->sales", false},
			{ok, "menu", menu, false},
			{timedOut, "menu", menu, false},
			{timedOut, "menu", menu, false},
			{timedOut, "goodbye", goodbye, true},
		}},
	}
	f := loadDemo(t)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			walk(t, f, testEnv, "welcome", tc.steps)
		})
	}
}

func TestDemoBeginAndTemplates(t *testing.T) {
	f := loadDemo(t)
	mv, err := f.Begin(f.InitialMemory(), testEnv)
	if err != nil {
		t.Fatalf("Begin = %v", err)
	}
	if got, want := names(mv.Verbs), "answer,play->welcome"; got != want {
		t.Fatalf("Begin verbs = %q, want %q", got, want)
	}
	mv = walk(t, f, testEnv, "welcome", []step{
		{ok, "menu", "gather->menu", false},
		{gathered("2"), "support", "log,play,play->support", false},
	})
	if got, want := texts(t, mv.Verbs[0]), []string{"caller +1 555&x=1 pressed 2: support"}; !reflect.DeepEqual(got, want) {
		t.Errorf("support log text = %q, want %q", got, want)
	}
	if mv.Mem.Flow["last"] != "2" || mv.Mem.Digits != "2" {
		t.Errorf("memory = %+v, want flow.last = 2 and digits 2", mv.Mem)
	}
	// The parsed flow's own verbs keep their templates: calls share it.
	if got := texts(t, f.State("support").Verbs[0]); !strings.Contains(got[0], "{{call.from}}") {
		t.Errorf("flow's verb text = %q after a step, want the template kept", got)
	}
}

func TestStepIsPure(t *testing.T) {
	f := loadDemo(t)
	mem := f.InitialMemory()
	mem.Tries = map[string]int{"menu": 1}
	before := mem.clone()
	if _, err := f.Step("menu", timedOut, mem, testEnv); err != nil {
		t.Fatalf("Step = %v", err)
	}
	if _, err := f.Step("menu", gathered("2"), mem, testEnv); err != nil {
		t.Fatalf("Step = %v", err)
	}
	if !reflect.DeepEqual(mem, before) {
		t.Errorf("Step changed the memory it was given: %+v, want %+v", mem, before)
	}
}

func TestBusinessHours(t *testing.T) {
	f, err := ParseFile("../examples/flows/business-hours.yaml")
	if err != nil {
		t.Fatalf("ParseFile = %v", err)
	}
	london, err := time.LoadLocation("Europe/London")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		now  time.Time
		want string
	}{
		{"monday morning", time.Date(2026, 11, 23, 10, 0, 0, 0, london), "open"},
		{"opening minute", time.Date(2026, 11, 23, 9, 0, 0, 0, london), "open"},
		{"a minute before", time.Date(2026, 11, 23, 8, 59, 59, 0, london), "closed"},
		{"last minute", time.Date(2026, 11, 27, 16, 59, 0, 0, london), "open"},
		{"closing time", time.Date(2026, 11, 27, 17, 0, 0, 0, london), "closed"},
		{"saturday", time.Date(2026, 11, 28, 10, 0, 0, 0, london), "closed"},
		{"sunday", time.Date(2026, 11, 29, 10, 0, 0, 0, london), "closed"},
		{"summer time: 08:30 UTC is 09:30 in London", time.Date(2026, 7, 6, 8, 30, 0, 0, time.UTC), "open"},
		{"summer time: 16:30 UTC is 17:30 in London", time.Date(2026, 7, 6, 16, 30, 0, 0, time.UTC), "closed"},
		{"another zone's clock", time.Date(2026, 11, 23, 5, 0, 0, 0, time.FixedZone("EST", -5*3600)), "open"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			env := testEnv
			env.Now = tc.now
			mv, err := f.Begin(f.InitialMemory(), env)
			if err != nil {
				t.Fatalf("Begin = %v", err)
			}
			if mv.State != tc.want || !reflect.DeepEqual(mv.Path, []string{"route", tc.want}) {
				t.Errorf("Begin at %v = state %q path %v, want %q via route", tc.now, mv.State, mv.Path, tc.want)
			}
		})
	}
}

func TestWhenConditions(t *testing.T) {
	f := mustParse(t, src(
		"start: route",
		"vars: {lang: en}",
		"states:",
		"  route:",
		"    when:",
		"      - {var: flow.lang, equals: fr, goto: french}",
		"      - {var: vars.sip_user_agent, matches: ^Polycom, goto: desk}",
		"      - {var: call.to, equals: '7000', weekdays: [sat, sun], timezone: UTC, goto: weekend}",
		"      - {time: [22:00-06:00], timezone: Asia/Tokyo, goto: night}",
		"    else: day",
		"  french: {hangup: true}",
		"  desk: {hangup: true}",
		"  weekend: {hangup: true}",
		"  night: {hangup: true}",
		"  day: {hangup: true}",
	))
	tests := []struct {
		name string
		lang string
		ua   string
		now  time.Time
		want string
	}{
		{"first match wins", "fr", "Polycom", testEnv.Now, "french"},
		{"matches", "en", "Polycom/5.1", testEnv.Now, "desk"},
		{"weekday and var", "en", "Yealink", time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC), "weekend"},
		{"wraps midnight: late", "en", "", time.Date(2026, 11, 23, 23, 30, 0, 0, time.FixedZone("JST", 9*3600)), "night"},
		{"wraps midnight: early", "en", "", time.Date(2026, 11, 24, 5, 59, 0, 0, time.FixedZone("JST", 9*3600)), "night"},
		{"else", "en", "", time.Date(2026, 11, 24, 6, 0, 0, 0, time.FixedZone("JST", 9*3600)), "day"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			mem := f.InitialMemory()
			mem.Flow["lang"] = tc.lang
			env := Env{Now: tc.now, Call: CallInfo{To: "7000"}, Vars: map[string]string{"sip_user_agent": tc.ua}}
			mv, err := f.Begin(mem, env)
			if err != nil {
				t.Fatalf("Begin = %v", err)
			}
			if mv.State != tc.want || !mv.End {
				t.Errorf("Begin = %q (end %v), want %q (end)", mv.State, mv.End, tc.want)
			}
		})
	}
}

const fetchFlow = `
start: ask
states:
  ask:
    verbs: [gather: {play: "enter.wav", max: 8}]
    set: {account: "{{digits}}"}
    next: lookup
  lookup:
    fetch:
      url: "https://crm.example/accounts/{{flow.account}}?from={{call.from}}"
      timeout: 2s
      save: {name: customer.name, balance: balance, first: items.0, tags: tags}
    switch:
      field: account.status
      cases: {active: active, blocked: blocked}
      default: other
    on: {error: sorry}
  active:
    verbs: [play: "hello {{flow.name}}.wav"]
    hangup: true
  blocked: {hangup: true}
  other: {hangup: true}
  sorry: {hangup: true}
`

func TestFetchTransitions(t *testing.T) {
	f := mustParse(t, fetchFlow)
	mv := walk(t, f, testEnv, "ask", []step{
		{gathered("42 7"), "lookup", "", false},
	})
	want := &Fetch{URL: "https://crm.example/accounts/42%207?from=%2B1%20555%26x%3D1", Method: "GET", Timeout: 2 * time.Second, Retries: 1}
	if !reflect.DeepEqual(mv.Fetch, want) {
		t.Fatalf("Fetch = %+v, want %+v", mv.Fetch, want)
	}
	answer := func(s string) any {
		var v any
		d := json.NewDecoder(strings.NewReader(s))
		d.UseNumber()
		if err := d.Decode(&v); err != nil {
			t.Fatal(err)
		}
		return v
	}
	tests := []struct {
		name  string
		o     Outcome
		want  string
		verbs string
		saved map[string]string
	}{
		{"active", Outcome{Reason: verb.ReasonOK, Data: answer(`{"account":{"status":"active"},"customer":{"name":"Ann"},"balance":12.50,"items":[true],"tags":["a","b"]}`)},
			"active", "play,hangup", map[string]string{"name": "Ann", "balance": "12.50", "first": "true", "tags": `["a","b"]`}},
		{"blocked", Outcome{Reason: verb.ReasonOK, Data: answer(`{"account":{"status":"blocked"}}`)},
			"blocked", "hangup", map[string]string{"name": "", "balance": "", "first": "", "tags": ""}},
		{"unknown status", Outcome{Reason: verb.ReasonOK, Data: answer(`{"account":{"status":"closed"}}`)}, "other", "hangup", nil},
		{"no field", Outcome{Reason: verb.ReasonOK, Data: answer(`[1, 2]`)}, "other", "hangup", nil},
		{"number field", Outcome{Reason: verb.ReasonOK, Data: answer(`{"account":{"status":1}}`)}, "other", "hangup", nil},
		{"error", Outcome{Reason: verb.ReasonError}, "sorry", "hangup", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := f.Step("lookup", tc.o, mv.Mem, testEnv)
			if err != nil {
				t.Fatalf("Step = %v", err)
			}
			if got.State != tc.want || names(got.Verbs) != tc.verbs || !got.End {
				t.Errorf("Step(lookup, %s) = %q %q end %v, want %q %q end", tc.name, got.State, names(got.Verbs), got.End, tc.want, tc.verbs)
			}
			for k, v := range tc.saved {
				if got.Mem.Flow[k] != v {
					t.Errorf("flow.%s = %q, want %q", k, got.Mem.Flow[k], v)
				}
			}
			if got.Mem.Flow["account"] != "42 7" {
				t.Errorf("flow.account = %q, want it kept", got.Mem.Flow["account"])
			}
		})
	}
	got, err := f.Step("lookup", tests[0].o, mv.Mem, testEnv)
	if err != nil {
		t.Fatal(err)
	}
	if txt := texts(t, got.Verbs[0]); !reflect.DeepEqual(txt, []string{"hello Ann.wav"}) {
		t.Errorf("active play = %q, want the saved name filled in", txt)
	}
}

func TestHangupRoute(t *testing.T) {
	f := mustParse(t, src(
		"start: menu",
		"states:",
		"  menu:",
		"    verbs: [gather: x.wav]",
		"    on: {digits: {\"1\": menu}, hangup: report}",
		"    tries: 2",
		"    max_tries: done",
		"  report:",
		"    fetch: {url: \"http://crm/hangup?id={{call.id}}\", method: post}",
		"    on: {ok: check, error: done}",
		"  check:",
		"    when: [{var: digits, equals: '1', goto: menu}]",
		"    else: done",
		"  done: {hangup: true}",
	))
	mv, err := f.Begin(f.InitialMemory(), testEnv)
	if err != nil {
		t.Fatal(err)
	}
	mv, err = f.Step("menu", Outcome{Reason: verb.ReasonHangup}, mv.Mem, testEnv)
	if err != nil {
		t.Fatalf("Step(menu, hangup) = %v", err)
	}
	if mv.State != "report" || mv.Fetch == nil || mv.Fetch.Method != "POST" || mv.Fetch.URL != "http://crm/hangup?id=uuid-1" || !mv.Mem.HungUp {
		t.Fatalf("Step(menu, hangup) = %+v, want report's POST fetch, hung up", mv)
	}
	for _, tc := range []struct {
		name   string
		digits string
		o      Outcome
		want   string
	}{
		{"through routing to a media state", "1", Outcome{Reason: verb.ReasonOK}, "menu"},
		{"else to an end state", "2", Outcome{Reason: verb.ReasonOK}, "done"},
		{"fetch failed", "1", Outcome{Reason: verb.ReasonError}, "done"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mem := mv.Mem.clone()
			mem.Digits = tc.digits
			got, err := f.Step("report", tc.o, mem, testEnv)
			if err != nil {
				t.Fatalf("Step = %v", err)
			}
			if got.State != tc.want || !got.End || len(got.Verbs) != 0 || got.Fetch != nil {
				t.Errorf("Step(report, %s) = %+v, want end in %q with no verbs", tc.name, got, tc.want)
			}
		})
	}
	// A state without on.hangup ends the flow where it is.
	got, err := f.Step("done", Outcome{Reason: verb.ReasonHangup}, f.InitialMemory(), testEnv)
	if err != nil || got.State != "done" || !got.End || got.Path != nil {
		t.Errorf("Step(done, hangup) = %+v, %v; want the end, in done", got, err)
	}
}

func TestStepErrors(t *testing.T) {
	f := mustParse(t, src(
		"start: a",
		"states:",
		"  a:",
		"    verbs: [play: \"{{vars.evil}}\"]",
		"    on: {error: b, ok: c}",
		"  b:",
		"    verbs: [play: x.wav]",
		"    on: {ok: c}",
		"  c: {next: d}",
		"  d: {next: c}",
	))
	mv, err := f.Begin(f.InitialMemory(), testEnv)
	if err != nil {
		t.Fatalf("Begin = %v", err)
	}
	if mv.State != "b" || !reflect.DeepEqual(mv.Path, []string{"a", "b"}) || names(mv.Verbs) != "play->b" {
		t.Errorf("Begin with a line break in a template = %q via %v, want b via a (on.error)", mv.State, mv.Path)
	}
	// A value that would make FreeSWITCH expand an API call fails the same way.
	f2 := mustParse(t, src(
		"start: a",
		"states:",
		"  a:",
		"    verbs: [log: \"ua {{vars.api}}\"]",
		"    on: {error: b, ok: a}",
		"  b: {hangup: true}",
	))
	if mv2, err := f2.Begin(f2.InitialMemory(), testEnv); err != nil || mv2.State != "b" {
		t.Errorf("Begin with ${ in a template value = %q, %v; want b (on.error)", mv2.State, err)
	}
	if _, err := f.Step("b", failed, mv.Mem, testEnv); !errors.Is(err, ErrNoTransition) {
		t.Errorf("Step(b, error) = %v, want ErrNoTransition", err)
	}
	if _, err := f.Step("b", ok, mv.Mem, testEnv); err == nil || !strings.Contains(err.Error(), "without running a verb") {
		t.Errorf("Step(b, ok) into a loop of routing states = %v, want a loop error", err)
	}
	if _, err := f.Step("nope", ok, mv.Mem, testEnv); err == nil {
		t.Errorf("Step(unknown state) = nil error, want one")
	}
}

func TestMatchDigits(t *testing.T) {
	f := mustParse(t, src(
		"start: m",
		"states:",
		"  m:",
		"    verbs: [gather: x.wav]",
		"    on:",
		"      digits: {'/^5\\d$/': pattern, \"55\": exact, [\"1\", \"2\"]: list, \"*\": star}",
		"      invalid: inv",
		"      timeout: inv",
		"  pattern: {hangup: true}",
		"  exact: {hangup: true}",
		"  list: {hangup: true}",
		"  star: {hangup: true}",
		"  inv: {hangup: true}",
	))
	for _, tc := range []struct{ digits, want string }{
		{"55", "exact"}, {"56", "pattern"}, {"1", "list"}, {"2", "list"}, {"*", "star"}, {"3", "inv"}, {"", "inv"}, {"555", "inv"},
	} {
		t.Run(tc.digits, func(t *testing.T) {
			mv, err := f.Step("m", gathered(tc.digits), f.InitialMemory(), testEnv)
			if err != nil || mv.State != tc.want {
				t.Errorf("Step(m, digits %q) = %q, %v; want %q", tc.digits, mv.State, err, tc.want)
			}
		})
	}
}
