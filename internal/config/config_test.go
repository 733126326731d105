package config

import (
	"errors"
	"fmt"
	"io/fs"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/callhook/callhook/verb"
)

// env returns a lookupEnv over vars, so tests never touch the process
// environment.
func env(vars map[string]string) func(string) (string, bool) {
	return func(name string) (string, bool) {
		v, ok := vars[name]
		return v, ok
	}
}

// minimalApps makes a config valid. Cases write their own keys before it, so
// that the lines they expect errors on stay put.
const minimalApps = "apps:\n  a: {url: http://127.0.0.1:8000/ivr}\n"

// mustParse parses data as config.yaml and fails the test on any error.
func mustParse(t *testing.T, data string, vars map[string]string) *Config {
	t.Helper()
	c, err := Parse("config.yaml", []byte(data), env(vars))
	if err != nil {
		t.Fatalf("Parse(%q) error:\n%v", data, err)
	}
	return c
}

// errorLines parses data as config.yaml and returns its error, one problem a
// line; it fails the test when there is none.
func errorLines(t *testing.T, data string, vars map[string]string) []string {
	t.Helper()
	c, err := Parse("config.yaml", []byte(data), env(vars))
	if err == nil {
		t.Fatalf("Parse(%q) = %+v, nil; want an error", data, c)
	}
	if c != nil {
		t.Errorf("Parse(%q) returned a config with its error", data)
	}
	return strings.Split(err.Error(), "\n")
}

// verbNames returns the names of verbs, in order.
func verbNames(verbs []verb.Verb) []string {
	names := make([]string, len(verbs))
	for i, v := range verbs {
		names[i] = v.Name
	}
	return names
}

// appNames returns the names of apps, in order.
func appNames(apps []*App) []string {
	names := make([]string, len(apps))
	for i, a := range apps {
		names[i] = a.Name
	}
	return names
}

// check is one expected field value.
type check struct {
	name      string
	got, want any
}

// runChecks reports every check whose value differs.
func runChecks(t *testing.T, checks []check) {
	t.Helper()
	for _, c := range checks {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("%s = %#v, want %#v", c.name, c.got, c.want)
		}
	}
}

func TestParseConfigDefaults(t *testing.T) {
	c := mustParse(t, minimalApps+"  l: {liverpie: {ip: 127.0.0.1, port: 3002, state_machine_uri: /sm, reset_uri: /reset}}\n", nil)
	a, l := c.AppByName("a"), c.AppByName("l")
	if a == nil || l == nil {
		t.Fatalf("AppByName(a), AppByName(l) = %v, %v; want both", a, l)
	}
	runChecks(t, []check{
		{"File", c.File, "config.yaml"},
		{"Listen", c.Listen, "127.0.0.1:8084"},
		{"ACL", c.ACL, []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}},
		{"Admin", c.Admin, "127.0.0.1:9090"},
		{"AdminToken", c.AdminToken, ""},
		{"Log", c.Log, LogConfig{Level: "info", Format: "text"}},
		{"Linger", c.Linger, 30 * time.Second},
		{"DrainTimeout", c.DrainTimeout, 30 * time.Second},
		{"Limits", c.Limits, Limits{MaxCalls: 10000, MaxReplyBytes: 1 << 20, MaxVerbs: 100, MaxRedirects: 50}},
		{"EventSocket", c.EventSocket, EventSocket{ReplyTimeout: 5 * time.Second, APITimeout: 2 * time.Minute,
			ProbeAfter: 30 * time.Second, MaxFrameBytes: 1 << 20, MaxQueuedBytes: 4 << 20}},
		{"DefaultApp", c.DefaultApp, ""},
		{"Routes", c.Routes, []Route(nil)},
		{"apps", appNames(c.Apps), []string{"a", "l"}},
		{"a.Line", a.Line, 2},
		{"a.Kind", a.Kind, KindWebhook},
		{"a.URL", a.URL, "http://127.0.0.1:8000/ivr"},
		{"a.Format", a.Format, "json"},
		{"a.FallbackURL", a.FallbackURL, ""},
		{"a.Timeout", a.Timeout, 5 * time.Second},
		{"a.Retries", a.Retries, 1},
		{"a.Secret", a.Secret, ""},
		{"a.StatusURL", a.StatusURL, ""},
		{"a.Vars", a.Vars, []string(nil)},
		{"a.AllowExecute", a.AllowExecute, []string(nil)},
		{"a.MaxCalls", a.MaxCalls, 0},
		{"RecordingsDir", c.RecordingsDir, "/var/lib/freeswitch/recordings"},
		{"MediaDirs", c.MediaDirs, []string(nil)},
		{"a.RecordingsDir", a.RecordingsDir, "/var/lib/freeswitch/recordings/a"},
		{"a.MediaDirs", a.MediaDirs, []string(nil)},
		{"l.RecordingsDir", l.RecordingsDir, "/var/lib/freeswitch/recordings/l"},
		{"a.Liverpie", a.Liverpie, (*LiverpieApp)(nil)},
		{"a.Flow", a.Flow, ""},
		{"l.Kind", l.Kind, KindLiverpie},
		{"l.Timeout", l.Timeout, time.Duration(0)},
		{"l.Liverpie", *l.Liverpie, LiverpieApp{
			IP: "127.0.0.1", Port: 3002, StateMachineURI: "/sm", ResetURI: "/reset",
			AllowCommands: []string{"sendmsg"}, Timeout: 10 * time.Second,
		}},
	})
	for _, app := range c.Apps {
		if got := verbNames(app.OnFailure); !slices.Equal(got, []string{"hangup"}) {
			t.Errorf("%s.OnFailure = %v, want [hangup]", app.Name, got)
		}
		if len(app.OnFailure) == 1 && app.OnFailure[0].Line != 0 {
			t.Errorf("%s.OnFailure[0].Line = %d, want 0 (no file)", app.Name, app.OnFailure[0].Line)
		}
	}
}

