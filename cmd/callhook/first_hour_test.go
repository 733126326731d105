package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// runCmd runs callhook with args in-process and returns its exit status
// and output.
func runCmd(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut strings.Builder
	code = run(args, strings.NewReader(""), &out, &errOut)
	return code, out.String(), errOut.String()
}

// Flags may follow the other arguments, in every subcommand.
func TestFlagsAfterArguments(t *testing.T) {
	demo, err := filepath.Abs("../../examples/flows/demo.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cfg := writeConfig(t, "default_app: demo\napps:\n  demo: {flow: "+demo+"}\n")

	code, out, errOut := runCmd(t, "check", demo, "-config", cfg)
	if code != 0 || !strings.Contains(out, demo+": ok") || !strings.Contains(out, cfg+": ok (1 apps, 1 flows, 0 routes)") {
		t.Errorf("check FLOW -config C = %d\nstdout:\n%s\nstderr:\n%s\nwant the flow and the config checked", code, out, errOut)
	}
	code, out, errOut = runCmd(t, "graph", demo, "-format", "dot")
	if code != 0 || !strings.HasPrefix(out, "digraph ") {
		t.Errorf("graph FLOW -format dot = %d\nstdout:\n%s\nstderr:\n%s\nwant DOT", code, out, errOut)
	}
	code, out, _ = runCmd(t, "simulate", "-config", cfg, "-digits", "-", "-hangup-after", "2s")
	if code != simOK || !strings.Contains(out, "app demo") {
		t.Errorf("simulate = %d:\n%s", code, out)
	}
	// "--" ends the flags: what follows is an argument even if it looks
	// like a flag.
	code, _, errOut = runCmd(t, "check", "--", "-config")
	if code != 1 || !strings.Contains(errOut, "-config") {
		t.Errorf("check -- -config = %d, %q; want the file -config checked (and missing)", code, errOut)
	}
}

// A flow file that is missing is reported at the config line that names
// it, with the app, and says what its path is relative to.
func TestMissingFlowFileNamesTheConfigLine(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(cfg, []byte("default_app: ivr\napps:\n  ivr:\n    flow: flows/ivr.yaml\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, _, errOut := runCmd(t, "check", "-config", cfg)
	want := cfg + ":4: apps.ivr.flow: read flow: open " + filepath.Join(dir, "flows/ivr.yaml") +
		": no such file or directory (a relative flow path is relative to the folder of " + cfg + ")"
	if code != 1 || strings.TrimSpace(errOut) != want {
		t.Errorf("check = %d, %q\nwant %q", code, errOut, want)
	}
}

// What the README says of replies and status_url: the reply's
// Content-Type does not matter, and status_url may answer 204 with no
// body; neither is a failure.
func TestReplyContentTypeAndStatusURL(t *testing.T) {
	var mu sync.Mutex
	var ends int
	web := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/status":
			mu.Lock()
			ends++
			mu.Unlock()
			w.WriteHeader(http.StatusNoContent)
		default:
			w.Header().Set("Content-Type", "text/plain; charset=utf-8") // not JSON, not YAML: it does not matter
			io.WriteString(w, `{"verbs":["answer",{"play":"ivr/ivr-welcome.wav"},"hangup"]}`)
		}
	}))
	t.Cleanup(web.Close)
	cfg := writeConfig(t, "default_app: a\napps:\n  a: {url: "+web.URL+"/ivr, status_url: "+web.URL+"/status}\n")
	code, out, errOut := simulate(t, "-config", cfg)
	if code != simOK || strings.Contains(out, "failed") || !strings.Contains(out, "   play ivr/ivr-welcome.wav") ||
		!strings.Contains(out, "-> call.end "+web.URL+"/status\n<- 204") {
		t.Errorf("simulate = %d; stdout:\n%s\nstderr:\n%s\nwant the reply run and call.end answered 204", code, out, errOut)
	}
	mu.Lock()
	defer mu.Unlock()
	if ends != 1 {
		t.Errorf("status_url got %d requests, want 1", ends)
	}
}

// A flow's handoff is checked against the config at load: to an app it
// does not define, or to a Liverpie app, which cannot take a call mid-way
// (the session would fail the call when the handoff came).
func TestFlowHandoffTargetChecked(t *testing.T) {
	dir := t.TempDir()
	flow := filepath.Join(dir, "ho.yaml")
	if err := os.WriteFile(flow, []byte("name: ho\nstart: a\nstates:\n  a:\n    verbs: [answer]\n    handoff: lp\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, lp, want string }{
		{"liverpie", "  lp: {liverpie: {ip: 127.0.0.1, port: 3002, state_machine_uri: /sm, reset_uri: /r}}\n",
			`hands calls to app "lp", a Liverpie app, which cannot take a call mid-way`},
		{"undefined", "", `hands calls to app "lp", which the config does not define`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := filepath.Join(dir, tc.name+".yaml")
			if err := os.WriteFile(cfg, []byte("default_app: f\napps:\n  f: {flow: ho.yaml}\n"+tc.lp), 0o600); err != nil {
				t.Fatal(err)
			}
			code, _, errOut := runCmd(t, "check", "-config", cfg)
			if code != 1 || !strings.Contains(errOut, cfg+":3: apps.f: flow ") || !strings.Contains(errOut, tc.want) {
				t.Errorf("check = %d, %q, want 1 and %s:3: ... %s", code, errOut, cfg, tc.want)
			}
		})
	}
}
