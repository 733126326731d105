package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestCompare: records written with -summary read back, and -compare
// prints the medians' ratios with the verdicts against issue 16's targets.
func TestCompare(t *testing.T) {
	path := filepath.Join(t.TempDir(), "runs.jsonl")
	write := func(label string, r record) {
		e := &environment{opts: &options{summary: path, label: label}, load0: "1.00 1.00 1.00"}
		if err := e.appendRecord(r); err != nil {
			t.Fatal(err)
		}
	}
	write("floor", record{Scenario: "throughput", Started: 10, Completed: 10, CallsPerSec: 2000, CPUPerCall: 200})
	write("callhook", record{Scenario: "throughput", Started: 10, Completed: 10, CallsPerSec: 1800, CPUPerCall: 400})
	write("floor", record{Scenario: "latency", Rate: 1000, Started: 10, Completed: 10, CPUPerCall: 300, P99: 500})
	write("callhook", record{Scenario: "latency", Rate: 1000, Started: 10, Completed: 9, CPUPerCall: 330, P99: 900})
	write("floor", record{Scenario: "held", CPUPerCall: -1, RSSPerHeld: 20})
	write("callhook", record{Scenario: "held", CPUPerCall: -1, RSSPerHeld: 30})
	rs, err := readRecords(path)
	if err != nil || len(rs) != 6 || rs[0].Load1 != "1.00 1.00 1.00" || rs[0].Label != "floor" {
		t.Fatalf("readRecords = %+v, %v", rs, err)
	}
	var out strings.Builder
	if compare(&out, rs, "callhook", "floor") {
		t.Error("compare reported ok with a failed call")
	}
	for _, want := range []string{
		"calls/s at saturation", "0.90x    >= 0.8x  met",
		"2.00x    <= 1.5x  MISSED", // CPU at saturation
		"1.10x    <= 1.2x  met",    // CPU at the fixed rate
		"1.50x    <= 2x  met",      // RSS
		"at 1000 calls/s",
		"1.21x    within 10%  MISSED", // 400 / 330
		"0  MISSED",                   // one failed call
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("compare output lacks %q:\n%s", want, out.String())
		}
	}
}
