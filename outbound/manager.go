package outbound

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/callhook/callhook/apphttp"
	"github.com/callhook/callhook/esl"
	"github.com/callhook/callhook/internal/nolog"
	"github.com/callhook/callhook/proxy"
	"github.com/sirupsen/logrus"
)

// Observer is told about boxes and placed calls (the metrics). Its
// methods must be quick and must not block.
type Observer interface {
	// BoxState: a box's connection changed state (BoxStates).
	BoxState(box, state string)
	// Originated: a placed call ended with outcome (a call.completed
	// status), or a request was refused before anything was placed
	// (refused_down, refused_full, refused_cps, error).
	Originated(box, outcome string)
}

// Outcomes of requests refused before a call was placed, for Observer.
const (
	OutcomeRefusedDown = "refused_down" // no box was up
	OutcomeRefusedFull = "refused_full" // every box up was at max_calls
	OutcomeRefusedCPS  = "refused_cps"  // every box with room was at max_cps
	OutcomeError       = "error"        // the box did not take the bgapi
)

// DefaultSocketGrace is how long a call that answered may take to connect
// its socket once the box reported its hangup, before it is reported
// failed: the box's events and the call's own connection travel apart.
const DefaultSocketGrace = 5 * time.Second

// sendTimeout bounds sending one bgapi originate and reading its "+OK
// Job-UUID" reply, which FreeSWITCH writes at once (the originate runs in
// the background).
const sendTimeout = 10 * time.Second

// DefaultReportSlack is how long past its ring time a placed call may go
// without a word from its box (the job's result, its hangup) or its
// socket before it is reported failed. originate gives up ringing at
// originate_timeout (switch_ivr_originate, src/switch_ivr_originate.c) and
// the job's result follows at once; a box that never sends it (events
// lost, a box that swallows them) must not keep the call, and its place
// under max_calls, for ever.
const DefaultReportSlack = 30 * time.Second

// Manager places calls on FreeSWITCH boxes and reports what becomes of
// them. It keeps one authenticated inbound connection per box (Start),
// picks a box for each call (Place), sends `bgapi originate` and follows
// the call by its UUID (origination_uuid, which is also its Job's
// answer and its socket connection's Unique-ID) until it answers or
// ends. An answered call connects to callhook's listener and runs its app
// like any other call; the Manager, as a proxy.Observer, sees it start
// and end there.
//
// Set the fields before Start and do not change them afterwards.
type Manager struct {
	// Instance is this callhook's id on the boxes (callhook_instance):
	// unique among the instances sharing a box (required).
	Instance string
	Boxes    []BoxConfig
	// Apps returns the app a request names, as the config in force
	// defines it (nil, false: no such app, or one that places no calls).
	Apps func(name string) (*App, bool)
	// Client sends the status events: the process-wide client whose dial
	// guard keeps requests off callhook's own ports (nil:
	// apphttp.NewClient(nil)).
	Client *http.Client
	// Retry and Retries say how a status event that failed is tried
	// again (Retries 0: 2; the same X-Callhook-Seq each time).
	Retry   apphttp.Retry
	Retries int
	// StatusTimeout bounds each attempt of a status event (0: 5s).
	StatusTimeout time.Duration
	// UserAgent is what status requests say they are.
	UserAgent string
	Log       logrus.FieldLogger
	Observer  Observer // nil: nobody
	// BackoffMin, BackoffMax bound the waits between reconnections
	// (defaults DefaultBackoffMin, DefaultBackoffMax).
	BackoffMin, BackoffMax time.Duration
	// DialTimeout bounds connecting and authenticating to a box (0: 10s).
	DialTimeout time.Duration
	// SocketGrace: see DefaultSocketGrace (0: the default).
	SocketGrace time.Duration
	// ReportSlack: see DefaultReportSlack (0: the default).
	ReportSlack time.Duration
	// OnStatus, when set, is told every status event of every call as it
	// happens, whether or not its request has a status_url (simulate
	// prints them). It runs under the Manager's lock: it must be quick
	// and must not call the Manager.
	OnStatus func(StatusEvent)

	proxy.NopObserver

	mu      sync.Mutex
	boxes   []*box
	calls   map[string]*call // by id (the channel's UUID)
	jobs    map[string]*call // by Job-UUID, until the job's result
	ctx     context.Context
	cancel  context.CancelFunc
	wg      sync.WaitGroup // box loops and status senders
	started bool
	closed  bool          // Close was called: no new call (nor sender goroutine)
	changed chan struct{} // closed and replaced when a box changes state
	// onBackoff, when set (tests), is told each wait before a box's
	// reconnection.
	onBackoff func(time.Duration)
}

