package main

// simulate_remote.go is `callhook simulate -addr HOST:PORT`: the simulated
// FreeSWITCH (esl/esltest) dials a callhook serve that is already running,
// as a real switch's socket application would, so a daemon started with
// `make run` can take a call with no FreeSWITCH. Only the switch's side is
// seen here: the applications callhook runs, the caller's keys, each
// application's response and the end. The engine's side (the requests to
// the app and their replies) is in the daemon: its log, its /calls and
// /metrics.

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"

	"github.com/callhook/callhook/esl/esltest"
)

// remoteCall prints the switch's side of a call placed into a running
// daemon.
type remoteCall struct {
	print  *simPrinter
	caller *simCaller
	from   string
	to     string
	addr   string

	// announced prints the call's line once, before its first app: the
	// daemon may run an app before esltest.Dial has returned.
	announced sync.Once

	mu     sync.Mutex
	shown  int // the runs whose results are printed
	played int // the apps that ran
}

// onApp is the simulator's OnApp hook: it prints the results of the apps
// that ended since the last one, then the app that starts, then lets the
// caller act (press the keys of a gather, talk into a record).
func (r *remoteCall) onApp(call *esltest.Call, run esltest.AppRun) {
	r.announce(call)
	r.results(call)
	r.mu.Lock()
	r.played++
	r.mu.Unlock()
	text := "   " + run.App
	if run.Arg != "" {
		text += " " + run.Arg
	}
	r.print.emit("app", text, simField{"app", run.App}, simField{"arg", run.Arg})
	r.caller.onApp(call, run)
}

// announce prints the call's line, once.
func (r *remoteCall) announce(call *esltest.Call) {
	r.announced.Do(func() {
		r.print.emit("call", fmt.Sprintf("call %s from %s to %s", shortID(call.UUID()), r.from, r.to),
			simField{"call_id", call.UUID()}, simField{"from", r.from}, simField{"to", r.to}, simField{"addr", r.addr})
	})
}

// results prints "= response" for every app that has ended and whose
// result is not printed yet, in start order.
func (r *remoteCall) results(call *esltest.Call) {
	runs := call.Apps()
	r.mu.Lock()
	defer r.mu.Unlock()
	for ; r.shown < len(runs) && !runs[r.shown].End.IsZero(); r.shown++ {
		run := runs[r.shown]
		resp := run.Response
		text := "     = " + resp
		if resp == "" {
			text = "     = (no response)"
		}
		fields := []simField{{"app", run.App}, {"response", resp}, {"call_time_ms", run.End.Sub(run.Start).Milliseconds()}}
		if run.App == appGather {
			// The digits are in the variable the gather named (its eighth
			// argument, src/switch_ivr_play_say.c's play_and_get_digits),
			// read_result says how it went.
			digits, result := gatherOutcome(call, run.Arg)
			text = "     = " + result
			if digits != "" {
				text = "     = digits " + digits + " (" + result + ")"
			}
			fields = append(fields, simField{"digits", digits}, simField{"read_result", result})
		}
		r.print.emit("app_result", text, fields...)
	}
}

