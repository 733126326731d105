package main

import (
	"encoding/xml"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// callhookTest runs `callhook test args...` in-process.
func callhookTest(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut strings.Builder
	code = runTest(args, &out, &errOut)
	return code, out.String(), errOut.String()
}

// writeScenarios writes a scenario file into a fresh directory.
func writeScenarios(t *testing.T, name, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// The demo flow's shipped scenarios pass, run in parallel, against the
// repository's config.yaml, as the README shows them run.
func TestScenarioExamples(t *testing.T) {
	code, out, errOut := callhookTest(t, "-config", "../../config.yaml", "../../examples/flows/demo.scenario.yaml")
	if code != testOK {
		t.Fatalf("callhook test = %d; stdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	for _, want := range []string{"ok   sales (", "ok   three silences end the call (", "ok   a message is recorded (", "ok: 3 scenarios passed"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

// The README's example scenario file is the shipped one, word for word.
func TestScenarioREADMEExample(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	file, err := os.ReadFile("../../examples/flows/demo.scenario.yaml")
	if err != nil {
		t.Fatal(err)
	}
	_, body, ok := strings.Cut(string(file), "scenarios:\n")
	if !ok || !strings.Contains(string(readme), "scenarios:\n"+body) {
		t.Errorf("README.md does not show examples/flows/demo.scenario.yaml's scenarios as they are")
	}
}

const failingDemo = `- name: sales by mistake
  app: demo
  steps:
    - press: "1"
    - expect: {verb: play, file: ivr/ivr-wrong.wav}
    - hangup
- name: passes
  app: demo
  steps:
    - press: "2"
    - hangup
`

// A scenario that fails says which step did not happen (file:line), what
// it expected beside the events of that kind that came instead, and
// shows the call's transcript; the exit status is 1; the other scenario
// of the file passes.
func TestScenarioFailureOutput(t *testing.T) {
	file := writeScenarios(t, "demo.scenario.yaml", failingDemo)
	code, out, _ := callhookTest(t, "-config", demoConfig(t), file)
	if code != testFailed {
		t.Fatalf("callhook test = %d, want %d; stdout:\n%s", code, testFailed, out)
	}
	for _, want := range []string{
		"FAIL sales by mistake (" + file + ":1)",
		"  step 2 (" + file + ":5) did not happen before the call ended\n",
		"    expected: {verb: play, file: ivr/ivr-wrong.wav}\n",
		"    after step 1, what happened:\n      result gather: ok: digits 1\n",
		"    ~ verb play ivr/ivr-one_moment_please.wav\n        has {file: ivr/ivr-one_moment_please.wav, verb: play}\n",
		"  transcript:\n    call ",
		"         caller presses 1\n",
		"ok   passes (" + file + ":7)",
		"FAIL: 1 of 2 scenarios failed",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

// -junit writes a JUnit XML file: a suite per file, a case per scenario,
// the failure's first line as its message and the whole as its text.
func TestScenarioJUnit(t *testing.T) {
	file := writeScenarios(t, "demo.scenario.yaml", failingDemo)
	junit := filepath.Join(t.TempDir(), "junit.xml")
	if code, out, _ := callhookTest(t, "-config", demoConfig(t), "-junit", junit, file); code != testFailed {
		t.Fatalf("callhook test = %d, want %d; stdout:\n%s", code, testFailed, out)
	}
	data, err := os.ReadFile(junit)
	if err != nil {
		t.Fatal(err)
	}
	var doc junitSuites
	if err := xml.Unmarshal(data, &doc); err != nil {
		t.Fatalf("junit.xml does not parse: %v\n%s", err, data)
	}
	if doc.Tests != 2 || doc.Failures != 1 || len(doc.Suites) != 1 || len(doc.Suites[0].Cases) != 2 {
		t.Fatalf("junit = %d tests, %d failures, %d suites; want 2, 1, 1 suite of 2 cases:\n%s", doc.Tests, doc.Failures, len(doc.Suites), data)
	}
	s := doc.Suites[0]
	if s.Name != file || s.Failures != 1 {
		t.Errorf("suite %q with %d failures, want %q with 1", s.Name, s.Failures, file)
	}
	bad, good := s.Cases[0], s.Cases[1]
	if bad.Name != "sales by mistake" || bad.Failure == nil || !strings.HasPrefix(bad.Failure.Message, "step 2 (") ||
		!strings.Contains(bad.Failure.Text, "expected: {verb: play, file: ivr/ivr-wrong.wav}") {
		t.Errorf("failed case = %+v", bad)
	}
	if good.Name != "passes" || good.Failure != nil || !strings.Contains(good.SystemOut, "caller presses 2") {
		t.Errorf("passing case = %+v", good)
	}
}

// A stuck app (it never answers call.start) fails its scenario at the
// scenario's timeout instead of hanging the run.
func TestScenarioTimeout(t *testing.T) {
	release := make(chan struct{})
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release: // the test is over
		}
	}))
	t.Cleanup(app.Close)
	t.Cleanup(func() { close(release) })
	cfg := webhookConfig(t, app.URL, "    timeout: 5m\n")
	file := writeScenarios(t, "stuck.scenario.yaml", `- name: stuck
  app: ivr
  timeout: 500ms
  steps:
    - expect: {verb: answer}
`)
	code, out, errOut := callhookTest(t, "-config", cfg, file)
	if code != testFailed {
		t.Fatalf("callhook test = %d, want %d; stdout:\n%s\nstderr:\n%s", code, testFailed, out, errOut)
	}
	for _, want := range []string{
		"step 1 (" + file + ":5) did not happen within the scenario's timeout (500ms)",
		"expected: {verb: answer}",
		"-> call.start " + app.URL + "/ivr",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

// A webhook app (the Go example, in-process): requests are matched on
// the JSON the app received, a bridge target's outcome comes from the
// scenario.
func TestScenarioWebhookApp(t *testing.T) {
	cfg := webhookConfig(t, goApp(t), "")
	file := writeScenarios(t, "webapp.scenario.yaml", `scenarios:
  - name: sales line busy
    app: ivr
    from: "2000"
    bridge: {user/1000: busy}
    steps:
      - expect: {request: {event: call.start, call: {from: "2000"}}}
      - expect: {verb: gather, max: 1}
      - press: "1"
      - expect: {request: {event: verb.result, result: {digits: "1"}}}
      - expect: {verb: bridge, to: user/1000}
      - expect: {result: {verb: bridge, bridge: {status: BUSY}}}
      - expect: {end: {outcome: hangup}}
`)
	code, out, errOut := callhookTest(t, "-config", cfg, "-v", file)
	if code != testOK {
		t.Fatalf("callhook test = %d; stdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	if !strings.Contains(out, "ok   sales line busy") {
		t.Errorf("output:\n%s", out)
	}
}

// A Liverpie app: the caller answers at its prompts, and the
// applications FreeSWITCH runs are events (app).
func TestScenarioLiverpieApp(t *testing.T) {
	app := newMenuLiverpieApp(t)
	lp := flatLiverpieYML(t, t.TempDir(), app.URL)
	file := writeScenarios(t, "liverpie.scenario.yaml", `- name: menu
  steps:
    - expect: {app: playback, arg: ivr/ivr-please_choose_from_the_following.wav}
    - press: "2"
    - expect: {request: {event: dtmf}}
    - expect: {app: playback, arg: digits/2.wav}
`)
	// No config.yaml: the liverpie.yml's app takes every call, as serve
	// -liverpie-config runs it.
	t.Chdir(t.TempDir())
	code, out, errOut := callhookTest(t, "-liverpie-config", lp, file)
	if code != testOK {
		t.Fatalf("callhook test = %d; stdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
}

// Bad files, flags and configs are exit status 2, with file:line errors.
func TestScenarioUsage(t *testing.T) {
	bad := writeScenarios(t, "bad.scenario.yaml", "- name: x\n  step:\n    - press: 1\n")
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"no files", nil, "no scenario files"},
		{"unknown app", []string{"-config", "../../config.yaml", writeScenarios(t, "a.scenario.yaml", "- name: x\n  app: dmeo\n  steps: [hangup]\n")},
			`a.scenario.yaml:1: app "dmeo": ../../config.yaml has no such app (did you mean "demo"?)`},
		{"bad file", []string{"-config", "../../config.yaml", bad}, bad + `:2: unknown key "step" (did you mean "steps"?)`},
		{"bad -run", []string{"-config", "../../config.yaml", "-run", "(", bad}, "-run:"},
		{"no match", []string{"-config", "../../config.yaml", "-run", "nothing", "../../examples/flows/demo.scenario.yaml"}, "no scenario matches"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, errOut := callhookTest(t, tc.args...)
			if code != testUsage || !strings.Contains(errOut, tc.want) {
				t.Errorf("callhook test = %d, stderr %q; want %d and %q", code, errOut, testUsage, tc.want)
			}
		})
	}
}

// check tells scenario files from flows (by name or shape) and reports
// their problems as file:line errors, with did-you-mean.
func TestCheckScenarioFiles(t *testing.T) {
	bad := writeScenarios(t, "menu_test.yaml", `- name: a
  app: demo
  timout: 5s
  steps:
    - pres: "1"
    - press: "1 2"
    - expect: {verb: play, end: {}}
    - expect: {ends: {outcome: hangup}}
    - expect: play
    - silense
- name: a
  steps: []
`)
	var out, errOut strings.Builder
	if code := runCheck([]string{bad}, &out, &errOut); code != 1 {
		t.Fatalf("check = %d, want 1; stdout %q", code, out.String())
	}
	for _, want := range []string{
		bad + `:3: unknown key "timout" (did you mean "timeout"?)`,
		bad + `:5: unknown step "pres" (did you mean "press"?)`,
		bad + `:6: press: "1 2" is not a DTMF key sequence`,
		bad + `:8: expect: unknown event "ends" (did you mean "end"?)`,
		bad + `:9: expect: want a mapping`,
		bad + `:10: unknown step "silense" (did you mean "silence"?)`,
		bad + `:11: scenario "a" again (first at line 1)`,
		bad + `:11: scenario "a" has no steps`,
	} {
		if !strings.Contains(errOut.String(), want) {
			t.Errorf("check output lacks %q:\n%s", want, errOut.String())
		}
	}
	// One mistake is reported once: a scenario whose only step is
	// misspelt has that step reported, not also "no steps".
	one := writeScenarios(t, "one_test.yaml", "- name: x\n  steps: [bogus]\n")
	errOut.Reset()
	if code := runCheck([]string{one}, &out, &errOut); code != 1 || strings.Contains(errOut.String(), "has no steps") {
		t.Errorf("check of a scenario whose one step is misspelt = %d, want 1 and only that step reported:\n%s", code, errOut.String())
	}
	// A list at the top, or scenarios:, makes a file a scenario file
	// whatever its name; the shipped one is fine; a flow is still a flow.
	shaped := writeScenarios(t, "calls.yaml", "scenarios:\n  - name: x\n    steps: [hangup]\n")
	out.Reset()
	errOut.Reset()
	if code := runCheck([]string{shaped, "../../examples/flows/demo.scenario.yaml", "../../examples/flows/demo.yaml"}, &out, &errOut); code != 0 {
		t.Fatalf("check = %d; stderr:\n%s", code, errOut.String())
	}
	for _, want := range []string{shaped + ": ok (1 scenario)", "demo.scenario.yaml: ok (3 scenarios)", "demo.yaml: ok\n"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("check output lacks %q:\n%s", want, out.String())
		}
	}
}

// Partial matching: only the keys a step names count; numbers match
// text; a list option matches as simulate shows it.
func TestMatchValue(t *testing.T) {
	got := map[string]any{"verb": "gather", "max": float64(1), "to": []any{"user/1", "user/2"},
		"result": map[string]any{"digits": "1", "reason": "ok"}}
	for _, tc := range []struct {
		want map[string]any
		ok   bool
	}{
		{map[string]any{"verb": "gather"}, true},
		{map[string]any{"max": 1}, true},
		{map[string]any{"max": "1"}, true},
		{map[string]any{"max": 2}, false},
		{map[string]any{"to": "user/1,user/2"}, true},
		{map[string]any{"to": []any{"user/1", "user/2"}}, true},
		{map[string]any{"to": "user/1"}, false},
		{map[string]any{"result": map[string]any{"digits": 1}}, true},
		{map[string]any{"result": map[string]any{"digits": "2"}}, false},
		{map[string]any{"result": "ok"}, false},
		{map[string]any{"missing": "x"}, false},
		{map[string]any{"missing": nil}, true},
	} {
		if got := matchValue(tc.want, got); got != tc.ok {
			t.Errorf("matchValue(%v) = %v, want %v", tc.want, got, tc.ok)
		}
	}
}

// simulate -save-scenario writes what the call did as a scenario file
// that callhook test passes: verbs, the caller's keys and silences,
// results and the end; a recording's path with the call id is left out.
func TestSimulateSaveScenario(t *testing.T) {
	cfg := demoConfig(t)
	saved := filepath.Join(t.TempDir(), "saved.scenario.yaml")
	if code, out, errOut := simulate(t, "-config", cfg, "-digits", "9 - 3", "-save-scenario", saved); code != simOK {
		t.Fatalf("simulate = %d; stdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	data, err := os.ReadFile(saved)
	if err != nil {
		t.Fatal(err)
	}
	text := string(data)
	for _, want := range []string{
		"      app: demo\n",
		"        - expect: {verb: gather, play: ivr/ivr-please_choose_from_the_following.wav}\n        - press: \"9\"\n        - expect: {result: {verb: gather, reason: ok, digits: \"9\"}}\n",
		"        - silence\n        - expect: {result: {verb: gather, reason: timeout}}\n",
		"        - expect: {verb: record}\n        - speak: 3s\n",
		"        - expect: {end: {outcome: hangup, cause: NORMAL_CLEARING}}\n",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("saved scenario lacks %q:\n%s", want, text)
		}
	}
	if code, out, errOut := callhookTest(t, "-config", cfg, saved); code != testOK {
		t.Errorf("callhook test on the saved scenario = %d; stdout:\n%s\nstderr:\n%s\nfile:\n%s", code, out, errOut, text)
	}
	if code, _, errOut := simulate(t, "-addr", "127.0.0.1:1", "-save-scenario", saved); code != simUsage || !strings.Contains(errOut, "-save-scenario") {
		t.Errorf("simulate -addr -save-scenario = %d, %q; want %d", code, errOut, simUsage)
	}
}
