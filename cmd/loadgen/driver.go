package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/callhook/callhook/esl"
	"github.com/callhook/callhook/esl/esltest"
)

// Expectation is how a call must end to count as completed.
type Expectation int

const (
	// DaemonHangsUp: the app runs to its end and the daemon hangs up with
	// NORMAL_CLEARING (the menu).
	DaemonHangsUp Expectation = iota
	// CallerHangsUp: the call holds in the hold app's long playback until
	// the driver's Release, then the caller hangs up.
	CallerHangsUp
)

// Driver places simulated calls (esltest, a faithful FreeSWITCH) against a
// daemon's event socket and plays the caller: it presses Digit when a
// gather starts and, with CallerHangsUp, hangs up on Release.
//
// Pacing: with Rate > 0 a call starts every 1/Rate seconds (Concurrency
// then only caps the calls in flight, as a safety); with Rate 0 calls run
// back to back, Concurrency at a time, as fast as the daemon takes them.
// The run stops starting calls after Calls calls or Duration, whichever
// is set (both: whichever comes first), or when ctx ends.
type Driver struct {
	Addr        string        // the daemon's event socket
	Rate        float64       // calls started per second; 0: as fast as possible
	Concurrency int           // calls in flight at most (default 100)
	Calls       int           // calls to place; 0: until Duration
	Duration    time.Duration // how long to keep starting calls; 0: until Calls
	Speed       float64       // media time runs this much faster (esltest.Options.Speed)
	App         string        // callhook_app channel variable; "" leaves the daemon's routing to decide
	Digit       string        // pressed when play_and_get_digits starts; "" presses nothing
	Expect      Expectation
	CallTimeout time.Duration // a call not over by then is a failure (default 60s)
	// Web, when the web app is loadgen's own, lets the step timing take
	// its handling time out of the daemon's.
	Web *WebApp
	// Release, with CallerHangsUp, makes every held call hang up when it
	// is closed. Calls not yet held by then hang up as soon as they are.
	Release <-chan struct{}
	// Sim chooses the simulated FreeSWITCH: "" or "replay" replays the
	// real menu trace (package replay, no callhook code); "esltest" is
	// esl/esltest, the simulator callhook's own tests use.
	Sim string

	steps     steps
	callTime  samples
	failures  failures
	started   atomic.Int64
	completed atomic.Int64
	active    atomic.Int64
	maxActive atomic.Int64
	held      atomic.Int64
	heldNote  chan struct{}
	once      sync.Once
}

// Result is what a run measured.
type Result struct {
	Started, Completed int
	Rate               float64       // the rate asked for; 0: as fast as possible
	StartSpan          time.Duration // from the first start to the last
	MaxLag             time.Duration // how late the latest-starting call started, at a fixed rate
	Failures           map[string]int
	FailureText        string
	Elapsed            time.Duration // from the first dial to the end of the last call
	MaxActive          int
	Added              summary // per-step latency added by the daemon
	Webhook            summary // steps that made a request, web app included
	CallTime           summary // dial to the end of the call
	// LoadgenCPU is loadgen's own user + system time over the run: the
	// simulator and the web app (and the daemon too with -baseline).
	LoadgenCPU time.Duration
}

// StartRate is the rate calls actually started at.
func (r *Result) StartRate() float64 {
	if r.StartSpan <= 0 {
		return 0
	}
	return float64(r.Started-1) / r.StartSpan.Seconds()
}

// CallsPerSecond is the completion rate over the run.
func (r *Result) CallsPerSecond() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Completed) / r.Elapsed.Seconds()
}

// init makes the Held channel once, whichever of Run and Held comes first.
func (d *Driver) init() {
	d.once.Do(func() { d.heldNote = make(chan struct{}, 1) })
}

// Held returns how many calls are holding now (CallerHangsUp), and a
// channel that receives whenever that number may have changed. The
// channel holds one notification, so it serves one waiter.
func (d *Driver) Held() (int, <-chan struct{}) {
	d.init()
	return int(d.held.Load()), d.heldNote
}

