package main

import (
	"context"
	"fmt"
	"github.com/callhook/callhook/cmd/loadgen/floor"
	"io"
	"sync"
	"time"
)

// environment is one run's setup: the daemon under test, how to observe it
// and loadgen's web app.
type environment struct {
	opts     *options
	web      *WebApp // nil: the web app is not loadgen's
	addr     string  // the daemon's event socket
	name     string  // "the daemon" (callhook, or the baseline as its own process), "baseline (in-process)", ...
	target   *target // nil: the daemon cannot be observed from outside
	baseline *floor.Handler
	warned   bool   // an error reading the daemon was printed
	load0    string // the load averages when the run started
}

// run runs the scenario the flags name; it reports false when calls failed.
func (e *environment) run(ctx context.Context, out io.Writer) (bool, error) {
	switch e.opts.scenario {
	case "latency":
		return e.load(ctx, out, 1000, 30*time.Second)
	case "held":
		return e.held(ctx, out)
	case "slowapp":
		return e.slowapp(ctx, out)
	}
	return e.load(ctx, out, 0, 10*time.Second)
}

// driver builds the Driver of the flags, with the scenario's defaults.
func (e *environment) driver(defRate float64, defDuration time.Duration, defApp string, defSpeed float64) *Driver {
	o := e.opts
	d := &Driver{
		Addr:        e.addr,
		Rate:        o.rate,
		Concurrency: o.concurrency,
		Calls:       o.calls,
		Duration:    o.duration,
		Speed:       o.speed,
		App:         defApp,
		Digit:       o.digit,
		CallTimeout: o.callTimeout,
		Web:         e.web,
		Sim:         o.sim,
	}
	if o.appSet {
		d.App = o.app
	}
	if d.Rate == 0 {
		d.Rate = defRate
	}
	if d.Concurrency == 0 {
		d.Concurrency = 100
		if d.Rate > 0 {
			d.Concurrency = defaultRateCap
		}
	}
	if d.Calls == 0 && d.Duration == 0 {
		d.Duration = defDuration
	}
	if d.Speed == 0 {
		d.Speed = defSpeed
	}
	return d
}

// defaultRateCap caps the calls in flight at a fixed rate: 2,000 calls in
// flight is seconds of backlog at any rate this machine can carry, and
// more only runs loadgen out of file descriptors.
const defaultRateCap = 2000

// load is the throughput and latency scenario: menu calls at a rate or as
// fast as possible, each two webhook requests with callhook.
func (e *environment) load(ctx context.Context, out io.Writer, defRate float64, defDuration time.Duration) (bool, error) {
	d := e.driver(defRate, defDuration, "", 1e6)
	e.header(out, d)
	before, _ := e.sample(ctx)
	webBefore := e.webRequests()
	w := e.watch(ctx)
	res, err := d.Run(ctx)
	peak := w.stop()
	if err != nil {
		return false, err
	}
	after, serr := e.sample(ctx)
	e.printLoad(out, res)
	if e.web != nil {
		fmt.Fprintf(out, "web app:      %d requests (%.2f per call), %d it could not answer, %d server errors; handling %s\n",
			e.webRequests()-webBefore, perCall(float64(e.webRequests()-webBefore), res.Completed), e.web.bad.Load(),
			e.web.serverErrors.n.Load(), e.web.handling.summary())
	}
	e.printUsage(out, res.Completed, before, after, peak, serr)
	rec := record{Scenario: e.opts.scenario, Rate: d.Rate, Concurrency: d.Concurrency, Started: res.Started,
		Completed: res.Completed, CallsPerSec: res.CallsPerSecond(), CPUPerCall: -1,
		P50: usOf(res.Added.P50), P99: usOf(res.Added.P99)}
	if before.CPU >= 0 && after.CPU >= 0 && res.Completed > 0 {
		rec.CPUPerCall = usOf(after.CPU-before.CPU) / float64(res.Completed)
	}
	if err := e.appendRecord(rec); err != nil {
		return false, err
	}
	return res.Started == res.Completed, nil
}

