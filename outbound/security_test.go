package outbound_test

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/callhook/callhook/esl/esltest"
	"github.com/callhook/callhook/outbound"
)

// expectCanceled cancels the ringing call id and checks that the next
// status event is its call.completed canceled: nothing came in between.
func (r *rig) expectCanceled(id string) {
	r.t.Helper()
	calls := r.m.Calls()
	if len(calls) != 1 || calls[0].ID != id || calls[0].State != "ringing" {
		r.t.Fatalf("Calls() = %+v, want %s ringing (then %+v)", calls, id, r.next())
	}
	if ok, err := r.m.Hangup(r.t.Context(), id); !ok || err != nil {
		r.t.Fatalf("Hangup(%s) = %v, %v; want the ringing call canceled", id, ok, err)
	}
	s := r.next()
	if s.ev.Event != outbound.EventCompleted || s.ev.Status != outbound.StatusCanceled || s.ev.CallID != id {
		r.t.Fatalf("after the cancel: %+v, want call.completed canceled", s.ev)
	}
}

// ringsOn is a box on which user/1002 rings in real time (60 s, its
// default ring time): the test acts while it rings.
func ringsOn() esltest.OriginateOptions {
	return esltest.OriginateOptions{Call: esltest.Options{Speed: 1},
		Targets: map[string]esltest.OriginateOutcome{"user/1002": esltest.OriginateRing}}
}

// TestSocketClaimingAPlacedCallsID: a socket connection that reaches the
// listener with the Unique-ID of a placed call still ringing (another
// box, a dialplan that sets origination_uuid) is not that call: it does
// not make the call answered, end it, or take it out of GET /calls,
// whether it runs an app or is refused.
func TestSocketClaimingAPlacedCallsID(t *testing.T) {
	for _, tc := range []struct {
		name string
		vars map[string]string
	}{
		{"runs an app", map[string]string{"callhook_app": "reminder", "callhook_instance": "test1"}},
		{"refused", map[string]string{"callhook_app": "nosuch", "callhook_instance": "test1"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t, rigOptions{orig: ringsOn()})
			r.waitState(outbound.StateUp)
			p := r.place(outbound.Request{To: "user/1002"})
			r.expect(p.ID, outbound.EventInitiated, outbound.EventRinging)

			c, err := esltest.Dial(t.Context(), r.eng.Addr, esltest.Options{UUID: p.ID, Vars: tc.vars, Speed: 1000})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := c.Wait(t.Context()); err != nil {
				t.Fatal(err)
			}
			r.expectCanceled(p.ID)
		})
	}
}

// TestEventsOfAnotherBox: a box's events about a call placed on another
// box (a forged CHANNEL_HANGUP_COMPLETE, CHANNEL_ANSWER) change nothing
// of it.
func TestEventsOfAnotherBox(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	proceed, ids := make(chan struct{}), make(chan string, 1)
	go fakeBox(ln, proceed, ids)
	r := newRig(t, rigOptions{
		orig: ringsOn(),
		more: []outbound.BoxConfig{{Name: "fake", Addr: ln.Addr().String(), Password: password, ConnectBack: "127.0.0.1:8084"}},
	})
	r.waitState(outbound.StateUp) // fs1; the fake box waits for proceed
	p := r.place(outbound.Request{To: "user/1002"})
	if p.Box != "fs1" {
		t.Fatalf("placed on %s, want fs1", p.Box)
	}
	r.expect(p.ID, outbound.EventInitiated, outbound.EventRinging)
	ids <- p.ID
	close(proceed)
	// The fake box sends its forged events and hangs up; its events are
	// handled in order before its connection's end.
	r.waitBoxState("fake", outbound.StateDown)
	r.expectCanceled(p.ID)
}

// fakeBox is a hostile inbound event socket: it authenticates callhook
// once proceed closes, takes its subscriptions, then sends a forged answer
// and hangup for the id it is given and closes.
func fakeBox(ln net.Listener, proceed <-chan struct{}, ids <-chan string) {
	nc, err := ln.Accept()
	if err != nil {
		return
	}
	outbound.ServeFakeBox(nc, proceed, func(nc net.Conn, _ *bufio.Reader) {
		id := <-ids
		for _, body := range []string{
			"Event-Name: CHANNEL_ANSWER\nUnique-ID: " + id + "\nvariable_callhook_instance: test1\n\n",
			"Event-Name: CHANNEL_HANGUP_COMPLETE\nUnique-ID: " + id + "\nHangup-Cause: USER_BUSY\nvariable_callhook_instance: test1\n\n",
		} {
			fmt.Fprintf(nc, "Content-Length: %d\nContent-Type: text/event-plain\n\n%s", len(body), body)
		}
	})
}