var _ proxy.Observer = (*Manager)(nil)

// call is one placed call, from Place to its call.completed. Its fields
// after req are guarded by Manager.mu.
type call struct {
	id      string
	job     string
	token   string // callhook_placed: proves a socket connection is this call's
	app     *App
	req     *Request
	b       *box
	created time.Time
	send    *sender

	ringing  bool        // call.ringing sent
	answered bool        // the box reported CHANNEL_ANSWER or the job's +OK
	socket   bool        // its socket reached callhook: the call runs an app
	pc       *proxy.Call // the session that runs it, once socket
	canceled bool        // POST /calls/{id}/hangup while it rang
	rekill   bool        // the cancel's uuid_kill found no channel: kill it when it shows
	done     bool        // call.completed sent
	billsec  int64       // an answered call's seconds from answer to hangup
	grace    *time.Timer
	watch    *time.Timer // fails the call when nothing says what became of it
}

// CallInfo is a placed call not answered yet, as GET /calls lists it.
type CallInfo struct {
	ID        string    `json:"id"`
	App       string    `json:"app"`
	Box       string    `json:"box"`
	To        string    `json:"to"`
	From      string    `json:"from"`
	Direction string    `json:"direction"` // always outbound
	State     string    `json:"state"`     // initiated, ringing, answered (its socket not connected yet)
	StartedAt time.Time `json:"started_at"`
}

// Placed is POST /calls's answer.
type Placed struct {
	ID  string `json:"id"`
	Box string `json:"box"`
}

// Start connects to every box in the background and returns at once: a
// box that is down does not hold up the daemon. ctx ends the
// connections; so does Close.
func (m *Manager) Start(ctx context.Context) error {
	if m.Instance == "" || !plainID.MatchString(m.Instance) {
		return fmt.Errorf("outbound: instance %q: want letters, digits, _ . -", m.Instance)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.started {
		return errors.New("outbound: started twice")
	}
	m.started = true
	m.ctx, m.cancel = context.WithCancel(ctx)
	m.calls, m.jobs = map[string]*call{}, map[string]*call{}
	m.changed = make(chan struct{})
	for _, cfg := range m.Boxes {
		if cfg.MaxCPS <= 0 {
			cfg.MaxCPS = DefaultMaxCPS
		}
		b := &box{cfg: cfg, state: StateConnecting, since: time.Now(), started: time.Now()}
		m.boxes = append(m.boxes, b)
		if m.Observer != nil {
			m.Observer.BoxState(cfg.Name, StateConnecting)
		}
		m.wg.Go(func() { m.runBox(m.ctx, b) })
	}
	return nil
}

// WaitUp waits until a box is up (a tool that places one call at start,
// such as simulate -originate, or a test), or ctx ends.
func (m *Manager) WaitUp(ctx context.Context) error {
	for {
		m.mu.Lock()
		if !m.started {
			m.mu.Unlock()
			return errors.New("outbound: not started")
		}
		ch := m.changed
		for _, b := range m.boxes {
			if b.state == StateUp {
				m.mu.Unlock()
				return nil
			}
		}
		m.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return fmt.Errorf("no box came up: %w (%s)", ctx.Err(), m.describeBoxes())
		}
	}
}

// describeBoxes says each box's state, for errors.
func (m *Manager) describeBoxes() string {
	var parts []string
	for _, b := range m.BoxInfos() {
		p := b.Name + " " + b.State
		if b.LastError != "" {
			p += ": " + b.LastError
		}
		parts = append(parts, p)
	}
	return strings.Join(parts, "; ")
}