// held is the held-calls scenario: N calls answer and wait in an hour-long
// playback; once all are holding, the daemon's RSS and goroutines are read
// and divided by N; then every caller hangs up.
func (e *environment) held(ctx context.Context, out io.Writer) (bool, error) {
	o := e.opts
	n := o.calls
	if n <= 0 {
		n = 1000
	}
	release := make(chan struct{})
	d := e.driver(1000, 0, "hold", 1)
	d.Calls, d.Duration, d.Expect, d.Release = n, 0, CallerHangsUp, release
	if o.concurrency == 0 {
		d.Concurrency = n
	}
	e.header(out, d)
	idle, serr := e.sample(ctx)
	e.warn(out, serr)

	type outcome struct {
		res *Result
		err error
	}
	done := make(chan outcome, 1)
	go func() {
		res, err := d.Run(ctx)
		done <- outcome{res, err}
	}()
	rampStart := time.Now()
	deadline := time.NewTimer(o.holdTimeout)
	defer deadline.Stop()
	var early *outcome
wait:
	for {
		held, note := d.Held()
		if held >= n {
			break
		}
		select {
		case <-note:
		case r := <-done:
			early = &r
			break wait
		case <-deadline.C:
			break wait
		case <-ctx.Done():
			break wait
		}
	}
	heldNow, _ := d.Held()
	fmt.Fprintf(out, "holding:      %d of %d calls after %s\n", heldNow, n, time.Since(rampStart).Round(time.Millisecond))
	var holding usage
	if early == nil {
		holding = e.settle(ctx, out)
	}
	close(release)
	var r outcome
	if early != nil {
		r = *early
	} else {
		r = <-done
	}
	if r.err != nil {
		return false, r.err
	}
	after, _ := e.sample(ctx)
	e.printLoad(out, r.res)
	if e.target == nil {
		fmt.Fprintln(out, "daemon:       in-process; run it as its own process (-serve-baseline) to measure its memory")
		return r.res.Started == r.res.Completed, nil
	}
	if heldNow > 0 && early == nil {
		if holding.RSS >= 0 && idle.RSS >= 0 {
			per := float64(holding.RSS-idle.RSS) / float64(heldNow)
			fmt.Fprintf(out, "daemon RSS:   idle %s, %d held %s: %.1f KiB per held call\n",
				mib(idle.RSS), heldNow, mib(holding.RSS), per/1024)
			rec := record{Scenario: "held", Concurrency: d.Concurrency, Started: r.res.Started, Completed: r.res.Completed,
				CPUPerCall: -1, HeldCalls: heldNow, RSSPerHeld: per / 1024}
			if err := e.appendRecord(rec); err != nil {
				return false, err
			}
		}
		if holding.Goroutines >= 0 && idle.Goroutines >= 0 {
			fmt.Fprintf(out, "goroutines:   idle %d, %d held %d: %.2f per held call\n",
				idle.Goroutines, heldNow, holding.Goroutines, float64(holding.Goroutines-idle.Goroutines)/float64(heldNow))
		} else {
			fmt.Fprintln(out, "goroutines:   unknown (needs -admin with /metrics)")
		}
	}
	if after.Goroutines >= 0 {
		fmt.Fprintf(out, "after:        RSS %s, %d goroutines\n", mib(after.RSS), after.Goroutines)
	} else if after.RSS >= 0 {
		fmt.Fprintf(out, "after:        RSS %s\n", mib(after.RSS))
	}
	return r.res.Started == r.res.Completed && heldNow == n, nil
}

