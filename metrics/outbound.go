package metrics

import (
	"sync"

	"github.com/prometheus/client_golang/prometheus"
)

// Outbound instruments placed calls (POST /calls): each box's connection
// state and the placed calls' outcomes. It fits outbound.Manager's
// Observer.
type Outbound struct {
	state     *prometheus.GaugeVec
	originate *prometheus.CounterVec

	mu   sync.Mutex
	last map[string]string // box → the state its gauge is 1 for
}

// NewOutbound registers the outbound series on reg (Metrics.Registry).
func NewOutbound(reg prometheus.Registerer) *Outbound {
	o := &Outbound{
		state: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: namespace, Name: "box_state",
			Help: "1 for each FreeSWITCH box's connection state (connecting, up, auth_failed, down), 0 for the states it left.",
		}, []string{"box", "state"}),
		originate: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "originate_total",
			Help: "Placed calls by box and outcome (completed, busy, no-answer, failed, canceled), and requests refused before anything was placed (refused_down, refused_full, refused_cps, error; box empty when none was picked).",
		}, []string{"box", "outcome"}),
		last: map[string]string{},
	}
	reg.MustRegister(o.state, o.originate)
	return o
}

// BoxState sets box's state gauge.
func (o *Outbound) BoxState(box, state string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if prev, ok := o.last[box]; ok && prev != state {
		o.state.WithLabelValues(box, prev).Set(0)
	}
	o.last[box] = state
	o.state.WithLabelValues(box, state).Set(1)
}

// Originated counts one outcome.
func (o *Outbound) Originated(box, outcome string) {
	o.originate.WithLabelValues(box, outcome).Inc()
}
