package twilioapi

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/callhook/callhook/esl"
	"github.com/callhook/callhook/outbound"
	"github.com/callhook/callhook/proxy"
	"github.com/callhook/callhook/twiml"
	"github.com/callhook/callhook/verb"
	"github.com/sirupsen/logrus"
)

// Resource is a Call resource's main fields, as Twilio answers them
// (https://www.twilio.com/docs/voice/api/call-resource#call-properties);
// times in RFC 2822 form, as Twilio writes them.
type Resource struct {
	SID           string  `json:"sid"`
	AccountSID    string  `json:"account_sid"`
	To            string  `json:"to"`
	From          string  `json:"from"`
	Status        string  `json:"status"`
	Direction     string  `json:"direction"`
	APIVersion    string  `json:"api_version"`
	DateCreated   string  `json:"date_created"`
	DateUpdated   string  `json:"date_updated"`
	StartTime     *string `json:"start_time"`
	EndTime       *string `json:"end_time"`
	Duration      *string `json:"duration"`
	ParentCallSID *string `json:"parent_call_sid"`
	AnsweredBy    *string `json:"answered_by"`
	Price         *string `json:"price"`
	PriceUnit     string  `json:"price_unit"`
	URI           string  `json:"uri"`
}

// Twilio's Call statuses (the resource's status).
const (
	statusQueued     = "queued"
	statusRinging    = "ringing"
	statusInProgress = "in-progress"
)

// Status callback events (StatusCallbackEvent) and outbound's events
// they are.
var callbackEvents = map[string]string{
	"initiated": outbound.EventInitiated,
	"ringing":   outbound.EventRinging,
	"answered":  outbound.EventAnswered,
	"completed": outbound.EventCompleted,
}

// record is one call placed through the API. Its fields after placed are
// guarded by Server.mu, but for seq, the sender goroutine's own.
type record struct {
	id     string // the channel's Unique-ID, outbound's call id
	app    string // the twiml app it was placed for
	res    Resource
	placed *twiml.Placed
	token  string // signs the status callbacks
	cbURL  string
	cbGET  bool
	events []string // outbound's events that go to cbURL
	seq    int      // SequenceNumber of the next callback (sender goroutine only)
}

// rfc2822 writes t as Twilio does: "Tue, 31 Aug 2010 20:36:28 +0000".
func rfc2822(t time.Time) string { return t.UTC().Format(time.RFC1123Z) }

// create checks a create request and places its call.
func (s *Server) create(ctx context.Context, acct *Account, form map[string][]string) (*Resource, *Error) {
	p, e := parseCreate(form)
	if e != nil {
		return nil, e
	}
	target, err := acct.Dial.Target(p.to)
	if err != nil {
		return nil, badParam(CodeInvalidTo, "The 'To' number %s is not valid: %v", verb.Quote(p.to), err)
	}
	id := esl.NewUUID()
	now := time.Now()
	sid := twiml.CallSID(id)
	rec := &record{id: id, app: acct.App, token: acct.AuthToken, cbURL: p.statusCallback, cbGET: p.statusCallbackMethod == "GET",
		events: p.events,
		placed: &twiml.Placed{URL: p.url, Method: p.method, TwiML: p.twiml, To: p.to, From: p.from},
		res: Resource{SID: sid, AccountSID: acct.SID, To: p.to, From: p.from, Status: statusQueued,
			Direction: twiml.DirectionOutboundAPI, APIVersion: twiml.APIVersion,
			DateCreated: rfc2822(now), DateUpdated: rfc2822(now), PriceUnit: "USD",
			URI: "/2010-04-01/Accounts/" + acct.SID + "/Calls/" + sid + ".json"}}
	req := &outbound.Request{To: target, From: p.from, App: acct.App, Timeout: p.timeout, ID: id,
		Deliver: func(ctx context.Context, ev outbound.StatusEvent) { s.deliver(ctx, rec, ev) }}
	// The call is known before it is placed: its socket may connect, and
	// its app ask for its first document, before Place returns.
	s.mu.Lock()
	if s.calls == nil {
		s.calls = map[string]*record{}
	}
	s.calls[sid] = rec
	// The answer is the call as it was queued (Twilio's), whatever its
	// status events say by the time Place returns.
	res := rec.res
	s.mu.Unlock()
	placed, err := s.Placer.Place(ctx, req)
	if err != nil {
		s.mu.Lock()
		delete(s.calls, sid)
		s.mu.Unlock()
		return nil, fromOutbound(err)
	}
	s.logger().WithFields(logrus.Fields{"call_id": id, "call_sid": sid, "box": placed.Box, "app": acct.App, "to": p.to}).Info("twilio api: call placed")
	return &res, nil
}

// resource returns a copy of the call sid of account, or nil.
func (s *Server) resource(account, sid string) *Resource {
	s.mu.Lock()
	defer s.mu.Unlock()
	rec := s.calls[sid]
	if rec == nil || rec.res.AccountSID != account {
		return nil
	}
	res := rec.res
	return &res
}

// Placed is the start of a call the API placed: the twiml app's Placed
// hook. Anything that reaches callhook's listener can claim a placed
// call's Unique-ID (which its CallSid tells), and ask for its app: only
// the channel the box originated, holding outbound's token, while the
// call is in progress, for the app it was placed for, starts at the
// request's Url or Twiml; any other starts at the app's voice URL.
func (s *Server) Placed(call *proxy.Call) (*twiml.Placed, bool) {
	s.mu.Lock()
	rec := s.calls[twiml.CallSID(call.ID)]
	s.mu.Unlock()
	if rec == nil || rec.id != call.ID || rec.app != call.App || s.Placer == nil || !s.Placer.Owns(call.Channel) {
		return nil, false
	}
	return rec.placed, true
}