// Close ends the box connections and the status senders still running,
// and waits for them.
func (m *Manager) Close() {
	m.mu.Lock()
	cancel := m.cancel
	m.closed = true
	for _, c := range m.calls {
		c.watch.Stop() // nobody is left to report what it would
		if c.grace != nil {
			c.grace.Stop()
		}
	}
	m.mu.Unlock()
	if cancel != nil {
		cancel()
	}
	m.wg.Wait()
}

func (m *Manager) logger() logrus.FieldLogger {
	if m.Log == nil {
		return nolog.Logger()
	}
	return m.Log
}

// BoxInfos returns the boxes' states, in config order.
func (m *Manager) BoxInfos() []BoxInfo {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]BoxInfo, 0, len(m.boxes))
	for _, b := range m.boxes {
		out = append(out, BoxInfo{Name: b.cfg.Name, Addr: b.cfg.Addr, State: b.state, Since: b.since, LastError: b.lastErr,
			Calls: b.calls, MaxCalls: b.cfg.MaxCalls, MaxCPS: b.cfg.MaxCPS, ConnectBack: b.cfg.ConnectBack})
	}
	return out
}

// Calls returns the placed calls whose socket has not connected yet
// (those that have are the engine's live calls), oldest first.
func (m *Manager) Calls() []CallInfo {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]CallInfo, 0, len(m.calls))
	for _, c := range m.calls {
		if c.socket || c.done {
			continue
		}
		state := "initiated"
		switch {
		case c.answered:
			state = "answered"
		case c.ringing:
			state = "ringing"
		}
		out = append(out, CallInfo{ID: c.id, App: c.app.Name, Box: c.b.cfg.Name, To: c.req.To, From: c.req.From,
			Direction: "outbound", State: state, StartedAt: c.created})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].StartedAt.Before(out[j].StartedAt) })
	return out
}

// Place checks req, picks a box and sends it the originate. It returns
// once the box took the command (its "+OK Job-UUID"): what becomes of
// the call is told by status events. Its error is an *Error: 400/403/404
// for the request, 503 when no box is up, 429 when every box is at a
// limit.
func (m *Manager) Place(ctx context.Context, req *Request) (*Placed, error) {
	m.mu.Lock()
	started := m.started
	m.mu.Unlock()
	if !started {
		return nil, &Error{Status: http.StatusServiceUnavailable, Msg: "placing calls is not enabled: the config has no boxes"}
	}
	if req.App == "" {
		return nil, badRequest("app: required (an app of the config)")
	}
	var app *App
	var ok bool
	if m.Apps != nil {
		app, ok = m.Apps(req.App)
	}
	if !ok {
		return nil, &Error{Status: http.StatusNotFound, Msg: fmt.Sprintf("app %q: no such app", req.App)}
	}
	if err := Check(req, app); err != nil {
		return nil, err
	}
	id := req.ID
	if id == "" {
		id = esl.NewUUID()
	} else if !plainID.MatchString(id) {
		return nil, badRequest("id %q: want a UUID", id)
	}
	c := &call{id: id, job: esl.NewUUID(), token: randomToken(), app: app, req: req, created: time.Now()}
	b, conn, err := m.pick(c)
	if err != nil {
		return nil, err
	}
	o := Originate{UUID: c.id, Instance: m.Instance, App: app.Name, Token: c.token, ConnectBack: b.cfg.ConnectBack, Req: req}
	cmd, err := o.Command()
	if err == nil {
		// The job is known before the command leaves, so its
		// BACKGROUND_JOB finds it whenever it comes. The send does not
		// end with the API request's context: a client that hangs up
		// once the command is on the wire would otherwise get no answer
		// while the box places the call anyway (and a retry places a
		// second one). It is bounded by the box's own reply deadline
		// (the connection's) and sendTimeout.
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), sendTimeout)
		_, err = conn.Send(sctx, esl.BgAPI(cmd, c.job))
		cancel()
	}
	if err != nil {
		m.mu.Lock()
		if !c.done { // a lost box may have failed it meanwhile
			delete(m.calls, c.id)
			delete(m.jobs, c.job)
			b.calls--
			c.done = true
			c.watch.Stop()
		}
		m.mu.Unlock()
		c.send.abort = true
		close(c.send.gate)
		m.observe(b.cfg.Name, OutcomeError)
		m.logger().WithFields(logrus.Fields{"box": b.cfg.Name, "to": req.To, "app": app.Name}).WithError(err).Warn("originate: the box did not take the call")
		return nil, &Error{Status: http.StatusServiceUnavailable, Msg: fmt.Sprintf("box %s: %v", b.cfg.Name, err)}
	}
	m.logger().WithFields(logrus.Fields{"call_id": c.id, "box": b.cfg.Name, "to": req.To, "app": app.Name}).Info("originate: call placed")
	close(c.send.gate)
	return &Placed{ID: c.id, Box: b.cfg.Name}, nil
}

