package statemachine

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/callhook/callhook/apphttp"
	"github.com/callhook/callhook/internal/nolog"
	"github.com/callhook/callhook/proxy"
	"github.com/callhook/callhook/recordings/delivery"
	"github.com/callhook/callhook/verb"
	"github.com/sirupsen/logrus"
)

// maxFetchBytes bounds a fetch's answer: a flow branches on a few fields,
// never on a large document.
const maxFetchBytes = 1 << 20

// maxFetches bounds the fetches one step may make: a fetch state whose
// error route leads back to itself without tries would otherwise loop.
const maxFetches = 20

// Backend makes a Flow a proxy.Backend: each call gets a dialog that walks
// the flow with Step, runs fetch states' HTTP requests itself and answers
// the session with each state's verbs. Its zero-value fields have defaults.
//
// A fetch retries by itself, as the state's retries and Retry say, so
// HTTPClient must not: a client that retried on its own would re-POST
// silently, uncounted.
type Backend struct {
	Flow *Flow
	// HTTPClient makes fetch states' requests, one per attempt; nil means
	// http.DefaultClient. Each fetch is bound by its state's timeout and
	// the call's context. A daemon passes its shared pool, whose dials a
	// apphttp.DialGuard checks (apphttp.NewClient), so that no fetch or
	// redirect of one reaches callhook's admin API.
	HTTPClient *http.Client
	// Retry is the policy of fetch states' retries, and of recordings'
	// uploads and recording.status requests: what is tried again and how
	// long to wait first (zero: apphttp's defaults).
	Retry apphttp.Retry
	// Secret, when set, signs every request made for the flow (fetches,
	// recordings' uploads and recording.status) with
	// X-Callhook-Signature, as a webhook app's secret signs its requests
	// (apphttp.Signature).
	Secret string
	// Now is the flow's clock for when: conditions; nil means time.Now.
	Now func() time.Time
	// OnMove, if set, is told each move's transitions (Move.Steps), on the
	// call's goroutine, so a tool can show which route a call took and
	// why (callhook simulate). It must not block.
	OnMove func(call *proxy.Call, steps []Transition)
}

// Start makes the call's dialog. It does no I/O: the flow's first state
// (which may fetch) is entered in Begin.
func (b *Backend) Start(ctx context.Context, call *proxy.Call) (proxy.Dialog, error) {
	if b.Flow == nil {
		return nil, errors.New("statemachine: Backend has no Flow")
	}
	return proxy.Verbs(&dialog{b: b, flow: b.Flow, call: call, mem: b.Flow.InitialMemory()}), nil
}

// ReadsEveryEvent implements proxy.EventReader: a flow's dialogs are verb
// dialogs, which never read the event types its calls nix at set-up.
func (b *Backend) ReadsEveryEvent() bool { return false }

// ChannelVars implements proxy.VarReader for the backend: the channel
// variables its flow reads.
func (b *Backend) ChannelVars() []string {
	if b.Flow == nil {
		return nil
	}
	return b.Flow.ChannelVars()
}

// dialog is one call's walk through the flow. The session calls it from
// the call's goroutine only.
type dialog struct {
	b     *Backend
	flow  *Flow // fixed at Start: a reload does not change a call's flow
	call  *proxy.Call
	state string
	mem   Memory
	ended bool // the hangup route has run (or there was none)
	seq   int  // fetches made, for X-Callhook-Seq
}

var _ proxy.VerbDialog = (*dialog)(nil)

// Begin enters the start state.
func (d *dialog) Begin(ctx context.Context) (*proxy.Instructions, error) {
	mv, err := d.flow.Begin(d.mem, d.env())
	return d.follow(ctx, mv, err)
}

