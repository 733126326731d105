package main

import (
	"flag"
	"os"
	"regexp"
	"strings"
	"testing"
)

// updateREADME rewrites the README transcripts from the runs instead of
// comparing: go test ./cmd/callhook -run TestREADMETranscripts -update-readme
var updateREADME = flag.Bool("update-readme", false, "rewrite the README transcripts from the runs")

// transcriptNoise matches what differs from run to run: the call id, how
// long a request took, the call time (media runs 100x faster, and the web
// app's time counts as it passes, so a second can tip).
var transcriptNoise = []struct {
	re   *regexp.Regexp
	repl string
}{
	{regexp.MustCompile(`call [0-9a-f]{8} `), "call CALLID "},
	{regexp.MustCompile(`callhook-[0-9a-f-]{36}\.wav`), "callhook-CALLID.wav"},
	{regexp.MustCompile(`<- (\d+) in [0-9.]+(µs|ms|s)`), "<- $1 in TIME"},
	{regexp.MustCompile(`after \d+s of call time`), "after Ns of call time"},
}

func normalizeTranscript(s string) string {
	for _, n := range transcriptNoise {
		s = n.re.ReplaceAllString(s, n.repl)
	}
	return s
}

// TestREADMETranscripts runs the commands whose transcripts the READMEs
// show and compares: a transcript that no longer matches what the command
// prints fails here (that is how the examples README went stale).
func TestREADMETranscripts(t *testing.T) {
	for _, tc := range []struct {
		file, command string
		run           func(t *testing.T) string
	}{
		{"../../examples/README.md", `go run ./cmd/callhook simulate -app support -digits "3 1"`, func(t *testing.T) string {
			base := goApp(t)
			// The root config.yaml's support app, on the test's port.
			cfg := webhookConfig(t, base, "")
			data, err := os.ReadFile(cfg)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(cfg, []byte(strings.Replace(strings.ReplaceAll(string(data), "  ivr:", "  support:"), "default_app: ivr", "default_app: support", 1)), 0o600); err != nil {
				t.Fatal(err)
			}
			code, out, errOut := simulate(t, "-config", cfg, "-app", "support", "-digits", "3 1")
			if code != simOK {
				t.Fatalf("simulate = %d; stderr:\n%s", code, errOut)
			}
			return strings.ReplaceAll(out, base, "http://127.0.0.1:8000")
		}},
	} {
		t.Run(tc.command, func(t *testing.T) {
			readme, err := os.ReadFile(tc.file)
			if err != nil {
				t.Fatal(err)
			}
			// The transcript is the code block right after the block
			// that ends with the command.
			marker := tc.command + "\n```\n```\n"
			i := strings.Index(string(readme), marker)
			if i < 0 {
				t.Fatalf("%s has no transcript block after %q", tc.file, tc.command)
			}
			start := i + len(marker)
			end := strings.Index(string(readme[start:]), "```\n")
			if end < 0 {
				t.Fatalf("%s: the transcript block after %q does not end", tc.file, tc.command)
			}
			shown := string(readme[start : start+end])
			got := tc.run(t)
			if *updateREADME {
				updated := string(readme[:start]) + got + string(readme[start+end:])
				if err := os.WriteFile(tc.file, []byte(updated), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			if normalizeTranscript(shown) != normalizeTranscript(got) {
				t.Errorf("%s: the transcript of %s is stale (regenerate: go test ./cmd/callhook -run TestREADMETranscripts -update-readme)\nREADME:\n%s\nnow:\n%s",
					tc.file, tc.command, shown, got)
			}
		})
	}
}
