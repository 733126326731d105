package main

import (
	"bytes"
	"regexp"
	"strings"
	"testing"
)

// TestUsageListsEveryFlag checks that `callhook -h` names every flag each
// subcommand's own -h lists, on that subcommand's line: a newcomer reads the
// top-level usage first, and a flag missing there (check -switch, test
// -start) is one they never learn of.
func TestUsageListsEveryFlag(t *testing.T) {
	// Flags kept out of the usage on purpose: serve -cpuprofile and
	// -memprofile are for scripts/bench.sh and BENCHMARKS.md, not for users.
	hidden := map[string]bool{"serve -cpuprofile": true, "serve -memprofile": true}
	flagLine := regexp.MustCompile(`(?m)^  -([a-z][a-z0-9-]*)`)
	for _, cmd := range []string{"serve", "check", "simulate", "originate", "test", "graph"} {
		var out, errOut bytes.Buffer
		run([]string{cmd, "-h"}, strings.NewReader(""), &out, &errOut)
		help := out.String() + errOut.String()
		flags := flagLine.FindAllStringSubmatch(help, -1)
		if len(flags) == 0 {
			t.Fatalf("callhook %s -h lists no flags:\n%s", cmd, help)
		}
		line := usageLine(t, cmd)
		for _, f := range flags {
			if hidden[cmd+" -"+f[1]] {
				continue
			}
			if !regexp.MustCompile(`\[?-` + regexp.QuoteMeta(f[1]) + `\b`).MatchString(line) {
				t.Errorf("callhook -h: the %s line does not name -%s (its own -h does):\n%s", cmd, f[1], line)
			}
		}
	}
}

// usageLine returns usage's line for a subcommand.
func usageLine(t *testing.T, cmd string) string {
	t.Helper()
	for _, l := range strings.Split(usage, "\n") {
		if f := strings.Fields(l); len(f) > 1 && f[0] == "callhook" && f[1] == cmd {
			return l
		}
	}
	t.Fatalf("usage has no line for %s:\n%s", cmd, usage)
	return ""
}
