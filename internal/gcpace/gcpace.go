// Package gcpace paces Go's garbage collector for a daemon whose live heap
// is small next to what it allocates: after each cycle it sets the
// collector's percentage so that the heap may grow by at least a fixed
// headroom before the next cycle, and by at least the usual percentage.
//
// Why: the collector starts a cycle when the heap has grown by GOGC percent
// of what the last cycle found live (plus the goroutine stacks and globals
// it scans). callhook keeps a few KiB per call and allocates about 100 KiB
// per call that is garbage within milliseconds (event frames, requests,
// replies), so with 50 calls in flight about 2 MiB are live and, at a
// percentage of 150, the collector ran some 30 times a second, each cycle
// scanning every goroutine's stack again and slowing every allocation while
// it marked. With a headroom of 64 MiB it runs a few times a second. When
// the live heap is large (thousands of held calls) the percentage gives the
// larger goal and the headroom changes nothing, so the memory per held call
// is what the percentage makes it.
//
// A memory limit (GOMEMLIMIT) still caps the heap: the runtime collects
// sooner when the heap nears it, whatever the percentage.
package gcpace

import (
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"
)

// maxPercent bounds the percentage the pacer sets: a heap of a few bytes
// would otherwise ask for an absurd one.
const maxPercent = 1_000_000

// What the runtime's goal is made of: the heap the last cycle marked live,
// and the stacks and globals it scans (Go 1.21+).
var goalMetrics = []string{"/gc/heap/live:bytes", "/gc/scan/stack:bytes", "/gc/scan/globals:bytes"}

// Percent returns the collector percentage that lets a heap of scanned
// bytes (live heap, stacks and globals) grow by at least headroom bytes and
// by at least percent of itself. It is pure, for tests.
func Percent(scanned, headroom uint64, percent int) int {
	if scanned == 0 {
		// Before the first cycle nothing has been measured (the metrics
		// read 0): a headroom over nothing would be an unbounded goal.
		return percent
	}
	// headroom*100 would overflow above 2^57 bytes; this does not.
	want := headroom/scanned*100 + headroom%scanned*100/scanned
	if want > maxPercent {
		want = maxPercent
	}
	if int(want) > percent {
		return int(want)
	}
	return percent
}

// Pacer sets the collector's percentage after each cycle until Stop.
type Pacer struct {
	headroom uint64
	percent  int
	notify   func(set int) // tests: called after each adjustment

	mu      sync.Mutex
	set     int // the percentage last set
	stopped bool
	samples []metrics.Sample
}

// Start sets the collector's percentage to percent and, after each cycle,
// raises it so that the heap may grow by at least headroom bytes before the
// next. Stop ends it and sets percent.
func Start(percent int, headroom uint64) *Pacer {
	return start(percent, headroom, nil)
}

func start(percent int, headroom uint64, notify func(int)) *Pacer {
	p := &Pacer{headroom: headroom, percent: percent, notify: notify}
	for _, name := range goalMetrics {
		p.samples = append(p.samples, metrics.Sample{Name: name})
	}
	debug.SetGCPercent(percent)
	p.set = percent
	p.arm()
	return p
}

// Stop ends the pacing and sets the percentage Start was given.
func (p *Pacer) Stop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.stopped = true
	debug.SetGCPercent(p.percent)
	p.set = p.percent
}

// Current returns the percentage the pacer set last.
func (p *Pacer) Current() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.set
}

// cycleMarker is garbage as soon as it is made: its cleanup runs after the
// cycle that found it unreachable. That is how the pacer hears of every
// cycle without polling, and of none while the daemon is idle.
type cycleMarker struct{ _ *int }

func (p *Pacer) arm() {
	runtime.AddCleanup(&cycleMarker{}, (*Pacer).afterCycle, p)
}

// afterCycle runs on the runtime's cleanup goroutine.
func (p *Pacer) afterCycle() {
	p.mu.Lock()
	if p.stopped {
		p.mu.Unlock()
		return
	}
	set := p.adjustLocked()
	p.arm()
	p.mu.Unlock()
	if p.notify != nil {
		p.notify(set)
	}
}

func (p *Pacer) adjustLocked() int {
	metrics.Read(p.samples)
	var scanned uint64
	for _, s := range p.samples {
		if s.Value.Kind() == metrics.KindUint64 {
			scanned += s.Value.Uint64()
		}
	}
	want := Percent(scanned, p.headroom, p.percent)
	// Within 1/16 of the setting is close enough: the live heap moves a
	// little every cycle, and a new setting takes the runtime's heap lock.
	if want > p.set-p.set/16 && want < p.set+p.set/16 {
		return p.set
	}
	debug.SetGCPercent(want)
	p.set = want
	return want
}