// settle lets the held calls sit idle for -settle, reading the daemon every
// second, and returns the last reading: the last calls' setup garbage is
// then as old as the rest, and with more than two minutes Go's periodic GC
// has run, so the reading is the steady state of N waiting callers rather
// than the ramp's high-water mark.
func (e *environment) settle(ctx context.Context, out io.Writer) usage {
	last := unknownUsage()
	if e.target == nil {
		return last
	}
	t := time.NewTicker(time.Second)
	defer t.Stop()
	lo, hi := int64(-1), int64(-1)
	for end := time.Now().Add(e.opts.settle); ; {
		u, err := e.sample(ctx)
		e.warn(out, err)
		last = u
		if u.RSS >= 0 {
			if lo < 0 || u.RSS < lo {
				lo = u.RSS
			}
			hi = max(hi, u.RSS)
		}
		if !time.Now().Before(end) {
			break
		}
		select {
		case <-t.C:
		case <-ctx.Done():
			return last
		}
	}
	fmt.Fprintf(out, "settle:       %s idle, RSS between %s and %s, last %s\n", e.opts.settle, mib(lo), mib(hi), mib(last.RSS))
	return last
}

// slowapp is the slow web app scenario: one call alone, then SlowCalls at
// once, against an app taking Delay per request. The calls are
// independent, so the batch should take about as long as one call.
func (e *environment) slowapp(ctx context.Context, out io.Writer) (bool, error) {
	o := e.opts
	if e.web == nil {
		fmt.Fprintln(out, "slowapp: the web app is not loadgen's (-webapp unset): its own handling time decides")
	} else {
		fmt.Fprintf(out, "slow app:     every request takes %s\n", o.slowDelay)
	}
	one := e.driver(0, 0, "slow", 1e6)
	one.Calls, one.Duration, one.Rate, one.Concurrency = 1, 0, 0, 1
	e.header(out, one)
	r1, err := one.Run(ctx)
	if err != nil {
		return false, err
	}
	fmt.Fprintf(out, "one call:     %s, %s\n", r1.Elapsed.Round(time.Millisecond), r1.FailureText)

	batch := e.driver(0, 0, "slow", 1e6)
	batch.Calls, batch.Duration, batch.Rate, batch.Concurrency = o.slowCalls, 0, 0, o.slowCalls
	e.header(out, batch)
	r, err := batch.Run(ctx)
	if err != nil {
		return false, err
	}
	e.printLoad(out, r)
	ratio := r.Elapsed.Seconds() / r1.Elapsed.Seconds()
	fmt.Fprintf(out, "%d calls:     %s together = %.2fx one call (one request at a time would be %dx)\n",
		o.slowCalls, r.Elapsed.Round(time.Millisecond), ratio, o.slowCalls)
	return r1.Completed == 1 && r.Started == r.Completed, nil
}

// header says what is about to run.
func (e *environment) header(out io.Writer, d *Driver) {
	who := e.name
	if e.target != nil && e.target.pid > 0 {
		who = fmt.Sprintf("%s pid %d", who, e.target.pid)
	}
	pace := fmt.Sprintf("%d concurrent, as fast as possible", d.Concurrency)
	if d.Rate > 0 {
		pace = fmt.Sprintf("%g calls/s", d.Rate)
	}
	until := fmt.Sprintf("%d calls", d.Calls)
	if d.Calls == 0 {
		until = d.Duration.String()
	}
	app := d.App
	if app == "" {
		app = "(default_app)"
	}
	fmt.Fprintf(out, "loadgen:      %s against %s at %s: %s, %s, app %s, media speed %g\n",
		e.opts.scenario, who, e.addr, pace, until, app, d.Speed)
}