// Result leaves the current state with the result of its last verb.
func (d *dialog) Result(ctx context.Context, v verb.Verb, r *verb.Result) (*proxy.Instructions, error) {
	if v.Action != d.state {
		return nil, fmt.Errorf("flow %s: result for state %q, but the call is in state %q", d.flow.Name, v.Action, d.state)
	}
	if r == nil {
		r = &verb.Result{Verb: v.Name, Reason: verb.ReasonError}
	}
	o := Outcome{Reason: r.Reason, Verb: v.Name, Digits: r.Digits, Recording: r.Recording}
	switch r.Reason {
	case verb.ReasonOK, verb.ReasonTimeout, verb.ReasonInvalid, verb.ReasonError:
	case verb.ReasonHangup:
		// The call is gone. End follows with how it ended, and runs the
		// hangup route then, so that route can report the cause.
		return &proxy.Instructions{}, nil
	default:
		o.Reason = verb.ReasonError
	}
	mv, err := d.flow.Step(d.state, o, d.mem, d.env())
	return d.follow(ctx, mv, err)
}

// Redirect is refused with proxy.ErrNoRedirect: a flow has no documents to
// fetch. The session redirects a flow's call to a URL by switching it to a
// webhook backend itself.
func (d *dialog) Redirect(ctx context.Context, url string) (*proxy.Instructions, error) {
	return nil, fmt.Errorf("flow %s: %w", d.flow.Name, proxy.ErrNoRedirect)
}

// End runs the current state's hangup route (fetches only), once. ctx
// bounds it as a whole (the session gives End a context that outlives the
// call, with a deadline); each fetch is also bound by its own timeout.
func (d *dialog) End(ctx context.Context, end *proxy.CallEnd) {
	d.hangup(ctx, end)
}

// follow does the fetches a move asks for until it reaches verbs, a
// handoff or the end, and turns that into instructions.
func (d *dialog) follow(ctx context.Context, mv Move, err error) (*proxy.Instructions, error) {
	for n := 0; ; n++ {
		d.state, d.mem = mv.State, mv.Mem
		d.moved(mv)
		if err != nil {
			return nil, fmt.Errorf("flow %s: %w", d.flow.Name, err)
		}
		if mv.Fetch == nil {
			break
		}
		if n == maxFetches {
			return nil, fmt.Errorf("flow %s: %d fetches in a row without running a verb", d.flow.Name, maxFetches)
		}
		o := d.fetch(ctx, mv.State, mv.Fetch, nil)
		mv, err = d.flow.Step(mv.State, o, d.mem, d.env())
	}
	return &proxy.Instructions{Verbs: mv.Verbs, Handoff: mv.Handoff}, nil
}

// moved tells OnMove about a move's transitions.
func (d *dialog) moved(mv Move) {
	if d.b.OnMove != nil && len(mv.Steps) > 0 {
		d.b.OnMove(d.call, mv.Steps)
	}
}

// hangup follows the current state's on.hangup through fetch and routing
// states. Nothing can be returned at this point, so problems are logged.
func (d *dialog) hangup(ctx context.Context, end *proxy.CallEnd) {
	if d.ended || d.state == "" {
		d.ended = true
		return
	}
	d.ended = true
	if end != nil && end.Recording != nil {
		// The whole-call recording the hangup stopped: on.hangup's
		// fetches may report it.
		d.mem.Recording = end.Recording
	}
	mv, err := d.flow.Step(d.state, Outcome{Reason: verb.ReasonHangup}, d.mem, d.env())
	for n := 0; err == nil && mv.Fetch != nil && n < maxFetches; n++ {
		d.state, d.mem = mv.State, mv.Mem
		d.moved(mv)
		o := d.fetch(ctx, mv.State, mv.Fetch, end)
		mv, err = d.flow.Step(mv.State, o, d.mem, d.env())
	}
	d.state, d.mem = mv.State, mv.Mem
	d.moved(mv)
	if err != nil {
		d.log().WithError(err).Warn("flow hangup route failed")
	}
}

