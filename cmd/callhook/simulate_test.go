package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/callhook/callhook/examples/webapp-go/ivr"
	"github.com/callhook/callhook/internal/testlog"
	"github.com/callhook/callhook/statemachine"
	"github.com/callhook/callhook/verb"
)

// simulate runs `callhook simulate args...` in-process with stdin that is
// not a terminal, and returns its exit status and output.
func simulate(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = runSimulate(args, strings.NewReader(""), &out, &errOut)
	return code, out.String(), errOut.String()
}

// writeConfig writes a config file into a fresh directory and returns its
// path.
func writeConfig(t *testing.T, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// webhookConfig is a config whose default app is the example web app at
// base, the way the root config.yaml wires it.
func webhookConfig(t *testing.T, base string, extra string) string {
	t.Helper()
	return writeConfig(t, fmt.Sprintf(`default_app: ivr
apps:
  ivr:
    url: %[1]s/ivr
    fallback_url: %[1]s/sorry
    status_url: %[1]s/status
%[2]s`, base, extra))
}

// checkTranscript checks that every wanted piece appears in out, each in a
// line after the previous one's (pieces of one line go in one string), so the order of requests, verbs and
// results (the branch the call took) is checked too.
func checkTranscript(t *testing.T, out string, want []string) {
	t.Helper()
	lines := strings.Split(out, "\n")
	at := 0
	for _, w := range want {
		i := slices.IndexFunc(lines[at:], func(l string) bool { return strings.Contains(l, w) })
		if i < 0 {
			t.Errorf("transcript has no line with %q after line %d; transcript:\n%s", w, at, out)
			return
		}
		at += i + 1
	}
}

// goApp serves the Go example web app in-process.
func goApp(t *testing.T) string {
	t.Helper()
	return goAppSecret(t, "")
}

// goAppSecret serves the Go example web app, checking signatures with
// secret when it is not empty.
func goAppSecret(t *testing.T, secret string) string {
	t.Helper()
	srv := httptest.NewServer(&ivr.App{Secret: secret, Log: log.New(io.Discard, "", 0)})
	t.Cleanup(srv.Close)
	return srv.URL
}

// externalApp runs the Python or Node example web app as a child process
// on a free port and returns its base URL; the test is skipped when the
// interpreter is not installed. Extra arguments go to the app.
func externalApp(t *testing.T, interpreter, script string, args ...string) string {
	t.Helper()
	bin, err := exec.LookPath(interpreter)
	if err != nil {
		t.Skipf("%s is not installed (not on PATH): skipping %s", interpreter, script)
	}
	cmd := exec.CommandContext(t.Context(), bin, append([]string{script, "-listen", "127.0.0.1:0"}, args...)...)
	// The app must not pick up a secret from the test's environment.
	cmd.Env = append(os.Environ(), "CALLHOOK_SECRET=")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var logs testlog.Buffer
	cmd.Stderr = &logs
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s %s: %v", interpreter, script, err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		if t.Failed() {
			t.Logf("%s log:\n%s", script, logs.String())
		}
	})
	first := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(stdout).ReadString('\n')
		first <- line
		io.Copy(io.Discard, stdout)
	}()
	select {
	case line := <-first:
		_, url, ok := strings.Cut(strings.TrimSpace(line), " listening on ")
		if !ok {
			t.Fatalf("%s printed %q, want \"... listening on http://HOST:PORT\"; log:\n%s", script, line, logs.String())
		}
		return url
	case <-time.After(30 * time.Second):
		t.Fatalf("%s did not say where it listens within 30s; log:\n%s", script, logs.String())
	}
	return ""
}

