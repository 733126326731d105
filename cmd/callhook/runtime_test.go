package main

import (
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