// pick chooses c's box (up, under max_calls and max_cps, fewest placed
// calls first) and registers c on it; the error says why none could.
func (m *Manager) pick(c *call) (*box, *esl.Conn, error) {
	now := time.Now()
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return nil, nil, &Error{Status: http.StatusServiceUnavailable, Msg: "callhook is shutting down"}
	}
	if _, dup := m.calls[c.id]; dup {
		return nil, nil, badRequest("id %s: a call with this id is placed already", c.id)
	}
	var up, room []*box
	var down []string
	for _, b := range m.boxes {
		if b.state != StateUp || b.conn == nil {
			why := b.state
			if b.lastErr != "" {
				why += ": " + b.lastErr
			}
			down = append(down, b.cfg.Name+" ("+why+")")
			continue
		}
		up = append(up, b)
		if b.cfg.MaxCalls == 0 || b.calls < b.cfg.MaxCalls {
			room = append(room, b)
		}
	}
	if len(up) == 0 {
		m.observeLocked("", OutcomeRefusedDown)
		return nil, nil, &Error{Status: http.StatusServiceUnavailable, Msg: "no FreeSWITCH box is up: " + strings.Join(down, "; ")}
	}
	if len(room) == 0 {
		m.observeLocked("", OutcomeRefusedFull)
		return nil, nil, &Error{Status: http.StatusTooManyRequests, Msg: "every box that is up is at its max_calls", RetryAfter: time.Second}
	}
	sort.SliceStable(room, func(i, j int) bool { return room[i].calls < room[j].calls })
	var soonest time.Duration
	for _, b := range room {
		ok, wait := b.bucket.take(b.cfg.MaxCPS, now)
		if !ok {
			if soonest == 0 || wait < soonest {
				soonest = wait
			}
			continue
		}
		b.calls++
		c.b = b
		c.send = m.newSender(c)
		m.queueLocked(c, EventInitiated, "", "", "")
		m.calls[c.id] = c
		m.jobs[c.job] = c
		c.watch = time.AfterFunc(time.Duration(c.req.Timeout)*time.Second+m.reportSlack(), func() { m.unheard(c) })
		return b, b.conn, nil
	}
	m.observeLocked("", OutcomeRefusedCPS)
	return nil, nil, &Error{Status: http.StatusTooManyRequests, Msg: "every box with room is at its max_cps", RetryAfter: soonest}
}

// boxEvent is one event of a box connection, on its reader goroutine.
func (m *Manager) boxEvent(b *box, ev *esl.Event) {
	switch ev.Name() {
	case "BACKGROUND_JOB":
		m.jobResult(b, ev)
	case "CHANNEL_PROGRESS", "CHANNEL_PROGRESS_MEDIA":
		m.mu.Lock()
		c := m.boxCallLocked(b, ev.UniqueID())
		if c != nil && !c.ringing && !c.done && !c.socket {
			c.ringing = true
			m.queueLocked(c, EventRinging, "", "", "")
		}
		m.killLateLocked(c)
		m.mu.Unlock()
	case "CHANNEL_ANSWER":
		m.mu.Lock()
		c := m.boxCallLocked(b, ev.UniqueID())
		if c != nil {
			c.answered = true
		}
		m.killLateLocked(c)
		m.mu.Unlock()
	case "CHANNEL_HANGUP_COMPLETE":
		m.channelGone(b, ev.UniqueID(), ev.Get("Hangup-Cause"))
	}
}

