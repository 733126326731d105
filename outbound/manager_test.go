package outbound_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/callhook/callhook/apphttp"
	"github.com/callhook/callhook/esl/esltest"
	"github.com/callhook/callhook/internal/calltest"
	"github.com/callhook/callhook/outbound"
	"github.com/callhook/callhook/proxy"
	"github.com/callhook/callhook/webhook"
)

const (
	secret   = "s3cret"
	password = "ClueCon"
	wait     = 20 * time.Second
)

// rig is callhook's engine (a webhook app that hangs up at once), a
// simulated FreeSWITCH box (inbound socket and originate), a Manager
// between them and a status_url recording what it gets.
type rig struct {
	t      testing.TB
	fs     *esltest.InboundServer
	m      *outbound.Manager
	eng    *calltest.Engine
	status chan statusReq
	states chan boxState
	app    chan map[string]any // the webhook app's call.start bodies
	url    string              // the status_url
}

type statusReq struct {
	ev  outbound.StatusEvent
	seq string
	sig string
}

type boxState struct{ box, state string }

// observer passes box states to the test and counts outcomes.
type observer struct {
	states chan boxState
	mu     sync.Mutex
	out    map[string]int
}

func (o *observer) BoxState(box, state string) { o.states <- boxState{box, state} }
func (o *observer) Originated(box, outcome string) {
	o.mu.Lock()
	o.out[outcome]++
	o.mu.Unlock()
}

type rigOptions struct {
	password string                   // the box's password as callhook has it ("": right)
	addr     string                   // the box's address ("": the simulator's)
	orig     esltest.OriginateOptions // how the box originates
	maxCalls int
	maxCPS   int
	retries  int
	handler  http.HandlerFunc // the status_url's handler (nil: 204)
	// connectBack, when set, replaces the engine's address as the box's
	// connect_back.
	connectBack string
	// more are boxes besides fs1.
	more []outbound.BoxConfig
	// reportSlack is the Manager's (0: 0).
	reportSlack time.Duration
}

func newRig(t testing.TB, o rigOptions) *rig {
	t.Helper()
	r := &rig{t: t, status: make(chan statusReq, 64), states: make(chan boxState, 64), app: make(chan map[string]any, 16)}
	fs, err := esltest.NewInboundServer(password)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fs.Close() })
	if o.orig.Call.Speed == 0 {
		o.orig.Call.Speed = 1000
	}
	fs.SetOriginate(o.orig)
	r.fs = fs

	st := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		var ev outbound.StatusEvent
		if err := json.Unmarshal(body, &ev); err != nil {
			t.Errorf("status body %q: %v", body, err)
		}
		if o.handler != nil {
			o.handler(w, req)
		} else {
			w.WriteHeader(http.StatusNoContent)
		}
		r.status <- statusReq{ev: ev, seq: req.Header.Get("X-Callhook-Seq"), sig: req.Header.Get("X-Callhook-Signature")}
	}))
	t.Cleanup(st.Close)
	r.url = st.URL + "/status"

	web := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		var m map[string]any
		_ = json.NewDecoder(req.Body).Decode(&m)
		if m["event"] == "call.start" {
			r.app <- m
		}
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `["hangup"]`)
	}))
	t.Cleanup(web.Close)

	obs := &observer{states: r.states, out: map[string]int{}}
	r.m = &outbound.Manager{
		Instance: "test1",
		Apps: func(name string) (*outbound.App, bool) {
			if name != "reminder" {
				return nil, false
			}
			return &outbound.App{Name: name, Secret: secret,
				AllowTo:   []*regexp.Regexp{regexp.MustCompile(`^user/1\d{3}$`)},
				AllowFrom: []*regexp.Regexp{regexp.MustCompile(`^\+1555\d+$`)}}, true
		},
		Client:     apphttp.NewClient(nil),
		Retry:      apphttp.Retry{WaitMin: time.Millisecond, WaitMax: 2 * time.Millisecond},
		Retries:    o.retries,
		Observer:   obs,
		BackoffMin: 10 * time.Millisecond, BackoffMax: 50 * time.Millisecond,
		SocketGrace: 200 * time.Millisecond,
		ReportSlack: o.reportSlack,
	}
	app := &proxy.App{Name: "reminder", Backend: &webhook.App{Name: "reminder", URL: web.URL, Vars: []string{"order"}}}
	r.eng = calltest.Start(t, calltest.Apps(app), calltest.Options{Observer: r.m})
	pw := password
	if o.password != "" {
		pw = o.password
	}
	addr := fs.Addr()
	if o.addr != "" {
		addr = o.addr
	}
	cb := r.eng.Addr
	if o.connectBack != "" {
		cb = o.connectBack
	}
	r.m.Boxes = append([]outbound.BoxConfig{{Name: "fs1", Addr: addr, Password: pw, ConnectBack: cb, MaxCalls: o.maxCalls, MaxCPS: o.maxCPS}}, o.more...)
	if err := r.m.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.m.Close)
	return r
}