// update is POST .../Calls/{Sid}.json: Status=canceled cancels a queued
// or ringing call (an answered one goes on); Status=completed ends it
// whatever its state; Url redirects an answered call to a new document
// (https://www.twilio.com/docs/voice/api/call-resource#update-a-call-resource).
func (s *Server) update(ctx context.Context, acct *Account, sid string, form map[string][]string) (*Resource, *Error) {
	for k := range form {
		if k != "Status" && k != "Url" && k != "Method" {
			return nil, badParam(CodeInvalidParameter, "parameter %s: not supported here (Status, Url and Method are)", verb.Quote(k))
		}
	}
	status, target := one(form, "Status"), one(form, "Url")
	if (status == "") == (target == "") {
		return nil, badParam(CodeInvalidParameter, "want Status (canceled or completed) or Url")
	}
	if m := one(form, "Method"); m != "" && !strings.EqualFold(m, "POST") {
		return nil, badParam(CodeInvalidParameter, "Method %s: a redirect posts (POST)", verb.Quote(m))
	}
	s.mu.Lock()
	rec := s.calls[sid]
	var id, state string
	if rec != nil {
		id, state = rec.id, rec.res.Status
	}
	s.mu.Unlock()
	if rec == nil {
		return nil, apiError(http.StatusNotFound, CodeNotFound, "The requested resource %s was not found", sid)
	}
	timeout := s.ActionTimeout
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	actx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	ringing := state == statusQueued || state == statusRinging
	var err error
	switch {
	case target != "":
		if !verb.IsHTTPURL(target) || len(target) > maxURL {
			return nil, badParam(CodeInvalidURL, "Url %s is not a valid http(s) URL", verb.Quote(target))
		}
		if state != statusInProgress || s.Live == nil {
			return nil, badParam(CodeInvalidParameter, "Call is not in-progress. Cannot redirect.")
		}
		err = s.Live.Redirect(actx, id, target)
	case status != "canceled" && status != "completed":
		return nil, badParam(CodeInvalidParameter, "Status %s: want canceled or completed", verb.Quote(status))
	case ringing || status == "completed":
		// The resource may lag the call (its status events wait for the
		// status callbacks before them): outbound knows whether the call
		// still rings, and cancels it then; an answered one is the
		// engine's to hang up.
		var canceled bool
		canceled, err = s.Placer.Hangup(actx, id)
		if err == nil && !canceled && status == "completed" && s.Live != nil {
			err = s.Live.Hangup(actx, id, "NORMAL_CLEARING")
		}
	}
	if err != nil && errors.Is(err, proxy.ErrNoSuchCall) {
		// It ended meanwhile: its resource says how.
		err = nil
	}
	if err != nil {
		s.logger().WithError(err).WithField("call_sid", sid).Warn("twilio api: update failed")
		return nil, apiError(http.StatusServiceUnavailable, CodeUnavailable, "Service Unavailable: %v", err)
	}
	// The call as it is now, from its record: it may have ended, and
	// been forgotten (over Keep), while the update was carried out.
	s.mu.Lock()
	res := rec.res
	s.mu.Unlock()
	return &res, nil
}

// deliver is one of outbound's status events of rec, on the call's
// sender goroutine: it updates the resource and, when the request asked
// for the event, sends the status callback.
func (s *Server) deliver(ctx context.Context, rec *record, ev outbound.StatusEvent) {
	at := ev.Timestamp
	if at.IsZero() {
		at = time.Now()
	}
	callStatus := ""
	s.mu.Lock()
	r := &rec.res
	switch ev.Event {
	case outbound.EventInitiated:
		callStatus = "initiated"
	case outbound.EventRinging:
		callStatus, r.Status = statusRinging, statusRinging
	case outbound.EventAnswered:
		callStatus, r.Status = statusInProgress, statusInProgress
		t := rfc2822(at)
		r.StartTime = &t
	case outbound.EventCompleted:
		callStatus, r.Status = ev.Status, ev.Status
		t := rfc2822(at)
		r.EndTime = &t
		d := strconv.FormatInt(ev.Duration, 10)
		r.Duration = &d
		s.endedLocked(r.SID)
	}
	r.DateUpdated = rfc2822(at)
	res := *r
	s.mu.Unlock()
	if rec.cbURL == "" || !slices.Contains(rec.events, ev.Event) {
		return
	}
	p := map[string]string{
		"AccountSid": res.AccountSID, "ApiVersion": twiml.APIVersion, "CallSid": res.SID,
		"CallStatus": callStatus, "Called": res.To, "Caller": res.From, "To": res.To, "From": res.From,
		"Direction": twiml.DirectionOutboundAPI, "CallbackSource": "call-progress-events",
		"SequenceNumber": strconv.Itoa(rec.seq), "Timestamp": rfc2822(at),
	}
	rec.seq++
	if ev.Event == outbound.EventCompleted {
		p["CallDuration"] = strconv.FormatInt(ev.Duration, 10)
	}
	s.callback(ctx, rec, p)
}

// endedLocked remembers that sid ended, and forgets the oldest ended
// calls beyond Keep; Server.mu is held.
func (s *Server) endedLocked(sid string) {
	keep := s.Keep
	if keep <= 0 {
		keep = 1000
	}
	s.ended = append(s.ended, sid)
	for len(s.ended) > keep {
		delete(s.calls, s.ended[0])
		s.ended = s.ended[1:]
	}
}
