package main

import (
	"encoding/xml"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The example web apps' shipped scenarios (examples/support.scenario.yaml),
// run by `make test` against each app: the Go one always, in-process; the
// Python and Node ones started by callhook test -start, when their
// interpreter is installed.

const supportScenarios = "../../examples/support.scenario.yaml"

// supportScenarioNames are the shipped scenarios, each reported ok.
var supportScenarioNames = []string{
	"sales, the callee answers",
	"sales busy, back to the menu",
	"a message is recorded",
	"the caller's number, twice, counted in the session",
	"nobody answers the menu",
}

// supportConfig is a config whose support app is the example web app at
// base, wired as the root config.yaml wires it.
func supportConfig(t *testing.T, base string) string {
	t.Helper()
	return writeConfig(t, fmt.Sprintf(`apps:
  support:
    url: %[1]s/ivr
    fallback_url: %[1]s/sorry
    status_url: %[1]s/status
`, base))
}

// checkAllPassed fails the test unless callhook test passed every shipped
// scenario.
func checkAllPassed(t *testing.T, code int, out, errOut string) {
	t.Helper()
	if code != testOK {
		t.Fatalf("callhook test = %d; stdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	for _, name := range supportScenarioNames {
		if !strings.Contains(out, "ok   "+name+" (") {
			t.Errorf("output lacks %q passing:\n%s", name, out)
		}
	}
	if want := fmt.Sprintf("ok: %d scenarios passed", len(supportScenarioNames)); !strings.Contains(out, want) {
		t.Errorf("output lacks %q:\n%s", want, out)
	}
}

func TestExampleScenariosGo(t *testing.T) {
	code, out, errOut := callhookTest(t, "-config", supportConfig(t, goApp(t)), supportScenarios)
	checkAllPassed(t, code, out, errOut)
}

func TestExampleScenariosPython(t *testing.T) {
	testStartedExample(t, "python3", "../../examples/webapp-python/app.py")
}

func TestExampleScenariosNode(t *testing.T) {
	testStartedExample(t, "node", "../../examples/webapp-node/app.js")
}

// testStartedExample runs the shipped scenarios against an example app
// that callhook test starts itself (-start), and checks that the app is
// stopped when the run ends.
func testStartedExample(t *testing.T, interpreter, script string) {
	if _, err := exec.LookPath(interpreter); err != nil {
		t.Skipf("%s is not installed (not on PATH): the scenarios of %s are not run", interpreter, script)
	}
	t.Setenv("CALLHOOK_SECRET", "") // the app must not check signatures the config does not make
	addr := freeAddr(t)
	code, out, errOut := callhookTest(t, "-config", supportConfig(t, "http://"+addr),
		"-start", interpreter+" "+script+" -listen "+addr, supportScenarios)
	checkAllPassed(t, code, out, errOut)
	if c, err := net.Dial("tcp", addr); err == nil {
		c.Close()
		t.Errorf("the app still listens on %s after callhook test returned", addr)
	}
}

// freeAddr returns a loopback address that was free a moment ago.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// An app that exits before it answers fails the run at once (exit status
// 1), with why and the app's output.
func TestTestStartAppExits(t *testing.T) {
	addr := freeAddr(t)
	code, out, errOut := callhookTest(t, "-config", supportConfig(t, "http://"+addr),
		"-start", "echo starting; echo 'no module named ivr' >&2; exit 3", supportScenarios)
	if code != testFailed {
		t.Fatalf("callhook test = %d, want %d; stdout:\n%s\nstderr:\n%s", code, testFailed, out, errOut)
	}
	for _, want := range []string{
		"FAIL: the app did not start: ",
		"the app exited before http://" + addr + "/ivr answered: exit status 3",
		"    starting\n",
		"    no module named ivr\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

// A scenario that fails shows the started app's output after the
// results; a run that passes does not (unless -v).
func TestTestStartOutputOnFailure(t *testing.T) {
	if _, err := exec.LookPath("python3"); err != nil {
		t.Skip("python3 is not installed (not on PATH): the started app of this test is the Python example")
	}
	t.Setenv("CALLHOOK_SECRET", "")
	addr := freeAddr(t)
	failing := writeScenarios(t, "failing.scenario.yaml", `- name: wrong prompt
  app: support
  steps:
    - expect: {verb: play, file: ivr/no-such-prompt.wav}
`)
	junit := filepath.Join(t.TempDir(), "junit.xml")
	code, out, errOut := callhookTest(t, "-config", supportConfig(t, "http://"+addr),
		"-start", "python3 ../../examples/webapp-python/app.py -listen "+addr, "-junit", junit, failing)
	if code != testFailed {
		t.Fatalf("callhook test = %d, want %d; stdout:\n%s\nstderr:\n%s", code, testFailed, out, errOut)
	}
	// The app's own log lines: its banner and a request it served.
	for _, want := range []string{"app output (python3 ", "webapp-python listening on http://" + addr, "/ivr"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	// CI systems show it beside the failure: the suite's system-err.
	data, err := os.ReadFile(junit)
	if err != nil {
		t.Fatal(err)
	}
	var doc junitSuites
	if err := xml.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Suites) != 1 || !strings.Contains(doc.Suites[0].SystemErr, "webapp-python listening on http://"+addr) {
		t.Errorf("JUnit suites = %+v, want the app's output as system-err", doc.Suites)
	}
}

// -start's flags are checked before anything runs.
func TestTestStartUsage(t *testing.T) {
	conf := supportConfig(t, "http://127.0.0.1:1")
	demo, err := filepath.Abs("../../examples/flows/demo.yaml")
	if err != nil {
		t.Fatal(err)
	}
	flow := writeConfig(t, "default_app: demo\napps:\n  demo:\n    flow: "+demo+"\n")
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"ready without start", []string{"-config", conf, "-ready", "http://127.0.0.1:1/", supportScenarios}, "-ready without -start"},
		{"ready not a URL", []string{"-config", conf, "-start", "true", "-ready", "127.0.0.1:1", supportScenarios}, `-ready "127.0.0.1:1": want an http(s) URL`},
		{"nothing to wait for", []string{"-config", flow, "-start", "true", "../../examples/flows/demo.scenario.yaml"}, "give -ready URL"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := callhookTest(t, tc.args...)
			if code != testUsage || !strings.Contains(errOut, tc.want) {
				t.Errorf("callhook test = %d, stderr %q; want %d and %q (stdout %q)", code, errOut, testUsage, tc.want, out)
			}
		})
	}
}

// The Liverpie example app's shipped scenarios, against the app started by
// -start through `go run` (it is a main package: no handler to mount
// in-process), on a free port.
func TestExampleScenariosLiverpie(t *testing.T) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go is not on PATH: the Liverpie example app cannot be built by -start")
	}
	addr := freeAddr(t)
	host, port, _ := net.SplitHostPort(addr)
	yml, err := os.ReadFile("../../examples/liverpie-app/liverpie.yml")
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Replace(string(yml), "ip: 127.0.0.1\n    port: 3002\n", "ip: "+host+"\n    port: "+port+"\n", 1)
	if text == string(yml) {
		t.Fatal("liverpie.yml no longer has the app at 127.0.0.1:3002: update this test")
	}
	lp := filepath.Join(t.TempDir(), "liverpie.yml")
	if err := os.WriteFile(lp, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	// The test's directory has no config.yaml: the liverpie.yml's apps are
	// all there is, as in serve -liverpie-config.
	code, out, errOut := callhookTest(t, "-liverpie-config", lp,
		"-start", goBin+" run ../../examples/liverpie-app -listen "+addr, "../../examples/liverpie-app/liverpie.scenario.yaml")
	if code != testOK {
		t.Fatalf("callhook test = %d; stdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	for _, want := range []string{"ok   presses 2 (", "ok   presses 9, then 1 (", "ok   presses nothing (", "ok: 3 scenarios passed"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if c, err := net.Dial("tcp", addr); err == nil {
		c.Close()
		t.Errorf("the app still listens on %s after callhook test returned", addr)
	}
}

// callhook check accepts the shipped scenario files.
func TestCheckExampleScenarios(t *testing.T) {
	lp := "../../examples/liverpie-app/liverpie.scenario.yaml"
	var out, errOut strings.Builder
	if code := runCheck([]string{supportScenarios, lp}, &out, &errOut); code != 0 {
		t.Fatalf("check = %d\n%s%s", code, &out, &errOut)
	}
	for _, want := range []string{supportScenarios + ": ok (5 scenarios)", lp + ": ok (3 scenarios)"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("check output lacks %q:\n%s", want, &out)
		}
	}
}
