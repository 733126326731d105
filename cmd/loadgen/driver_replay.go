package main

import (
	"context"
	"time"

	"github.com/callhook/callhook/cmd/loadgen/replay"
)

// menuTrace is the recorded call every replayed call is made of.
var menuTrace = replay.Menu()

// placeReplay runs one call on the replay simulator: FreeSWITCH's real
// frames for each command, 17 events per menu call.
func (d *Driver) placeReplay(ctx context.Context) string {
	id, stepWeb, nc, untrack, failure := d.dialCall(ctx)
	defer untrack()
	if failure != "" {
		return failure
	}
	timeout := d.callTimeout()
	st := &callState{heldNow: make(chan struct{})}
	o := replay.Options{UUID: id, App: d.App, Digit: d.Digit}
	if d.Expect == CallerHangsUp {
		o.HoldArg = holdFile
	}
	o.OnExecute = func(app, arg string) {
		switch {
		case app == "play_and_get_digits":
			st.gathered.Store(true)
		case app == "playback" && arg == holdFile && d.Expect == CallerHangsUp:
			if st.held.CompareAndSwap(false, true) {
				close(st.heldNow)
				d.held.Add(1)
				d.poke()
			}
		}
	}
	call := replay.Start(newStepConn(nc, &d.steps, stepWeb), menuTrace, o)
	defer func() {
		call.Close()
		if st.held.Load() {
			d.held.Add(-1)
			d.poke()
		}
	}()

	t := time.NewTimer(timeout)
	defer t.Stop()
	if d.Expect == CallerHangsUp {
		select {
		case <-st.heldNow:
			t.Stop()
			select {
			case <-d.Release:
			case <-call.Done():
			case <-ctx.Done():
			}
			call.Hangup()
			t.Reset(timeout)
		case <-call.Done():
		case <-t.C:
			return "timeout before holding"
		case <-ctx.Done():
		}
	}
	select {
	case <-call.Done():
	case <-t.C:
		return "timeout"
	case <-ctx.Done():
		return "interrupted"
	}
	r := call.Result()
	switch d.Expect {
	case CallerHangsUp:
		if !st.held.Load() {
			return "never held: " + r.String()
		}
		if r.By != "caller" || r.Err != nil {
			return "outcome: " + r.String()
		}
	default:
		if r.By != "daemon" || r.Cause != "NORMAL_CLEARING" || r.Err != nil {
			return "outcome: " + r.String()
		}
		if d.Digit != "" && !st.gathered.Load() {
			return "no gather"
		}
	}
	return ""
}
