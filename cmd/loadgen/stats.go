package main

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"time"
)

// samples collects durations from many goroutines. Every sample is kept, so
// percentiles are exact: a minute at 1,000 calls/s with four steps a call
// is a quarter of a million samples, 2 MB.
type samples struct {
	mu sync.Mutex
	d  []time.Duration
}

func (s *samples) add(d time.Duration) {
	s.mu.Lock()
	s.d = append(s.d, d)
	s.mu.Unlock()
}

// summary is the distribution of a set of samples.
type summary struct {
	N                         int
	Mean, P50, P99, P999, Max time.Duration
}

// summary sorts a copy of the samples and reads the percentiles off it.
func (s *samples) summary() summary {
	s.mu.Lock()
	d := slices.Clone(s.d)
	s.mu.Unlock()
	return summarize(d)
}

// summarize computes the distribution of d, sorting it in place.
func summarize(d []time.Duration) summary {
	if len(d) == 0 {
		return summary{}
	}
	slices.Sort(d)
	var sum time.Duration
	for _, v := range d {
		sum += v
	}
	return summary{
		N:    len(d),
		Mean: sum / time.Duration(len(d)),
		P50:  percentile(d, 0.50),
		P99:  percentile(d, 0.99),
		P999: percentile(d, 0.999),
		Max:  d[len(d)-1],
	}
}

// percentile is the nearest-rank percentile p (0 < p <= 1) of sorted d:
// the smallest value with at least p of the samples at or below it.
func percentile(sorted []time.Duration, p float64) time.Duration {
	i := int(math.Ceil(p*float64(len(sorted)))) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}

func (s summary) String() string {
	if s.N == 0 {
		return "no samples"
	}
	return fmt.Sprintf("n=%d p50=%s p99=%s p99.9=%s max=%s mean=%s",
		s.N, round(s.P50), round(s.P99), round(s.P999), round(s.Max), round(s.Mean))
}

// round keeps three significant figures or so, so reports stay readable.
func round(d time.Duration) time.Duration {
	switch {
	case d >= 10*time.Second:
		return d.Round(100 * time.Millisecond)
	case d >= 10*time.Millisecond:
		return d.Round(100 * time.Microsecond)
	case d >= 10*time.Microsecond:
		return d.Round(time.Microsecond)
	}
	return d
}

// failures counts failed calls by kind ("dial: connection refused",
// "timeout", "outcome: hung up (NORMAL_TEMPORARY_FAILURE by daemon)", ...).
type failures struct {
	mu sync.Mutex
	m  map[string]int
}

func (f *failures) add(kind string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.m == nil {
		f.m = make(map[string]int)
	}
	f.m[kind]++
}

// total is the number of failed calls.
func (f *failures) total() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, c := range f.m {
		n += c
	}
	return n
}

// byKind returns a copy of the counts.
func (f *failures) byKind() map[string]int {
	f.mu.Lock()
	defer f.mu.Unlock()
	m := make(map[string]int, len(f.m))
	for k, v := range f.m {
		m[k] = v
	}
	return m
}

// String lists the kinds, most frequent first: "none" when nothing failed.
func (f *failures) String() string {
	m := f.byKind()
	if len(m) == 0 {
		return "none"
	}
	kinds := make([]string, 0, len(m))
	for k := range m {
		kinds = append(kinds, k)
	}
	slices.SortFunc(kinds, func(a, b string) int {
		if m[a] != m[b] {
			return m[b] - m[a]
		}
		return strings.Compare(a, b)
	})
	parts := make([]string, len(kinds))
	for i, k := range kinds {
		parts[i] = fmt.Sprintf("%s: %d", k, m[k])
	}
	return strings.Join(parts, "; ")
}
