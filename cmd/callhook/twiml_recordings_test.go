package main

import (
	"bytes"
	"strings"
	"testing"
)

// TestCheckWarnsTwiMLWithoutRecordings: a twiml app in a config with no
// recordings: section gets a warning naming the app and the key (its
// Record and Dial record would go to the fallback); the exit status stays
// 0, and a config with a delivery gets none.
func TestCheckWarnsTwiMLWithoutRecordings(t *testing.T) {
	const app = `apps:
  tw:
    twiml: http://127.0.0.1:1/voice
    account_sid: AC0123456789abcdef0123456789abcdef
    auth_token: tok
`
	for _, tc := range []struct {
		name, text string
		warn       bool
	}{
		{"no recordings", app, true},
		{"recordings", app + "recordings: {listen: 127.0.0.1:8086, dir: /tmp/rec}\n", false},
	} {
		var stdout, stderr bytes.Buffer
		code := runCheck([]string{"-config", writeConfig(t, tc.text)}, &stdout, &stderr)
		got := stderr.String()
		warned := strings.Contains(got, "warning: apps.tw:") && strings.Contains(got, "recordings:") && strings.Contains(got, "<Record>")
		if code != 0 || warned != tc.warn {
			t.Errorf("%s: exit %d, stderr %q; want 0 and a warning %v", tc.name, code, got, tc.warn)
		}
	}
}
