package main

// simulate -originate: the call is placed as POST /calls places it, by an
// outbound.Manager, on a simulated FreeSWITCH box (esltest's inbound
// socket, which answers bgapi originate); the answered call connects back
// to the engine and runs its app, so a newcomer can try placing calls
// without FreeSWITCH.

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/callhook/callhook/esl"
	"github.com/callhook/callhook/esl/esltest"
	"github.com/callhook/callhook/outbound"
	"github.com/callhook/callhook/proxy"
)

// originateWait bounds how long simulate -originate waits for the box to
// come up and for an unanswered call's outcome.
const originateWait = 2 * time.Minute

// originateTarget is -to as a dial target: a bare number is user/NUMBER.
func originateTarget(to string) string {
	if strings.Contains(to, "/") {
		return to
	}
	return "user/" + to
}

// originate places the simulated call through an outbound.Manager and
// returns the answered call's simulated channel, or nil (and the outcome
// printed) when the call did not answer.
func (s *simulation) originate(ctx context.Context, listenAddr string, caller *simCaller, base esltest.Options) (*esltest.Call, error) {
	password := esl.NewUUID()
	box, err := esltest.NewInboundServer(password)
	if err != nil {
		return nil, err
	}
	answered := make(chan *esltest.Call, 1)
	target := originateTarget(s.o.to)
	box.SetOriginate(esltest.OriginateOptions{
		Targets: map[string]esltest.OriginateOutcome{target: s.o.outcome},
		Call:    base,
		OnCall:  func(c *esltest.Call) { answered <- c },
	})
	s.cleanup = append(s.cleanup, func() { box.Close() })
	completed := make(chan outbound.StatusEvent, 1)
	p := &placing{}
	p.setApps(s.cfg)
	m := &outbound.Manager{
		Instance: "simulate",
		Boxes:    []outbound.BoxConfig{{Name: "sim", Addr: box.Addr(), Password: password, ConnectBack: listenAddr}},
		Apps:     p.app,
		Client:   s.srv.deps.client,
		Log:      s.srv.log.WithField("component", "outbound"),
		OnStatus: func(ev outbound.StatusEvent) {
			if ev.Event == outbound.EventInitiated {
				s.print.Note(fmt.Sprintf("placed call %s to %s on the simulated box %s (POST /calls answers 201 {\"id\": %q, \"box\": %q})",
					ev.CallID, ev.Call.To, ev.Box, ev.CallID, ev.Box))
			}
			text := "placed call: " + ev.Event
			fields := []simField{{"event", ev.Event}, {"call_id", ev.CallID}}
			if ev.Status != "" {
				text += ", " + ev.Status
				fields = append(fields, simField{"status", ev.Status})
			}
			if ev.Cause != "" {
				text += " (" + ev.Cause + ")"
				fields = append(fields, simField{"cause", ev.Cause})
			}
			if ev.Reason != "" {
				text += ": " + ev.Reason
			}
			s.print.emit("status", text, fields...)
			if ev.Event == outbound.EventCompleted {
				completed <- ev
			}
		},
	}
	// The Manager sees the answered call start and end in the engine.
	s.srv.proxy.Observer = proxy.Observers{s.srv.proxy.Observer, m}
	if err := m.Start(context.Background()); err != nil {
		return nil, err
	}
	s.cleanup = append(s.cleanup, m.Close)
	wctx, cancel := context.WithTimeout(ctx, originateWait)
	defer cancel()
	if err := m.WaitUp(wctx); err != nil {
		return nil, err
	}
	req := &outbound.Request{To: target, App: s.o.app}
	if s.o.fromSet {
		req.From = s.o.from
	}
	if _, err := m.Place(ctx, req); err != nil {
		return nil, fmt.Errorf("POST /calls would answer: %w", err)
	}
	select {
	case c := <-answered:
		s.completed = completed
		return c, nil
	case <-completed:
		return nil, nil
	case <-wctx.Done():
		return nil, fmt.Errorf("the placed call did not end within %s", originateWait)
	}
}