// boxCallLocked is the call id placed on b, or nil: an event of another
// box about it (a box that shares a network with others, a forged one)
// says nothing of it. Manager.mu is held.
func (m *Manager) boxCallLocked(b *box, id string) *call {
	if c := m.calls[id]; c != nil && c.b == b {
		return c
	}
	return nil
}

// jobResult is an originate's BACKGROUND_JOB: "+OK <uuid>" when the call
// answered (its socket reports from then on), "-ERR <CAUSE>" when it did
// not (originate_function, mod_commands.c), anything else a failure.
func (m *Manager) jobResult(b *box, ev *esl.Event) {
	m.mu.Lock()
	c := m.jobs[ev.Get("Job-UUID")]
	if c == nil || c.b != b {
		m.mu.Unlock()
		return // another program's or box's job, or one of a call already over
	}
	delete(m.jobs, c.job)
	body := strings.TrimSpace(string(ev.Body))
	if strings.HasPrefix(body, "+OK") {
		c.answered = true
		m.mu.Unlock()
		return
	}
	m.mu.Unlock()
	cause, isErr := strings.CutPrefix(body, "-ERR ")
	if !isErr {
		m.finish(c, StatusFailed, "", "originate: "+firstLine(body))
		return
	}
	cause = strings.TrimSpace(cause)
	m.finish(c, statusOf(c, cause), cause, "")
}

// channelGone is a placed channel's CHANNEL_HANGUP_COMPLETE on the box
// connection. A call whose socket connected is reported by its session;
// one that answered may still be connecting (the box's events and the
// call's socket travel apart), so it gets SocketGrace before it is
// reported failed.
func (m *Manager) channelGone(b *box, id, cause string) {
	m.mu.Lock()
	c := m.boxCallLocked(b, id)
	if c == nil || c.socket || c.done {
		m.mu.Unlock()
		return
	}
	if c.answered {
		m.graceLocked(c, cause, "answered, but its socket never reached callhook: check the box's connect_back and callhook's acl")
		m.mu.Unlock()
		return
	}
	m.mu.Unlock()
	m.finish(c, statusOf(c, cause), cause, "")
}

// unheard fails c when, its ring time and ReportSlack past, neither its
// box nor its socket has said what became of it.
func (m *Manager) unheard(c *call) {
	m.mu.Lock()
	skip := c.done || c.socket
	m.mu.Unlock()
	if !skip {
		m.finish(c, StatusFailed, "", "the box never said what became of the call (no job result, no hangup) within its ring time")
	}
}

func (m *Manager) reportSlack() time.Duration {
	if m.ReportSlack > 0 {
		return m.ReportSlack
	}
	return DefaultReportSlack
}

// statusOf maps a hangup cause of an unanswered call to its status.
func statusOf(c *call, cause string) string {
	switch cause {
	case "USER_BUSY", "CALL_REJECTED":
		return StatusBusy
	case "NO_ANSWER", "NO_USER_RESPONSE", "ALLOTTED_TIMEOUT", "PROGRESS_TIMEOUT":
		return StatusNoAnswer
	}
	if c.canceled {
		return StatusCanceled
	}
	return StatusFailed
}

