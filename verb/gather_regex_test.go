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