// webappScripts are calls every example web app must answer alike.
var webappScripts = []struct {
	name   string
	digits string // "" places the call without -digits: nobody presses anything
	want   []string
}{
	{"3 says the number, then 1 bridges", "3 1", []string{
		"call ", "-> call.start {url}/ivr", "<- 200", "   answer", "   play ivr/ivr-welcome_to_freeswitch.wav",
		"   gather ivr/ivr-please_choose_from_the_following.wav min=1 max=1 tries=3", "caller presses 3", "= ok: digits 3",
		"-> verb.result {url}/menu", "   say 1000 type=telephone_number", "   gather", "caller presses 1", "= ok: digits 1",
		"-> verb.result {url}/menu", "   bridge user/1000", "= ok: bridge SUCCESS",
		"-> verb.result {url}/bridged", "   play ivr/ivr-thank_you_for_calling.wav",
		"-> call.end {url}/status", "<- 204", "end: hangup, NORMAL_CLEARING",
	}},
	{"2 records a message", "2 #", []string{
		"-> call.start {url}/ivr", "caller presses 2", "-> verb.result {url}/menu",
		"   play voicemail/vm-record_message.wav", "terminators=# -> {url}/recorded",
		"caller speaks for 3s", "= ok: recording /var/lib/freeswitch/recordings/ivr/callhook-",
		"-> verb.result {url}/recorded", "   play ivr/ivr-thank_you_for_calling.wav", "end: hangup, NORMAL_CLEARING",
	}},
	{"nobody presses anything", "", []string{
		"nobody presses anything", "-> call.start {url}/ivr", "   gather", "= timeout",
		"-> verb.result {url}/menu", "   play voicemail/vm-goodbye.wav", "-> call.end {url}/status", "end: hangup, NORMAL_CLEARING",
	}},
	{"- presses nothing at a gather", "-", []string{
		"-> call.start {url}/ivr", "   gather", "= timeout", "   play voicemail/vm-goodbye.wav", "end: hangup",
	}},
}

// exampleApps start each example web app with a secret ("" for none) and
// return its base URL.
var exampleApps = []struct {
	name  string
	start func(t *testing.T, secret string) string
}{
	{"go", goAppSecret},
	{"python", func(t *testing.T, secret string) string {
		return externalApp(t, "python3", filepath.Join("..", "..", "examples", "webapp-python", "app.py"), "-secret", secret)
	}},
	{"node", func(t *testing.T, secret string) string {
		return externalApp(t, "node", filepath.Join("..", "..", "examples", "webapp-node", "app.js"), "-secret", secret)
	}},
}

func TestSimulateWebapps(t *testing.T) {
	for _, app := range exampleApps {
		t.Run(app.name, func(t *testing.T) {
			base := app.start(t, "")
			for _, format := range []string{"json", "form"} {
				cfg := webhookConfig(t, base, "    format: "+format+"\n")
				for _, sc := range webappScripts {
					t.Run(format+"/"+sc.name, func(t *testing.T) {
						args := []string{"-config", cfg}
						if sc.digits != "" {
							args = append(args, "-digits", sc.digits)
						}
						code, out, errOut := simulate(t, args...)
						if code != simOK {
							t.Errorf("simulate %q = exit %d, want %d; stderr:\n%s\nstdout:\n%s", args, code, simOK, errOut, out)
						}
						want := make([]string, len(sc.want))
						for i, w := range sc.want {
							want[i] = strings.ReplaceAll(w, "{url}", base)
						}
						checkTranscript(t, out, want)
					})
				}
			}
		})
	}
}

// TestSimulateSignatures checks each example app's signature check, end
// to end: callhook signs with the app's secret; a wrong one gets 401, so
// the app fails (its fallback, the same app, refuses too) and simulate
// exits 1.
func TestSimulateSignatures(t *testing.T) {
	for _, app := range exampleApps {
		t.Run(app.name, func(t *testing.T) {
			base := app.start(t, "s3cret")
			tests := []struct {
				name   string
				secret string
				code   int
				want   []string
			}{
				{"right secret", "s3cret", simOK, []string{"-> call.start " + base + "/ivr", "<- 200", "   bridge user/1000", "end: hangup, NORMAL_CLEARING"}},
				{"wrong secret", "guess", simFailed, []string{"/ivr: http_401: ", "(fallback)", "its on_failure verbs run", "end: failed"}},
			}
			for _, tc := range tests {
				t.Run(tc.name, func(t *testing.T) {
					cfg := webhookConfig(t, base, "    retries: 0\n    secret: "+tc.secret+"\n")
					code, out, errOut := simulate(t, "-config", cfg, "-digits", "1")
					if code != tc.code {
						t.Errorf("simulate = exit %d, want %d; stderr:\n%s\nstdout:\n%s", code, tc.code, errOut, out)
					}
					checkTranscript(t, out, tc.want)
				})
			}
		})
	}
}

// TestSimulateSession checks the session data the example apps keep: the
// menu visits counted across requests, as their replies show them.
func TestSimulateSession(t *testing.T) {
	base := goApp(t)
	code, out, _ := simulate(t, "-config", webhookConfig(t, base, ""), "-digits", "3 3 1")
	if code != simOK {
		t.Fatalf("simulate = exit %d, want %d; transcript:\n%s", code, simOK, out)
	}
	checkTranscript(t, out, []string{`"menu_visits":1`, `"menu_visits":2`, `"menu_visits":3`, "bridge user/1000"})
}

