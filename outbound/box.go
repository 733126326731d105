package outbound

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/callhook/callhook/esl"
	"github.com/sirupsen/logrus"
)

// BoxConfig is one FreeSWITCH box: its inbound event socket and what
// callhook may ask of it.
type BoxConfig struct {
	Name     string
	Addr     string // the inbound event socket, host:port (FreeSWITCH's 8021)
	Password string
	// MaxCalls caps the placed calls the box has at once, ringing or
	// answered (0: no cap of callhook's own).
	MaxCalls int
	// MaxCPS caps the calls placed on the box per second (0:
	// DefaultMaxCPS), under the box's own sessions-per-second.
	MaxCPS int
	// ConnectBack is where the box reaches callhook's listener:
	// host:port with an IP address (the socket application's argument).
	ConnectBack string
}

// DefaultMaxCPS is FreeSWITCH's own default sessions-per-second
// (runtime.sps_total = 30, src/switch_core.c): a box placed more calls a
// second fails them.
const DefaultMaxCPS = 30

// Box states, as GET /boxes and the metrics show them.
const (
	StateConnecting = "connecting"
	StateUp         = "up"
	StateAuthFailed = "auth_failed" // the box refused the password (-ERR invalid)
	StateDown       = "down"
)

// BoxStates lists the states, for metrics.
var BoxStates = []string{StateConnecting, StateUp, StateAuthFailed, StateDown}

// Reconnection backoff defaults (Manager.BackoffMin, BackoffMax).
const (
	DefaultBackoffMin = 500 * time.Millisecond
	DefaultBackoffMax = 30 * time.Second
)

// boxEvents are the events a box connection subscribes to: the ringing,
// answer and hangup of the calls it placed, and its jobs' results.
var boxEvents = []string{"CHANNEL_PROGRESS", "CHANNEL_PROGRESS_MEDIA", "CHANNEL_ANSWER", "CHANNEL_HANGUP_COMPLETE", "BACKGROUND_JOB"}

// box is one box's connection and counters; the fields after cfg are
// guarded by Manager.mu.
type box struct {
	cfg BoxConfig

	state   string
	lastErr string
	since   time.Time
	logged  string // the state and error last logged
	conn    *esl.Conn
	calls   int // placed calls not finished
	bucket  bucket
	started time.Time
}

// BoxInfo is one box as GET /boxes shows it.
type BoxInfo struct {
	Name        string    `json:"name"`
	Addr        string    `json:"addr"`
	State       string    `json:"state"`
	Since       time.Time `json:"since"`
	LastError   string    `json:"last_error,omitempty"`
	Calls       int       `json:"calls"`
	MaxCalls    int       `json:"max_calls"`
	MaxCPS      int       `json:"max_cps"`
	ConnectBack string    `json:"connect_back"`
}

// runBox keeps one authenticated connection to b until ctx ends,
// reconnecting with backoff and jitter. A connection counts as a success
// (the backoff starts again from BackoffMin) only once it has stayed up
// for BackoffMax: a box that takes the password and drops the connection
// at once (a proxy in front of a dead switch, a box at its connection
// limit) is retried ever more slowly, not a few times a second for ever.
func (m *Manager) runBox(ctx context.Context, b *box) {
	failures := 0
	for ctx.Err() == nil {
		m.setState(b, StateConnecting, nil, nil)
		c, err := m.dialBox(ctx, b)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			state := StateDown
			if errors.Is(err, esl.ErrAuth) {
				state = StateAuthFailed
			}
			m.setState(b, state, err, nil)
		} else {
			m.setState(b, StateUp, nil, c)
			up := time.Now()
			err = m.readBox(ctx, b, c)
			c.Close()
			if ctx.Err() != nil {
				return
			}
			m.setState(b, StateDown, err, nil)
			m.boxLost(b, err)
			if time.Since(up) >= m.backoffMax() {
				failures = 0
			}
		}
		failures++
		if !m.sleep(ctx, m.backoff(failures)) {
			return
		}
	}
}