// boxLost fails every call of b that has not reached callhook: nobody is
// left to tell what becomes of them. One that answered (its job said
// +OK, or the box reported CHANNEL_ANSWER) may still be connecting its
// socket: it gets SocketGrace, as after its hangup.
func (m *Manager) boxLost(b *box, err error) {
	reason := "the box's connection was lost before the call answered"
	if err != nil {
		reason += ": " + err.Error()
	}
	m.mu.Lock()
	var lost []*call
	for _, c := range m.calls {
		if c.b != b || c.socket || c.done {
			continue
		}
		if c.answered {
			m.graceLocked(c, "", "answered, but its socket never reached callhook and the box's connection was lost")
			continue
		}
		lost = append(lost, c)
	}
	m.mu.Unlock()
	for _, c := range lost {
		m.finish(c, StatusFailed, "", reason)
	}
}

// graceLocked gives an answered call SocketGrace to connect its socket
// before it is reported failed with cause and reason; Manager.mu is held.
func (m *Manager) graceLocked(c *call, cause, reason string) {
	if c.grace != nil {
		return
	}
	g := m.SocketGrace
	if g <= 0 {
		g = DefaultSocketGrace
	}
	c.grace = time.AfterFunc(g, func() { m.finish(c, StatusFailed, cause, reason) })
}

// finish ends c's story once: call.completed, the box's count, metrics.
func (m *Manager) finish(c *call, status, cause, reason string) {
	m.mu.Lock()
	if c.done {
		m.mu.Unlock()
		return
	}
	c.done = true
	if c.grace != nil {
		c.grace.Stop()
	}
	c.watch.Stop()
	delete(m.calls, c.id)
	delete(m.jobs, c.job)
	c.b.calls--
	m.queueLocked(c, EventCompleted, status, cause, reason)
	m.mu.Unlock()
	m.observe(c.b.cfg.Name, status)
	e := m.logger().WithFields(logrus.Fields{"call_id": c.id, "box": c.b.cfg.Name, "app": c.app.Name, "to": c.req.To, "status": status})
	if cause != "" {
		e = e.WithField("cause", cause)
	}
	if reason != "" {
		e = e.WithField("reason", reason)
	}
	e.Info("originate: call ended")
}

// Hangup cancels a placed call that is still ringing (status canceled):
// `api uuid_kill <id> ORIGINATOR_CANCEL` on its box. ok is false when id
// is no such call (an answered call is the engine's to hang up).
func (m *Manager) Hangup(ctx context.Context, id string) (ok bool, err error) {
	m.mu.Lock()
	c := m.calls[id]
	if c == nil || c.socket || c.done {
		m.mu.Unlock()
		return false, nil
	}
	c.canceled = true
	conn := c.b.conn
	m.mu.Unlock()
	if conn == nil {
		m.finish(c, StatusCanceled, "", "canceled while its box was not connected")
		return true, nil
	}
	_, err = conn.Send(ctx, esl.API("uuid_kill "+id+" ORIGINATOR_CANCEL"))
	var refused *esl.ReplyError
	switch {
	case errors.As(err, &refused):
		// "-ERR No such channel!": the leg does not exist yet, or any
		// more. The call is marked canceled, and a leg that shows up
		// after all (it rings, answers or connects its socket) is killed
		// then (killLate); the job's result reports its end.
		m.mu.Lock()
		c.rekill = !c.done
		if c.legShowed() {
			// It showed up while the kill was on its way.
			m.killLateLocked(c)
		}
		m.mu.Unlock()
		m.logger().WithFields(logrus.Fields{"call_id": id, "box": c.b.cfg.Name, "reply": refused.Text}).Info("originate: cancel found no channel")
	case err != nil:
		return true, &Error{Status: http.StatusServiceUnavailable, Msg: fmt.Sprintf("box %s: %v", c.b.cfg.Name, err)}
	}
	return true, nil
}

// legShowed reports whether c's leg is known to exist: the box reported
// it ringing or answered (or the job's +OK), or its socket came.
func (c *call) legShowed() bool { return c.ringing || c.answered || c.socket }