func TestSimulateFailures(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := "http://" + ln.Addr().String()
	ln.Close()

	broken := http.NewServeMux()
	broken.HandleFunc("/ivr", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "boom", http.StatusInternalServerError)
	})
	broken.HandleFunc("/invalid", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("[{bogus: 1}]"))
	})
	broken.Handle("/", &ivr.App{Log: log.New(io.Discard, "", 0)})
	brokenSrv := httptest.NewServer(broken)
	t.Cleanup(brokenSrv.Close)
	up := brokenSrv.URL

	tests := []struct {
		name   string
		config string
		want   []string
	}{
		{"dead app and fallback: on_failure", fmt.Sprintf(`default_app: ivr
apps:
  ivr:
    url: %[1]s/ivr
    fallback_url: %[1]s/sorry
    retries: 0
    on_failure: [{play: ivr/ivr-call_cannot_be_completed_as_dialed.wav}, {hangup: NORMAL_TEMPORARY_FAILURE}]
`, dead), []string{
			"-> call.start " + dead + "/ivr", "/ivr: connect: ",
			"-> call.start " + dead + "/sorry (fallback)", "<- failed",
			"!! the app failed (see above); its on_failure verbs run",
			"   play ivr/ivr-call_cannot_be_completed_as_dialed.wav",
			"end: failed, NORMAL_TEMPORARY_FAILURE by callhook",
		}},
		{"dead app without fallback: default on_failure", fmt.Sprintf(`default_app: ivr
apps:
  ivr: {url: %s/ivr, retries: 0}
`, dead), []string{
			"<- failed", "!! the app failed (see above); its on_failure verbs run", "end: failed, NORMAL_TEMPORARY_FAILURE",
		}},
		{"5xx: the fallback answers", fmt.Sprintf(`default_app: ivr
apps:
  ivr: {url: %[1]s/ivr, fallback_url: %[1]s/sorry, retries: 0}
`, up), []string{
			"-> call.start " + up + "/ivr", "/ivr: http_500: ",
			"-> call.start " + up + "/sorry (fallback)", "<- 200",
			"!! the app failed (see above); its fallback_url answered",
			"   play ivr/ivr-call_cannot_be_completed_as_dialed.wav", "end: ",
		}},
		{"invalid reply: the fallback answers", fmt.Sprintf(`default_app: ivr
apps:
  ivr: {url: %[1]s/invalid, fallback_url: %[1]s/sorry, retries: 0}
`, up), []string{
			"-> call.start " + up + "/invalid", "/invalid: invalid_reply: ",
			"-> call.start " + up + "/sorry (fallback)", "its fallback_url answered", "end: ",
		}},
		{"no app for the call: refused", fmt.Sprintf(`routes: [{destination: '^5\d{3}$', app: ivr}]
apps:
  ivr: {url: %s/ivr}
`, up), []string{"refused: no_app"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := simulate(t, "-config", writeConfig(t, tc.config))
			if code != simFailed {
				t.Errorf("simulate = exit %d, want %d; stderr:\n%s\nstdout:\n%s", code, simFailed, errOut, out)
			}
			checkTranscript(t, out, tc.want)
		})
	}
}

// exampleFlows are the scripted calls of the example flows this test
// knows; any other flow in examples/flows is called once with nobody
// pressing anything.
var exampleFlows = map[string][]struct {
	digits string
	want   []string
}{
	"demo.yaml": {
		{"1", []string{"   answer", "   gather", "caller presses 1", "= ok: digits 1",
			"   play ivr/ivr-one_moment_please.wav", "   gather", "= timeout", "   play voicemail/vm-goodbye.wav", "end: hangup"}},
		{"3 *", []string{"caller presses 3", "   play voicemail/vm-record_message.wav", "   record callhook-",
			"caller speaks for 3s", "= ok: recording /var/lib/freeswitch/recordings/", "   play ivr/ivr-thank_you_for_calling.wav", "end: hangup"}},
	},
	"handoff.yaml": {
		{"1", []string{"   answer", "   play ivr/ivr-one_moment_please.wav", "-> call.start {url}/ivr",
			"caller presses 1", "-> verb.result {url}/menu", "   bridge user/1000", "end: hangup"}},
	},
}

