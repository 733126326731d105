package proxy

import (
	"time"

	"github.com/callhook/callhook/esl"
	"github.com/callhook/callhook/verb"
)

// Observer is told what happens on calls: metrics, the simulate printer, the
// live calls list and the call-end log line are observers. Methods are called
// from many calls' goroutines at once; they must be quick and must not block.
type Observer interface {
	// CallRefused: a call was refused (reason: not_async_full, no_app, limit, draining).
	CallRefused(channel *esl.Event, app, reason string)
	CallStarted(c *Call)
	// Request: one webhook request finished (after all its attempts).
	Request(c *Call, r *RequestInfo)
	VerbStarted(c *Call, v verb.Verb)
	VerbFinished(c *Call, v verb.Verb, r *verb.Result, took time.Duration)
	// Failed: the app failed and its fallback or on_failure took over.
	Failed(c *Call, f *Failure)
	CallEnded(c *Call, end *CallEnd, s *CallStats)
}

// RequestInfo describes one request to a web app.
type RequestInfo struct {
	URL      string
	Event    string // call.start, verb.result, redirect, call.end; liverpie: reset, state_machine, dtmf, hangup
	Attempts int
	Status   int // HTTP status, 0 when none came
	Took     time.Duration
	Err      error
	Reply    string // the reply body, shortened for display
	// Body is the whole reply body as read (bounded by max_reply_bytes),
	// for tools that show it uncut (simulate -json). A string, so that
	// RequestInfo stays comparable and an observer may keep it.
	Body string
	// Sent is the request body as sent to the app (a webhook app's JSON or
	// form, a Liverpie app's form; "" when the request has none), for
	// tools that check what the app received (callhook test).
	Sent     string
	Fallback bool // this request went to fallback_url
}

// CallStats are per-call totals, for the call-end log line and metrics.
type CallStats struct {
	Verbs       int
	WebhookTime time.Duration
	Requests    int
}

// NopObserver ignores everything; embed it to implement only some methods.
type NopObserver struct{}

func (NopObserver) CallRefused(*esl.Event, string, string)                     {}
func (NopObserver) CallStarted(*Call)                                          {}
func (NopObserver) Request(*Call, *RequestInfo)                                {}
func (NopObserver) VerbStarted(*Call, verb.Verb)                               {}
func (NopObserver) VerbFinished(*Call, verb.Verb, *verb.Result, time.Duration) {}
func (NopObserver) Failed(*Call, *Failure)                                     {}
func (NopObserver) CallEnded(*Call, *CallEnd, *CallStats)                      {}

// Observers fans every notification out to each observer in turn.
type Observers []Observer

func (all Observers) CallRefused(ch *esl.Event, app, reason string) {
	for _, o := range all {
		o.CallRefused(ch, app, reason)
	}
}

func (all Observers) CallStarted(c *Call) {
	for _, o := range all {
		o.CallStarted(c)
	}
}

func (all Observers) Request(c *Call, r *RequestInfo) {
	for _, o := range all {
		o.Request(c, r)
	}
}

func (all Observers) VerbStarted(c *Call, v verb.Verb) {
	for _, o := range all {
		o.VerbStarted(c, v)
	}
}

func (all Observers) VerbFinished(c *Call, v verb.Verb, r *verb.Result, took time.Duration) {
	for _, o := range all {
		o.VerbFinished(c, v, r, took)
	}
}

func (all Observers) Failed(c *Call, f *Failure) {
	for _, o := range all {
		o.Failed(c, f)
	}
}

func (all Observers) CallEnded(c *Call, end *CallEnd, s *CallStats) {
	for _, o := range all {
		o.CallEnded(c, end, s)
	}
}
