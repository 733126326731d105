package main

import (
	"os"
	"strings"
	"testing"
	"time"
)

func TestSummarize(t *testing.T) {
	var d []time.Duration
	for i := 1; i <= 1000; i++ {
		d = append(d, time.Duration(1001-i)*time.Microsecond) // reversed: summarize sorts
	}
	s := summarize(d)
	want := summary{N: 1000, Mean: 500500 * time.Nanosecond, P50: 500 * time.Microsecond,
		P99: 990 * time.Microsecond, P999: 999 * time.Microsecond, Max: 1000 * time.Microsecond}
	if s != want {
		t.Errorf("summarize(1..1000µs) = %+v, want %+v", s, want)
	}
	if s := summarize(nil); s.N != 0 || s.String() != "no samples" {
		t.Errorf("summarize(nil) = %+v (%q), want empty, \"no samples\"", s, s.String())
	}
}

func TestPercentile(t *testing.T) {
	sorted := []time.Duration{1, 2, 3, 4}
	for _, tc := range []struct {
		p    float64
		want time.Duration
	}{
		{0.25, 1}, {0.5, 2}, {0.51, 3}, {0.99, 4}, {1, 4}, {0.001, 1},
	} {
		if got := percentile(sorted, tc.p); got != tc.want {
			t.Errorf("percentile(%v, %v) = %v, want %v", sorted, tc.p, got, tc.want)
		}
	}
}

func TestFailuresString(t *testing.T) {
	var f failures
	if got := f.String(); got != "none" {
		t.Errorf("empty failures = %q, want none", got)
	}
	f.add("timeout")
	f.add("dial: connection refused")
	f.add("dial: connection refused")
	f.add("a tie")
	if got, want := f.String(), "dial: connection refused: 2; a tie: 1; timeout: 1"; got != want {
		t.Errorf("failures = %q, want %q", got, want)
	}
	if got := f.total(); got != 4 {
		t.Errorf("total = %d, want 4", got)
	}
}

func TestParseStatus(t *testing.T) {
	b, err := os.ReadFile("testdata/proc-status.txt")
	if err != nil {
		t.Fatal(err)
	}
	p, err := parseStatus(b)
	if err != nil || p.RSS != 1696<<10 || p.Threads != 1 {
		t.Errorf("parseStatus(proc-status.txt) = %+v, %v; want RSS %d, 1 thread", p, err, 1696<<10)
	}
	if _, err := parseStatus([]byte("Name:\tx\n")); err == nil {
		t.Error("parseStatus without VmRSS = nil error, want one")
	}
	if _, err := parseStatus([]byte("VmRSS:\tlots kB\n")); err == nil {
		t.Error("parseStatus(VmRSS: lots) = nil error, want one")
	}
}

func TestParseStatCPU(t *testing.T) {
	b, err := os.ReadFile("testdata/proc-stat.txt")
	if err != nil {
		t.Fatal(err)
	}
	// utime 250 + stime 50 ticks; the command name holds spaces and parens.
	if got, err := parseStatCPU(b); err != nil || got != 3*time.Second {
		t.Errorf("parseStatCPU(proc-stat.txt) = %v, %v; want 3s", got, err)
	}
	for _, bad := range []string{"", "1 (x) S 1 2", "1 (x) S 1 2 3 4 5 6 7 8 9 10 x 5"} {
		if got, err := parseStatCPU([]byte(bad)); err == nil {
			t.Errorf("parseStatCPU(%q) = %v, nil; want an error", bad, got)
		}
	}
}

func TestParseMetrics(t *testing.T) {
	f, err := os.Open("testdata/metrics.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	m, err := parseMetrics(f)
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]float64{
		"go_goroutines": 10042, "process_cpu_seconds_total": 12.34,
		"process_resident_memory_bytes": 251658240, "callhook_calls_active": 10000,
	} {
		if got, ok := m[name]; !ok || got != want {
			t.Errorf("metrics[%q] = %v, %v; want %v", name, got, ok, want)
		}
	}
	for name := range m {
		if strings.Contains(name, "{") || strings.HasPrefix(name, "#") {
			t.Errorf("metrics has %q; labelled series and comments must be skipped", name)
		}
	}
}
