package verb

import (
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/callhook/callhook/internal/yamlx"
	"gopkg.in/yaml.v3"
)

// resolveURLRef is resolveURL as it was before its fast path: the
// resolved URL always parsed again by absoluteURL.
func resolveURLRef(base *url.URL, ref string) (string, error) {
	r, err := url.Parse(ref)
	if err != nil {
		return "", fmt.Errorf("%s is not a URL", Quote(ref))
	}
	return absoluteURL(base.ResolveReference(r).String())
}

var urlSeeds = [][2]string{
	{"http://127.0.0.1:8080/ivr", "/menu"}, {"http://127.0.0.1:8080/ivr", "menu"}, {"https://a.example/x/y", "../z"},
	{"http://h/ivr", "//other:81/p"}, {"http://h/ivr", "ftp://x/y"}, {"http://h/ivr", "http:"}, {"http://h/ivr", "http:/x"},
	{"http://h/ivr", "/a b"}, {"http://h/ivr", "/a%20b"}, {"http://h/ivr", "/a?b=c#d"}, {"http://u:p@h/ivr", "/m"},
	{"http://[::1]:80/ivr", "/m"}, {"http://h/ivr", "/a:b"}, {"http://h/ivr", "a:b"}, {"http://h/ivr", "./a:b"},
	{"http://h:/ivr", "/m"}, {"http://h/ivr", "//"}, {"http://h/ivr", "///x"}, {"http://h/ivr", "/~x/./y/../z"},
	{"http://h/ivr", "%zz"}, {"http://h/ivr", "http://%41/"}, {"http://h/ivr", "HTTP://H/X"}, {"http://h/ivr", ""},
	{"http://h/a%2Fb/c", "d"}, {"http://h/ivr", "//h:x/"}, {"http://h/ivr", "//:80/"}, {"http://h/ivr", "/é"},
}

// sameResolve fails t when resolveURL and the reference disagree.
func sameResolve(t *testing.T, base, ref string) {
	t.Helper()
	b, err := url.Parse(base)
	if err != nil {
		return
	}
	got, gerr := resolveURL(b, ref)
	want, werr := resolveURLRef(b, ref)
	if got != want || (gerr == nil) != (werr == nil) || gerr != nil && gerr.Error() != werr.Error() {
		t.Fatalf("resolveURL(%q, %q) = %q, %v; the reference says %q, %v", base, ref, got, gerr, want, werr)
	}
}

func TestResolveURLMatchesReference(t *testing.T) {
	for _, s := range urlSeeds {
		sameResolve(t, s[0], s[1])
	}
}

func FuzzResolveURL(f *testing.F) {
	for _, s := range urlSeeds {
		f.Add(s[0], s[1])
	}
	f.Fuzz(sameResolve)
}

// decodeIntRef is args.integer's reading before plainDecimal: yaml.v3's
// Node.Decode of a node it tags !!int.
func decodeIntRef(n *yaml.Node) (int, bool) {
	var v int
	if n.ShortTag() != "!!int" || n.Decode(&v) != nil {
		return 0, false
	}
	return v, true
}

var intSeeds = []string{"0", "1", "-1", "-0", "007", "0x1F", "0o17", "0b101", "+5", "1_000", "128", "999999999999999999",
	"9999999999999999999", "-9223372036854775808", "1e3", "1.0", "", "-", "١", "12a", ".5", "0.", "00"}

// sameInteger fails t when args.integer reads the scalar s otherwise
// than Node.Decode did.
func sameInteger(t *testing.T, s string) {
	t.Helper()
	n := &yaml.Node{Kind: yaml.ScalarNode, Value: s}
	if yamlx.IsNull(n) {
		return // the default, before any reading
	}
	a := newArgs("gather", 1, &ParseOptions{})
	a.setNode("max", n)
	got := a.integer("max", -7)
	want, ok := decodeIntRef(n)
	if !ok {
		want = -7
	}
	if got != want || (a.err == nil) != ok {
		t.Fatalf("integer(%q) = %d, error %v; Node.Decode gives %d, %v", s, got, a.err, want, ok)
	}
}

func TestIntegerMatchesDecode(t *testing.T) {
	for _, s := range intSeeds {
		sameInteger(t, s)
	}
}

func FuzzInteger(f *testing.F) {
	for _, s := range intSeeds {
		f.Add(s)
	}
	f.Fuzz(sameInteger)
}

// checkPlayCharsRef is checkPlayChars as it was: rune by rune, each one
// looked for in badPlayChars.
func checkPlayCharsRef(seg, file string) error {
	for _, r := range seg {
		if r < 0x20 || r == 0x7f || strings.ContainsRune(badPlayChars, r) {
			return fmt.Errorf("%s has %q, which is not allowed in a file name to play (nor any of %s)", Quote(file), r, badPlayChars)
		}
	}
	return nil
}

// FuzzCheckPlayChars compares checkPlayChars with the reference.
func FuzzCheckPlayChars(f *testing.F) {
	for _, s := range []string{"ivr/menu.wav", "a{b", "é$", "\xff\x01", "ok\u00a0x", "a\x7f", "`", "日本:"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, seg string) {
		got, want := checkPlayChars(seg, "f"), checkPlayCharsRef(seg, "f")
		if (got == nil) != (want == nil) || got != nil && got.Error() != want.Error() {
			t.Fatalf("checkPlayChars(%q) = %v, the reference says %v", seg, got, want)
		}
	})
}