func TestLoadConfigFull(t *testing.T) {
	c, err := Load("testdata/full.yaml", env(map[string]string{"ADMIN_TOKEN": "t0ken"}))
	if err != nil {
		t.Fatalf("Load(testdata/full.yaml) error:\n%v", err)
	}
	if got := appNames(c.Apps); !slices.Equal(got, []string{"menu", "support", "legacy"}) {
		t.Fatalf("apps = %v, want [menu support legacy] (file order)", got)
	}
	menu, support, legacy := c.Apps[0], c.Apps[1], c.Apps[2]
	routes := make([][3]any, len(c.Routes))
	for i, r := range c.Routes {
		routes[i] = [3]any{r.Destination.String(), r.App, r.Line}
	}
	runChecks(t, []check{
		{"File", c.File, "testdata/full.yaml"},
		{"Listen", c.Listen, "[::]:5084"},
		{"ACL", c.ACL, []netip.Prefix{
			netip.MustParsePrefix("10.0.0.0/8"),
			netip.MustParsePrefix("192.0.2.7/32"),
			netip.MustParsePrefix("2001:db8::/32"),
		}},
		{"Admin", c.Admin, "0.0.0.0:9191"},
		{"AdminToken", c.AdminToken, "t0ken"},
		{"Log", c.Log, LogConfig{Level: "debug", Format: "json"}},
		{"Linger", c.Linger, 10 * time.Second},
		{"DrainTimeout", c.DrainTimeout, time.Minute},
		{"Limits", c.Limits, Limits{MaxCalls: 20, MaxReplyBytes: 512 << 10, MaxVerbs: 10, MaxRedirects: 0}},
		{"DefaultApp", c.DefaultApp, "menu"},
		{"Routes", routes, [][3]any{{`^5\d{3}$`, "support", 17}, {"^9", "legacy", 18}}},

		{"menu.Line", menu.Line, 21},
		{"menu.Kind", menu.Kind, KindFlow},
		{"menu.Flow", menu.Flow, filepath.Join("testdata", "flows", "menu.yaml")},
		{"menu.AllowExecute", menu.AllowExecute, []string{"sched_hangup"}},
		{"menu.MaxCalls", menu.MaxCalls, 3},
		{"menu.URL", menu.URL, ""},
		{"menu.Timeout", menu.Timeout, time.Duration(0)},

		{"support.Line", support.Line, 25},
		{"support.Kind", support.Kind, KindWebhook},
		{"support.URL", support.URL, "https://ivr.example.com/ivr"},
		{"support.Format", support.Format, "form"},
		{"support.FallbackURL", support.FallbackURL, "https://ivr.example.com/sorry"},
		{"support.Timeout", support.Timeout, 3 * time.Second},
		{"support.Retries", support.Retries, 0},
		{"support.Secret", support.Secret, "s3cret"},
		{"support.StatusURL", support.StatusURL, "https://ivr.example.com/status"},
		{"support.Vars", support.Vars, []string{"sip_user_agent", "sip_h_X-Account"}},
		{"support.AllowExecute", support.AllowExecute, []string{"sched_hangup", "playback"}},
		{"support.MaxCalls", support.MaxCalls, 500},
		{"support.OnFailure", verbNames(support.OnFailure), []string{"answer", "play", "hangup"}},

		{"legacy.Line", legacy.Line, 37},
		{"legacy.Kind", legacy.Kind, KindLiverpie},
		{"legacy.Liverpie", *legacy.Liverpie, LiverpieApp{
			IP: "192.0.2.10", Port: 3002,
			StateMachineURI: "/ivr/state_machine", ResetURI: "/ivr/reset",
			DTMFURI: "/ivr/dtmf", HangupURI: "/ivr/hangup",
			AllowCommands: []string{"sendmsg", "api"}, Timeout: 2 * time.Second,
		}},
		{"legacy.Liverpie.BaseURL()", legacy.Liverpie.BaseURL(), "http://192.0.2.10:3002"},
		{"legacy.Format", legacy.Format, ""},
	})
}

// TestRootConfig loads the repository's config.yaml with no environment at
// all, and checks that the defaults it documents are the code's.
func TestRootConfig(t *testing.T) {
	c, err := Load("../../config.yaml", env(nil))
	if err != nil {
		t.Fatalf("Load(../../config.yaml) error:\n%v", err)
	}
	def := mustParse(t, minimalApps, nil)
	wantApp := def.Apps[0]
	runChecks(t, []check{
		{"Listen", c.Listen, def.Listen},
		{"ACL", c.ACL, def.ACL},
		{"Admin", c.Admin, def.Admin},
		{"AdminToken", c.AdminToken, ""},
		{"Log", c.Log, def.Log},
		{"Linger", c.Linger, def.Linger},
		{"DrainTimeout", c.DrainTimeout, def.DrainTimeout},
		{"Limits", c.Limits, def.Limits},
		{"RecordingsDir", c.RecordingsDir, def.RecordingsDir},
		{"MediaDirs", len(c.MediaDirs), 0},
		{"EventSocket", c.EventSocket, def.EventSocket},
		{"DefaultApp", c.DefaultApp, "demo"},
		{"apps", appNames(c.Apps), []string{"demo", "support"}},
	})
	demo := c.AppByName("demo")
	runChecks(t, []check{
		{"demo.Kind", demo.Kind, KindFlow},
		{"demo.Flow", demo.Flow, filepath.Join(filepath.Dir(c.File), "examples/flows/demo.yaml")},
	})
	for _, a := range c.Apps[1:] {
		runChecks(t, []check{
			{a.Name + ".Kind", a.Kind, KindWebhook},
			{a.Name + ".URL", a.URL, "http://127.0.0.1:8000/ivr"},
			{a.Name + ".FallbackURL", a.FallbackURL, "http://127.0.0.1:8000/sorry"},
			{a.Name + ".StatusURL", a.StatusURL, "http://127.0.0.1:8000/status"},
			{a.Name + ".Format", a.Format, wantApp.Format},
			{a.Name + ".Timeout", a.Timeout, wantApp.Timeout},
			{a.Name + ".Retries", a.Retries, wantApp.Retries},
			{a.Name + ".Secret", a.Secret, ""},
			{a.Name + ".OnFailure", verbNames(a.OnFailure), verbNames(wantApp.OnFailure)},
		})
	}
	if len(c.Routes) != 1 {
		t.Fatalf("len(Routes) = %d, want 1", len(c.Routes))
	}
	r := c.Routes[0]
	for _, tc := range []struct {
		dest string
		want bool
	}{{"5123", true}, {"5000", true}, {"6123", false}, {"51234", false}} {
		if got := r.Destination.MatchString(tc.dest); got != tc.want {
			t.Errorf("Routes[0].Destination.MatchString(%q) = %v, want %v", tc.dest, got, tc.want)
		}
	}
	if r.App != "support" {
		t.Errorf("Routes[0].App = %q, want support", r.App)
	}
}

func TestLoadConfigMissingFile(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "none.yaml"), os.LookupEnv)
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("LoadConfig(missing) = %v, want fs.ErrNotExist", err)
	}
}

