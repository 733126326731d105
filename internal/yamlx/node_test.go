package yamlx

import (
	"errors"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// TestDeref: an alias gives the node it names, through any document, and
// a hand-built alias cycle ends.
func TestDeref(t *testing.T) {
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte("a: &x {k: v}\nb: *x\nc: &n ~\nd: *n\n"), &doc); err != nil {
		t.Fatal(err)
	}
	m := doc.Content[0].Content
	if got := Deref(m[3]); got != m[1] {
		t.Errorf("Deref(*x) = %v, want the anchored mapping", got)
	}
	if !IsNull(m[7]) || IsNull(m[1]) {
		t.Errorf("IsNull(*n), IsNull({k: v}) = %v, %v; want true, false", IsNull(m[7]), IsNull(m[1]))
	}
	a, b := &yaml.Node{Kind: yaml.AliasNode}, &yaml.Node{Kind: yaml.AliasNode}
	a.Alias, b.Alias = b, a
	if got := Deref(a); got.Kind != yaml.AliasNode {
		t.Errorf("Deref(cycle) = %v, want an alias node back", got)
	}
	dangling := &yaml.Node{Kind: yaml.AliasNode}
	if got := Deref(dangling); got != dangling {
		t.Errorf("Deref(alias of nothing) = %v, want the alias itself", got)
	}
}

// TestAnchorOnAliasRefused backs maxAliasChain's reason: yaml.v3 refuses
// an anchor on an alias, so a parsed alias never names another alias.
func TestAnchorOnAliasRefused(t *testing.T) {
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte("a: &x 1\nb: &y *x\n"), &doc); err == nil {
		t.Errorf("yaml.v3 parsed an anchored alias; Deref's bound needs a new reason")
	}
}

// TestProblems: problems come out in line order, one line's in the order
// found, and each is still an error of its own type.
func TestProblems(t *testing.T) {
	var p Problems
	if p.Err() != nil {
		t.Fatalf("empty Problems: Err() = %v, want nil", p.Err())
	}
	first := errors.New("f:3: first on 3")
	p.Add(3, first)
	p.Add(1, errors.New("f:1: on 1"))
	p.Add(3, errors.New("f:3: second on 3"))
	p.Add(0, errors.New("f: no line"))
	if p.Len() != 4 {
		t.Errorf("Len() = %d, want 4", p.Len())
	}
	want := "f: no line\nf:1: on 1\nf:3: first on 3\nf:3: second on 3"
	err := p.Err()
	if got := err.Error(); got != want {
		t.Errorf("Err() =\n%s\nwant\n%s", got, want)
	}
	if !errors.Is(err, first) {
		t.Errorf("errors.Is(Err(), first) = false")
	}
}

func TestSplitText(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"yaml: line 4: cannot unmarshal !!seq into string", "4: cannot unmarshal !!seq into string"},
		{"yaml: unknown anchor 'x' referenced", "unknown anchor 'x' referenced"},
	} {
		if got := SplitText(tc.in).String(); got != tc.want {
			t.Errorf("SplitText(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	if strings.Contains(Split(errors.New("yaml: line 2: x")).String(), "yaml:") {
		t.Errorf("Split kept the yaml: prefix")
	}
}