// waitState waits for the box to reach state.
func (r *rig) waitState(state string) {
	r.t.Helper()
	r.waitBoxState("fs1", state)
}

// waitBoxState waits for the box named box to reach state.
func (r *rig) waitBoxState(box, state string) {
	r.t.Helper()
	deadline := time.After(wait)
	for {
		select {
		case s := <-r.states:
			if s.state == state && s.box == box {
				return
			}
		case <-deadline:
			r.t.Fatalf("box never reached %s: %+v", state, r.m.BoxInfos())
		}
	}
}

// next returns the next status request.
func (r *rig) next() statusReq {
	r.t.Helper()
	select {
	case s := <-r.status:
		return s
	case <-time.After(wait):
		r.t.Fatal("no status event came")
	}
	return statusReq{}
}

// expect reads status events and checks their names in order; it returns
// the last.
func (r *rig) expect(id string, events ...string) outbound.StatusEvent {
	r.t.Helper()
	var last outbound.StatusEvent
	for i, want := range events {
		s := r.next()
		if s.ev.Event != want || s.ev.CallID != id {
			r.t.Fatalf("status %d = %s for %s, want %s for %s (%+v)", i+1, s.ev.Event, s.ev.CallID, want, id, s.ev)
		}
		if s.seq != itoa(i+1) || s.ev.Seq != i+1 {
			r.t.Errorf("%s: seq header %q, body %d, want %d", want, s.seq, s.ev.Seq, i+1)
		}
		if !strings.HasPrefix(s.sig, "t=") || !strings.Contains(s.sig, ",v1=") {
			r.t.Errorf("%s: signature %q", want, s.sig)
		}
		last = s.ev
	}
	return last
}

func itoa(n int) string { return string(rune('0' + n)) }

func (r *rig) place(req outbound.Request) *outbound.Placed {
	r.t.Helper()
	if req.App == "" {
		req.App = "reminder"
	}
	if req.To == "" {
		req.To = "user/1000"
	}
	if req.StatusURL == "" {
		req.StatusURL = r.url
	}
	p, err := r.m.Place(r.t.Context(), &req)
	if err != nil {
		r.t.Fatalf("Place: %v", err)
	}
	return p
}