func TestSimulateFlows(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "..", "examples", "flows", "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	// The flows' scenario files (callhook test's) sit beside them.
	files = slices.DeleteFunc(files, func(p string) bool { return strings.HasSuffix(p, ".scenario.yaml") })
	if len(files) == 0 {
		t.Fatal("examples/flows has no flows: the example flows are what this test runs")
	}
	base := goApp(t)
	for _, file := range files {
		name := filepath.Base(file)
		t.Run(name, func(t *testing.T) {
			abs, err := filepath.Abs(file)
			if err != nil {
				t.Fatal(err)
			}
			flow, err := statemachine.ParseFile(abs)
			if err != nil {
				t.Fatalf("example flow does not parse: %v", err)
			}
			// The apps it hands calls to are the example web app.
			var apps strings.Builder
			for _, to := range flow.Handoffs() {
				fmt.Fprintf(&apps, "  %s: {url: %s/ivr, status_url: %s/status}\n", to, base, base)
			}
			cfg := writeConfig(t, fmt.Sprintf("default_app: flow\napps:\n  flow: {flow: %q}\n%s", abs, apps.String()))
			scripts, ok := exampleFlows[name]
			if !ok {
				scripts = append(scripts, struct {
					digits string
					want   []string
				}{"", []string{"call ", "end: hangup"}})
			}
			for _, sc := range scripts {
				name := "digits " + sc.digits
				if sc.digits == "" {
					name = "nobody presses anything"
				}
				t.Run(name, func(t *testing.T) {
					args := []string{"-config", cfg}
					if sc.digits != "" {
						args = append(args, "-digits", sc.digits)
					}
					code, out, errOut := simulate(t, args...)
					if code != simOK {
						t.Errorf("simulate %q = exit %d, want %d; stderr:\n%s\nstdout:\n%s", args, code, simOK, errOut, out)
					}
					want := make([]string, len(sc.want))
					for i, w := range sc.want {
						want[i] = strings.ReplaceAll(w, "{url}", base)
					}
					checkTranscript(t, out, want)
				})
			}
		})
	}
}

