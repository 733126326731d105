package verb

import (
	"regexp"
	"regexp/syntax"
	"testing"
)

// TestGatherRegexCheckAgreesWithCompile: the gather's regex check parses
// the pattern instead of compiling it; both refuse the same patterns with
// the same error.
func TestGatherRegexCheckAgreesWithCompile(t *testing.T) {
	for _, re := range []string{
		``, `^\d+$`, `^[0-9]{1,4}#?$`, `(a|b)*c`, `^(?P<x>1)$`, `\pL`, `[[:digit:]]`,
		`(`, `[`, `a**`, `x{1001}`, `\8`, `(?<x>1)(?<x>2)`, `\Q`, `a{2,1}`, `(?i)abc`, `\C`,
		`((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((a))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))`,
	} {
		_, cerr := regexp.Compile(re)
		_, perr := syntax.Parse(re, syntax.Perl)
		if (cerr == nil) != (perr == nil) || (cerr != nil && cerr.Error() != perr.Error()) {
			t.Errorf("%q: regexp.Compile says %v, syntax.Parse %v", re, cerr, perr)
		}
	}
}

// TestGatherDefaultRegexParses: checkRegex takes the default pattern
// without parsing it.
func TestGatherDefaultRegexParses(t *testing.T) {
	if _, err := syntax.Parse(defaultRegex, syntax.Perl); err != nil {
		t.Fatalf("the default regex %q does not parse: %v", defaultRegex, err)
	}
}

// TestGatherRegexCheckRemembers: a pattern accepted once is accepted
// again, a refused one is refused each time with the same error, and one
// refused after another was remembered is still refused.
func TestGatherRegexCheckRemembers(t *testing.T) {
	for range 2 {
		for _, re := range []string{`^[0-9]{1,4}#?$`, `(`, `^[0-9]{1,4}#?$`, `a{2,1}`, `\d+`, `(`} {
			_, want := syntax.Parse(re, syntax.Perl)
			got := checkRegex(re)
			if (got == nil) != (want == nil) || got != nil && got.Error() != want.Error() {
				t.Errorf("checkRegex(%q) = %v, want %v", re, got, want)
			}
		}
	}
}