func TestAnsweredCallRunsItsApp(t *testing.T) {
	for _, socketFirst := range []bool{false, true} {
		name := "job first"
		if socketFirst {
			name = "socket first"
		}
		t.Run(name, func(t *testing.T) {
			r := newRig(t, rigOptions{orig: esltest.OriginateOptions{SocketFirst: socketFirst}})
			r.waitState(outbound.StateUp)
			p := r.place(outbound.Request{From: "+15550100", FromName: "Dr Smith", Vars: map[string]string{"order": "A-17"}})
			if p.Box != "fs1" || p.ID == "" {
				t.Fatalf("Place = %+v", p)
			}
			last := r.expect(p.ID, outbound.EventInitiated, outbound.EventRinging, outbound.EventAnswered, outbound.EventCompleted)
			if last.Status != outbound.StatusCompleted || last.Cause != "NORMAL_CLEARING" {
				t.Errorf("call.completed = %+v, want completed NORMAL_CLEARING", last)
			}
			start := <-r.app
			call, _ := start["call"].(map[string]any)
			if call["direction"] != "outbound" || call["to"] != "1000" || call["from"] != "+15550100" || call["from_name"] != "Dr Smith" {
				t.Errorf("the app's call = %v, want outbound to 1000 from +15550100 (Dr Smith)", call)
			}
			if vars, _ := start["vars"].(map[string]any); vars["order"] != "A-17" {
				t.Errorf("the app's vars = %v, want order A-17", start["vars"])
			}
			if start["call_id"] != p.ID {
				t.Errorf("the app's call_id = %v, want %s", start["call_id"], p.ID)
			}
		})
	}
}

func TestUnansweredOutcomes(t *testing.T) {
	for _, tc := range []struct {
		name     string
		outcome  esltest.OriginateOutcome
		timeout  int
		events   []string
		status   string
		cause    string
		observed string
	}{
		{"busy", esltest.OriginateBusy, 0, []string{outbound.EventInitiated, outbound.EventRinging, outbound.EventCompleted}, outbound.StatusBusy, "USER_BUSY", "busy"},
		{"no answer", esltest.OriginateNoAnswer, 5, []string{outbound.EventInitiated, outbound.EventRinging, outbound.EventCompleted}, outbound.StatusNoAnswer, "NO_ANSWER", "no-answer"},
		{"failure", esltest.OriginateFail("DESTINATION_OUT_OF_ORDER"), 0, []string{outbound.EventInitiated, outbound.EventCompleted}, outbound.StatusFailed, "DESTINATION_OUT_OF_ORDER", "failed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t, rigOptions{orig: esltest.OriginateOptions{Targets: map[string]esltest.OriginateOutcome{"user/1001": tc.outcome}}})
			r.waitState(outbound.StateUp)
			p := r.place(outbound.Request{To: "user/1001", Timeout: tc.timeout})
			last := r.expect(p.ID, tc.events...)
			if last.Status != tc.status || last.Cause != tc.cause {
				t.Errorf("call.completed = %s %s, want %s %s", last.Status, last.Cause, tc.status, tc.cause)
			}
			if calls := r.m.Calls(); len(calls) != 0 {
				t.Errorf("Calls() after the end = %+v", calls)
			}
			if b := r.m.BoxInfos()[0]; b.Calls != 0 {
				t.Errorf("box calls after the end = %d", b.Calls)
			}
		})
	}
}

func TestCancelWhileRinging(t *testing.T) {
	r := newRig(t, rigOptions{orig: esltest.OriginateOptions{Targets: map[string]esltest.OriginateOutcome{"user/1002": esltest.OriginateRing}}})
	r.waitState(outbound.StateUp)
	p := r.place(outbound.Request{To: "user/1002"})
	r.expect(p.ID, outbound.EventInitiated, outbound.EventRinging)
	calls := r.m.Calls()
	if len(calls) != 1 || calls[0].ID != p.ID || calls[0].State != "ringing" || calls[0].Direction != "outbound" {
		t.Fatalf("Calls() while ringing = %+v", calls)
	}
	ok, err := r.m.Hangup(t.Context(), p.ID)
	if !ok || err != nil {
		t.Fatalf("Hangup = %v, %v", ok, err)
	}
	s := r.next()
	if s.ev.Event != outbound.EventCompleted || s.ev.Status != outbound.StatusCanceled || s.ev.Cause != "ORIGINATOR_CANCEL" {
		t.Errorf("after cancel: %+v, want call.completed canceled ORIGINATOR_CANCEL", s.ev)
	}
	if ok, _ := r.m.Hangup(t.Context(), p.ID); ok {
		t.Error("Hangup of an ended call found it")
	}
}