func TestSimulateHangupAfter(t *testing.T) {
	dir := t.TempDir()
	flow := filepath.Join(dir, "hold.yaml")
	if err := os.WriteFile(flow, []byte("name: hold\nstart: hold\nstates:\n  hold:\n    verbs: [answer, park]\n    hangup: true\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := writeConfig(t, fmt.Sprintf("default_app: hold\napps:\n  hold: {flow: %q}\n", flow))
	code, out, errOut := simulate(t, "-config", cfg, "-hangup-after", "3s")
	if code != simOK {
		t.Errorf("simulate = exit %d, want %d; stderr:\n%s\nstdout:\n%s", code, simOK, errOut, out)
	}
	checkTranscript(t, out, []string{"   answer", "   park", "caller hangs up (-hangup-after 3s)", "= hangup", "end: hangup, NORMAL_CLEARING by the caller"})
}

func TestSimulateApp(t *testing.T) {
	base := goApp(t)
	// The default app is a dead one; -app picks the live one by
	// callhook_app, and -from and -to reach the web app as call.from and
	// call.to.
	cfg := writeConfig(t, fmt.Sprintf(`default_app: dead
apps:
  dead: {url: http://127.0.0.1:1/ivr, retries: 0}
  ivr: {url: %s/ivr}
`, base))
	code, out, _ := simulate(t, "-config", cfg, "-app", "ivr", "-from", "4155550123", "-to", "5001", "-digits", "3 -")
	if code != simOK {
		t.Fatalf("simulate = exit %d, want %d; transcript:\n%s", code, simOK, out)
	}
	checkTranscript(t, out, []string{"from 4155550123 to 5001, app ivr", "-> call.start " + base + "/ivr", "   say 4155550123", "= timeout", "end: hangup"})
}

func TestSimulateJSON(t *testing.T) {
	base := goApp(t)
	code, out, _ := simulate(t, "-config", webhookConfig(t, base, ""), "-digits", "3 1", "-json")
	if code != simOK {
		t.Fatalf("simulate -json = exit %d, want %d; output:\n%s", code, simOK, out)
	}
	var kinds []string
	var events []map[string]any
	for _, line := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		var ev map[string]any
		if err := json.Unmarshal([]byte(line), &ev); err != nil {
			t.Fatalf("line %q is not a JSON object: %v", line, err)
		}
		if _, ok := ev["t_s"].(float64); !ok {
			t.Errorf("line %q has no t_s", line)
		}
		kinds = append(kinds, ev["type"].(string))
		events = append(events, ev)
	}
	if kinds[0] != "call" || kinds[len(kinds)-1] != "end" {
		t.Errorf("event types = %v, want call first and end last", kinds)
	}
	for _, k := range []string{"request", "verb", "caller", "result"} {
		if !slices.Contains(kinds, k) {
			t.Errorf("event types = %v, want a %s", kinds, k)
		}
	}
	// The first request, the gather with its arguments, the keys.
	check := func(kind string, match func(ev map[string]any) bool, what string) {
		t.Helper()
		if !slices.ContainsFunc(events, func(ev map[string]any) bool { return ev["type"] == kind && match(ev) }) {
			t.Errorf("no %s event with %s in:\n%s", kind, what, out)
		}
	}
	check("request", func(ev map[string]any) bool {
		return ev["event"] == "call.start" && ev["url"] == base+"/ivr" && ev["status"] == 200.0
	}, "call.start to /ivr, status 200")
	check("verb", func(ev map[string]any) bool {
		args, _ := ev["args"].(map[string]any)
		return ev["verb"] == "gather" && args["tries"] == 3.0 && args["timeout"] == "5s" && ev["action"] == base+"/menu"
	}, "gather tries 3, timeout 5s, action /menu")
	check("caller", func(ev map[string]any) bool { return ev["action"] == "keys" && ev["keys"] == "3" }, "keys 3")
	check("result", func(ev map[string]any) bool {
		r, _ := ev["result"].(map[string]any)
		b, _ := r["bridge"].(map[string]any)
		return ev["verb"] == "bridge" && b["status"] == "SUCCESS"
	}, "bridge SUCCESS")
	end := events[len(events)-1]
	if end["outcome"] != "hangup" || end["failed"] != false || end["cause"] != "NORMAL_CLEARING" || end["hung_up_by"] != "daemon" {
		t.Errorf("end event = %v, want outcome hangup, cause NORMAL_CLEARING, hung_up_by daemon, failed false", end)
	}
}

func TestSimulateJSONFailure(t *testing.T) {
	cfg := writeConfig(t, "default_app: ivr\napps:\n  ivr: {url: 'http://127.0.0.1:1/ivr', retries: 0}\n")
	code, out, _ := simulate(t, "-config", cfg, "-json")
	if code != simFailed {
		t.Fatalf("simulate -json = exit %d, want %d; output:\n%s", code, simFailed, out)
	}
	var failed, end map[string]any
	for _, line := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		var ev map[string]any
		if err := json.Unmarshal([]byte(line), &ev); err != nil {
			t.Fatalf("line %q is not a JSON object: %v", line, err)
		}
		switch ev["type"] {
		case "failed":
			failed = ev
		case "end":
			end = ev
		}
	}
	if failed == nil || failed["on_failure"] != true || failed["fallback"] != false || !strings.Contains(failed["error"].(string), "connect") {
		t.Errorf("failed event = %v, want on_failure true, fallback false, a connect error", failed)
	}
	if end == nil || end["outcome"] != "failed" || end["failed"] != true || end["cause"] != "NORMAL_TEMPORARY_FAILURE" {
		t.Errorf("end event = %v, want outcome failed, cause NORMAL_TEMPORARY_FAILURE, failed true", end)
	}
}

