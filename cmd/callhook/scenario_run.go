package main

// scenario_run.go runs one scenario: its own engine (newServer, as serve
// and simulate build it) behind a loopback listener, its own simulated
// FreeSWITCH (esltest, media at scriptedSpeed), the caller its steps
// script, and the match of its expect steps against the call's events as
// they happen. Nothing is shared between scenarios, so they run in
// parallel.

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/callhook/callhook/esl/esltest"
	"github.com/callhook/callhook/internal/config"
	"github.com/callhook/callhook/proxy"
	"github.com/callhook/callhook/statemachine"
	"github.com/callhook/callhook/verb"
	"github.com/sirupsen/logrus"
)

// scenarioResult is how a scenario went.
type scenarioResult struct {
	sc   *scenario
	took time.Duration
	// failure says which step did not happen and what happened instead;
	// "" when the scenario passed.
	failure    string
	transcript string // the call as simulate prints it
}

// scenarioCall is the observer and the caller of one scenario's call:
// the session, the simulator's goroutine (onApp) and timers call it, hence
// the mutex.
type scenarioCall struct {
	proxy.NopObserver
	sc    *scenario
	print *simPrinter
	// liverpieApps names the config's Liverpie apps: their menus are
	// prompts, at which the caller presses keys (no gather).
	liverpieApps map[string]bool

	mu       sync.Mutex
	call     *esltest.Call
	liverpie bool
	events   []callEvent
	next     int   // the step to happen next
	matched  []int // for each step matched, the index of its event
	lastAt   int   // events before this index are behind the last matched step
	hangup   bool  // a hangup step came before the call was attached
	timers   []*time.Timer
	closed   bool
}

// runScenario runs sc with the config cfg; log gets the engine's lines.
func runScenario(cfg *config.Config, sc *scenario, log *logrus.Logger) *scenarioResult {
	start := time.Now()
	res := &scenarioResult{sc: sc}
	var transcript bytes.Buffer
	defer func() {
		res.took = time.Since(start)
		res.transcript = transcript.String()
	}()
	// As in simulate: the call comes from this process on a loopback
	// port, so the ACL is not for it, and the admin API is not served.
	local := *cfg
	local.ACL, local.Admin = nil, ""
	// The recordings delivery, as simulate's, listens on a loopback port
	// of its own and keeps the recordings in a fresh folder, removed after
	// the scenario: a daemon may hold the configured port, and each
	// scenario has an engine of its own.
	recLn, recNote, err := simRecordings(&local)
	if err != nil {
		res.failure = err.Error()
		return res
	}
	if r := local.Recordings; r != nil && !r.Local {
		defer os.RemoveAll(r.Dir)
	}
	srv, err := newServer(&local, log)
	if err != nil {
		if recLn != nil {
			recLn.Close()
		}
		res.failure = "the config has errors: " + err.Error()
		return res
	}
	srv.recLn = recLn
	guardConfiguredAdmin(srv.deps.guard, cfg.Admin)
	defer srv.deps.client.CloseIdleConnections()
	rt := srv.proxy.Runtime()
	if sc.App != "" && rt.Apps[sc.App] == nil {
		res.failure = fmt.Sprintf("app %q: the config has no such app", sc.App)
		return res
	}
	sim := &simulation{o: &simOptions{}, cfg: cfg, srv: srv}
	sim.print = newSimPrinter(&transcript, false)
	if recNote != "" && local.Recordings != nil && !local.Recordings.Local {
		recNote = "the simulated switch uploaded a silent WAV; callhook keeps it while the scenario runs"
	}
	sim.print.recordings = recNote
	c := &scenarioCall{sc: sc, print: sim.print, liverpieApps: map[string]bool{}}
	for _, a := range cfg.Apps {
		c.liverpieApps[a.Name] = a.Kind == config.KindLiverpie
	}
	for _, a := range rt.Apps {
		if b, ok := a.Backend.(*statemachine.Backend); ok {
			b.OnMove = sim.print.Transitions
		}
	}
	// c before the printer: the run ends when the printer has seen the
	// call end (waitEngine), and by then c must have recorded it too, or
	// the verdict can miss the end step that did happen.
	srv.proxy.Observer = proxy.Observers{srv.proxy.Observer, c, sim.print}
	defer c.close()

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		res.failure = "listen on a loopback port: " + err.Error()
		return res
	}
	served, err := srv.serve(ln)
	if err != nil {
		res.failure = err.Error()
		return res
	}
	defer srv.stopRecordings()
	grace := shutdownWait
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), grace)
		defer cancel()
		if err := srv.esl.Shutdown(ctx); err != nil {
			srv.esl.Close()
		}
		<-served
	}()

	// The scenario's timeout is real time: media runs fast, so what takes
	// long is the app (or a step that never comes).
	ctx, cancel := context.WithTimeout(context.Background(), sc.Timeout)
	defer cancel()
	vars := map[string]string{}
	for k, v := range sc.Vars {
		vars[k] = v
	}
	if sc.App != "" {
		vars["callhook_app"] = sc.App
	}
	sw := esltest.NewSwitch()
	for _, m := range sc.Load {
		sw.LoadModule(m)
	}
	call, err := esltest.Dial(ctx, ln.Addr().String(), esltest.Options{
		CallerIDNumber:    sc.From,
		DestinationNumber: sc.To,
		Vars:              vars,
		Speed:             scriptedSpeed,
		OnApp:             c.onApp,
		BridgeTargets:     sc.Bridge,
		Switch:            sw,
		// As simulate's: with a local delivery callhook reads the file
		// where the switch writes it.
		WriteRecordings: local.Recordings != nil && local.Recordings.Local,
	})
	if err != nil {
		res.failure = "place the call: " + err.Error()
		return res
	}
	c.attach(call)

	select {
	case <-call.Done():
		sim.waitEngine(srv.proxy)
		if r, err := call.Wait(context.Background()); err == nil {
			sim.print.End(r)
		}
		res.failure = c.verdict(false)
		return res
	case <-ctx.Done():
	}
	// The timeout: the verdict is what happened until now. The caller
	// hangs up, and the engine gets a short grace to end the call (a stuck
	// app's request may hold it until the app's own timeout: the
	// listener's Close then ends it), so the run goes on.
	res.failure = c.verdict(true)
	sim.print.Caller("hangup", "     caller hangs up (the scenario's timeout, "+sc.Timeout.String()+", is over)")
	call.Hangup("NORMAL_CLEARING")
	grace = timeoutGrace
	select {
	case <-call.Done():
	case <-time.After(timeoutGrace):
	}
	return res
}

