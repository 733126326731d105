package main

import (
	"bytes"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/callhook/callhook/esl/esltest"
)

// modulesFlow speaks with flite (mod_flite), says a number in French
// (mod_say_fr) and in English (stock), and plays a list with a French
// number in it.
const modulesFlow = `name: modules
start: welcome
states:
  welcome:
    verbs:
      - answer
      - speak: {text: Welcome, engine: flite}
      - say: {text: "42", lang: fr}
      - say: {text: "42", lang: en}
      - play: [ivr/ivr-welcome.wav, {say: {text: "7", lang: fr}}]
      - hangup
`

// modulesConfig serves modulesFlow, and has an on_failure that speaks.
const modulesConfig = `listen: 127.0.0.1:8084
default_app: modules
apps:
  modules:
    flow: modules.yaml
    on_failure:
      - speak: {text: Sorry, engine: flite}
      - hangup
`

// writeModulesFiles writes the flow and the config into a fresh folder.
func writeModulesFiles(t *testing.T) (dir string) {
	t.Helper()
	dir = t.TempDir()
	for name, body := range map[string]string{"modules.yaml": modulesFlow, "config.yaml": modulesConfig} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// inboundSwitch is a simulated switch's inbound event socket: a stock
// switch, without mod_flite or mod_say_fr.
func inboundSwitch(t *testing.T, password string) *esltest.InboundServer {
	t.Helper()
	srv, err := esltest.NewInboundServer(password)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return srv
}

// TestCheckSwitchModules: check -switch warns, with file:line, about each
// verb of a flow and of an app's on_failure whose module the switch
// lacks, and the check still passes: the files are valid.
func TestCheckSwitchModules(t *testing.T) {
	dir := writeModulesFiles(t)
	srv := inboundSwitch(t, "s3cret-pw")
	flow := filepath.Join(dir, "modules.yaml")
	conf := filepath.Join(dir, "config.yaml")
	var stdout, stderr bytes.Buffer
	code := runCheck([]string{"-config", conf, "-switch", srv.Addr(), "-password", "s3cret-pw"}, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("check = %d, want 0 (warnings only)\nstdout: %s\nstderr: %s", code, &stdout, &stderr)
	}
	want := []string{ // by file, then line
		conf + `:7: warning: apps.modules.on_failure: speak engine flite: FreeSWITCH has no speech interface "flite": load mod_flite`,
		flow + `:7: warning: state welcome: speak engine flite: FreeSWITCH has no speech interface "flite": load mod_flite`,
		flow + `:8: warning: state welcome: say lang fr: FreeSWITCH has no say interface "fr": load mod_say_fr`,
		flow + `:10: warning: state welcome: play: say lang fr: FreeSWITCH has no say interface "fr": load mod_say_fr`,
	}
	lines := strings.Split(strings.TrimSpace(stderr.String()), "\n")
	if len(lines) != len(want) {
		t.Fatalf("stderr has %d lines, want %d:\n%s", len(lines), len(want), &stderr)
	}
	for i, w := range want {
		if !strings.HasPrefix(lines[i], w) {
			t.Errorf("warning %d = %q\nwant it to start with %q", i, lines[i], w)
		}
	}
	if strings.Contains(stderr.String()+stdout.String(), "s3cret-pw") {
		t.Errorf("the password was printed")
	}

	t.Run("modules loaded", func(t *testing.T) {
		srv.Switch().LoadModule("mod_flite")
		srv.Switch().LoadModule("mod_say_fr")
		t.Cleanup(func() {
			srv.Switch().UnloadModule("mod_flite")
			srv.Switch().UnloadModule("mod_say_fr")
		})
		var stdout, stderr bytes.Buffer
		if code := runCheck([]string{flow, "-switch", srv.Addr(), "-password", "s3cret-pw"}, &stdout, &stderr); code != 0 || stderr.Len() > 0 {
			t.Errorf("check = %d, stderr %q; want 0 and no warning", code, &stderr)
		}
	})
	t.Run("password from the environment", func(t *testing.T) {
		t.Setenv(switchPasswordEnv, "s3cret-pw")
		var stdout, stderr bytes.Buffer
		code := runCheck([]string{flow, "-switch", srv.Addr()}, &stdout, &stderr)
		if code != 0 || strings.Count(stderr.String(), "warning:") != 3 {
			t.Errorf("check = %d, stderr:\n%s\nwant 0 and the flow's 3 warnings", code, &stderr)
		}
	})
}

// TestCheckSwitchUnreachable: a switch check cannot make (nobody
// listening, a wrong password) is one clear warning, not a failure of the
// check, and never shows the password.
func TestCheckSwitchUnreachable(t *testing.T) {
	dir := writeModulesFiles(t)
	flow := filepath.Join(dir, "modules.yaml")
	// An address nobody listens on: a port just closed.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().String()
	ln.Close()
	srv := inboundSwitch(t, "right-pw")
	cases := []struct {
		name, addr, password, want string
	}{
		{"nobody listening", closed, "wrong-pw", "cannot reach the switch"},
		{"wrong password", srv.Addr(), "wrong-pw", "refused the password"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := runCheck([]string{flow, "-switch", tc.addr, "-password", tc.password}, &stdout, &stderr)
			if code != 0 {
				t.Errorf("check = %d, want 0: the flow is valid", code)
			}
			got := stderr.String()
			if !strings.HasPrefix(got, "callhook check: warning: modules not checked: ") || !strings.Contains(got, tc.want) ||
				strings.Count(got, "\n") != 1 {
				t.Errorf("stderr = %q, want one warning saying %q", got, tc.want)
			}
			if strings.Contains(got, tc.password) {
				t.Errorf("the password was printed: %q", got)
			}
			if !strings.Contains(stdout.String(), flow+": ok") {
				t.Errorf("stdout = %q, want the flow ok", &stdout)
			}
		})
	}
}