// TestSimulateBridgeOutcomes: -bridge TARGET=OUTCOME makes a bridge target
// answer, be busy, ring out or fail, and the app gets the outcome a real
// FreeSWITCH gives (status and cause); only an answered target bridges.
func TestSimulateBridgeOutcomes(t *testing.T) {
	results := make(chan map[string]any, 10)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body map[string]any
		_ = json.NewDecoder(r.Body).Decode(&body)
		w.Header().Set("Content-Type", "application/yaml")
		switch r.URL.Path {
		case "/ivr":
			fmt.Fprint(w, "[answer, {bridge: {to: user/1001, timeout: 3s, action: /after}}]")
		case "/after":
			res, _ := body["result"].(map[string]any)
			bridged, _ := res["bridge"].(map[string]any)
			results <- bridged
			fmt.Fprint(w, "[hangup]")
		}
	}))
	t.Cleanup(srv.Close)
	cfg := writeConfig(t, "default_app: a\napps:\n  a: {url: "+srv.URL+"/ivr}\n")
	tests := []struct {
		outcome, status, cause string
	}{
		{"", "SUCCESS", "NORMAL_CLEARING"},
		{"answer", "SUCCESS", "NORMAL_CLEARING"},
		{"busy", "BUSY", "USER_BUSY"},
		{"noanswer", "NOANSWER", "NO_ANSWER"},
		{"fail:CALL_REJECTED", "DONTCALL", "CALL_REJECTED"},
	}
	for _, tc := range tests {
		t.Run(tc.outcome, func(t *testing.T) {
			args := []string{"-config", cfg}
			if tc.outcome != "" {
				args = append(args, "-bridge", "user/1001="+tc.outcome, "-bridge", "user/1002=busy")
			}
			code, out, errOut := simulate(t, args...)
			if code != simOK {
				t.Fatalf("simulate %q = exit %d; stderr:\n%s\nstdout:\n%s", args, code, errOut, out)
			}
			select {
			case got := <-results:
				if got["status"] != tc.status || got["cause"] != tc.cause {
					t.Errorf("bridge result = %v, want status %s, cause %s", got, tc.status, tc.cause)
				}
			default:
				t.Fatalf("the app got no bridge result; stdout:\n%s", out)
			}
		})
	}
}

func TestSimulateUsage(t *testing.T) {
	base := goApp(t)
	cfg := webhookConfig(t, base, "")
	bad := writeConfig(t, "apps:\n  a: {url: ftp://x}\n")
	tests := []struct {
		name string
		args []string
		code int
		want string // in stderr
	}{
		{"bad digits", []string{"-config", cfg, "-digits", "1 x"}, simUsage, `-digits: "x" is not a DTMF key sequence`},
		{"unknown app", []string{"-config", cfg, "-app", "nope"}, simUsage, `-app "nope": ` + cfg + ` has no such app (it has: ivr)`},
		{"missing config", []string{"-config", filepath.Join(t.TempDir(), "none.yaml")}, simUsage, "read config"},
		{"bad config", []string{"-config", bad}, simUsage, "the config has errors"},
		{"negative hangup-after", []string{"-config", cfg, "-hangup-after", "-1s"}, simUsage, "-hangup-after must not be negative"},
		{"empty from", []string{"-config", cfg, "-from", ""}, simUsage, `-from "": want a number without spaces`},
		{"extra argument", []string{"-config", cfg, "extra"}, simUsage, `unexpected argument "extra"`},
		{"unknown flag", []string{"-bogus"}, simUsage, "flag provided but not defined: -bogus"},
		{"bad bridge outcome", []string{"-config", cfg, "-bridge", "user/1001=maybe"}, simUsage, `want answer, busy, noanswer or fail:CAUSE`},
		{"bridge without outcome", []string{"-config", cfg, "-bridge", "user/1001"}, simUsage, `want TARGET=answer|busy|noanswer|fail:CAUSE`},
		{"help", []string{"-h"}, simOK, "usage: callhook simulate"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := simulate(t, tc.args...)
			if code != tc.code {
				t.Errorf("simulate %q = exit %d, want %d; stderr:\n%s", tc.args, code, tc.code, errOut)
			}
			if !strings.Contains(errOut, tc.want) {
				t.Errorf("simulate %q stderr = %q, want it to contain %q", tc.args, errOut, tc.want)
			}
			if out != "" {
				t.Errorf("simulate %q stdout = %q, want nothing: no call was placed", tc.args, out)
			}
		})
	}
}

func TestParseDigits(t *testing.T) {
	tests := []struct {
		in      string
		want    []string
		wantErr bool
	}{
		{"", nil, false},
		{"1 2 #", []string{"1", "2", "#"}, false},
		{"  123#  *  -  ", []string{"123#", "*", "-"}, false},
		{"a D", []string{"a", "D"}, false},
		{"1 x", nil, true},
		{"1-2", nil, true},
		{"é", nil, true},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := parseDigits(tc.in)
			if (err != nil) != tc.wantErr || !slices.Equal(got, tc.want) {
				t.Errorf("parseDigits(%q) = %q, %v, want %q, error %v", tc.in, got, err, tc.want, tc.wantErr)
			}
		})
	}
}

