package statemachine

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden file (run go test -update): %v", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from %s (run go test -update to accept):\n%s", name, path, got)
	}
}

func TestGraphGolden(t *testing.T) {
	for _, name := range []string{"demo", "business-hours", "handoff"} {
		t.Run(name, func(t *testing.T) {
			f, err := ParseFile("../examples/flows/" + name + ".yaml")
			if err != nil {
				t.Fatal(err)
			}
			mermaid, dot := f.Mermaid(), f.DOT()
			golden(t, name+".mmd", mermaid)
			golden(t, name+".dot", dot)
			for i := 0; i < 5; i++ {
				if f.Mermaid() != mermaid || f.DOT() != dot {
					t.Fatalf("graph output changes from run to run")
				}
			}
		})
	}
}

func TestGraphEscaping(t *testing.T) {
	f := mustParse(t, src(
		"start: \"a b\"",
		"states:",
		"  \"a b\":",
		"    verbs: [log: 'say \"hi\" <now>|x']",
		"    next: end",
		"  end:",
		"    verbs: [gather: x.wav]",
		"    on: {digits: {'/^\\d\"$/': \"a b\"}}",
		"    tries: 2",
		"    max_tries: fetch",
		"  fetch:",
		"    fetch: {url: \"http://x/?q={{call.from}}\"}",
		"    next: end",
	))
	tests := []struct {
		name, got string
		want      []string
	}{
		{"mermaid", f.Mermaid(), []string{
			`start_node((start)) --> s_a_b`,
			`s_a_b["a b<br/>log say #quot;hi#quot; #lt;now#gt;#124;x"]`,
			`s_end -->|"/^\d#quot;$/"| s_a_b`,
			`s_end -->|"retry (timeout, invalid, error)"| s_end`,
			`s_fetch[["fetch<br/>GET http://x/?q={{call.from}}"]]`,
		}},
		{"dot", f.DOT(), []string{
			`"s:a b" [label="a b\nlog say \"hi\" <now>|x"];`,
			`"s:end" -> "s:a b" [label="/^\\d\"$/"];`,
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, w := range tc.want {
				if !strings.Contains(tc.got, w) {
					t.Errorf("%s output lacks %q:\n%s", tc.name, w, tc.got)
				}
			}
		})
	}
}