func TestBoxLostMidRing(t *testing.T) {
	r := newRig(t, rigOptions{orig: esltest.OriginateOptions{Targets: map[string]esltest.OriginateOutcome{"user/1003": esltest.OriginateRing}}})
	r.waitState(outbound.StateUp)
	p := r.place(outbound.Request{To: "user/1003"})
	r.expect(p.ID, outbound.EventInitiated, outbound.EventRinging)
	r.fs.DropListeners()
	s := r.next()
	if s.ev.Event != outbound.EventCompleted || s.ev.Status != outbound.StatusFailed || !strings.Contains(s.ev.Reason, "connection was lost") {
		t.Errorf("after the box dropped: %+v, want call.completed failed with the reason", s.ev)
	}
	r.waitState(outbound.StateDown)
	r.waitState(outbound.StateUp) // it reconnects
}

func TestWrongPassword(t *testing.T) {
	r := newRig(t, rigOptions{password: "wrong"})
	r.waitState(outbound.StateAuthFailed)
	b := r.m.BoxInfos()[0]
	if !strings.Contains(b.LastError, "password") {
		t.Errorf("box last error = %q, want the refused password", b.LastError)
	}
	_, err := r.m.Place(t.Context(), &outbound.Request{App: "reminder", To: "user/1000"})
	var e *outbound.Error
	if !errors.As(err, &e) || e.Status != http.StatusServiceUnavailable || !strings.Contains(e.Msg, "auth_failed") {
		t.Errorf("Place = %v, want 503 naming auth_failed", err)
	}
}

func TestBoxDownAtStartup(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	r := newRig(t, rigOptions{addr: addr}) // Start returned: it did not wait for the box
	r.waitState(outbound.StateDown)
	_, err = r.m.Place(t.Context(), &outbound.Request{App: "reminder", To: "user/1000"})
	var e *outbound.Error
	if !errors.As(err, &e) || e.Status != http.StatusServiceUnavailable || !strings.Contains(e.Msg, "fs1 (down") {
		t.Errorf("Place = %v, want 503 naming the box down", err)
	}
}

func TestLimits(t *testing.T) {
	r := newRig(t, rigOptions{maxCalls: 1, orig: esltest.OriginateOptions{Targets: map[string]esltest.OriginateOutcome{"user/1004": esltest.OriginateRing}}})
	r.waitState(outbound.StateUp)
	p := r.place(outbound.Request{To: "user/1004"})
	_, err := r.m.Place(t.Context(), &outbound.Request{App: "reminder", To: "user/1004"})
	var e *outbound.Error
	if !errors.As(err, &e) || e.Status != http.StatusTooManyRequests {
		t.Errorf("second Place over max_calls = %v, want 429", err)
	}
	r.m.Hangup(t.Context(), p.ID)
}

