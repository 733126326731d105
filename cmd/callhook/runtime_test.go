package main

import (
	"slices"
	"strings"
	"testing"

	"github.com/callhook/callhook/proxy"
)

// TestRedirectLimit: limits.max_redirects reaches webhook apps with its
// meaning intact; 0 forbids redirects instead of meaning "the default".
func TestRedirectLimit(t *testing.T) {
	for _, tc := range []struct {
		yaml string
		want int
	}{
		{"", proxy.DefaultMaxRedirects},
		{"limits: {max_redirects: 0}\n", -1},
		{"limits: {max_redirects: 7}\n", 7},
	} {
		cfg, err := parseConfig("config.yaml", []byte(tc.yaml+"apps:\n  a: {url: 'http://127.0.0.1/'}\n"), env(nil))
		if err != nil {
			t.Fatal(err)
		}
		rt, err := buildRuntime(cfg, newDeps())
		if err != nil {
			t.Fatal(err)
		}
		if got := rt.Apps["a"].Backend.(*proxy.WebhookApp).MaxRedirects; got != tc.want {
			t.Errorf("%q: MaxRedirects = %d, want %d", tc.yaml, got, tc.want)
		}
	}
}

// TestAllowKeysReachBackends: an app's allow keys reach its backend, and
// on_failure verbs are checked with them.
func TestAllowKeysReachBackends(t *testing.T) {
	cfg, err := parseConfig("config.yaml", []byte(`apps:
  w:
    url: http://127.0.0.1/
    allow_execute: [Conference]
    allow_vars: [execute_on_*]
    allow_endpoints: [freetdm]
    allow_dialplans: [enum]
    on_failure: [{set: {execute_on_answer: playback x.wav}}, {bridge: freetdm/1/a/1}, {transfer: {extension: '1', dialplan: enum}}]
  l:
    liverpie: {ip: 127.0.0.1, port: 1, state_machine_uri: /s, reset_uri: /r, allow_call_commands: [xferext]}
    allow_execute: [fifo]
    allow_vars: [sip_invite_params]
`), env(nil))
	if err != nil {
		t.Fatal(err)
	}
	rt, err := buildRuntime(cfg, newDeps())
	if err != nil {
		t.Fatal(err)
	}
	w := rt.Apps["w"].Backend.(*proxy.WebhookApp)
	if !slices.Equal(w.AllowExecute, []string{"Conference"}) || !slices.Equal(w.AllowVars, []string{"execute_on_*"}) ||
		!slices.Equal(w.AllowEndpoints, []string{"freetdm"}) || !slices.Equal(w.AllowDialplans, []string{"enum"}) {
		t.Errorf("webhook app = %+v, want its allow keys", w)
	}
	l := rt.Apps["l"].Backend.(*proxy.LiverpieApp)
	if !slices.Equal(l.AllowCallCommands, []string{"xferext"}) || !slices.Equal(l.AllowExecute, []string{"fifo"}) ||
		!slices.Equal(l.AllowVars, []string{"sip_invite_params"}) {
		t.Errorf("liverpie app = %+v, want its allow keys", l)
	}
	if _, err := parseConfig("config.yaml", []byte("apps:\n  w:\n    url: http://127.0.0.1/\n    on_failure: [{bridge: freetdm/1/a/1}]\n"), env(nil)); err == nil ||
		!strings.Contains(err.Error(), `endpoint "freetdm" is not allowed`) {
		t.Errorf("on_failure bridging to freetdm without allow_endpoints: %v, want an error", err)
	}
}
