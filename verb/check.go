package verb

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Value checks that several verbs share. checkDuration names the option in
// its *optError; the others name only the problem, and callers wrap them.

// maxDuration bounds every duration option: FreeSWITCH takes them as 32-bit
// milliseconds or seconds, and nothing in an IVR waits a day.
const maxDuration = 24 * time.Hour

// checkDuration checks that d is positive, at most a day, and a whole number
// of unit (FreeSWITCH takes milliseconds or seconds).
func checkDuration(opt string, d, unit time.Duration) error {
	switch {
	case d <= 0:
		return optErrorf(opt, "must be more than 0, got %s", d)
	case d > maxDuration:
		return optErrorf(opt, "must be at most %s, got %s", maxDuration, d)
	case d%unit != 0:
		return optErrorf(opt, "must be a whole number of %s, got %s", unitName(unit), d)
	}
	return nil
}

// unitName names the unit FreeSWITCH wants a duration in.
func unitName(unit time.Duration) string {
	if unit == time.Second {
		return "seconds"
	}
	return "milliseconds"
}

// checkTerminators checks a terminator set: DTMF digits, or "none".
func checkTerminators(t string) error {
	if t == "none" {
		return nil
	}
	if t == "" {
		return fmt.Errorf(`must not be empty (use "none" for no terminator)`)
	}
	for _, r := range t {
		if !strings.ContainsRune("0123456789*#ABCD", r) {
			return fmt.Errorf(`%q is not a DTMF digit (0-9 * # A-D; "none" for no terminator)`, r)
		}
	}
	return nil
}

// oneOf checks that v is one of allowed (a FreeSWITCH name list).
func oneOf(v string, allowed []string) error {
	if !slices.Contains(allowed, v) {
		return fmt.Errorf("%s is not one of %s", Quote(v), strings.Join(allowed, ", "))
	}
	return nil
}
