package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"
)

// record is one run's figures, appended as a JSON line to -summary so
// that -compare can set callhook and the floor side by side.
type record struct {
	Label       string  `json:"label"`    // -label: "callhook", "floor", ...
	Scenario    string  `json:"scenario"` // throughput, latency, held
	Rate        float64 `json:"rate"`     // 0: as fast as possible (saturation)
	Concurrency int     `json:"concurrency"`
	Started     int     `json:"started"`
	Completed   int     `json:"completed"`
	CallsPerSec float64 `json:"calls_per_s"`
	CPUPerCall  float64 `json:"daemon_cpu_us_per_call"` // -1: unknown
	P50         float64 `json:"step_added_p50_us"`
	P99         float64 `json:"step_added_p99_us"`
	HeldCalls   int     `json:"held_calls,omitempty"`
	RSSPerHeld  float64 `json:"rss_kib_per_held_call,omitempty"`
	Load1       string  `json:"load_avg_start"` // /proc/loadavg's first three fields
	Load1End    string  `json:"load_avg_end"`
	Time        string  `json:"time"`
}

// loadAvg is the 1, 5 and 15 minute load averages.
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

// appendRecord adds r to the -summary file, if one is set.
func (e *environment) appendRecord(r record) error {
	if e.opts.summary == "" {
		return nil
	}
	r.Label = e.opts.label
	r.Load1 = e.load0
	r.Load1End = loadAvg()
	r.Time = time.Now().UTC().Format("15:04:05")
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	f, err := os.OpenFile(e.opts.summary, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return fmt.Errorf("summary: %w", err)
	}
	defer f.Close()
	_, err = f.Write(append(b, '\n'))
	return err
}

func usOf(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }

// readRecords reads a -summary file.
func readRecords(path string) ([]record, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var rs []record
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var r record
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		rs = append(rs, r)
	}
	return rs, sc.Err()
}

// compare prints daemon (label a) against floor (label b), run kind by run
// kind, with the ratios the issue sets targets for. ok is false when a
// run had failures.
func compare(out io.Writer, rs []record, a, b string) (ok bool) {
	ok = true
	pick := func(label string, keep func(record) bool, val func(record) float64) []float64 {
		var v []float64
		for _, r := range rs {
			if r.Label == label && keep(r) {
				if x := val(r); x >= 0 {
					v = append(v, x)
				}
			}
		}
		return v
	}
	sat := func(r record) bool { return r.Scenario != "held" && r.Rate == 0 }
	fixed := func(r record) bool { return r.Scenario != "held" && r.Rate > 0 }
	held := func(r record) bool { return r.Scenario == "held" }
	cps := func(r record) float64 { return r.CallsPerSec }
	cpu := func(r record) float64 { return r.CPUPerCall }
	p99 := func(r record) float64 { return r.P99 }
	rss := func(r record) float64 { return r.RSSPerHeld }

	failed := 0
	for _, r := range rs {
		failed += r.Started - r.Completed
	}
	rate := 0.0
	for _, r := range rs {
		if fixed(r) {
			rate = r.Rate
		}
	}
	fmt.Fprintf(out, "%-44s %-24s %-24s %-8s %s\n", "figure", a, b, "ratio", "target")
	row := func(name string, va, vb []float64, unit, target string, met func(float64) bool) {
		ra, rb := median(va), median(vb)
		ratio := "-"
		verdict := ""
		if ra > 0 && rb > 0 {
			x := ra / rb
			ratio = fmt.Sprintf("%.2fx", x)
			if met != nil {
				verdict = "  MISSED"
				if met(x) {
					verdict = "  met"
				}
			}
		}
		fmt.Fprintf(out, "%-44s %-24s %-24s %-8s %s%s\n", name, span(va, unit), span(vb, unit), ratio, target, verdict)
	}
	row("calls/s at saturation", pick(a, sat, cps), pick(b, sat, cps), "/s", ">= 0.8x", func(x float64) bool { return x >= 0.8 })
	row("daemon CPU per call at saturation", pick(a, sat, cpu), pick(b, sat, cpu), "us", "<= 1.5x", func(x float64) bool { return x <= 1.5 })
	row(fmt.Sprintf("daemon CPU per call at %g calls/s", rate), pick(a, fixed, cpu), pick(b, fixed, cpu), "us", "<= 1.2x", func(x float64) bool { return x <= 1.2 })
	row(fmt.Sprintf("step added p99 at %g calls/s", rate), pick(a, fixed, p99), pick(b, fixed, p99), "us", "", nil)
	row("RSS per held call", pick(a, held, rss), pick(b, held, rss), "KiB", "<= 2x", func(x float64) bool { return x <= 2 })
	for _, l := range []string{a, b} {
		s, f := median(pick(l, sat, cpu)), median(pick(l, fixed, cpu))
		if s > 0 && f > 0 {
			target := ""
			if l == a {
				target = "within 10%"
				if s/f >= 0.9 && s/f <= 1.1 {
					target += "  met"
				} else {
					target += "  MISSED"
				}
			}
			fmt.Fprintf(out, "%-44s %-49s %-8s %s\n", l+": CPU/call saturation ÷ fixed rate", "", fmt.Sprintf("%.2fx", s/f), target)
		}
	}
	verdict := "met"
	if failed != 0 {
		verdict, ok = "MISSED", false
	}
	fmt.Fprintf(out, "%-44s %-49d %-8s %s\n", "failed calls, all runs", failed, "", "0  "+verdict)
	fmt.Fprintln(out, "(each cell: the runs' median, their range in brackets; ratios are of the medians)")
	return ok
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	if n := len(s); n%2 == 0 {
		return (s[n/2-1] + s[n/2]) / 2
	}
	return s[len(s)/2]
}

func span(v []float64, unit string) string {
	if len(v) == 0 {
		return "-"
	}
	lo, hi := slices.Min(v), slices.Max(v)
	if len(v) == 1 {
		return fmt.Sprintf("%.0f %s", v[0], unit)
	}
	return fmt.Sprintf("%.0f %s [%.0f-%.0f]", median(v), unit, lo, hi)
}