func TestRefusedRequests(t *testing.T) {
	r := newRig(t, rigOptions{})
	r.waitState(outbound.StateUp)
	for _, tc := range []struct {
		req  outbound.Request
		code int
	}{
		{outbound.Request{App: "nope", To: "user/1000"}, 404},
		{outbound.Request{App: "reminder", To: "user/2000"}, 403},                  // not in allow_to
		{outbound.Request{App: "reminder", To: "user/1000", From: "+4400"}, 403},   // not in allow_from
		{outbound.Request{App: "reminder", To: "user/1000 '&system(x)'"}, 400},     // space and quote
		{outbound.Request{App: "reminder", To: "{x=y}user/1000"}, 400},             // braces
		{outbound.Request{App: "reminder", To: "user/1000,user/1001"}, 400},        // a second leg
		{outbound.Request{App: "reminder", To: "user/1000", FromName: "a'b"}, 400}, // quote in the name
		{outbound.Request{App: "reminder", To: "user/1000", Vars: map[string]string{"x": "a b"}}, 400},
		{outbound.Request{App: "reminder", To: "user/1000", Vars: map[string]string{"execute_on_answer": "x"}}, 403},
		{outbound.Request{App: "reminder", To: "user/1000", Vars: map[string]string{"callhook_app": "other"}}, 400},
		// Variables mod_sofia builds the INVITE from: past allow_to, past allow_from.
		{outbound.Request{App: "reminder", To: "user/1000", Vars: map[string]string{"sip_invite_req_uri": "sip:+19005550100@carrier.example"}}, 403},
		{outbound.Request{App: "reminder", To: "user/1000", Vars: map[string]string{"sip_route_uri": "sip:carrier.example"}}, 403},
		{outbound.Request{App: "reminder", To: "user/1000", Vars: map[string]string{"sip_from_uri": "sip:+15550199@example.com"}}, 403},
		{outbound.Request{App: "reminder", To: "user/1000", Vars: map[string]string{"sip_h_P-Asserted-Identity": "sip:+15550199@example.com"}}, 403},
		{outbound.Request{App: "reminder", To: "user/1000", Vars: map[string]string{"effective_caller_id_number": "+15550199"}}, 403},
		{outbound.Request{App: "reminder", To: "user/1000", Vars: map[string]string{"origination_callee_id_number": "+15550199"}}, 403},
		{outbound.Request{App: "reminder", To: "user/1000", Vars: map[string]string{"sip_auto_answer": "true"}}, 403},
		{outbound.Request{App: "reminder", To: "user/1000", Vars: map[string]string{"originate_retries": "100"}}, 403}, // 100 calls for one request
		{outbound.Request{App: "reminder", To: "user/1000", Timeout: 9999}, 400},
		{outbound.Request{App: "reminder", To: "user/1" + strings.Repeat("0", 60<<10)}, 400}, // a 60 KiB bgapi line
		{outbound.Request{App: "reminder", To: "user/1000", StatusURL: "ftp://x"}, 400},
	} {
		_, err := r.m.Place(t.Context(), &tc.req)
		var e *outbound.Error
		if !errors.As(err, &e) || e.Status != tc.code {
			t.Errorf("Place(%+v) = %v, want %d", tc.req, err, tc.code)
		}
	}
	if n := r.fs.Originated(); n != 0 {
		t.Errorf("the box got %d originates from refused requests", n)
	}
}

func TestStatusRetriedWithSameSeq(t *testing.T) {
	var mu sync.Mutex
	failed := map[string]bool{}
	r := newRig(t, rigOptions{retries: 2, orig: esltest.OriginateOptions{Targets: map[string]esltest.OriginateOutcome{"user/1005": esltest.OriginateBusy}},
		handler: func(w http.ResponseWriter, req *http.Request) {
			mu.Lock()
			defer mu.Unlock()
			seq := req.Header.Get("X-Callhook-Seq")
			if !failed[seq] {
				failed[seq] = true
				w.WriteHeader(http.StatusServiceUnavailable)
				return
			}
			w.WriteHeader(http.StatusNoContent)
		}})
	r.waitState(outbound.StateUp)
	p := r.place(outbound.Request{To: "user/1005", StatusEvents: []string{outbound.EventCompleted}})
	a, b := r.next(), r.next()
	if a.seq != "1" || b.seq != "1" || a.ev.Event != outbound.EventCompleted || b.ev.CallID != p.ID {
		t.Errorf("attempts = %+v then %+v, want call.completed twice with seq 1", a, b)
	}
}

// TestAnsweredButSocketNeverCame: the box cannot reach connect_back, so
// the answered channel's socket application fails and the channel hangs
// up; after SocketGrace the call is reported failed, with the reason.
func TestAnsweredButSocketNeverCame(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().String()
	ln.Close()
	r := newRig(t, rigOptions{connectBack: closed})
	r.waitState(outbound.StateUp)
	p := r.place(outbound.Request{})
	last := r.expect(p.ID, outbound.EventInitiated, outbound.EventRinging, outbound.EventCompleted)
	if last.Status != outbound.StatusFailed || !strings.Contains(last.Reason, "connect_back") {
		t.Errorf("call.completed = %+v, want failed naming connect_back", last)
	}
}