// runRemote is simulate -addr; it returns the exit status: 0 when the call
// ended as calls end (hung up, transferred, back to the dialplan), 1 when
// the daemon could not be reached or left the call in a broken state.
// Whether the app failed is the daemon's to say (its log, /metrics).
func runRemote(o *simOptions, stdin io.Reader, stdout, stderr io.Writer) int {
	print := newSimPrinter(stdout, o.jsonOut)
	caller := &simCaller{print: print, speed: scriptedSpeed, tokens: o.digits, atPrompts: o.remotePrompts}
	r := &remoteCall{print: print, caller: caller, from: o.from, to: o.to, addr: o.addr}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var term *simTerminal
	if !o.scripted {
		term, _ = openTerminal(stdin)
	}
	if term != nil {
		if err := term.raw(); err != nil {
			fmt.Fprintf(stderr, "callhook simulate: %v; nobody will press anything\n", err)
			term = nil
		}
	}
	if term != nil {
		defer term.restore()
		caller.interactive, caller.speed = true, interactiveSpeed
	}
	defer caller.close()
	print.Note(fmt.Sprintf("dialling callhook serve at %s as FreeSWITCH's socket application would (callhook_trace=true)", o.addr))
	switch {
	case caller.interactive:
		print.Note("you are the caller: type digits while prompts play; h hangs up")
	case o.scripted && len(o.digits) > 0:
		print.Note(fmt.Sprintf("scripted caller: %s (media runs %dx faster)", strings.Join(o.digits, " "), scriptedSpeed))
	default:
		print.Note(fmt.Sprintf("nobody presses anything (media runs %dx faster)", scriptedSpeed))
	}

	// callhook_trace makes the daemon log this call's wire trace at log
	// level debug (proxy/session.go), the requests and replies included.
	vars := map[string]string{"callhook_trace": "true"}
	if o.app != "" {
		vars["callhook_app"] = o.app
	}
	call, err := esltest.Dial(ctx, o.addr, esltest.Options{
		CallerIDNumber:    o.from,
		DestinationNumber: o.to,
		Vars:              vars,
		Speed:             caller.speed,
		OnApp:             r.onApp,
		BridgeTargets:     o.bridge,
		Switch:            o.switchFor(),
	})
	if err != nil {
		print.Error(fmt.Errorf("cannot reach callhook serve at %s: %v (is it running? `make run` starts one on 127.0.0.1:8084)", o.addr, err))
		return simFailed
	}
	caller.attach(call)
	r.announce(call)
	if o.hangupAfter > 0 {
		why := " (-hangup-after " + o.hangupAfter.String() + ")"
		call.HangupAfter(o.hangupAfter, "NORMAL_CLEARING", func() {
			caller.print.Caller("hangup", "     caller hangs up"+why, simField{"why", strings.TrimPrefix(why, " ")})
		})
	}
	keys := make(chan struct{})
	if term != nil {
		go func() {
			defer close(keys)
			caller.readKeys(ctx, term)
		}()
	} else {
		close(keys)
	}
	select {
	case <-call.Done():
	case <-ctx.Done():
		stop() // a second Ctrl-C ends the process the default way
		caller.hangup(" (interrupted)")
		<-call.Done()
	}
	if term != nil {
		term.stopReading()
	}
	<-keys
	r.results(call)
	res, _ := call.Wait(context.Background()) // done already: it returns at once
	status := r.end(res)
	r.where(call.UUID(), o)
	if left := caller.unused(); len(left) > 0 {
		print.Note(fmt.Sprintf("(-digits %q were not used: the call had fewer prompts to answer)", strings.Join(left, " ")))
	}
	if err := print.WriteErr(); err != nil {
		fmt.Fprintf(stderr, "callhook simulate: %v\n", err)
	}
	return status
}

// end prints how the call ended, as the switch saw it, and returns the
// exit status.
func (r *remoteCall) end(res *esltest.Result) int {
	if res == nil {
		r.print.Error(fmt.Errorf("the call ended with no result"))
		return simFailed
	}
	r.mu.Lock()
	played := r.played
	r.mu.Unlock()
	text := "end: " + string(res.Outcome)
	if res.Cause != "" {
		text += ", " + res.Cause
	}
	if by := hungUpBy(res); by != "" {
		text += " " + by
	}
	text += " (" + count(played, "application") + " ran)"
	status := simOK
	switch res.Outcome {
	case esltest.HungUp, esltest.Transferred, esltest.DialplanContinued:
	default:
		status = simFailed
	}
	r.print.mu.Lock()
	r.print.failed = status != simOK
	r.print.emitLocked("end", text, simField{"outcome", string(res.Outcome)}, simField{"cause", res.Cause},
		simField{"hung_up_by", string(res.By)}, simField{"apps", played}, simField{"failed", status != simOK})
	r.print.finishLocked()
	r.print.mu.Unlock()
	return status
}

// where says where the daemon's side of the call is: this command only
// sees the switch's.
func (r *remoteCall) where(id string, o *simOptions) {
	admin := "the daemon's admin address"
	if o.adminAddr != "" {
		admin = "http://" + o.adminAddr
	}
	r.print.Note(strings.Join([]string{
		"the daemon's side of this call (the requests to the app and its replies):",
		"  its log, lines with call_id=" + id + " (at log level debug it also logs the wire trace: this call set callhook_trace=true)",
		"  " + admin + "/calls/" + id + " while the call runs; " + admin + "/metrics for the counts",
	}, "\n"))
}

// gatherOutcome reads a finished play_and_get_digits' digits and
// read_result from the simulated channel.
func gatherOutcome(call *esltest.Call, arg string) (digits, result string) {
	if f := strings.Fields(arg); len(f) >= 8 {
		digits, _ = call.Var(f[7])
	}
	result, _ = call.Var("read_result")
	return digits, result
}