// fetchBody is what a POST fetch sends: the call fields a webhook app gets
// (README.md, "Webhook apps: the protocol"), the flow's variables, and at
// hangup how the call ended.
type fetchBody struct {
	CallID string            `json:"call_id"`
	App    string            `json:"app"`
	Flow   string            `json:"flow"`
	State  string            `json:"state"`
	Event  string            `json:"event"` // fetch, or hangup for on.hangup routes
	Call   fetchCall         `json:"call"`
	Vars   map[string]string `json:"vars"` // flow variables
	Digits string            `json:"digits,omitempty"`
	Hangup *proxy.CallEnd    `json:"hangup,omitempty"`
	// Recording is the last recording ({{recording.FIELD}}); in a
	// recording.status request, the one it is about, with its status.
	Recording *delivery.Status `json:"recording,omitempty"`
}

type fetchCall struct {
	From      string    `json:"from"`
	FromName  string    `json:"from_name"`
	To        string    `json:"to"`
	Direction string    `json:"direction"`
	Answered  bool      `json:"answered"`
	Channel   string    `json:"channel"`
	StartedAt time.Time `json:"started_at"`
}

// fetch does a fetch state's request; any failure is the error outcome,
// which the flow routes (on.error), so it is logged here and not returned.
func (d *dialog) fetch(ctx context.Context, state string, f *Fetch, end *proxy.CallEnd) Outcome {
	start := time.Now()
	d.seq++
	status, reply, data, attempts, err := d.do(ctx, state, f, end, d.seq)
	if obs := d.call.Observer; obs != nil {
		obs.Request(d.call, &proxy.RequestInfo{URL: f.URL, Event: "fetch", Attempts: attempts, Status: status, Took: time.Since(start), Err: err, Reply: apphttp.Shorten(reply, fetchReplyShown)})
	}
	if err != nil {
		d.log().WithError(err).WithField("state", state).Warn("flow fetch failed")
		return Outcome{Reason: verb.ReasonError}
	}
	return Outcome{Reason: verb.ReasonOK, Data: data}
}

// fetchReplyShown is how much of an answer RequestInfo.Reply shows.
const fetchReplyShown = 200

// body is the fields of a POST the flow sends for event, in state.
func (d *dialog) body(state, event string) *fetchBody {
	c := d.call
	return &fetchBody{CallID: c.ID, App: c.App, Flow: d.flow.Name, State: state, Event: event,
		Call: fetchCall{From: c.From, FromName: c.FromName, To: c.To, Direction: c.Direction,
			Answered: c.Answered, Channel: c.ChannelName, StartedAt: c.StartedAt},
		Vars: d.mem.Flow, Digits: d.mem.Digits}
}

// do makes a fetch: its attempts, each with the same body and the same
// X-Callhook-Seq, under the fetch's timeout as a whole, retried as the
// state's retries and the backend's Retry say (apphttp.Retryable: a
// connection error, a 5xx or a 429; never an answer that came but was
// wrong, which asking again would get again). It returns the last
// attempt's result and how many attempts were made; its error is an
// *apphttp.RequestError, unless the call went away.
func (d *dialog) do(ctx context.Context, state string, f *Fetch, end *proxy.CallEnd, seq int) (status int, reply []byte, data any, attempts int, err error) {
	ctx, cancel := context.WithTimeout(ctx, f.Timeout)
	defer cancel()
	var body []byte
	if f.Method == http.MethodPost {
		fb := d.body(state, "fetch")
		fb.Hangup = end
		if d.mem.HungUp {
			fb.Event = "hangup"
		}
		if d.mem.Recording != nil {
			fb.Recording = &delivery.Status{Recording: d.mem.Recording}
		}
		if body, err = json.Marshal(fb); err != nil {
			return 0, nil, nil, 0, fmt.Errorf("encode fetch body: %w", err)
		}
	}
	attempts, _ = d.b.Retry.Do(ctx, f.Retries+1, func(n int) apphttp.Attempt {
		var resp *http.Response
		status, reply, data, resp, err = d.attempt(ctx, f, body, seq)
		if err == nil {
			return apphttp.Attempt{Done: true}
		}
		d.log().WithError(err).WithFields(logrus.Fields{"state": state, "attempt": n}).Debug("flow fetch attempt failed")
		return apphttp.Attempt{Resp: resp, Err: err}
	})
	if err == nil {
		return status, reply, data, attempts, nil
	}
	code := apphttp.Classify(ctx, status, err)
	if code == "" {
		// The call went away: no failure of the app's.
		return status, reply, data, attempts, fmt.Errorf("fetch %s: %w", f.URL, err)
	}
	return status, reply, data, attempts, &apphttp.RequestError{Op: "fetch", URL: f.URL, Code: code, Status: status, Err: err}
}

