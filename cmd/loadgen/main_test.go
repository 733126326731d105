package main

import (
	"bytes"
	"io"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

func TestParseFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		err  string // "" for success
	}{
		{[]string{}, ""},
		{[]string{"-scenario", "held", "-calls", "10000", "-pid", "42", "-admin", "127.0.0.1:9090"}, ""},
		{[]string{"-baseline", "-http"}, ""},
		{[]string{"-scenario", "soak"}, `unknown scenario "soak"`},
		{[]string{"-http"}, "-http goes with -baseline"},
		{[]string{"-serve-baseline", "127.0.0.1:8085", "-http"}, "needs -webapp"},
		{[]string{"-print-config"}, "needs -webapp"},
		{[]string{"extra"}, "unexpected arguments"},
	} {
		_, err := parseFlags(tc.args, io.Discard)
		if tc.err == "" && err != nil || tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)) {
			t.Errorf("parseFlags(%q) = %v, want %q", tc.args, err, tc.err)
		}
	}
	o, err := parseFlags([]string{"-app", ""}, io.Discard)
	if err != nil || !o.appSet {
		t.Errorf(`parseFlags(-app "") = %+v, %v; want appSet`, o, err)
	}
}

// TestWriteConfig: the generated config is YAML naming the three apps at
// the web app's address.
func TestWriteConfig(t *testing.T) {
	var b bytes.Buffer
	writeConfig(&b, "127.0.0.1:18084", "127.0.0.1:19090", "127.0.0.1:18000")
	var cfg struct {
		Listen     string `yaml:"listen"`
		Admin      string `yaml:"admin"`
		DefaultApp string `yaml:"default_app"`
		Apps       map[string]struct {
			URL string `yaml:"url"`
		} `yaml:"apps"`
	}
	if err := yaml.Unmarshal(b.Bytes(), &cfg); err != nil {
		t.Fatalf("generated config: %v\n%s", err, b.String())
	}
	if cfg.Listen != "127.0.0.1:18084" || cfg.Admin != "127.0.0.1:19090" || cfg.DefaultApp != "menu" {
		t.Errorf("config = %+v", cfg)
	}
	for app, url := range map[string]string{"menu": "http://127.0.0.1:18000/ivr", "hold": "http://127.0.0.1:18000/hold", "slow": "http://127.0.0.1:18000/slow/ivr"} {
		if got := cfg.Apps[app].URL; got != url {
			t.Errorf("apps.%s.url = %q, want %q", app, got, url)
		}
	}
}

func TestFreePorts(t *testing.T) {
	ports, err := freePorts(3)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[int]bool{}
	for _, p := range ports {
		if p <= 0 || seen[p] {
			t.Errorf("freePorts(3) = %v, want three distinct ports", ports)
		}
		seen[p] = true
	}
}

func TestLineCounter(t *testing.T) {
	var c lineCounter
	for _, s := range []string{"accept: too many open files\n", "two\nlines\n", "no newline"} {
		if n, err := c.Write([]byte(s)); n != len(s) || err != nil {
			t.Errorf("Write(%q) = %d, %v; want %d, nil", s, n, err, len(s))
		}
	}
	if got := c.n.Load(); got != 3 {
		t.Errorf("lines counted = %d, want 3", got)
	}
}