// sleep waits d, or until ctx ends (false).
func (m *Manager) sleep(ctx context.Context, d time.Duration) bool {
	if m.onBackoff != nil {
		m.onBackoff(d)
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// backoff is the wait before the n-th reconnection: doubling from
// BackoffMin up to BackoffMax, each wait drawn between half and all of
// it, so that many instances restarting at once do not all knock on a
// box in step.
func (m *Manager) backoff(n int) time.Duration {
	lo, hi := m.BackoffMin, m.backoffMax()
	if lo <= 0 {
		lo = DefaultBackoffMin
	}
	d := lo
	for i := 1; i < n && d < hi; i++ {
		d *= 2
	}
	d = min(d, hi)
	return d/2 + rand.N(d/2+1)
}

func (m *Manager) backoffMax() time.Duration {
	if m.BackoffMax > 0 {
		return m.BackoffMax
	}
	return DefaultBackoffMax
}

// dialBox connects, authenticates and subscribes. One static filter pair
// per connection, not one per call: FreeSWITCH checks every filter of a
// listener against every event of the box (event_handler,
// mod_event_socket.c), and a filtered listener gets only events matching
// one of them: the channels this instance placed (their
// callhook_instance variable, which PROGRESS, ANSWER and HANGUP_COMPLETE
// carry: switch_channel_event_set_extended_data, src/switch_channel.c)
// and the box's BACKGROUND_JOBs (every listener's: jobs of other programs
// are ignored by their Job-UUID).
func (m *Manager) dialBox(ctx context.Context, b *box) (*esl.Conn, error) {
	dctx, cancel := context.WithTimeout(ctx, m.dialTimeout())
	defer cancel()
	c, err := esl.Dial(dctx, b.cfg.Addr, b.cfg.Password, esl.ConnOptions{})
	if err != nil {
		return nil, err
	}
	for _, cmd := range []esl.Command{
		esl.Filter("variable_"+VarInstance, m.Instance),
		esl.Filter("Event-Name", "BACKGROUND_JOB"),
		esl.Events(esl.FormatPlain, boxEvents...),
	} {
		if _, err := c.Send(dctx, cmd); err != nil {
			c.Close()
			return nil, fmt.Errorf("subscribe: %w", err)
		}
	}
	return c, nil
}

func (m *Manager) dialTimeout() time.Duration {
	if m.DialTimeout > 0 {
		return m.DialTimeout
	}
	return 10 * time.Second
}

// readBox hands each event of the connection to the calls until it ends.
func (m *Manager) readBox(ctx context.Context, b *box, c *esl.Conn) error {
	for {
		ev, err := c.NextEvent(ctx)
		if err != nil {
			return err
		}
		if ev.IsFinalNotice() {
			continue // the connection's end follows
		}
		m.boxEvent(b, ev)
	}
}

// setState records b's state (and its connection when up) and logs the
// change; "connecting" is not logged, nor a state that repeats with the
// same error, so a box that stays down logs once, not at every retry.
func (m *Manager) setState(b *box, state string, err error, c *esl.Conn) {
	msg := ""
	if err != nil {
		msg = err.Error()
	}
	m.mu.Lock()
	changed := b.state != state
	b.state, b.conn = state, c
	if changed {
		b.since = time.Now()
		close(m.changed)
		m.changed = make(chan struct{})
	}
	if state != StateConnecting {
		b.lastErr = msg
	}
	key := state + "\x00" + msg
	log := state != StateConnecting && key != b.logged
	if log {
		b.logged = key
	}
	m.mu.Unlock()
	if changed && m.Observer != nil {
		m.Observer.BoxState(b.cfg.Name, state)
	}
	if !log {
		return
	}
	e := m.logger().WithFields(logrus.Fields{"box": b.cfg.Name, "addr": b.cfg.Addr, "state": state})
	switch state {
	case StateUp:
		e.Info("box: connected")
	case StateAuthFailed:
		e.WithField("error", msg).Error("box: FreeSWITCH refused the password; check the box's password")
	default:
		e.WithField("error", strings.TrimPrefix(msg, "esl: ")).Warn("box: not connected; retrying with backoff")
	}
}

// bucket limits the calls placed on a box to max_cps in any one second: a
// sliding window over the times of the last max_cps placements.
// FreeSWITCH counts sessions per second in fixed windows, its budget
// refilled once a second by the timer thread (runtime.sps =
// runtime.sps_total, src/switch_time.c; checked in
// switch_core_session_request, src/switch_core_session.c); a sliding
// window never goes over it whatever the windows' alignment, where a
// token bucket's burst plus refill could send up to twice the rate in
// one of them.
type bucket struct {
	times []time.Time // the last placements, oldest at next once full
	next  int
}

// take counts a placement at now if the last second has room for it;
// wait is how long until it has when it has not.
func (k *bucket) take(rate int, now time.Time) (ok bool, wait time.Duration) {
	if len(k.times) < rate {
		k.times = append(k.times, now)
		return true, 0
	}
	oldest := k.times[k.next]
	if d := now.Sub(oldest); d < time.Second {
		return false, time.Second - d
	}
	k.times[k.next] = now
	k.next = (k.next + 1) % len(k.times)
	return true, 0
}
