package outbound

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/callhook/callhook/apphttp"
	"github.com/sirupsen/logrus"
)

// StatusEvent is the body of a status request to a placed call's
// status_url.
type StatusEvent struct {
	Event  string     `json:"event"` // call.initiated, call.ringing, call.answered, call.completed
	CallID string     `json:"call_id"`
	Seq    int        `json:"seq"` // 1, 2, 3... per call, as X-Callhook-Seq
	App    string     `json:"app"`
	Box    string     `json:"box"`
	Call   StatusCall `json:"call"`
	// Status, Cause and Reason are call.completed's: the final status, the
	// FreeSWITCH hangup cause (none when the call never got a channel),
	// and what callhook knows beyond it (a lost box, a refused socket).
	Status string `json:"status,omitempty"`
	Cause  string `json:"cause,omitempty"`
	Reason string `json:"reason,omitempty"`
	// Duration is call.completed's for an answered call: the seconds from
	// its answer to its hangup (FreeSWITCH's billsec).
	Duration  int64     `json:"duration,omitempty"`
	Timestamp time.Time `json:"timestamp"`
}

// StatusCall describes the placed call in a StatusEvent.
type StatusCall struct {
	To        string            `json:"to"`
	From      string            `json:"from,omitempty"`
	FromName  string            `json:"from_name,omitempty"`
	Direction string            `json:"direction"` // outbound
	Vars      map[string]string `json:"vars,omitempty"`
}

// sender sends one call's status events in order, each once (with its
// retries), on a goroutine of its own that ends after call.completed. A
// call has at most four events, so its queue never blocks. The sender
// waits at gate until the box took the originate (Place), so that an
// event of a call whose bgapi failed is never sent.
type sender struct {
	q      chan StatusEvent
	gate   chan struct{}
	abort  bool // set before gate closes when the call was not placed
	seq    int  // under Manager.mu
	closed bool // q is closed (call.completed queued); under Manager.mu
}

// newSender starts c's sender; Manager.mu is held.
func (m *Manager) newSender(c *call) *sender {
	s := &sender{q: make(chan StatusEvent, len(StatusEventNames)), gate: make(chan struct{})}
	if c.req.StatusURL == "" && c.req.Deliver == nil {
		return s
	}
	m.wg.Go(func() {
		select {
		case <-s.gate:
		case <-m.ctx.Done():
			return
		}
		if s.abort {
			return
		}
		for {
			select {
			case ev, ok := <-s.q:
				if !ok {
					return
				}
				if c.req.Deliver != nil {
					c.req.Deliver(m.ctx, ev)
				} else {
					m.sendStatus(m.ctx, c, ev)
				}
			case <-m.ctx.Done():
				return
			}
		}
	})
	return s
}

// queueLocked queues one status event of c if its request wants it;
// call.completed also closes the queue, and nothing is queued after it.
// Manager.mu is held, so events are queued in the order the call went
// through them.
func (m *Manager) queueLocked(c *call, event, status, cause, reason string) {
	s := c.send
	if s.closed {
		return
	}
	want := (c.req.StatusURL != "" || c.req.Deliver != nil) && slices.Contains(c.req.StatusEvents, event)
	if want || m.OnStatus != nil {
		ev := StatusEvent{
			Event: event, CallID: c.id, Seq: s.seq + 1, App: c.app.Name, Box: c.b.cfg.Name,
			Call:   StatusCall{To: c.req.To, From: c.req.From, FromName: c.req.FromName, Direction: "outbound", Vars: c.req.Vars},
			Status: status, Cause: cause, Reason: reason, Timestamp: time.Now().UTC(),
		}
		if event == EventCompleted {
			ev.Duration = c.billsec
		}
		if m.OnStatus != nil {
			m.OnStatus(ev)
		}
		if want {
			s.seq++
			s.q <- ev
		}
	}
	if event == EventCompleted {
		s.closed = true
		close(s.q)
	}
}

// sendStatus posts ev to c's status_url: JSON, signed with the app's
// secret as every request callhook makes for an app (X-Callhook-Signature,
// fresh for each attempt), marked with X-Callhook-Call-Id (so the admin
// API refuses it), retried on connection errors, 5xx and 429 with the same
// X-Callhook-Seq.
func (m *Manager) sendStatus(ctx context.Context, c *call, ev StatusEvent) {
	body, err := json.Marshal(ev)
	if err != nil {
		m.logger().WithError(err).Error("status event: encode")
		return
	}
	client := m.Client
	if client == nil {
		client = defaultClient()
	}
	timeout := m.StatusTimeout
	if timeout <= 0 {
		timeout = 5 * time.Second
	}
	retries := m.Retries
	if retries <= 0 {
		retries = 2
	}
	var last error
	var status int
	n, _ := m.Retry.Do(ctx, 1+retries, func(int) apphttp.Attempt {
		actx, cancel := context.WithTimeout(ctx, timeout)
		defer cancel()
		req, err := http.NewRequestWithContext(actx, http.MethodPost, c.req.StatusURL, bytes.NewReader(body))
		if err != nil {
			last = err
			return apphttp.Attempt{Err: err, Done: true}
		}
		h := req.Header
		h.Set("Content-Type", "application/json")
		if m.UserAgent != "" {
			h.Set("User-Agent", m.UserAgent)
		}
		h.Set(apphttp.CallIDHeader, c.id)
		h.Set("X-Callhook-Seq", strconv.Itoa(ev.Seq))
		if c.app.Secret != "" {
			h.Set("X-Callhook-Signature", apphttp.Signature(c.app.Secret, time.Now().Unix(), body))
		}
		resp, err := client.Do(req)
		if err != nil {
			last, status = err, 0
			return apphttp.Attempt{Err: err}
		}
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		resp.Body.Close()
		status = resp.StatusCode
		if status/100 == 2 {
			last = nil
			return apphttp.Attempt{Done: true}
		}
		last = nil
		return apphttp.Attempt{Resp: resp}
	})
	e := m.logger().WithFields(logrus.Fields{"call_id": c.id, "event": ev.Event, "seq": ev.Seq, "url": c.req.StatusURL, "attempts": n, "status": status})
	switch {
	case last != nil:
		e.WithError(last).Warn("status event not delivered")
	case status/100 != 2:
		e.Warn("status event refused by its status_url")
	default:
		e.Debug("status event delivered")
	}
}

// defaultClient is the client of a Manager without one, made once.
var defaultClient = sync.OnceValue(func() *http.Client { return apphttp.NewClient(nil) })
