package metrics

import (
	"context"
	"errors"
	"strings"
	"sync"

	"github.com/callhook/callhook/apphttp"
	"github.com/callhook/callhook/proxy"
	"github.com/callhook/callhook/verb"
	"github.com/prometheus/client_golang/prometheus"
)

// Label values that fold whatever a fixed set does not list.
const labelOther = "other"

// Webhook error classes (webhook_errors_total's class label).
const (
	classConnect      = apphttp.CodeConnect
	classTimeout      = apphttp.CodeTimeout
	class4xx          = "4xx"
	class5xx          = "5xx"
	classInvalidReply = apphttp.CodeInvalidReply
)

var (
	outcomes     = []string{proxy.OutcomeHangup, proxy.OutcomeTransferred, proxy.OutcomeFailed, labelOther}
	errorClasses = []string{classConnect, classTimeout, class4xx, class5xx, classInvalidReply, labelOther}
	verbResults  = []string{verb.ReasonOK, verb.ReasonTimeout, verb.ReasonInvalid, verb.ReasonHangup, verb.ReasonError, labelOther}
)

// appSeries are one app's label children, resolved once: the fixed label
// sets (outcomes, error classes, fallback kinds) are created at zero with
// the app's first call, so rate() and absent() work from then on.
type appSeries struct {
	active    prometheus.Gauge
	duration  prometheus.Observer
	retries   prometheus.Counter
	fallback  prometheus.Counter
	onFailure prometheus.Counter
	outcomes  map[string]prometheus.Counter // read-only after creation
	errors    map[string]prometheus.Counter // read-only after creation
	requests  sync.Map                      // event → prometheus.Observer
}

// app returns the series of the app named name.
func (m *Metrics) app(name string) *appSeries {
	if s, ok := m.apps.Load(name); ok {
		return s.(*appSeries)
	}
	s := &appSeries{
		active:    m.callsActive.WithLabelValues(name),
		duration:  m.callDuration.WithLabelValues(name),
		retries:   m.webhookRetries.WithLabelValues(name),
		fallback:  m.fallbacks.WithLabelValues(name, "fallback"),
		onFailure: m.fallbacks.WithLabelValues(name, "on_failure"),
		outcomes:  make(map[string]prometheus.Counter, len(outcomes)),
		errors:    make(map[string]prometheus.Counter, len(errorClasses)),
	}
	for _, o := range outcomes {
		s.outcomes[o] = m.callsTotal.WithLabelValues(name, o)
	}
	for _, c := range errorClasses {
		s.errors[c] = m.webhookErrors.WithLabelValues(name, c)
	}
	// Two first calls of an app may race here; both built the same
	// children (WithLabelValues is idempotent) and one map entry wins.
	actual, _ := m.apps.LoadOrStore(name, s)
	return actual.(*appSeries)
}

// outcome returns the calls_total child of an outcome.
func (s *appSeries) outcome(o string) prometheus.Counter {
	if c, ok := s.outcomes[o]; ok {
		return c
	}
	return s.outcomes[labelOther]
}

// request returns the webhook duration child of an event. Events are
// callhook's own names (call.start, verb.result, redirect, call.end and
// Liverpie's four), so the set is small and fixed.
func (s *appSeries) request(m *Metrics, app, event string) prometheus.Observer {
	if o, ok := s.requests.Load(event); ok {
		return o.(prometheus.Observer)
	}
	o, _ := s.requests.LoadOrStore(event, m.webhookDuration.WithLabelValues(app, event))
	return o.(prometheus.Observer)
}

// verbSeries are one verb's label children, resolved once.
type verbSeries struct {
	duration prometheus.Observer
	results  map[string]prometheus.Counter // read-only after creation
}

// verb returns the series of the verb named name (a canonical verb name
// from the proxy's verb table, never app input).
func (m *Metrics) verb(name string) *verbSeries {
	if s, ok := m.verbs.Load(name); ok {
		return s.(*verbSeries)
	}
	s := &verbSeries{
		duration: m.verbDuration.WithLabelValues(name),
		results:  make(map[string]prometheus.Counter, len(verbResults)),
	}
	for _, r := range verbResults {
		s.results[r] = m.verbsTotal.WithLabelValues(name, r)
	}
	actual, _ := m.verbs.LoadOrStore(name, s)
	return actual.(*verbSeries)
}

// result returns the verbs_total child of a result; a verb without a
// result counts as other.
func (s *verbSeries) result(r *verb.Result) prometheus.Counter {
	if r != nil {
		if c, ok := s.results[r.Reason]; ok {
			return c
		}
	}
	return s.results[labelOther]
}

// requestClass sorts a finished request: "" when it succeeded, else its
// error class; abandoned when the caller hung up while it was in flight.
//
// A failed request reports a *apphttp.RequestError (webhook apps, Liverpie
// apps and flow fetches alike), whose code is the class (an HTTP status is
// reduced to its hundred, so an app answering 418 or 599 adds no series).
// A Liverpie app's error status is judged by its dialog, not the request,
// so it comes without an error: the status is the class. Any other error
// is other.
func requestClass(r *proxy.RequestInfo) (class string, abandoned bool) {
	if be, ok := errors.AsType[*apphttp.RequestError](r.Err); ok {
		switch {
		case be.Code == apphttp.CodeConnect, be.Code == apphttp.CodeTimeout, be.Code == apphttp.CodeInvalidReply:
			return be.Code, false
		case strings.HasPrefix(be.Code, "http_"):
			return statusClass(be.Status), false
		}
		return labelOther, false
	}
	switch {
	case r.Err != nil && errors.Is(r.Err, context.Canceled):
		return "", true
	case r.Status >= 400:
		return statusClass(r.Status), false
	case r.Err == nil:
		return "", false
	}
	return labelOther, false
}

func statusClass(status int) string {
	switch {
	case status >= 400 && status < 500:
		return class4xx
	case status >= 500 && status < 600:
		return class5xx
	}
	return labelOther
}