// TestBoxThatNeverReports: a box takes the originate and then says
// nothing of the call (no job result, no events). The call is reported
// failed once its ring time and ReportSlack have passed, and it leaves
// GET /calls and its box's count, rather than holding them for ever.
func TestBoxThatNeverReports(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	proceed := make(chan struct{})
	close(proceed)
	go func() {
		nc, err := ln.Accept()
		if err != nil {
			return
		}
		outbound.ServeFakeBox(nc, proceed, swallow)
	}()
	r := newRig(t, rigOptions{addr: ln.Addr().String(), maxCalls: 1, reportSlack: time.Millisecond})
	r.waitState(outbound.StateUp)
	p := r.place(outbound.Request{Timeout: 1})
	last := r.expect(p.ID, outbound.EventInitiated, outbound.EventCompleted)
	if last.Status != outbound.StatusFailed || !strings.Contains(last.Reason, "never said") {
		t.Errorf("call.completed = %+v, want failed: the box never said", last)
	}
	if calls := r.m.Calls(); len(calls) != 0 {
		t.Errorf("Calls() = %+v, want none", calls)
	}
	if b := r.m.BoxInfos()[0]; b.Calls != 0 {
		t.Errorf("box calls = %d, want 0", b.Calls)
	}
}

// swallow answers each command +OK (a bgapi with its Job-UUID) and sends
// no event, ever.
func swallow(nc net.Conn, br *bufio.Reader) {
	for {
		cmd, err := outbound.ReadFakeCommand(br)
		if err != nil {
			return
		}
		job := ""
		for _, l := range cmd {
			if v, ok := strings.CutPrefix(l, "Job-UUID: "); ok {
				job = v
			}
		}
		fmt.Fprintf(nc, "Content-Type: command/reply\nReply-Text: +OK Job-UUID: %s\nJob-UUID: %s\n\n", job, job)
	}
}

// TestClientGoneAfterTheCommandLeft: the API client hangs up (its request's
// context ends) once the bgapi originate is on the wire and before the box
// replied. The box places the call all the same, so Place must not answer
// an error (a client that retries on it places the call twice): it waits
// for the reply and the call is followed as any other.
func TestClientGoneAfterTheCommandLeft(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	proceed := make(chan struct{})
	close(proceed)
	got, release := make(chan struct{}), make(chan struct{})
	go func() {
		nc, err := ln.Accept()
		if err != nil {
			return
		}
		outbound.ServeFakeBox(nc, proceed, func(nc net.Conn, br *bufio.Reader) {
			cmd, err := outbound.ReadFakeCommand(br)
			if err != nil {
				return
			}
			close(got)
			<-release
			job := ""
			for _, l := range cmd {
				if v, ok := strings.CutPrefix(l, "Job-UUID: "); ok {
					job = v
				}
			}
			fmt.Fprintf(nc, "Content-Type: command/reply\nReply-Text: +OK Job-UUID: %s\nJob-UUID: %s\n\n", job, job)
			swallow(nc, br)
		})
	}()
	r := newRig(t, rigOptions{addr: ln.Addr().String()})
	r.waitState(outbound.StateUp)
	ctx, cancel := context.WithCancel(t.Context())
	type placed struct {
		p   *outbound.Placed
		err error
	}
	done := make(chan placed, 1)
	go func() {
		p, err := r.m.Place(ctx, &outbound.Request{App: "reminder", To: "user/1000", StatusURL: r.url})
		done <- placed{p, err}
	}()
	select {
	case <-got:
	case <-time.After(10 * time.Second):
		t.Fatal("the box got no command")
	}
	cancel()
	close(release)
	var res placed
	select {
	case res = <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Place did not return")
	}
	if res.err != nil {
		t.Fatalf("Place = %v: the box has the call, the API must say so", res.err)
	}
	r.expect(res.p.ID, outbound.EventInitiated)
	if calls := r.m.Calls(); len(calls) != 1 || calls[0].ID != res.p.ID {
		t.Errorf("Calls() = %+v, want the placed call", calls)
	}
}