// timeoutGrace is how long a scenario that timed out waits for the engine
// and the simulated call to end before it closes them.
const timeoutGrace = 2 * time.Second

// attach sets the call the caller acts on.
func (c *scenarioCall) attach(call *esltest.Call) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.call = call
	if c.hangup {
		c.hangupLocked()
	}
}

func (c *scenarioCall) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closed = true
	for _, t := range c.timers {
		t.Stop()
	}
}

// add records an event and moves the steps on: an expect step that
// matches it has happened; hangup steps then behind it happen now.
func (c *scenarioCall) add(e callEvent) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.events = append(c.events, e)
	if c.next < len(c.sc.Steps) {
		if st := &c.sc.Steps[c.next]; st.Kind == stepExpect && st.matches(e) {
			c.matched = append(c.matched, len(c.events)-1)
			c.lastAt = len(c.events)
			c.next++
		}
	}
	c.hangupsLocked()
}

// hangupsLocked takes the hangup steps that are next: the caller hangs up.
func (c *scenarioCall) hangupsLocked() {
	for c.next < len(c.sc.Steps) && c.sc.Steps[c.next].Kind == stepHangup {
		c.matched = append(c.matched, -1)
		c.next++
		c.hangupLocked()
	}
}

func (c *scenarioCall) hangupLocked() {
	if c.call == nil {
		c.hangup = true
		return
	}
	c.print.Caller("hangup", "     caller hangs up", simField{"why", "scenario step"})
	c.call.Hangup("NORMAL_CLEARING")
}

// CallStarted implements proxy.Observer.
func (c *scenarioCall) CallStarted(call *proxy.Call) {
	c.mu.Lock()
	c.liverpie = c.liverpieApps[call.App]
	c.hangupsLocked() // a scenario that starts with hangup
	c.mu.Unlock()
}

// Request implements proxy.Observer.
func (c *scenarioCall) Request(_ *proxy.Call, r *proxy.RequestInfo) { c.add(requestEvent(r)) }

// VerbStarted implements proxy.Observer.
func (c *scenarioCall) VerbStarted(_ *proxy.Call, v verb.Verb) { c.add(verbEvent(v)) }

// VerbFinished implements proxy.Observer.
func (c *scenarioCall) VerbFinished(_ *proxy.Call, v verb.Verb, r *verb.Result, _ time.Duration) {
	c.add(resultEvent(v, r))
}