func TestVerbLine(t *testing.T) {
	tests := []struct {
		reply string
		want  string
	}{
		{"[answer]", "answer"},
		{"[{play: ivr/welcome.wav}]", "play ivr/welcome.wav"},
		{"[{play: {file: 'tone_stream://%(200,100,440)', loop: 3}}]", "play tone_stream://%(200,100,440) loop=3"},
		{"[{gather: {play: menu.wav, max: 4, tries: 3, action: /menu}}]",
			"gather menu.wav min=1 max=4 tries=3 timeout=5s terminators=# regex=\\d+ -> http://app/menu"},
		{"[{record: {path: m.wav, max: 30s, terminators: '#', action: done}}]",
			"record m.wav max=30s silence=3s silence_threshold=200 beep=true terminators=# -> http://app/done"},
		{"[{bridge: {to: [user/1000, user/1001], caller_id: '100'}}]", "bridge user/1000,user/1001 timeout=30s caller_id=100"},
		{"[{say: {text: '42', type: number}}]", "say 42 type=number method=pronounced lang=en"},
		{"[{speak: 'hello there'}]", `speak "hello there" engine=flite voice=kal`},
		{"[{set: {a: '1', b: two words}}]", `set a=1 b="two words"`},
		{"[{transfer: '1234'}]", "transfer 1234 dialplan=xml context=default"},
		{"[{hangup: USER_BUSY}]", "hangup USER_BUSY"},
		{"[{pause: 2s}]", "pause 2s"},
		{"[{pause: 1500ms}]", "pause 1.5s"},
		{"[{pause: 250ms}]", "pause 250ms"},
		{"[{record: {path: m.wav}}]", "record m.wav max=60s silence=3s silence_threshold=200 beep=true terminators=*"},
		{"[{log: {text: hi, level: debug}}]", "log hi level=DEBUG"},
	}
	base := mustURL(t, "http://app/ivr")
	for _, tc := range tests {
		t.Run(tc.reply, func(t *testing.T) {
			rep, err := verb.ParseReply([]byte(tc.reply), verb.ParseOptions{Base: base})
			if err != nil {
				t.Fatalf("ParseReply(%q): %v", tc.reply, err)
			}
			if got := verbLine(rep.Verbs[0]); got != tc.want {
				t.Errorf("verbLine(%s) = %q, want %q", tc.reply, got, tc.want)
			}
		})
	}
	flowVerb := verb.Verb{Name: "answer", Action: "welcome", Spec: &verb.BareSpec{App: "answer"}}
	if got, want := verbLine(flowVerb), "answer (ends state welcome)"; got != want {
		t.Errorf("verbLine(flow verb) = %q, want %q", got, want)
	}
}

func TestResultLine(t *testing.T) {
	tests := []struct {
		name   string
		r      *verb.Result
		action bool
		want   string
	}{
		{"none", nil, false, ""},
		{"played", &verb.Result{Verb: "play", Reason: "ok", Response: "FILE PLAYED"}, false, ""},
		{"ok with action", &verb.Result{Verb: "play", Reason: "ok"}, true, "ok"},
		{"digits", &verb.Result{Verb: "gather", Reason: "ok", Digits: "12"}, true, "ok: digits 12"},
		{"timeout", &verb.Result{Verb: "gather", Reason: "timeout"}, true, "timeout"},
		{"hangup", &verb.Result{Verb: "play", Reason: "hangup"}, false, "hangup"},
		{"error", &verb.Result{Verb: "play", Reason: "error", Response: "FILE NOT FOUND"}, false, "error (FILE NOT FOUND)"},
		{"recording", &verb.Result{Verb: "record", Reason: "ok", Recording: &verb.Recording{Path: "/tmp/m.wav", DurationMS: 2500, Size: 40044}},
			true, "ok: recording /tmp/m.wav (2.5s, 40044 bytes)"},
		{"bridge", &verb.Result{Verb: "bridge", Reason: "ok", Bridge: &verb.Bridged{Status: "BUSY", Cause: "USER_BUSY"}},
			true, "ok: bridge BUSY (USER_BUSY)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := resultLine(tc.r, tc.action); got != tc.want {
				t.Errorf("resultLine(%+v, %v) = %q, want %q", tc.r, tc.action, got, tc.want)
			}
		})
	}
}

func mustURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// -json says the unit of every time (t_s, took_ms, duration_s) and carries
// each reply whole: it is for tools, which must not get a cut body.
func TestSimulateJSONUnitsAndWholeReplies(t *testing.T) {
	reply := `{"session":{"pad":"` + strings.Repeat("x", 600) + `"},"verbs":["answer","hangup"]}`
	web := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, reply)
	}))
	t.Cleanup(web.Close)
	code, out, errOut := simulate(t, "-config", writeConfig(t, "default_app: a\napps:\n  a: {url: "+web.URL+"/ivr}\n"), "-json")
	if code != simOK {
		t.Fatalf("simulate -json = %d; stdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	var sawReply, sawEnd bool
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var ev map[string]any
		if err := json.Unmarshal([]byte(line), &ev); err != nil {
			t.Fatalf("not JSON: %q", line)
		}
		for _, bare := range []string{"t", "duration", "took", "seconds"} {
			if _, ok := ev[bare]; ok {
				t.Errorf("line %q has %q, a time without its unit", line, bare)
			}
		}
		if _, ok := ev["t_s"].(float64); !ok {
			t.Errorf("line %q has no t_s", line)
		}
		switch ev["type"] {
		case "request":
			if _, ok := ev["took_ms"].(float64); !ok {
				t.Errorf("request line %q has no took_ms", line)
			}
			if ev["event"] == "call.start" {
				sawReply = true
				if ev["reply"] != reply {
					t.Errorf("reply = %q, want the whole reply (%d bytes)", ev["reply"], len(reply))
				}
			}
		case "end":
			sawEnd = true
			if _, ok := ev["duration_s"].(float64); !ok {
				t.Errorf("end line %q has no duration_s", line)
			}
		}
	}
	if !sawReply || !sawEnd {
		t.Errorf("no call.start request or no end line:\n%s", out)
	}
}

// demoConfig is a config whose default app is the demo flow.
func demoConfig(t *testing.T) string {
	t.Helper()
	demo, err := filepath.Abs("../../examples/flows/demo.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return writeConfig(t, "default_app: demo\napps:\n  demo: {flow: "+demo+"}\n")
}

// simulate explains a flow: the transition each result took and why, the
// try a state is on, the gather as the state wrote it (no silent default
// prompt, no tries=1), a result for every verb, the record terminator in
// effect, and that a recording is simulated.
func TestSimulateExplainsAFlow(t *testing.T) {
	code, out, errOut := simulate(t, "-config", demoConfig(t), "-digits", "9 - 3 #")
	if code != simOK {
		t.Fatalf("simulate = %d; stdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	for _, want := range []string{
		"   [start: welcome]\n",
		"   [welcome: ok → next: menu]\n",
		"(ends state menu, try 1 of 3)\n     caller presses 9\n     = ok: digits 9\n   [menu: 9 has no route → invalid, try 2 of 3 → on.invalid: invalid]\n",
		"(ends state menu, try 2 of 3)\n     = timeout\n   [menu: timeout, try 3 of 3 → again: menu]\n",
		"   [menu: 3 → on.digits: leave_message]\n",
		" terminators=* (ends state leave_message)\n",
		"(simulated: no file is written; FreeSWITCH would write it there)",
		"   [goodbye: hangup → on.hangup: the flow ends]\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("transcript lacks %q:\n%s", want, out)
		}
	}
	for _, bad := range []string{"silence_stream://250", "tries=1 "} {
		if strings.Contains(out, bad) {
			t.Errorf("transcript shows %q, which the flow does not say:\n%s", bad, out)
		}
	}
	// Every verb line is followed, in time, by its result.
	verbs, results := 0, 0
	for _, l := range strings.Split(out, "\n") {
		switch {
		case strings.HasPrefix(l, "     = "):
			results++
		case strings.HasPrefix(l, "   ") && !strings.HasPrefix(l, "    ") && !strings.HasPrefix(l, "   ["):
			verbs++
		}
	}
	if verbs == 0 || verbs != results {
		t.Errorf("%d verb lines, %d result lines, want one result per verb:\n%s", verbs, results, out)
	}
}

// -v logs the call's wire trace: the frames both ways.
func TestSimulateVerboseShowsTheWire(t *testing.T) {
	code, _, errOut := simulate(t, "-config", demoConfig(t), "-digits", "1", "-v", "-hangup-after", "3s")
	if code != simOK {
		t.Fatalf("simulate -v = %d; stderr:\n%s", code, errOut)
	}
	for _, want := range []string{"esl frame", `C>\nsendmsg`, `F>\nContent-Type: command/reply`, "execute-app-name: play_and_get_digits"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("-v stderr lacks %q", want)
		}
	}
}
