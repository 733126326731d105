package metrics

import (
	"time"

	"github.com/callhook/callhook/esl"
	"github.com/callhook/callhook/proxy"
	"github.com/callhook/callhook/verb"
)

// Metrics is the proxy's Observer.
var _ proxy.Observer = (*Metrics)(nil)

// CallRefused counts a call the proxy handed back to the dialplan.
func (m *Metrics) CallRefused(_ *esl.Event, _, reason string) { m.refusal(reason).Inc() }

// CallStarted raises calls_active for the call's app.
func (m *Metrics) CallStarted(c *proxy.Call) {
	s := m.app(c.App)
	s.active.Inc()
	m.calls.Store(c, s)
}

// CallEnded lowers calls_active where CallStarted raised it and counts the
// call's outcome and duration under the app that took the call (a handoff
// does not move a call between apps here). A call that failed before it
// started (event subscription failed) is counted under its app too.
func (m *Metrics) CallEnded(c *proxy.Call, end *proxy.CallEnd, _ *proxy.CallStats) {
	var s *appSeries
	if v, ok := m.calls.LoadAndDelete(c); ok {
		s = v.(*appSeries)
		s.active.Dec()
	} else {
		s = m.app(c.App)
	}
	outcome := proxy.OutcomeHangup
	if end != nil {
		outcome = end.Outcome
	}
	s.outcome(outcome).Inc()
	if !c.StartedAt.IsZero() {
		s.duration.Observe(time.Since(c.StartedAt).Seconds())
	}
}

// Request records one web app request under the app making it. A request
// abandoned because the caller hung up is not the app's fault and is not
// recorded: its duration says nothing about the app either.
func (m *Metrics) Request(c *proxy.Call, r *proxy.RequestInfo) {
	class, abandoned := requestClass(r)
	if abandoned {
		return
	}
	s := m.app(c.App)
	s.request(m, c.App, r.Event).Observe(r.Took.Seconds())
	if r.Attempts > 1 {
		s.retries.Add(float64(r.Attempts - 1))
	}
	if class != "" {
		s.errors[class].Inc()
	}
}

// VerbStarted does nothing: verbs are counted and timed when they finish.
func (m *Metrics) VerbStarted(*proxy.Call, verb.Verb) {}

// VerbFinished counts a verb by its result and records how long it ran.
func (m *Metrics) VerbFinished(_ *proxy.Call, v verb.Verb, r *verb.Result, took time.Duration) {
	s := m.verb(v.Name)
	s.result(r).Inc()
	s.duration.Observe(took.Seconds())
}

// Failed counts an app failure by what took over: its fallback_url, its
// on_failure verbs, or both in turn.
func (m *Metrics) Failed(c *proxy.Call, f *proxy.Failure) {
	s := m.app(c.App)
	if f.Fallback {
		s.fallback.Inc()
	}
	if f.OnFailure {
		s.onFailure.Inc()
	}
}