// attempt makes one attempt of a fetch. resp is the answer, its body read
// and closed (nil when none came).
func (d *dialog) attempt(ctx context.Context, f *Fetch, body []byte, seq int) (status int, reply []byte, data any, resp *http.Response, err error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, f.Method, f.URL, rd)
	if err != nil {
		return 0, nil, nil, nil, err
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", d.call.UserAgent)
	// The mark of an app's request, which the admin API refuses (net/http
	// keeps it on every hop of a redirect chain), and the same seq on every
	// attempt: the server can tell a retry from a new fetch (a POST it has
	// already acted on) by the call id and seq.
	req.Header.Set(apphttp.CallIDHeader, d.call.ID)
	req.Header.Set("X-Callhook-Seq", strconv.Itoa(seq))
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if d.b.Secret != "" {
		// Made afresh for each attempt, so a retry is not taken for a
		// replay; a GET signs its empty body.
		req.Header.Set("X-Callhook-Signature", apphttp.Signature(d.b.Secret, d.now().Unix(), body))
	}
	client := d.b.HTTPClient
	if client == nil {
		client = http.DefaultClient
	}
	resp, err = client.Do(req)
	if err != nil {
		return 0, nil, nil, nil, err
	}
	defer resp.Body.Close()
	reply, err = io.ReadAll(io.LimitReader(resp.Body, maxFetchBytes+1))
	if err != nil {
		return resp.StatusCode, reply, nil, resp, fmt.Errorf("read answer: %w", err)
	}
	if len(reply) > maxFetchBytes {
		return resp.StatusCode, reply[:200], nil, resp, fmt.Errorf("answer is over %d bytes", maxFetchBytes)
	}
	if resp.StatusCode/100 != 2 {
		return resp.StatusCode, reply, nil, resp, fmt.Errorf("status %s", resp.Status)
	}
	dec := json.NewDecoder(bytes.NewReader(reply))
	dec.UseNumber()
	if err := dec.Decode(&data); err != nil {
		return resp.StatusCode, reply, nil, resp, fmt.Errorf("answer is not JSON: %w", err)
	}
	if dec.More() {
		return resp.StatusCode, reply, nil, resp, errors.New("answer has data after its JSON value")
	}
	return resp.StatusCode, reply, data, resp, nil
}

// env snapshots what the flow may read of the call, now.
func (d *dialog) env() Env {
	c := d.call
	vars := make(map[string]string, len(d.flow.chanVars))
	for _, name := range d.flow.chanVars {
		// The session's view: the latest event with the whole variable
		// set, so a variable unset on the channel is gone here too.
		if v, ok := c.Var(name); ok {
			vars[name] = v
		}
	}
	return Env{
		Now:  d.now(),
		Vars: vars,
		Call: CallInfo{ID: c.ID, App: c.App, From: c.From, FromName: c.FromName, To: c.To, Direction: c.Direction, Channel: c.ChannelName},
	}
}

// now is the flow's clock.
func (d *dialog) now() time.Time {
	if d.b.Now != nil {
		return d.b.Now()
	}
	return time.Now()
}

// log returns the call's logger, or one that discards when the session
// gave none (tests, tools).
func (d *dialog) log() logrus.FieldLogger {
	if d.call.Log != nil {
		return d.call.Log
	}
	return nolog.Logger()
}

// ChannelVars implements proxy.VarReader: the channel variables the flow's
// templates and conditions use ({{vars.NAME}}, when: var: vars.NAME).
func (d *dialog) ChannelVars() []string { return d.flow.ChannelVars() }
