package config

import (
	"slices"
	"testing"
	"time"
)

func TestRecordingsConfig(t *testing.T) {
	if c := mustParse(t, minimalApps, nil); c.Recordings != nil {
		t.Errorf("Recordings without the key = %+v, want nil", c.Recordings)
	}
	c := mustParse(t, "recordings: {listen: 127.0.0.1:8086}\n"+minimalApps, nil)
	want := Recordings{Listen: "127.0.0.1:8086", URL: "http://127.0.0.1:8086", Dir: DefaultRecordingsStore,
		Keep: 24 * time.Hour, MaxSize: 512 << 20, Wait: 10 * time.Second}
	if c.Recordings == nil || *c.Recordings != want {
		t.Errorf("Recordings = %+v, want %+v", c.Recordings, want)
	}
	c = mustParse(t, "recordings:\n  listen: '[::]:8086'\n  url: https://rec.example.com/cb\n  switch_url: http://10.0.0.5:8086\n"+
		"  dir: /srv/rec\n  keep: 1h\n  max_size: 1GiB\n  max_total: 2GiB\n  wait: 2s\n  local: true\n"+minimalApps, nil)
	want = Recordings{Listen: "[::]:8086", URL: "https://rec.example.com/cb", SwitchURL: "http://10.0.0.5:8086", Dir: "/srv/rec",
		Keep: time.Hour, MaxSize: 1 << 30, MaxTotal: 2 << 30, Wait: 2 * time.Second, Local: true}
	if *c.Recordings != want {
		t.Errorf("Recordings = %+v, want %+v", c.Recordings, want)
	}
	for _, tc := range []struct{ data, want string }{
		{"recordings: {url: http://x}\n", `config.yaml:1: recordings.listen: required: the host:port the switch uploads recordings to and apps fetch them from`},
		{"recordings: {listen: '0.0.0.0:8086'}\n", `config.yaml:1: recordings.url: required when listen is on every address (0.0.0.0:8086): the URL apps reach callhook's recordings at`},
		{"recordings: {listen: '127.0.0.1:8086', keep: 1s}\n", `config.yaml:1: recordings.keep: must be 1m0s to 720h0m0s, got 1s`},
		{"recordings: {listen: '127.0.0.1:8086', dir: rec}\n", `config.yaml:1: recordings.dir: must be an absolute, clean path, got "rec"`},
		{"recordings: {listen: '127.0.0.1:8086', max_total: 100MiB}\n", `config.yaml:1: recordings.max_total: must be at least max_size (536870912 bytes)`},
		{"recordings: {listen: '127.0.0.1:8086', local: 'yes'}\n", `config.yaml:1: recordings.local: must be true or false, got "yes"`},
		{"recordings: {listen: '127.0.0.1:8086', url: 'ftp://x'}\n", `config.yaml:1: recordings.url: must be an absolute http(s) URL, got "ftp://x"`},
		{"recordings: {listen: '127.0.0.1:8086', keeps: 1h}\n", ``},
	} {
		got := errorLines(t, tc.data+minimalApps, nil)
		if tc.want == "" {
			continue // an unknown key: its message is the decoder's
		}
		if !slices.Equal(got, []string{tc.want}) {
			t.Errorf("Parse(%q) errors = %q, want [%q]", tc.data, got, tc.want)
		}
	}
	old := mustParse(t, "recordings: {listen: 127.0.0.1:8086}\n"+minimalApps, nil)
	next := mustParse(t, "recordings: {listen: 127.0.0.1:8087}\n"+minimalApps, nil)
	if got := RestartOnly(old, next); !slices.Contains(got, "recordings") {
		t.Errorf("RestartOnly = %q, want recordings", got)
	}
}
