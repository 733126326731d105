package yamlx

import (
	"testing"

	"gopkg.in/yaml.v3"
)

func TestLocate(t *testing.T) {
	for _, tc := range []struct {
		name, doc, want string
	}{
		// yaml.v3 says line 1 (where the mapping began).
		{"unclosed flow list", "a: 1\nb: [1, 2\nc: 3\n", "2:5: did not find expected ',' or ']'"},
		// yaml.v3 says line 1.
		{"bad indentation", "states:\n  a:\n    verbs: [answer]\n   next: b\n", "4:4: did not find expected key"},
		// yaml.v3 gives no line at all.
		{"two colons", "x: 1\na: b: c\n", "2:5: mapping values are not allowed in this context"},
		// yaml.v3 says line 1, the line of the parent key.
		{"list then key", "a:\n  - x\n  y: 1\n", "3:4: did not find expected '-' indicator"},
		{"tab indentation", "a:\n\tb: 1\n", "2:1: found character that cannot start any token"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var n yaml.Node
			err := yaml.Unmarshal([]byte(tc.doc), &n)
			if err == nil {
				t.Fatalf("yaml.Unmarshal(%q) = nil error, want a syntax error", tc.doc)
			}
			if got := Locate([]byte(tc.doc), err).String(); got != tc.want {
				t.Errorf("Locate(%q) = %q, want %q (yaml.v3 said %q)", tc.doc, got, tc.want, err)
			}
		})
	}
}