// Run places the calls and waits for every one of them to end.
func (d *Driver) Run(ctx context.Context) (*Result, error) {
	d.init()
	if d.Calls <= 0 && d.Duration <= 0 {
		return nil, errors.New("set a number of calls or a duration")
	}
	if d.Expect == CallerHangsUp && d.Release == nil {
		return nil, errors.New("held calls need a release")
	}
	conc := d.Concurrency
	if conc <= 0 {
		conc = 100
	}
	slots := make(chan struct{}, conc)
	cpu0 := selfCPU()
	start := time.Now()
	var last atomic.Int64 // end of the latest call, ns since start
	var wg sync.WaitGroup
	pace := newPacer(start, d.Rate)
	var lastStart, maxLag time.Duration
	defer pace.stop()
	for i := 0; d.Calls <= 0 || i < d.Calls; i++ {
		if d.Duration > 0 && time.Since(start) >= d.Duration {
			break
		}
		if !pace.wait(ctx, i) {
			break
		}
		select {
		case slots <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		d.started.Add(1)
		lastStart = time.Since(start)
		if d.Rate > 0 {
			maxLag = max(maxLag, lastStart-pace.due(i))
		}
		wg.Go(func() {
			defer func() { <-slots }()
			d.call(ctx)
			storeMax(&last, int64(time.Since(start)))
		})
	}
	wg.Wait()
	res := &Result{
		Started:     int(d.started.Load()),
		Completed:   int(d.completed.Load()),
		Rate:        d.Rate,
		StartSpan:   lastStart,
		MaxLag:      maxLag,
		Failures:    d.failures.byKind(),
		FailureText: d.failures.String(),
		Elapsed:     time.Duration(last.Load()),
		MaxActive:   int(d.maxActive.Load()),
		Added:       d.steps.added.summary(),
		Webhook:     d.steps.webhook.summary(),
		CallTime:    d.callTime.summary(),
		LoadgenCPU:  selfCPU() - cpu0,
	}
	return res, ctx.Err()
}

// call places one call and classifies how it ended.
func (d *Driver) call(ctx context.Context) {
	storeMax(&d.maxActive, d.active.Add(1))
	defer d.active.Add(-1)
	begin := time.Now()
	if kind := d.place(ctx); kind != "" {
		d.failures.add(kind)
		return
	}
	d.callTime.add(time.Since(begin))
	d.completed.Add(1)
}

// storeMax raises a to v if v is larger.
func storeMax(a *atomic.Int64, v int64) {
	for m := a.Load(); v > m && !a.CompareAndSwap(m, v); m = a.Load() {
	}
}

// callState is what the caller noticed during one call (written on the
// simulator's goroutine in OnApp, read after the call ended).
type callState struct {
	gathered atomic.Bool
	held     atomic.Bool
	heldNow  chan struct{} // closed when the hold starts
}

// place runs one call and returns "" when it ended as expected, else the
// kind of failure.
func (d *Driver) place(ctx context.Context) string {
	if d.Sim != "esltest" {
		return d.placeReplay(ctx)
	}
	return d.placeESLTest(ctx)
}

// callTimeout bounds one call: its dial and each wait on its progress.
func (d *Driver) callTimeout() time.Duration {
	if d.CallTimeout <= 0 {
		return 60 * time.Second
	}
	return d.CallTimeout
}

// dialCall starts one call of either simulator: a fresh Unique-ID, the web
// app's timing of its requests (nil without a web app), and the connection
// to the daemon, dialled within the call timeout. untrack, never nil, ends
// the web app's timing; failure is the kind of a failed dial ("" when the
// connection is up).
func (d *Driver) dialCall(ctx context.Context) (id string, web *atomic.Int64, nc net.Conn, untrack func(), failure string) {
	id = esl.NewUUID()
	untrack = func() {}
	if d.Web != nil {
		web = d.Web.track(id)
		untrack = func() { d.Web.untrack(id) }
	}
	dialer := net.Dialer{Timeout: d.callTimeout()}
	nc, err := dialer.DialContext(ctx, "tcp", d.Addr)
	if err != nil {
		return id, web, nil, untrack, dialFailure(err)
	}
	return id, web, nc, untrack, ""
}

// placeESLTest runs one call on esl/esltest.
func (d *Driver) placeESLTest(ctx context.Context) string {
	id, web, nc, untrack, failure := d.dialCall(ctx)
	defer untrack()
	if failure != "" {
		return failure
	}
	timeout := d.callTimeout()
	st := &callState{heldNow: make(chan struct{})}
	defer func() {
		// Runs after call.Close (deferred later), when OnApp can no longer fire.
		if st.held.Load() {
			d.held.Add(-1)
			d.poke()
		}
	}()
	o := esltest.Options{
		UUID:           id,
		Speed:          d.Speed,
		DiscardHistory: true,
		OnApp:          d.onApp(st),
	}
	if d.App != "" {
		o.Vars = map[string]string{"callhook_app": d.App}
	}
	call := esltest.NewCall(newStepConn(nc, &d.steps, web), o)
	defer call.Close()

	var deadline <-chan time.Time
	if d.Expect == DaemonHangsUp {
		t := time.NewTimer(timeout)
		defer t.Stop()
		deadline = t.C
	} else {
		// A held call has no deadline of its own until it is released.
		t := time.NewTimer(timeout)
		defer t.Stop()
		select {
		case <-st.heldNow:
			t.Stop()
			select {
			case <-d.Release:
			case <-call.Done():
			case <-ctx.Done():
			}
			call.Hangup("NORMAL_CLEARING")
			t.Reset(timeout)
		case <-call.Done():
		case <-t.C:
			return "timeout before holding"
		case <-ctx.Done():
		}
		deadline = t.C
	}
	select {
	case <-call.Done():
	case <-deadline:
		return "timeout"
	case <-ctx.Done():
		return "interrupted"
	}
	// The call is over: Wait returns at once (ctx may be ending too).
	r, err := call.Wait(context.WithoutCancel(ctx))
	if err != nil {
		return "interrupted"
	}
	return d.judge(r, st)
}

// onApp is the caller's script: a digit when the gather starts, and
// noticing that the hold playback started.
func (d *Driver) onApp(st *callState) func(*esltest.Call, esltest.AppRun) {
	return func(c *esltest.Call, run esltest.AppRun) {
		switch {
		case run.App == "play_and_get_digits":
			st.gathered.Store(true)
			if d.Digit != "" {
				c.Digits(d.Digit)
			}
		case run.App == "playback" && run.Arg == holdFile && d.Expect == CallerHangsUp:
			if st.held.CompareAndSwap(false, true) {
				close(st.heldNow)
				d.held.Add(1)
				d.poke()
			}
		}
	}
}

// poke tells the Held waiter that the count changed, without blocking.
func (d *Driver) poke() {
	select {
	case d.heldNote <- struct{}{}:
	default:
	}
}

// judge compares how the call ended with the expectation.
func (d *Driver) judge(r *esltest.Result, st *callState) string {
	switch d.Expect {
	case CallerHangsUp:
		if !st.held.Load() {
			return "never held: " + r.String()
		}
		if r.Outcome != esltest.HungUp || r.By != esltest.ByCaller {
			return "outcome: " + r.String()
		}
	default:
		if r.Outcome != esltest.HungUp || r.By != esltest.ByDaemon || r.Cause != "NORMAL_CLEARING" {
			return "outcome: " + r.String()
		}
		if d.Digit != "" && !st.gathered.Load() {
			return "no gather"
		}
	}
	return ""
}

// dialFailure names a dial error by its cause, so that thousands of
// refused connections make one line of the report.
func dialFailure(err error) string {
	for _, e := range []error{syscall.ECONNREFUSED, syscall.ECONNRESET, syscall.EMFILE, syscall.EADDRNOTAVAIL, syscall.ETIMEDOUT} {
		if errors.Is(err, e) {
			return "dial: " + e.Error()
		}
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return "interrupted"
	}
	msg := err.Error()
	if i := strings.LastIndex(msg, ": "); i >= 0 {
		msg = msg[i+2:]
	}
	return fmt.Sprintf("dial: %s", msg)
}

// pacer starts calls at a fixed rate: call i is due at start + i/rate. A
// late start does not push the schedule back, so the rate is kept on
// average as long as the daemon keeps up.
type pacer struct {
	start time.Time
	every time.Duration
	t     *time.Timer
}

// newPacer paces calls from start at rate per second (0: no pacing).
func newPacer(start time.Time, rate float64) *pacer {
	p := &pacer{start: start}
	if rate > 0 {
		p.every = time.Duration(float64(time.Second) / rate)
		p.t = time.NewTimer(time.Hour)
		p.t.Stop()
	}
	return p
}

// wait returns when call i is due, false when ctx ended first.
func (p *pacer) wait(ctx context.Context, i int) bool {
	if p.every == 0 {
		return ctx.Err() == nil
	}
	due := time.Until(p.start.Add(p.due(i)))
	if due <= 0 {
		return ctx.Err() == nil
	}
	p.t.Reset(due)
	select {
	case <-p.t.C:
		return true
	case <-ctx.Done():
		p.t.Stop()
		return false
	}
}

// due is when call i should start, counted from the start of the run.
func (p *pacer) due(i int) time.Duration { return time.Duration(i) * p.every }

func (p *pacer) stop() {
	if p.t != nil {
		p.t.Stop()
	}
}
