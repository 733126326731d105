package metrics

import (
	"net"
	"net/http"
	"sync"

	"github.com/callhook/callhook/esl"
	"github.com/callhook/callhook/proxy"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

const namespace = "callhook"

// Bucket bounds, in seconds. A call lasts seconds to hours; a webhook
// request should take milliseconds (a caller hears the gap) and is cut at
// its app's timeout (5s by default, more with retries); a verb goes from a
// set that takes a millisecond to a prompt or a bridge that takes minutes.
var (
	callBuckets    = []float64{1, 5, 10, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200}
	webhookBuckets = []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30}
	verbBuckets    = []float64{.005, .025, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800}
)

// Refusal reasons counted in calls_refused_total: the esl.Server's (acl,
// max_conns) and the proxy's. They are created at zero so that rate() works
// before the first refusal; any other reason is counted as "other".
var refusalReasons = []string{
	esl.RefusedACL, esl.RefusedMaxConns,
	proxy.RefusedNotAsyncFull, proxy.RefusedNoApp, proxy.RefusedLimit, proxy.RefusedDraining,
	proxy.RefusedDuplicateID,
}

// Metrics is callhook's instrumentation. It implements proxy.Observer and
// esl.FrameCounter, and its Refused method fits esl.Server.Refused. All
// methods are safe for concurrent use and never block.
type Metrics struct {
	reg    *prometheus.Registry
	frames esl.Counters

	callsActive     *prometheus.GaugeVec
	callsTotal      *prometheus.CounterVec
	callDuration    *prometheus.HistogramVec
	refused         *prometheus.CounterVec
	webhookDuration *prometheus.HistogramVec
	webhookErrors   *prometheus.CounterVec
	webhookRetries  *prometheus.CounterVec
	fallbacks       *prometheus.CounterVec
	verbsTotal      *prometheus.CounterVec
	verbDuration    *prometheus.HistogramVec

	refusedBy map[string]prometheus.Counter // read-only after New
	apps      sync.Map                      // app name → *appSeries
	verbs     sync.Map                      // verb name → *verbSeries
	// calls maps each started call to the series its calls_active was
	// raised on, so it is lowered on the same one even when the call was
	// handed off to another app meanwhile.
	calls sync.Map // *proxy.Call → *appSeries
}

// New returns a Metrics with its own registry holding the callhook series
// and the Go runtime and process collectors.
func New() *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		callsActive: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: namespace, Name: "calls_active",
			Help: "Calls in progress, by the app that took them.",
		}, []string{"app"}),
		callsTotal: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "calls_total",
			Help: "Calls ended, by the app that took them and outcome (hangup, transferred, failed).",
		}, []string{"app", "outcome"}),
		callDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: namespace, Name: "call_duration_seconds",
			Help:    "How long calls lasted in callhook, from connect to their end.",
			Buckets: callBuckets,
		}, []string{"app"}),
		refused: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "calls_refused_total",
			Help: "Calls refused (acl, max_conns, not_async_full, no_app, limit, draining, duplicate_id); all but acl are handed back to the dialplan.",
		}, []string{"reason"}),
		webhookDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: namespace, Name: "webhook_request_duration_seconds",
			Help:    "Web app requests, all attempts of one request together, by app and event.",
			Buckets: webhookBuckets,
		}, []string{"app", "event"}),
		webhookErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "webhook_errors_total",
			Help: "Web app requests that failed after their retries, by class (connect, timeout, 4xx, 5xx, invalid_reply, other).",
		}, []string{"app", "class"}),
		webhookRetries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "webhook_retries_total",
			Help: "Web app request attempts beyond the first (flows' fetches included).",
		}, []string{"app"}),
		fallbacks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "fallbacks_total",
			Help: "Times an app failed and its fallback_url (kind fallback) or on_failure verbs (kind on_failure) took over.",
		}, []string{"app", "kind"}),
		verbsTotal: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "verbs_total",
			Help: "Verbs run, by verb and result (ok, timeout, invalid, hangup, error, other).",
		}, []string{"verb", "result"}),
		verbDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: namespace, Name: "verb_duration_seconds",
			Help:    "How long verbs ran, by verb.",
			Buckets: verbBuckets,
		}, []string{"verb"}),
		refusedBy: make(map[string]prometheus.Counter, len(refusalReasons)+1),
	}
	for _, r := range append(refusalReasons, "other") {
		m.refusedBy[r] = m.refused.WithLabelValues(r)
	}
	m.reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.callsActive, m.callsTotal, m.callDuration, m.refused,
		m.webhookDuration, m.webhookErrors, m.webhookRetries, m.fallbacks,
		m.verbsTotal, m.verbDuration,
		newFrameCollector(&m.frames),
	)
	return m
}

// Registry returns the registry Handler serves, for adding collectors.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler serves the registry in the Prometheus exposition formats.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// CountFrame implements esl.FrameCounter: two atomic adds, no allocation.
// Content types FreeSWITCH does not send are counted as "other", so a peer
// cannot grow the label set.
func (m *Metrics) CountFrame(dir esl.Direction, contentType string, bytes int) {
	m.frames.CountFrame(dir, contentType, bytes)
}

// Refused counts a connection the esl.Server refused (reason acl or
// max_conns); it has esl.Server.Refused's signature. The peer's address is
// not a label: log it where needed.
func (m *Metrics) Refused(_ net.Addr, reason string) { m.refusal(reason).Inc() }

func (m *Metrics) refusal(reason string) prometheus.Counter {
	if c, ok := m.refusedBy[reason]; ok {
		return c
	}
	return m.refusedBy["other"]
}
