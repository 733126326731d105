package esl_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/callhook/callhook/esl"
	"github.com/callhook/callhook/esl/esltest"
)

// simGuard bounds a simulated call; a failure guard only.
const simGuard = 20 * time.Second

// serveSim starts a Server with h on 127.0.0.1:0 and dials it with the
// FreeSWITCH simulator; it returns the simulated call.
func serveSim(t *testing.T, h esl.HandlerFunc, o esltest.Options) *esltest.Call {
	t.Helper()
	s := &esl.Server{Handler: h}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- s.Serve(l) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), simGuard)
		defer cancel()
		if err := s.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown() = %v", err)
		}
		if err := <-served; err != esl.ErrServerClosed {
			t.Errorf("Serve() = %v, want ErrServerClosed", err)
		}
	})
	if o.Speed == 0 {
		o.Speed = 1000 // a 1 s prompt plays in 1 ms
	}
	call, err := esltest.Dial(t.Context(), l.Addr().String(), o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { call.Close() })
	return call
}

// waitCall waits for the simulated call's end.
func waitCall(t *testing.T, call *esltest.Call) *esltest.Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), simGuard)
	defer cancel()
	r, err := call.Wait(ctx)
	if err != nil {
		t.Fatalf("simulated call did not end: %v", err)
	}
	return r
}

// TestServerDrivesSimulatedCall drives a whole call against the simulator:
// Execute matched by Application-UUID with DTMF during the prompt, a looped
// execute, hangup, linger and exit.
func TestServerDrivesSimulatedCall(t *testing.T) {
	log := make(chan string, 64)
	handler := func(ctx context.Context, c *esl.Conn) {
		defer close(log)
		step := func(err error, what string) bool {
			if err != nil {
				log <- fmt.Sprintf("%s: %v", what, err)
				return false
			}
			return true
		}
		_, err := c.Send(ctx, esl.MyEvents(esl.FormatPlain, ""))
		if !step(err, "myevents") {
			return
		}
		_, err = c.Send(ctx, esl.Linger(5*time.Second))
		if !step(err, "linger") {
			return
		}
		done, err := c.Execute(ctx, "answer", "", esl.ExecuteOptions{})
		if !step(err, "answer") {
			return
		}
		log <- "answer " + done.AppResponse()
		done, err = c.Execute(ctx, "playback", "/tmp/menu.wav", esl.ExecuteOptions{})
		if !step(err, "playback") {
			return
		}
		log <- "playback " + done.AppResponse()
		done, err = c.Execute(ctx, "playback", "/tmp/menu.wav", esl.ExecuteOptions{Loops: 2})
		if !step(err, "looped playback") {
			return
		}
		log <- "loop " + done.Var("current_loop")
		_, err = c.Send(ctx, esl.Hangup("", "NORMAL_CLEARING"))
		if !step(err, "hangup") {
			return
		}
		var seen []string
		for {
			ev, err := c.NextEvent(ctx)
			if !step(err, "next event") {
				return
			}
			switch {
			case ev.Name() == esl.EventDTMF:
				seen = append(seen, "DTMF "+ev.DTMFDigit())
			case ev.IsLingerNotice():
				seen = append(seen, "linger")
			case ev.Name() == esl.EventChannelHangupComplete:
				seen = append(seen, "hangup complete "+ev.HangupCause())
			}
			if ev.IsLingerNotice() {
				break
			}
		}
		log <- strings.Join(seen, ", ")
		select {
		case <-c.Hungup():
		default:
			log <- "Hungup() still open after the linger notice"
		}
		step(c.Exit(ctx), "exit")
	}
	call := serveSim(t, handler, esltest.Options{
		OnApp: func(c *esltest.Call, run esltest.AppRun) {
			if run.App == "playback" && run.Loop == 1 && len(c.Apps()) == 2 {
				c.Digits("5")
			}
		},
	})
	if r := waitCall(t, call); r.Outcome != esltest.HungUp || r.By != esltest.ByDaemon {
		t.Errorf("call ended %v, want hung up by the daemon", r)
	}
	var got []string
	for l := range log {
		got = append(got, l)
	}
	want := []string{
		"answer _none_",
		"playback FILE PLAYED",
		"loop 2",
		"DTMF 5, hangup complete NORMAL_CLEARING, linger",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("handler saw:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestExecuteSurvivesCallerHangup: the caller hangs up during a prompt;
// CHANNEL_HANGUP comes before the prompt's completion, and Execute still
// returns that completion.
func TestExecuteSurvivesCallerHangup(t *testing.T) {
	result := make(chan string, 1)
	handler := func(ctx context.Context, c *esl.Conn) {
		c.Send(ctx, esl.MyEvents(esl.FormatPlain, ""))
		c.Send(ctx, esl.Linger(5*time.Second))
		c.Execute(ctx, "answer", "", esl.ExecuteOptions{})
		done, err := c.Execute(ctx, "playback", "tone_stream://%(10000,0,440)", esl.ExecuteOptions{})
		hungup := c.HangupEvent() != nil
		switch {
		case err != nil:
			result <- "error: " + err.Error()
		default:
			result <- fmt.Sprintf("%s, hangup seen first: %v", done.AppResponse(), hungup)
		}
		if err := c.Exit(ctx); err != nil && !errors.Is(err, esl.ErrDisconnected) {
			t.Errorf("Exit() = %v", err)
		}
	}
	call := serveSim(t, handler, esltest.Options{
		OnApp: func(c *esltest.Call, run esltest.AppRun) {
			if strings.HasPrefix(run.Arg, "tone_stream") {
				c.Hangup("NORMAL_CLEARING")
			}
		},
	})
	waitCall(t, call)
	select {
	case got := <-result:
		if want := "PLAYBACK ERROR, hangup seen first: true"; got != want {
			t.Errorf("Execute(playback) during a caller hangup: %s, want %s", got, want)
		}
	case <-time.After(simGuard):
		t.Fatalf("handler did not finish")
	}
}