// CallEnded implements proxy.Observer.
func (c *scenarioCall) CallEnded(_ *proxy.Call, end *proxy.CallEnd, _ *proxy.CallStats) {
	c.add(endEvent(end))
}

// onApp is esltest's OnApp hook, on the simulator's goroutine as each
// application starts: the application is an event, and where the caller
// answers (a gather, a record; a Liverpie app's prompt) the next step, if
// it is the caller's, is taken, before any of the application's timers
// can fire, whatever the speed.
func (c *scenarioCall) onApp(call *esltest.Call, run esltest.AppRun) {
	c.add(appEvent(run))
	c.mu.Lock()
	defer c.mu.Unlock()
	input := run.App == appGather || run.App == appRecord || c.liverpie && promptApps[run.App]
	if !input || c.next >= len(c.sc.Steps) {
		return
	}
	st := c.sc.Steps[c.next]
	switch st.Kind {
	case stepPress, stepSilence, stepSpeak:
		// What happened before the caller acted is behind this step.
		c.lastAt = len(c.events)
	}
	switch st.Kind {
	case stepPress:
		c.next++
		c.matched = append(c.matched, -1)
		if run.App == appRecord {
			// The caller leaves a message, then presses the keys.
			call.Talk(recordTalk)
			c.print.Caller("talk", "     caller speaks for "+recordTalk.String(), simField{"talk_s", recordTalk.Seconds()})
			c.afterLocked(recordTalk, func() { c.press(call, st.Keys) })
			return
		}
		c.pressLocked(call, st.Keys)
	case stepSilence:
		c.next++
		c.matched = append(c.matched, -1)
		c.print.Caller("silence", "     caller stays silent", simField{"why", "scenario step"})
	case stepSpeak:
		c.next++
		c.matched = append(c.matched, -1)
		call.Talk(st.Talk)
		c.print.Caller("talk", "     caller speaks for "+dur(st.Talk), simField{"talk_s", st.Talk.Seconds()})
	}
	c.hangupsLocked()
}

func (c *scenarioCall) press(call *esltest.Call, keys string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.pressLocked(call, keys)
}

func (c *scenarioCall) pressLocked(call *esltest.Call, keys string) {
	keys = strings.ToUpper(keys)
	c.print.Caller("keys", "     caller presses "+keys, simField{"keys", keys})
	call.Digits(keys)
}

// afterLocked runs f after d of call time.
func (c *scenarioCall) afterLocked(d time.Duration, f func()) {
	if c.closed {
		return
	}
	c.timers = append(c.timers, time.AfterFunc(time.Duration(float64(d)/scriptedSpeed), f))
}

// maxShown bounds the events a failure lists.
const maxShown = 25

// verdict is "" when every step happened, else which did not, beside what
// happened after the last step that did.
func (c *scenarioCall) verdict(timedOut bool) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.next >= len(c.sc.Steps) && !timedOut {
		return ""
	}
	var b strings.Builder
	if c.next >= len(c.sc.Steps) {
		fmt.Fprintf(&b, "timed out after %s, with every step done: the call did not end\n", c.sc.Timeout)
		return b.String()
	}
	st := c.sc.Steps[c.next]
	fmt.Fprintf(&b, "step %d (%s:%d) did not happen", c.next+1, c.sc.File, st.Line)
	if timedOut {
		fmt.Fprintf(&b, " within the scenario's timeout (%s)", c.sc.Timeout)
	} else {
		b.WriteString(" before the call ended")
	}
	fmt.Fprintf(&b, "\n  expected: %s\n", st.wantText())
	if st.Kind != stepExpect {
		b.WriteString("  (the caller acts at a gather or record, a Liverpie app's prompt; none came after the step before)\n")
	}
	rest := c.events[c.lastAt:]
	if c.next > 0 {
		fmt.Fprintf(&b, "  after step %d, what happened:\n", c.next)
	} else {
		b.WriteString("  what happened:\n")
	}
	if len(rest) == 0 {
		b.WriteString("    (nothing)\n")
	}
	for i, e := range rest {
		if i == maxShown {
			fmt.Fprintf(&b, "    ... and %d more\n", len(rest)-i)
			break
		}
		line := "    " + e.Text
		if st.Kind == stepExpect && e.What == st.What {
			// An event of the kind expected: what it has of the fields
			// the step names, beside them.
			line = "  ~ " + e.Text + "\n      has " + flowText(project(st.Want, e.Fields))
		}
		b.WriteString(line + "\n")
	}
	return b.String()
}