// TestParseConfigErrors checks each problem's exact file:line: path: message.
func TestParseConfigErrors(t *testing.T) {
	tests := []struct {
		name string
		data string
		vars map[string]string
		want []string
	}{
		// The file as a whole.
		{"yaml syntax", "apps: [\n", nil, []string{
			"config.yaml:1:7: did not find expected node content"}},
		// yaml.v3 says line 1 (where the root mapping began).
		{"yaml unclosed list", "listen: 127.0.0.1:8084\nroutes: [{destination: x, app: y}\napps: {}\n", nil, []string{
			"config.yaml:2:33: did not find expected ',' or ']'"}},
		{"not a mapping", "- a\n", nil, []string{
			"config.yaml:1: must be a mapping",
			"config.yaml:1: apps: required: no call could be driven without an app"}},
		{"empty file", "", nil, []string{
			"config.yaml:1: apps: required: no call could be driven without an app"}},
		{"comments only", "# nothing yet\n", nil, []string{
			"config.yaml:1: apps: required: no call could be driven without an app"}},
		{"two documents", minimalApps + "---\nlisten: 127.0.0.1:1\n", nil, []string{
			"config.yaml:3: a config file holds one YAML document"}},
		{"unknown key", "listn: 127.0.0.1:8084\n" + minimalApps, nil, []string{
			"config.yaml:1: listn: unknown key (did you mean \"listen\"?)"}},
		{"duplicate key", "linger: 5s\nlinger: 6s\n" + minimalApps, nil, []string{
			"config.yaml:2: linger: duplicate key (first at line 1)"}},
		{"key not a string", "[a]: 1\n" + minimalApps, nil, []string{
			"config.yaml:1: a key must be a string"}},

		// listen, admin, acl.
		{"listen without port", "listen: 127.0.0.1\n" + minimalApps, nil, []string{
			`config.yaml:1: listen: invalid address "127.0.0.1" (want host:port, such as 127.0.0.1:8084 or [::]:8084)`}},
		{"listen IPv6 without brackets", "listen: '::1:8084'\n" + minimalApps, nil, []string{
			`config.yaml:1: listen: invalid address "::1:8084" (want host:port, such as 127.0.0.1:8084 or [::]:8084)`}},
		{"listen port out of range", "listen: 127.0.0.1:65536\n" + minimalApps, nil, []string{
			`config.yaml:1: listen: invalid port "65536" in "127.0.0.1:65536" (want 1..65535)`}},
		{"listen port name", "listen: 127.0.0.1:http\n" + minimalApps, nil, []string{
			`config.yaml:1: listen: invalid port "http" in "127.0.0.1:http" (want 1..65535)`}},
		{"listen bad host", "listen: bad_host:8084\n" + minimalApps, nil, []string{
			`config.yaml:1: listen: invalid host "bad_host" in "bad_host:8084"`}},
		{"listen a list", "listen: [127.0.0.1:8084]\n" + minimalApps, nil, []string{
			`config.yaml:1: listen: must be a single value`}},
		{"acl bad CIDR", "acl: [10.0.0.0/8, 10.0.0.0/33, nope]\n" + minimalApps, nil, []string{
			`config.yaml:1: acl[1]: invalid IP or CIDR "10.0.0.0/33"`,
			`config.yaml:1: acl[2]: invalid IP or CIDR "nope"`}},
		{"acl empty", "acl: []\n" + minimalApps, nil, []string{
			"config.yaml:1: acl: empty: no peer could connect"}},
		{"acl not a list", "acl: 10.0.0.0/8\n" + minimalApps, nil, []string{
			"config.yaml:1: acl: must be a list"}},
		{"admin everywhere without token", "admin: ':9090'\n" + minimalApps, nil, []string{
			"config.yaml:1: admin_token: required when admin (:9090) is not on loopback"}},
		{"admin IPv6 without token", "admin: '[::]:9090'\nadmin_token: ${TOKEN:-}\n" + minimalApps, nil, []string{
			"config.yaml:2: admin_token: required when admin ([::]:9090) is not on loopback"}},
		{"admin on listen", "listen: 127.0.0.1:8084\nadmin: 127.0.0.1:8084\n" + minimalApps, nil, []string{
			"config.yaml:2: admin: same address as listen (127.0.0.1:8084)"}},
		{"admin bad", "admin: localhost\n" + minimalApps, nil, []string{
			`config.yaml:1: admin: invalid address "localhost" (want host:port, such as 127.0.0.1:8084 or [::]:8084)`}},

		// log, durations, limits.
		{"log level", "log: {level: loud}\n" + minimalApps, nil, []string{
			`config.yaml:1: log.level: invalid log level "loud" (trace, debug, info, warn, error, fatal or panic)`}},
		{"log format", "log:\n  format: xml\n" + minimalApps, nil, []string{
			`config.yaml:2: log.format: must be text or json, got "xml"`}},
		{"log unknown key", "log:\n  lvl: info\n" + minimalApps, nil, []string{
			"config.yaml:2: log.lvl: unknown key"}},
		{"log not a mapping", "log: info\n" + minimalApps, nil, []string{
			"config.yaml:1: log: must be a mapping"}},
		{"linger invalid", "linger: 3x\n" + minimalApps, nil, []string{
			`config.yaml:1: linger: invalid duration "3x"`}},
		{"linger without unit", "linger: 30\n" + minimalApps, nil, []string{
			`config.yaml:1: linger: invalid duration "30"`}},
		{"linger fraction", "linger: 1500ms\n" + minimalApps, nil, []string{
			"config.yaml:1: linger: must be whole seconds, got 1.5s"}},
		{"linger zero", "linger: 0s\n" + minimalApps, nil, []string{
			"config.yaml:1: linger: must be positive, got 0s"}},
		{"drain_timeout negative", "drain_timeout: -1s\n" + minimalApps, nil, []string{
			"config.yaml:1: drain_timeout: must not be negative, got -1s"}},
		{"limits", "limits:\n  max_calls: 0\n  max_reply_bytes: 1XB\n  max_verbs: many\n  max_redirects: -1\n  max_bytes: 1\n" + minimalApps, nil, []string{
			"config.yaml:2: limits.max_calls: must be 1..1000000, got 0",
			`config.yaml:3: limits.max_reply_bytes: invalid size "1XB" (bytes, or a whole number and B, KB, MB, GB, KiB, MiB or GiB)`,
			`config.yaml:4: limits.max_verbs: invalid integer "many"`,
			"config.yaml:5: limits.max_redirects: must be 0..10000, got -1",
			"config.yaml:6: limits.max_bytes: unknown key"}},
		{"limits zero size", "limits: {max_reply_bytes: 0MiB}\n" + minimalApps, nil, []string{
			`config.yaml:1: limits.max_reply_bytes: must be positive, got "0MiB"`}},
		// Every size, count and duration has a maximum: 2^63-1 bytes made
		// every reply read as empty (issue 12, item 8).
		{"limits over their maxima", "limits:\n  max_calls: 1000001\n  max_reply_bytes: 9223372036854775807\n" +
			"  max_verbs: 10001\n  max_redirects: 10001\nlinger: 3601s\ndrain_timeout: 25h\n" +
			"apps:\n  a: {url: http://127.0.0.1:8000/ivr, timeout: 6m, max_calls: 1000001}\n" +
			"  l: {liverpie: {ip: 127.0.0.1, port: 3002, state_machine_uri: /sm, reset_uri: /r, timeout: 2562047h}}\n", nil, []string{
			"config.yaml:2: limits.max_calls: must be 1..1000000, got 1000001",
			`config.yaml:3: limits.max_reply_bytes: must be at most 64MiB, got "9223372036854775807"`,
			"config.yaml:4: limits.max_verbs: must be 1..10000, got 10001",
			"config.yaml:5: limits.max_redirects: must be 0..10000, got 10001",
			"config.yaml:6: linger: must be at most 1h0m0s, got 1h0m1s",
			"config.yaml:7: drain_timeout: must be at most 24h0m0s, got 25h0m0s",
			"config.yaml:9: apps.a.timeout: must be at most 5m0s, got 6m0s",
			"config.yaml:9: apps.a.max_calls: must be 0..1000000, got 1000001",
			"config.yaml:10: apps.l.liverpie.timeout: must be at most 5m0s, got 2562047h0m0s"}},
		{"event_socket", "event_socket:\n  reply_timeout: 0s\n  api_timeout: 2h\n  probe_after: -1s\n  max_frame_bytes: 1GiB\n  max_queued_bytes: 9223372036854775807\n  max_events: 1\n" + minimalApps, nil, []string{
			"config.yaml:2: event_socket.reply_timeout: must be 100ms to 1m0s, got 0s",
			"config.yaml:3: event_socket.api_timeout: must be 1s to 1h0m0s, got 2h0m0s",
			"config.yaml:4: event_socket.probe_after: must be 0s to 24h0m0s, got -1s",
			"config.yaml:5: event_socket.max_frame_bytes: must be 64KiB to 16MiB, got 1073741824 bytes",
			"config.yaml:6: event_socket.max_queued_bytes: must be 64KiB to 256MiB, got 9223372036854775807 bytes",
			"config.yaml:7: event_socket.max_events: unknown key"}},
		{"event_socket probe too eager", "event_socket: {probe_after: 10ms}\n" + minimalApps, nil, []string{
			"config.yaml:1: event_socket.probe_after: must be 0s (never) or 1s to 24h0m0s, got 10ms"}},
		{"event_socket queue under a frame", "event_socket: {max_frame_bytes: 8MiB}\n" + minimalApps, nil, []string{
			"config.yaml:1: event_socket.max_frame_bytes: is over max_queued_bytes (4194304): raise that too"}},
		{"event_socket queue set under a frame", "event_socket: {max_frame_bytes: 2MiB, max_queued_bytes: 1MiB}\n" + minimalApps, nil, []string{
			"config.yaml:1: event_socket.max_queued_bytes: must be at least max_frame_bytes (2097152), or no event of that size could be queued"}},

		// routes and default_app.
		{"route bad regexp", "routes:\n  - {destination: '^5\\d{3}(', app: a}\n" + minimalApps, nil, []string{
			`config.yaml:2: routes[0].destination: invalid regexp "^5\\d{3}(": missing closing )`}},
		{"route unknown app", "routes:\n  - {destination: ^5, app: b}\n" + minimalApps, nil, []string{
			`config.yaml:2: routes[0].app: unknown app "b"`}},
		{"route missing keys", "routes:\n  - {}\n  - {destination: ''}\n" + minimalApps, nil, []string{
			"config.yaml:2: routes[0].destination: required",
			"config.yaml:2: routes[0].app: required",
			"config.yaml:3: routes[1].destination: must not be empty",
			"config.yaml:3: routes[1].app: required"}},
		{"route unknown key", "routes:\n  - {destination: ^5, app: a, to: b}\n" + minimalApps, nil, []string{
			"config.yaml:2: routes[0].to: unknown key"}},
		{"route not a mapping", "routes:\n  - ^5\n" + minimalApps, nil, []string{
			"config.yaml:2: routes[0]: must be a mapping"}},
		{"routes not a list", "routes: {destination: ^5, app: a}\n" + minimalApps, nil, []string{
			"config.yaml:1: routes: must be a list"}},
		{"default_app unknown", "default_app: b\n" + minimalApps, nil, []string{
			`config.yaml:1: default_app: unknown app "b"`}},

		// apps.
		{"apps empty", "apps: {}\n", nil, []string{
			"config.yaml:1: apps: empty: no call could be driven without an app"}},
		{"apps a list", "apps: [a]\n", nil, []string{
			"config.yaml:1: apps: must be a mapping"}},
		{"app without kind", "apps:\n  a: {format: json}\n", nil, []string{
			"config.yaml:2: apps.a: needs one of url, liverpie, flow or twiml"}},
		{"app of two kinds", "apps:\n  a: {url: 'http://127.0.0.1/', flow: f.yaml}\n", nil, []string{
			"config.yaml:2: apps.a: has url and flow, but an app has exactly one of url, liverpie, flow or twiml"}},
		{"app name", "apps:\n  'bad name': {url: 'http://127.0.0.1/'}\n", nil, []string{
			"config.yaml:2: apps.bad name: invalid app name (letters, digits, _ . - and a letter or digit first)"}},
		{"app duplicate", minimalApps + "  a: {flow: f.yaml}\n", nil, []string{
			"config.yaml:3: apps.a: duplicate key (first at line 2)"}},
		{"app unknown key", "apps:\n  a:\n    url: http://127.0.0.1/\n    timeot: 3s\n", nil, []string{
			"config.yaml:4: apps.a.timeot: unknown key (did you mean \"timeout\"?)"}},
		{"app merged into itself", "apps:\n  a: &x\n    url: http://127.0.0.1/\n    <<: *x\n", nil, []string{
			"config.yaml:4: apps.a: merges a mapping into itself"}},
		{"merges of merges", mergeBomb(12), nil, []string{
			"config.yaml:3: apps.l8: more than 1000 merges in one file",
			"config.yaml:11: apps.l9: needs one of url, liverpie, flow or twiml",
			"config.yaml:12: apps.l10: needs one of url, liverpie, flow or twiml",
			"config.yaml:13: apps.l11: needs one of url, liverpie, flow or twiml",
			"config.yaml:14: apps.a: needs one of url, liverpie, flow or twiml"}},
		{"merge of a list item", "apps:\n  a:\n    url: http://127.0.0.1/\n    <<: [x]\n", nil, []string{
			"config.yaml:4: apps.a: must be a mapping"}},
		{"app not a mapping", "apps:\n  a: http://127.0.0.1/\n", nil, []string{
			"config.yaml:2: apps.a: must be a mapping"}},
		{"webhook keys on a flow", "apps:\n  a:\n    flow: f.yaml\n    timeout: 3s\n    vars: [x]\n", nil, []string{
			"config.yaml:4: apps.a.timeout: only for webhook and twiml apps",
			"config.yaml:5: apps.a.vars: only for webhook apps"}},
		{"allow keys", "apps:\n  a:\n    url: http://127.0.0.1/\n" +
			"    allow_execute: [info, System, 'a b']\n" +
			"    allow_vars: [sip_h_X-*, '*', 'a*b']\n" +
			"    allow_endpoints: [freetdm, 'a/b']\n" +
			"    allow_dialplans: [enum, Inline]\n" +
			"  b:\n    liverpie: {ip: h, port: 1, state_machine_uri: /s, reset_uri: /r, allow_call_commands: [nomedia, api]}\n", nil, []string{
			`config.yaml:4: apps.a.allow_execute[2]: invalid application name "a b"`,
			`config.yaml:4: apps.a.allow_execute[1]: System cannot be allowed: it runs a shell command on the FreeSWITCH host`,
			`config.yaml:5: apps.a.allow_vars[1]: invalid variable name (a trailing * allows a prefix) "*"`,
			`config.yaml:5: apps.a.allow_vars[2]: invalid variable name (a trailing * allows a prefix) "a*b"`,
			`config.yaml:6: apps.a.allow_endpoints[1]: invalid endpoint type "a/b"`,
			"config.yaml:7: apps.a.allow_dialplans[1]: inline cannot be allowed: it runs the applications named in the extension (list them in allow_execute and use the execute verb)",
			`config.yaml:9: apps.b.liverpie.allow_call_commands[1]: unknown call-command "api" (one of execute, hangup, nomedia, unicast or xferext)`}},
		{"webhook values", "apps:\n  a:\n" +
			"    url: /ivr\n" +
			"    format: xml\n" +
			"    fallback_url: ftp://127.0.0.1/sorry\n" +
			"    timeout: 3x\n" +
			"    retries: 6\n" +
			"    status_url: 'http:///status'\n" +
			"    vars: [ok, 'bad var']\n" +
			"    allow_execute: ['system;']\n" +
			"    max_calls: -1\n" +
			"    secret: [a]\n", nil, []string{
			`config.yaml:3: apps.a.url: must be an absolute http(s) URL, got "/ivr"`,
			`config.yaml:4: apps.a.format: must be json or form, got "xml"`,
			`config.yaml:5: apps.a.fallback_url: must be an absolute http(s) URL, got "ftp://127.0.0.1/sorry"`,
			`config.yaml:6: apps.a.timeout: invalid duration "3x"`,
			"config.yaml:7: apps.a.retries: must be 0..5, got 6",
			`config.yaml:8: apps.a.status_url: must be an absolute http(s) URL, got "http:///status"`,
			`config.yaml:9: apps.a.vars[1]: invalid channel variable name "bad var"`,
			`config.yaml:10: apps.a.allow_execute[0]: invalid application name "system;"`,
			"config.yaml:11: apps.a.max_calls: must be 0..1000000, got -1",
			"config.yaml:12: apps.a.secret: must be a single value"}},
		{"status events", "apps:\n  a:\n    url: http://127.0.0.1/\n    status_url: http://127.0.0.1/s\n" +
			"    status_events: [call.answered, call.ringing]\n" +
			"  b: {url: 'http://127.0.0.1/', status_events: [call.answered]}\n", nil, []string{
			`config.yaml:5: apps.a.status_events: unknown status event "call.ringing" (status events: call.answered)`,
			"config.yaml:6: apps.b.status_events: status events go to status_url, which the app does not have"}},
		{"webhook empty url", "apps:\n  a: {url: ''}\n", nil, []string{
			"config.yaml:2: apps.a.url: must not be empty"}},
		{"webhook zero timeout", "apps:\n  a: {url: 'http://127.0.0.1/', timeout: 0s}\n", nil, []string{
			"config.yaml:2: apps.a.timeout: must be positive, got 0s"}},
		{"on_failure not a list", "apps:\n  a: {url: 'http://127.0.0.1/', on_failure: hangup}\n", nil, []string{
			"config.yaml:2: apps.a.on_failure: must be a list of verbs"}},
		{"on_failure redirect", "apps:\n  a:\n    url: 'http://127.0.0.1/'\n    on_failure:\n      - {redirect: 'http://127.0.0.1/x'}\n", nil, []string{
			"config.yaml:5: apps.a.on_failure: redirect: on_failure verbs cannot ask the app again (no action or redirect)"}},
		{"flow empty", "apps:\n  a: {flow: ''}\n", nil, []string{
			"config.yaml:2: apps.a.flow: must name a flow file"}},

		// Liverpie apps.
		{"liverpie missing keys", "apps:\n  a:\n    liverpie: {ip: 127.0.0.1}\n", nil, []string{
			"config.yaml:3: apps.a.liverpie.port: required",
			"config.yaml:3: apps.a.liverpie.state_machine_uri: required",
			"config.yaml:3: apps.a.liverpie.reset_uri: required"}},
		{"liverpie values", "apps:\n  a:\n    liverpie:\n" +
			"      ip: 'not a host'\n" +
			"      port: 0\n" +
			"      state_machine_uri: ivr/sm\n" +
			"      reset_uri: ''\n" +
			"      dtmf_uri: '/a b'\n" +
			"      allow_commands: [sendmsg, connect]\n" +
			"      timeout: 0s\n" +
			"      url: http://127.0.0.1/\n", nil, []string{
			`config.yaml:4: apps.a.liverpie.ip: invalid IP or host name "not a host"`,
			"config.yaml:5: apps.a.liverpie.port: must be 1..65535, got 0",
			`config.yaml:6: apps.a.liverpie.state_machine_uri: must be a path starting with /, got "ivr/sm"`,
			"config.yaml:7: apps.a.liverpie.reset_uri: must not be empty",
			`config.yaml:8: apps.a.liverpie.dtmf_uri: must be a path starting with /, got "/a b"`,
			`config.yaml:9: apps.a.liverpie.allow_commands[1]: unknown ESL command "connect" (one of sendmsg, api, bgapi, event, nixevent, noevents, myevents, divert_events, filter, sendevent, linger, nolinger, log, nolog, getvar, resume or exit)`,
			"config.yaml:10: apps.a.liverpie.timeout: must be positive, got 0s",
			"config.yaml:11: apps.a.liverpie.url: unknown key"}},
		{"liverpie no commands", "apps:\n  a:\n    liverpie: {ip: h, port: 1, state_machine_uri: /s, reset_uri: /r, allow_commands: []}\n", nil, []string{
			"config.yaml:3: apps.a.liverpie.allow_commands: empty: the app could send no command"}},
		{"liverpie not a mapping", "apps:\n  a: {liverpie: yes}\n", nil, []string{
			"config.yaml:2: apps.a.liverpie: must be a mapping"}},

		// Environment variables.
		{"env unset", "apps:\n  a:\n    url: http://127.0.0.1/\n    secret: ${CALLHOOK_SECRET}\n", nil, []string{
			"config.yaml:4: apps.a.secret: environment variable CALLHOOK_SECRET is not set"}},
		{"env unterminated", "listen: ${LISTEN\n" + minimalApps, nil, []string{
			"config.yaml:1: listen: unterminated ${ (write $$ for a literal $)"}},
		{"env bad name", "admin_token: ${1TOKEN}\n" + minimalApps, nil, []string{
			`config.yaml:1: admin_token: invalid environment variable name "1TOKEN"`}},
		{"env in a list", "acl: [127.0.0.1, '${PEER}']\n" + minimalApps, nil, []string{
			"config.yaml:1: acl[1]: environment variable PEER is not set"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := errorLines(t, tc.data, tc.vars)
			if !slices.Equal(got, tc.want) {
				t.Errorf("Parse(%q) errors:\n%s\nwant:\n%s", tc.data, strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
}

// TestParseConfigMaxima: every maximum is itself allowed, and a reply limit
// at its maximum still reads a reply (the limit plus one must not wrap).
func TestParseConfigMaxima(t *testing.T) {
	data := "limits: {max_calls: 1000000, max_reply_bytes: 64MiB, max_verbs: 10000, max_redirects: 10000}\n" +
		"linger: 1h\ndrain_timeout: 24h\n" + minimalApps
	c, err := Parse("config.yaml", []byte(data), env(nil))
	if err != nil {
		t.Fatalf("Parse(%q) = %v, want no error", data, err)
	}
	if c.Limits.MaxReplyBytes != 64<<20 || c.Limits.MaxCalls != 1000000 {
		t.Errorf("limits = %+v, want the maxima", c.Limits)
	}
}

// mergeBomb returns a config whose app a merges n levels of mappings that
// each merge the level below twice: 2^n merges.
func mergeBomb(n int) string {
	var b strings.Builder
	b.WriteString("apps:\n  l0: &l0 {url: 'http://127.0.0.1/'}\n")
	for i := 1; i < n; i++ {
		fmt.Fprintf(&b, "  l%d: &l%d {<<: [*l%d, *l%d]}\n", i, i, i-1, i-1)
	}
	fmt.Fprintf(&b, "  a: {<<: [*l%d, *l%d]}\n", n-1, n-1)
	return b.String()
}

// TestParseConfigReportsEveryError checks that one parse reports every
// problem of a file, in line order.
func TestParseConfigReportsEveryError(t *testing.T) {
	data, err := os.ReadFile("testdata/bad.yaml")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		`config.yaml:3: log.level: invalid log level "loud" (trace, debug, info, warn, error, fatal or panic)`,
		`config.yaml:4: default_app: unknown app "nope"`,
		"config.yaml:9: apps.support.secret: environment variable CALLHOOK_SECRET is not set",
		"config.yaml:10: apps.support.retries: must be 0..5, got 9",
		"config.yaml:12: apps.support.timeot: unknown key (did you mean \"timeout\"?)",
		`config.yaml:14: apps.support.timeout: invalid duration "3x"`,
		`config.yaml:16: routes[0].destination: invalid regexp "^5\\d{3}(": missing closing )`,
	}
	if got := errorLines(t, string(data), nil); !slices.Equal(got, want) {
		t.Errorf("Parse(testdata/bad.yaml) errors:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestExpandEnv(t *testing.T) {
	vars := map[string]string{"A": "x", "EMPTY": "", "NL": "a\nb: c"}
	tests := []struct {
		in, want, err string
	}{
		{in: "plain", want: "plain"},
		{in: "${A}", want: "x"},
		{in: "<${A}${A}>", want: "<xx>"},
		{in: "${EMPTY}", want: ""},
		{in: "${UNSET:-def}", want: "def"},
		{in: "${EMPTY:-def}", want: "def"},
		{in: "${A:-def}", want: "x"},
		{in: "${UNSET:-}", want: ""},
		{in: "${UNSET:-a:-b}", want: "a:-b"},
		{in: "${NL}", want: "a\nb: c"},
		{in: "pa$$word", want: "pa$word"},
		{in: "$${A}", want: "${A}"},
		{in: `^5\d{3}$`, want: `^5\d{3}$`},
		{in: "a$b $", want: "a$b $"},
		{in: "${UNSET}", err: "environment variable UNSET is not set"},
		{in: "${A", err: "unterminated ${ (write $$ for a literal $)"},
		{in: "${}", err: `invalid environment variable name ""`},
		{in: "${A B}", err: `invalid environment variable name "A B"`},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := expandEnv(tc.in, env(vars))
			if tc.err != "" {
				if err == nil || err.Error() != tc.err {
					t.Errorf("expandEnv(%q) = %q, %v; want error %q", tc.in, got, err, tc.err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Errorf("expandEnv(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
			}
		})
	}
}

// TestParseConfigEnv checks that environment values land in values only:
// newlines and colons in them cannot add keys, and unquoted values take the
// type their text has.
func TestParseConfigEnv(t *testing.T) {
	const data = `apps:
  a:
    url: ${URL}
    secret: ${SECRET}
    max_calls: ${MAX_CALLS:-7}
    timeout: "${TIMEOUT:-2s}"
    status_url: ${STATUS_URL:-}
    fallback_url: ${URL}/sorry$$
`
	secret := "line1\nretries: 5\n- item: ${X}"
	c := mustParse(t, data, map[string]string{"URL": "http://127.0.0.1:8000/ivr", "SECRET": secret})
	a := c.Apps[0]
	runChecks(t, []check{
		{"URL", a.URL, "http://127.0.0.1:8000/ivr"},
		{"Secret", a.Secret, secret},
		{"Retries", a.Retries, 1},
		{"MaxCalls", a.MaxCalls, 7},
		{"Timeout", a.Timeout, 2 * time.Second},
		{"StatusURL", a.StatusURL, ""},
		{"FallbackURL", a.FallbackURL, "http://127.0.0.1:8000/ivr/sorry$"},
	})
}

// TestParseConfigProcessEnv checks that the exported entry points read the
// process environment.
func TestParseConfigProcessEnv(t *testing.T) {
	t.Setenv("CALLHOOK_TEST_URL", "http://127.0.0.1:8000/env")
	c, err := Parse("config.yaml", []byte("apps:\n  a: {url: '${CALLHOOK_TEST_URL}'}\n"), os.LookupEnv)
	if err != nil {
		t.Fatalf("ParseConfig error: %v", err)
	}
	if got := c.Apps[0].URL; got != "http://127.0.0.1:8000/env" {
		t.Errorf("ParseConfig URL = %q, want the environment's", got)
	}
}

func TestParseConfigIPv6(t *testing.T) {
	c := mustParse(t, "listen: '[::]:8084'\nacl: ['::1', 'fe80::1/10', 10.1.2.3, 10.1.2.3/8]\nadmin: '[::1]:9090'\n"+minimalApps, nil)
	runChecks(t, []check{
		{"Listen", c.Listen, "[::]:8084"},
		{"Admin", c.Admin, "[::1]:9090"},
		{"ACL", c.ACL, []netip.Prefix{
			netip.MustParsePrefix("::1/128"),
			netip.MustParsePrefix("fe80::/10"),
			netip.MustParsePrefix("10.1.2.3/32"),
			netip.MustParsePrefix("10.0.0.0/8"),
		}},
	})
}

func TestParseConfigAdmin(t *testing.T) {
	tests := []struct {
		name, data, admin, token string
	}{
		{"disabled", "admin: ''\n", "", ""},
		{"disabled by null", "admin:\n", "", ""},
		{"localhost", "admin: localhost:9090\n", "localhost:9090", ""},
		{"loopback", "admin: 127.0.0.2:9090\n", "127.0.0.2:9090", ""},
		{"everywhere with token", "admin: 0.0.0.0:9090\nadmin_token: ${T}\n", "0.0.0.0:9090", "secret"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := mustParse(t, tc.data+minimalApps, map[string]string{"T": "secret"})
			if c.Admin != tc.admin || c.AdminToken != tc.token {
				t.Errorf("Parse(%q) admin, token = %q, %q; want %q, %q", tc.data, c.Admin, c.AdminToken, tc.admin, tc.token)
			}
		})
	}
}

func TestParseSize(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		ok   bool
	}{
		{"1048576", 1 << 20, true},
		{"1MiB", 1 << 20, true},
		{"512KiB", 512 << 10, true},
		{"1 MiB", 1 << 20, true},
		{"2GiB", 2 << 30, true},
		{"1MB", 1000000, true},
		{"1kB", 1000, true},
		{"1KB", 1000, true},
		{"3GB", 3000000000, true},
		{"10B", 10, true},
		{"0", 0, true},
		{"", 0, false},
		{"MiB", 0, false},
		{"1.5MiB", 0, false},
		{"1mib", 0, false},
		{"1XB", 0, false},
		{"-1", 0, false},
		{"99999999999999999999", 0, false},
		{"9000000000GiB", 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := parseSize(tc.in)
			if (err == nil) != tc.ok || got != tc.want {
				t.Errorf("parseSize(%q) = %d, %v; want %d, ok %v", tc.in, got, err, tc.want, tc.ok)
			}
		})
	}
}

func TestParseConfigFlowPath(t *testing.T) {
	abs := filepath.Join(t.TempDir(), "f.yaml")
	tests := []struct {
		file, flow, want string
	}{
		{"config.yaml", "examples/flows/demo.yaml", filepath.Join("examples", "flows", "demo.yaml")},
		{filepath.Join("etc", "callhook", "config.yaml"), "flows/demo.yaml", filepath.Join("etc", "callhook", "flows", "demo.yaml")},
		{filepath.Join("etc", "config.yaml"), "../demo.yaml", "demo.yaml"},
		{filepath.Join("etc", "config.yaml"), abs, abs},
	}
	for _, tc := range tests {
		t.Run(tc.file+" "+tc.flow, func(t *testing.T) {
			data := "apps:\n  f: {flow: '" + tc.flow + "'}\n"
			c, err := Parse(tc.file, []byte(data), env(nil))
			if err != nil {
				t.Fatalf("Parse(%q, %q) error: %v", tc.file, data, err)
			}
			if got := c.Apps[0].Flow; got != tc.want {
				t.Errorf("Parse(%q, %q) Flow = %q, want %q", tc.file, data, got, tc.want)
			}
		})
	}
}

// TestLoadConfigMerge checks anchors, aliases and merge keys, with the keys
// an app writes itself winning over merged ones.
func TestLoadConfigMerge(t *testing.T) {
	c, err := Load("testdata/merge.yaml", env(nil))
	if err != nil {
		t.Fatalf("Load(testdata/merge.yaml) error:\n%v", err)
	}
	type app struct {
		URL     string
		Timeout time.Duration
		Retries int
		Vars    []string
	}
	got := map[string]app{}
	for _, a := range c.Apps {
		got[a.Name] = app{a.URL, a.Timeout, a.Retries, a.Vars}
	}
	const u = "http://127.0.0.1:8000/ivr"
	want := map[string]app{
		"a": {u, 3 * time.Second, 2, nil},
		"b": {u, 3 * time.Second, 0, []string{"sip_user_agent"}},
		"c": {u, time.Second, 2, []string{"sip_user_agent"}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("apps = %+v, want %+v", got, want)
	}
}

func TestParseConfigOnFailure(t *testing.T) {
	tests := []struct {
		name string
		data string
		want []string // verb names
	}{
		{"custom", "apps:\n  a:\n    url: http://127.0.0.1/\n    on_failure: [answer, {play: ivr/sorry.wav}, {hangup: USER_BUSY}]\n",
			[]string{"answer", "play", "hangup"}},
		{"empty", "apps:\n  a:\n    url: http://127.0.0.1/\n    on_failure: []\n", []string{}},
		{"null", "apps:\n  a:\n    url: http://127.0.0.1/\n    on_failure:\n", []string{}},
		{"flow", "apps:\n  a:\n    flow: f.yaml\n    on_failure:\n      - hangup: USER_BUSY\n", []string{"hangup"}},
		{"execute allowed", "apps:\n  a:\n    url: http://127.0.0.1/\n    allow_execute: [sched_hangup]\n    on_failure: [{execute: {app: sched_hangup, arg: '+1'}}]\n",
			[]string{"execute"}},
		{"liverpie", "apps:\n  a:\n    liverpie: {ip: h, port: 1, state_machine_uri: /s, reset_uri: /r}\n    on_failure: [{play: ivr/sorry.wav}]\n",
			[]string{"play"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := mustParse(t, tc.data, nil)
			if got := verbNames(c.Apps[0].OnFailure); !slices.Equal(got, tc.want) {
				t.Errorf("Parse(%q) OnFailure = %v, want %v", tc.data, got, tc.want)
			}
		})
	}
}

// TestParseConfigOnFailureErrors checks that on_failure errors point at the
// verb's own line. The message after the path is verb.ParseVerbs's, so
// only its gist is checked.
func TestParseConfigOnFailureErrors(t *testing.T) {
	tests := []struct {
		name         string
		data         string
		prefix, gist string
	}{
		{"unknown verb", "apps:\n  a:\n    url: http://127.0.0.1/\n    on_failure:\n      - answer\n      - dance: now\n",
			"config.yaml:6: apps.a.on_failure: ", `"dance"`},
		{"execute not allowed", "apps:\n  a:\n    url: http://127.0.0.1/\n    on_failure: [{execute: {app: sched_hangup, arg: '+1'}}]\n",
			"config.yaml:4: apps.a.on_failure: ", "allow_execute"},
		{"over max_verbs", "limits: {max_verbs: 1}\napps:\n  a:\n    url: http://127.0.0.1/\n    on_failure: [answer, hangup]\n",
			"config.yaml:5: apps.a.on_failure: ", "at most 1"},
		{"alias of itself", "apps:\n  a:\n    url: http://127.0.0.1/\n    on_failure: &x [*x]\n",
			"config.yaml:4: apps.a.on_failure: ", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := errorLines(t, tc.data, nil)
			if len(got) != 1 || !strings.HasPrefix(got[0], tc.prefix) || !strings.Contains(got[0], tc.gist) ||
				strings.Contains(strings.TrimPrefix(got[0], tc.prefix), "line ") {
				t.Errorf("Parse(%q) errors = %q, want one starting %q with %q and no second line number", tc.data, got, tc.prefix, tc.gist)
			}
		})
	}
}

// TestParseConfigOnFailureLines checks that on_failure verbs carry their
// lines in the config file.
func TestParseConfigOnFailureLines(t *testing.T) {
	c := mustParse(t, "apps:\n  a:\n    url: http://127.0.0.1/\n    on_failure:\n      - answer\n      - hangup\n", nil)
	var lines []int
	for _, v := range c.Apps[0].OnFailure {
		lines = append(lines, v.Line)
	}
	if !slices.Equal(lines, []int{5, 6}) {
		t.Errorf("OnFailure lines = %v, want [5 6]", lines)
	}
}

// FuzzParseConfig checks that no input makes the parser panic, that it
// returns a config or an error, and that a config it returns keeps the
// promises main relies on.
func FuzzParseConfig(f *testing.F) {
	for _, name := range []string{"testdata/full.yaml", "testdata/bad.yaml", "testdata/merge.yaml", "../../config.yaml"} {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(minimalApps))
	lookup := env(map[string]string{"ADMIN_TOKEN": "t0ken", "SECRET": "s"})
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse("config.yaml", data, lookup)
		if (c == nil) == (err == nil) {
			t.Fatalf("Parse(%q) = %v, %v; want a config or an error", data, c, err)
		}
		if err != nil {
			if !strings.HasPrefix(err.Error(), "config.yaml:") {
				t.Errorf("Parse(%q) error %q does not start with the file name", data, err)
			}
			return
		}
		checkInvariants(t, c)
	})
}

// checkInvariants reports what a parsed config must never hold.
func checkInvariants(t *testing.T, c *Config) {
	t.Helper()
	if err := checkHostPort(c.Listen); err != nil {
		t.Errorf("Listen: %v", err)
	}
	if c.Admin != "" && checkHostPort(c.Admin) != nil {
		t.Errorf("Admin %q is not a host:port", c.Admin)
	}
	if c.Admin != "" && !onLoopback(c.Admin) && c.AdminToken == "" {
		t.Errorf("Admin %q is not on loopback and has no token", c.Admin)
	}
	if len(c.ACL) == 0 || c.Linger < time.Second || c.DrainTimeout < 0 {
		t.Errorf("ACL, Linger, DrainTimeout = %v, %v, %v", c.ACL, c.Linger, c.DrainTimeout)
	}
	if l := c.Limits; l.MaxCalls < 1 || l.MaxReplyBytes < 1 || l.MaxVerbs < 1 || l.MaxRedirects < 0 {
		t.Errorf("Limits = %+v", l)
	}
	if len(c.Apps) == 0 {
		t.Errorf("no apps")
	}
	for _, r := range c.Routes {
		if r.Destination == nil || c.AppByName(r.App) == nil {
			t.Errorf("route %+v: no pattern or unknown app", r)
		}
	}
	if c.DefaultApp != "" && c.AppByName(c.DefaultApp) == nil {
		t.Errorf("DefaultApp %q is unknown", c.DefaultApp)
	}
	for _, a := range c.Apps {
		checkApp(t, a)
	}
}

// checkApp reports what a parsed app must never hold.
func checkApp(t *testing.T, a *App) {
	t.Helper()
	switch a.Kind {
	case KindWebhook:
		if a.URL == "" || a.Timeout <= 0 || a.Retries < 0 || a.Retries > 5 || (a.Format != "json" && a.Format != "form") {
			t.Errorf("webhook app %+v", a)
		}
	case KindLiverpie:
		l := a.Liverpie
		if l == nil || l.Port < 1 || l.Port > 65535 || !strings.HasPrefix(l.StateMachineURI, "/") || len(l.AllowCommands) == 0 || l.Timeout <= 0 {
			t.Errorf("liverpie app %+v: %+v", a, l)
		}
	case KindFlow:
		if a.Flow == "" {
			t.Errorf("flow app %+v", a)
		}
	default:
		t.Errorf("app %q: kind %q", a.Name, a.Kind)
	}
	if a.OnFailure == nil || a.MaxCalls < 0 {
		t.Errorf("app %q: OnFailure %v, MaxCalls %d", a.Name, a.OnFailure, a.MaxCalls)
	}
}

// TestParseConfigFiles: recordings_dir and media_dirs, global and per app
// (issue 11 item 4), reach the apps' file rules.
func TestParseConfigFiles(t *testing.T) {
	c := mustParse(t, `recordings_dir: /srv/rec
media_dirs: [/srv/media, /usr/share/sounds]
apps:
  a: {url: "http://127.0.0.1:8000/ivr"}
  b: {url: "http://127.0.0.1:8000/ivr", recordings_dir: /data/b-rec, media_dirs: [/srv/b]}
  f: {flow: f.yaml, media_dirs: []}
  l: {liverpie: {ip: 127.0.0.1, port: 3002, state_machine_uri: /sm, reset_uri: /reset}}
`, nil)
	a, b, f, l := c.AppByName("a"), c.AppByName("b"), c.AppByName("f"), c.AppByName("l")
	runChecks(t, []check{
		{"a.Files", *a.Files(), verb.FileRules{RecordingsDir: "/srv/rec/a", MediaDirs: []string{"/srv/media", "/usr/share/sounds"}}},
		{"b.Files", *b.Files(), verb.FileRules{RecordingsDir: "/data/b-rec", MediaDirs: []string{"/srv/b"}}},
		{"f.Files", *f.Files(), verb.FileRules{RecordingsDir: "/srv/rec/f", MediaDirs: []string{}}},
		{"l.Files", *l.Files(), verb.FileRules{RecordingsDir: "/srv/rec/l", MediaDirs: []string{"/srv/media", "/usr/share/sounds"}}},
	})
	// on_failure verbs follow the app's rules.
	c = mustParse(t, "media_dirs: [/srv/media]\napps:\n  a: {url: \"http://127.0.0.1:8000/ivr\", on_failure: [{play: /srv/media/sorry.wav}]}\n", nil)
	if got := verbNames(c.Apps[0].OnFailure); !slices.Equal(got, []string{"play"}) {
		t.Errorf("on_failure = %v, want [play]", got)
	}
}

func TestParseConfigFilesErrors(t *testing.T) {
	tests := []struct {
		data string
		want []string
	}{
		{"recordings_dir: recordings\n" + minimalApps, []string{
			`config.yaml:1: recordings_dir: "recordings" must be an absolute path`}},
		{"recordings_dir: /var/lib/../rec\n" + minimalApps, []string{
			`config.yaml:1: recordings_dir: "/var/lib/../rec" must be a clean path (no "." or ".." segments, no "//" or trailing "/"; "/var/rec")`}},
		{"recordings_dir: /\n" + minimalApps, []string{
			`config.yaml:1: recordings_dir: "/" would be the whole file system`}},
		{"media_dirs: [/srv/ok, '/srv/{x}']\n" + minimalApps, []string{
			`config.yaml:1: media_dirs[1]: "/srv/{x}": "{x}" has characters other than letters, digits and _ . + @ = , -`}},
		{"media_dirs: /srv\n" + minimalApps, []string{
			`config.yaml:1: media_dirs: must be a list`}},
		{"apps:\n  a:\n    url: http://127.0.0.1:8000/ivr\n    recordings_dir: rel\n    media_dirs: [/a/, x]\n", []string{
			`config.yaml:4: apps.a.recordings_dir: "rel" must be an absolute path`,
			`config.yaml:5: apps.a.media_dirs[0]: "/a/" must be a clean path (no "." or ".." segments, no "//" or trailing "/"; "/a")`,
			`config.yaml:5: apps.a.media_dirs[1]: "x" must be an absolute path`}},
		{"apps:\n  a:\n    url: http://127.0.0.1:8000/ivr\n    on_failure: [{play: /etc/passwd}]\n", []string{
			`config.yaml:4: apps.a.on_failure: play: file: "/etc/passwd" is outside the app's media folders (media_dirs: none) and its recordings folder (/var/lib/freeswitch/recordings/a)`}},
	}
	for _, tc := range tests {
		if got := errorLines(t, tc.data, nil); !slices.Equal(got, tc.want) {
			t.Errorf("ParseConfig(%q) errors =\n%s\nwant\n%s", tc.data, strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
		}
	}
}

// TestStatusEvents: status_events of a webhook app, each error with its
// line.
func TestStatusEvents(t *testing.T) {
	c := mustParse(t, "apps:\n  a: {url: http://127.0.0.1:8000/ivr, status_url: http://127.0.0.1:8000/s, status_events: [call.answered]}\n", nil)
	if got := c.Apps[0].StatusEvents; !slices.Equal(got, []string{"call.answered"}) {
		t.Errorf("StatusEvents = %q, want [call.answered]", got)
	}
	for _, tc := range []struct{ data, want string }{
		{"apps:\n  a: {url: http://127.0.0.1:8000/ivr, status_url: http://127.0.0.1:8000/s, status_events: [call.ringing]}\n",
			`config.yaml:2: apps.a.status_events: unknown status event "call.ringing" (status events: call.answered)`},
		{"apps:\n  a: {url: http://127.0.0.1:8000/ivr, status_url: http://127.0.0.1:8000/s, status_events: [call.answered, call.answered]}\n",
			`config.yaml:2: apps.a.status_events: status event "call.answered" given twice`},
		{"apps:\n  a: {url: http://127.0.0.1:8000/ivr, status_events: [call.answered]}\n",
			`config.yaml:2: apps.a.status_events: status events go to status_url, which the app does not have`},
	} {
		if got := errorLines(t, tc.data, nil); !slices.Equal(got, []string{tc.want}) {
			t.Errorf("Parse(%q) errors = %q, want [%q]", tc.data, got, tc.want)
		}
	}
}

// TestBoxes checks the boxes key and the apps' allow_to and allow_from.
func TestBoxes(t *testing.T) {
	env := func(name string) (string, bool) {
		if name == "FS1_PASSWORD" {
			return "ClueCon", true
		}
		return "", false
	}
	good := "acl: [127.0.0.0/8, 10.0.0.0/8]\n" +
		"apps:\n" +
		"  a:\n" +
		"    url: http://127.0.0.1:8000/ivr\n" +
		"    allow_to: ['^user/1\\d{3}$']\n" +
		"    allow_from: ['^\\+1555']\n" +
		"boxes:\n" +
		"  - {name: fs1, addr: 10.0.0.5:8021, password: '${FS1_PASSWORD}', max_calls: 100, connect_back: 10.0.0.2:8084}\n"
	c, err := Parse("config.yaml", []byte(good), env)
	if err != nil {
		t.Fatal(err)
	}
	want := Box{Name: "fs1", Line: 8, Addr: "10.0.0.5:8021", Password: "ClueCon", MaxCalls: 100, MaxCPS: 30, ConnectBack: "10.0.0.2:8084"}
	if len(c.Boxes) != 1 || c.Boxes[0] != want {
		t.Errorf("Boxes = %+v, want %+v", c.Boxes, want)
	}
	a := c.AppByName("a")
	if len(a.AllowTo) != 1 || !a.AllowTo[0].MatchString("user/1000") || len(a.AllowFrom) != 1 {
		t.Errorf("allow_to %v, allow_from %v", a.AllowTo, a.AllowFrom)
	}
	// allow_to and allow_from match the whole value, written with ^ and $
	// or not: a pattern is an allowlist, and what an unanchored one lets
	// through after the number (;fs_path=, @host) routes the call elsewhere.
	anchored := "acl: [127.0.0.0/8]\napps:\n  a:\n    url: http://127.0.0.1:8000/ivr\n" +
		"    allow_to: ['user/1\\d{3}', '^sofia/gateway/out/\\+1555\\d{7}$']\n    allow_from: ['\\+1555']\n"
	c, err = Parse("config.yaml", []byte(anchored), env)
	if err != nil {
		t.Fatal(err)
	}
	a = c.AppByName("a")
	for _, tc := range []struct {
		to   string
		want bool
	}{
		{"user/1000", true},
		{"sofia/gateway/out/+15550001111", true},
		{"user/1000;fs_path=sip:evil.example.com", false},
		{"user/10000", false},
		{"xuser/1000", false},
		{"sofia/gateway/out/+155500011112", false},
	} {
		got := false
		for _, re := range a.AllowTo {
			got = got || re.MatchString(tc.to)
		}
		if got != tc.want {
			t.Errorf("allow_to matches %q = %v, want %v", tc.to, got, tc.want)
		}
	}
	if a.AllowFrom[0].MatchString("+15550100") || !a.AllowFrom[0].MatchString("+1555") {
		t.Errorf("allow_from \\+1555 must match +1555 alone, not a longer number")
	}
	for _, tc := range []struct{ box, want string }{
		{"{name: fs1, addr: 10.0.0.5:8021, password: x, connect_back: 192.0.2.1:8084}", "192.0.2.1 is not in acl"},
		{"{name: fs1, addr: 10.0.0.5:8021, password: x, connect_back: callhook:8084}", "must be an IP address"},
		{"{name: fs1, addr: 10.0.0.5:8021, connect_back: 10.0.0.2:8084}", "boxes[0].password: required"},
		{"{name: fs1, password: x, connect_back: 10.0.0.2:8084}", "boxes[0].addr: required"},
		{"{name: fs1, addr: 10.0.0.5:8021, password: x, connect_back: 10.0.0.2:8084, max_cps: 0}", "boxes[0].max_cps"},
		{"{name: 'f s', addr: 10.0.0.5:8021, password: x, connect_back: 10.0.0.2:8084}", "invalid box name"},
	} {
		doc := "acl: [127.0.0.0/8, 10.0.0.0/8]\napps:\n  a: {url: 'http://127.0.0.1:8000/'}\nboxes:\n  - " + tc.box + "\n"
		_, err := Parse("config.yaml", []byte(doc), env)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("boxes %s: error %v, want %q", tc.box, err, tc.want)
		}
	}
}