// killLateLocked kills a canceled call's leg that showed up after its
// cancel found no channel: once, in the background (it may run on a box's
// reader goroutine, which must not wait for a reply). Manager.mu is held.
func (m *Manager) killLateLocked(c *call) {
	if c == nil || !c.rekill || !c.legShowed() || c.done || m.closed || c.b.conn == nil {
		return
	}
	c.rekill = false
	conn, box := c.b.conn, c.b.cfg.Name
	m.wg.Go(func() {
		ctx, cancel := context.WithTimeout(m.ctx, killLateTimeout)
		defer cancel()
		_, err := conn.Send(ctx, esl.API("uuid_kill "+c.id+" ORIGINATOR_CANCEL"))
		e := m.logger().WithFields(logrus.Fields{"call_id": c.id, "box": box})
		if err != nil {
			e.WithError(err).Warn("originate: could not kill a canceled call's late leg")
			return
		}
		e.Info("originate: killed a canceled call's late leg")
	})
}

// killLateTimeout bounds killLateLocked's uuid_kill.
const killLateTimeout = 5 * time.Second

// CallStarted implements proxy.Observer: a placed call's socket reached
// callhook and its app runs: call.answered, from the call's socket.
func (m *Manager) CallStarted(pc *proxy.Call) {
	m.mu.Lock()
	c := m.calls[pc.ID]
	if c == nil || c.socket || c.done || !c.owns(pc.Channel) {
		m.mu.Unlock()
		return
	}
	c.socket, c.answered, c.pc = true, true, pc
	if c.grace != nil {
		c.grace.Stop()
	}
	m.killLateLocked(c)
	if !c.ringing {
		// The box's CHANNEL_PROGRESS travels apart from the call's own
		// socket and may come later, or never (a leg that answers at
		// once): an answered call has rung, and says so first.
		c.ringing = true
		m.queueLocked(c, EventRinging, "", "", "")
	}
	m.queueLocked(c, EventAnswered, "", "", "")
	m.mu.Unlock()
}

// CallEnded implements proxy.Observer: an answered placed call ended.
func (m *Manager) CallEnded(pc *proxy.Call, end *proxy.CallEnd, _ *proxy.CallStats) {
	m.mu.Lock()
	c := m.calls[pc.ID]
	m.mu.Unlock()
	if c == nil || c.pc != pc {
		return // not a placed call, or a connection that only claimed its id
	}
	reason := ""
	if end.Outcome != proxy.OutcomeHangup {
		reason = end.Outcome
	}
	m.mu.Lock()
	c.billsec = end.Billsec
	m.mu.Unlock()
	m.finish(c, StatusCompleted, end.Cause, reason)
}

// CallRefused implements proxy.Observer: callhook refused a placed call's
// socket (draining, over a limit, no such app any more).
func (m *Manager) CallRefused(ch *esl.Event, _, reason string) {
	if ch == nil {
		return
	}
	m.mu.Lock()
	c := m.calls[ch.UniqueID()]
	m.mu.Unlock()
	if c != nil && c.owns(ch) {
		m.finish(c, StatusFailed, "", "callhook refused the answered call: "+reason)
	}
}

func (m *Manager) observe(box, outcome string) {
	if m.Observer != nil {
		m.Observer.Originated(box, outcome)
	}
}

func (m *Manager) observeLocked(box, outcome string) { m.observe(box, outcome) }

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return s
}

// Owns reports whether ch, a socket connection's channel data, is the
// channel of a placed call still in progress: it carries that call's
// callhook_placed token. What keeps a placed call's own start (the
// Twilio API's Url or Twiml) from a connection that only claims its
// Unique-ID.
func (m *Manager) Owns(ch *esl.Event) bool {
	if ch == nil {
		return false
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	c := m.calls[ch.UniqueID()]
	return c != nil && !c.done && c.owns(ch)
}

// owns reports whether a socket connection's channel data is c's
// channel: it carries c's callhook_placed token. Anything that reaches
// callhook's listener can claim a placed call's UUID; only the channel the
// box originated holds the token.
func (c *call) owns(ch *esl.Event) bool {
	if ch == nil {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(ch.Var(VarPlaced)), []byte(c.token)) == 1
}

// randomToken is a fresh callhook_placed token: 128 random bits in hex.
func randomToken() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b) // crypto/rand.Read does not fail (Go 1.24+)
	return hex.EncodeToString(b)
}
