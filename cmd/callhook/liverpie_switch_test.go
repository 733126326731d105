package main

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/callhook/callhook/internal/config"
)

// menuLiverpieApp is a Liverpie web app with a menu: it answers, plays a
// prompt while the caller may press a key (which Liverpie posts to its
// dtmf_uri), says the key back and hangs up. It records the digits its
// dtmf_uri got.
type menuLiverpieApp struct {
	*httptest.Server
	mu     sync.Mutex
	step   int
	digits []string
	resets int
}

func newMenuLiverpieApp(t *testing.T) *menuLiverpieApp {
	t.Helper()
	a := &menuLiverpieApp{}
	a.Server = httptest.NewServer(http.HandlerFunc(a.serve))
	t.Cleanup(a.Close)
	return a
}

func (a *menuLiverpieApp) serve(w http.ResponseWriter, r *http.Request) {
	a.mu.Lock()
	defer a.mu.Unlock()
	switch r.URL.Path {
	case "/ivr/reset":
		a.step, a.resets = 0, a.resets+1
		io.WriteString(w, "OK\n")
	case "/ivr/dtmf":
		r.ParseForm()
		a.digits = append(a.digits, r.PostForm.Get("dtmf_code"))
	case "/ivr/state_machine":
		script := []string{
			execMsg("answer", ""),
			execMsg("playback", "ivr/ivr-please_choose_from_the_following.wav"),
		}
		switch {
		case a.step < len(script):
			io.WriteString(w, script[a.step])
		case a.step == len(script) && len(a.digits) > 0:
			io.WriteString(w, execMsg("playback", "digits/"+a.digits[0]+".wav"))
		default:
			io.WriteString(w, "---\nmsg: |\n  sendmsg\n  call-command: hangup\n  hangup-cause: NORMAL_CLEARING\nexpected_key: event_name\nexpected_value: CHANNEL_HANGUP\n")
		}
		a.step++
	}
}

func (a *menuLiverpieApp) dtmf() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return slices.Clone(a.digits)
}

// flatLiverpieYML is Liverpie's flat (0.4) config for the app at base.
func flatLiverpieYML(t *testing.T, dir, base string) string {
	t.Helper()
	host, port, err := net.SplitHostPort(strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "liverpie.yml")
	body := fmt.Sprintf("configuration:\n  bind_ip: 127.0.0.1\n  bind_port: 8084\n  webapp_ip: %s\n  webapp_port: %s\n"+
		"  webapp_uri: /ivr/state_machine\n  webapp_reset_uri: /ivr/reset\n  webapp_dtmf_uri: /ivr/dtmf\n", host, port)
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// The Liverpie one-flag switch in an empty directory: no config.yaml, so
// the defaults and the Liverpie app; the flat format's app takes the call;
// -digits answers its prompt, and the key reaches its dtmf_uri.
func TestLiverpieSwitchInEmptyDirectory(t *testing.T) {
	app := newMenuLiverpieApp(t)
	dir := t.TempDir()
	flatLiverpieYML(t, dir, app.URL)
	t.Chdir(dir)

	cfg, err := config.LoadWithLiverpie(config.DefaultPath, "liverpie.yml", os.LookupEnv)
	if err != nil {
		t.Fatalf("serve -liverpie-config liverpie.yml in an empty directory: %v", err)
	}
	if cfg.DefaultApp != config.LiverpieDefaultApp || len(cfg.Apps) != 1 || cfg.Listen != config.DefaultListen || !cfg.Liverpie.NoConfigFile {
		t.Errorf("config = default_app %q, %d apps, listen %s, no config file %v; want the defaults and the one Liverpie app as default_app",
			cfg.DefaultApp, len(cfg.Apps), cfg.Listen, cfg.Liverpie.NoConfigFile)
	}

	code, out, errOut := simulate(t, "-liverpie-config", "liverpie.yml", "-digits", "2")
	if code != simOK {
		t.Fatalf("simulate = %d; stdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	for _, want := range []string{"app default", "   answer\n", "   playback ivr/ivr-please_choose_from_the_following.wav\n     caller presses 2\n", "   playback digits/2.wav\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("simulate output lacks %q:\n%s", want, out)
		}
	}
	if got := app.dtmf(); !slices.Equal(got, []string{"2"}) {
		t.Errorf("the app's dtmf_uri got %q, want [2]", got)
	}
}

// A config.yaml whose default_app is a flow: a flat liverpie.yml's app
// still takes the calls (Liverpie gave it every call), and a config with
// no apps of its own is fine with the Liverpie apps.
func TestLiverpieFlatAppTakesCallsOverDefaultApp(t *testing.T) {
	app := newMenuLiverpieApp(t)
	dir := t.TempDir()
	lp := flatLiverpieYML(t, dir, app.URL)
	demo, err := filepath.Abs("../../examples/flows/demo.yaml")
	if err != nil {
		t.Fatal(err)
	}
	withDemo := writeConfig(t, "default_app: demo\napps:\n  demo: {flow: "+demo+"}\n")
	noApps := writeConfig(t, "listen: 127.0.0.1:8084\nlog: {level: warn}\n")
	for _, tc := range []struct{ name, config string }{{"default_app demo", withDemo}, {"no apps", noApps}} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := config.LoadWithLiverpie(tc.config, lp, os.LookupEnv)
			if err != nil {
				t.Fatalf("config.LoadWithLiverpie: %v", err)
			}
			if cfg.DefaultApp != config.LiverpieDefaultApp {
				t.Errorf("default_app = %q, want %q", cfg.DefaultApp, config.LiverpieDefaultApp)
			}
			code, out, errOut := simulate(t, "-config", tc.config, "-liverpie-config", lp, "-digits", "2")
			if code != simOK || !strings.Contains(out, "app default") || !strings.Contains(out, "digits/2.wav") {
				t.Errorf("simulate = %d, want the Liverpie app to take the call; stdout:\n%s\nstderr:\n%s", code, out, errOut)
			}
		})
	}
	// check says so too.
	var stdout, stderr strings.Builder
	if code := runCheck([]string{"-config", noApps, "-liverpie-config", lp}, &stdout, &stderr); code != 0 {
		t.Errorf("check with a config without apps = %d; %s", code, stderr.String())
	}
}

// -config named explicitly must exist, with or without a liverpie.yml.
func TestLiverpieExplicitConfigMustExist(t *testing.T) {
	app := newMenuLiverpieApp(t)
	dir := t.TempDir()
	lp := flatLiverpieYML(t, dir, app.URL)
	_, err := config.LoadWithLiverpie(filepath.Join(dir, "missing.yaml"), lp, os.LookupEnv)
	if err == nil || !strings.Contains(err.Error(), "missing.yaml") {
		t.Errorf("config.LoadWithLiverpie(missing.yaml) = %v, want an error naming it", err)
	}
}
