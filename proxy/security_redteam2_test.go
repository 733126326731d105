package proxy_test

import (
	"fmt"
	"strings"
	"testing"
)

// TestRedteam2WebhookRefused: replies a third attack pass got through,
// each refused as a whole now: YAML aliases that made a 2 KB reply one
// hundred set verbs of 200 variables each (every "- *a" read the
// anchored set again: 20,100 executes, past max_reply_bytes and
// max_verbs).
func TestRedteam2WebhookRefused(t *testing.T) {
	var sets strings.Builder
	sets.WriteString("- answer\n- &a {set: {")
	for i := range 200 {
		fmt.Fprintf(&sets, "v%d: x, ", i)
	}
	sets.WriteString("z: x}}\n" + strings.Repeat("- *a\n", 98))
	tests := []refusedReply{
		{"aliased sets", sets.String(), "too many aliases", nil},
	}
	refusedReplies(t, tests)
}