// printLoad prints what the driver measured.
func (e *environment) printLoad(out io.Writer, r *Result) {
	fmt.Fprintf(out, "calls:        %d started, %d completed, %d failed in %s: %.1f calls/s (max %d in flight)\n",
		r.Started, r.Completed, r.Started-r.Completed, r.Elapsed.Round(time.Millisecond), r.CallsPerSecond(), r.MaxActive)
	if r.Rate > 0 {
		fmt.Fprintf(out, "pacing:       %d calls started at %.1f/s of %g/s; the latest start was %s behind schedule\n",
			r.Started, r.StartRate(), r.Rate, round(r.MaxLag))
	}
	fmt.Fprintf(out, "failures:     %s\n", r.FailureText)
	what := "web app time taken out"
	if e.web == nil {
		what = "web app time INCLUDED: the web app is not loadgen's"
	}
	fmt.Fprintf(out, "step added:   %s  (completion written → next sendmsg read, %s)\n", r.Added, what)
	if r.Webhook.N > 0 {
		fmt.Fprintf(out, "webhook step: %s  (same, for steps that made a request, web app included)\n", r.Webhook)
	}
	fmt.Fprintf(out, "call time:    %s\n", r.CallTime)
	fmt.Fprintf(out, "loadgen CPU:  %s = %s per call%s\n", r.LoadgenCPU.Round(time.Millisecond),
		perCallDur(r.LoadgenCPU, r.Completed), e.inProcessNote())
	if e.baseline != nil {
		_, text := e.baseline.Failures()
		fmt.Fprintf(out, "baseline:     calls it could not drive: %s\n", text)
	}
}

func (e *environment) inProcessNote() string {
	if e.baseline != nil {
		return " (simulator, web app and the in-process daemon together)"
	}
	return " (simulator and web app)"
}

// printUsage prints the daemon's CPU per call and its peak memory.
func (e *environment) printUsage(out io.Writer, calls int, before, after usage, peak usage, serr error) {
	if e.target == nil {
		return
	}
	e.warn(out, serr)
	if before.CPU >= 0 && after.CPU >= 0 {
		cpu := after.CPU - before.CPU
		fmt.Fprintf(out, "daemon CPU:   %s = %s per call\n", cpu.Round(time.Millisecond), perCallDur(cpu, calls))
	}
	if peak.RSS >= 0 {
		g := "unknown (needs -admin)"
		if peak.Goroutines >= 0 {
			g = fmt.Sprint(peak.Goroutines)
		}
		fmt.Fprintf(out, "daemon peak:  RSS %s, goroutines %s\n", mib(peak.RSS), g)
	}
}

// warn prints the first error reading the daemon; the same source
// failing every second says nothing new.
func (e *environment) warn(out io.Writer, err error) {
	if err == nil || e.warned {
		return
	}
	e.warned = true
	fmt.Fprintf(out, "daemon:       %v (figures from that source are left out)\n", err)
}

// sample reads the daemon, or reports it unknown.
func (e *environment) sample(ctx context.Context) (usage, error) {
	if e.target == nil {
		return unknownUsage(), nil
	}
	return e.target.sample(ctx)
}

func (e *environment) webRequests() int64 {
	if e.web == nil {
		return 0
	}
	return e.web.requests.Load()
}

// watcher reads the daemon every second during a run and keeps the peaks.
type watcher struct {
	cancel context.CancelFunc
	done   chan struct{}
	mu     sync.Mutex
	peak   usage
}

// watch starts reading the daemon every second until stop.
func (e *environment) watch(ctx context.Context) *watcher {
	ctx, cancel := context.WithCancel(ctx)
	w := &watcher{cancel: cancel, done: make(chan struct{}), peak: unknownUsage()}
	if e.target == nil {
		close(w.done)
		return w
	}
	go func() {
		defer close(w.done)
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-t.C:
			case <-ctx.Done():
				return
			}
			u, err := e.sample(ctx)
			if err != nil {
				continue
			}
			w.mu.Lock()
			w.peak.RSS = max(w.peak.RSS, u.RSS)
			w.peak.Goroutines = max(w.peak.Goroutines, u.Goroutines)
			w.mu.Unlock()
		}
	}()
	return w
}

// stop ends the watch and returns the peaks.
func (w *watcher) stop() usage {
	w.cancel()
	<-w.done
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.peak
}

func perCall(v float64, calls int) float64 {
	if calls == 0 {
		return 0
	}
	return v / float64(calls)
}

func perCallDur(d time.Duration, calls int) time.Duration {
	if calls == 0 || d < 0 {
		return 0
	}
	return round(d / time.Duration(calls))
}

func mib(b int64) string {
	if b < 0 {
		return "unknown"
	}
	return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20))
}
