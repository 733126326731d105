package metrics_test

import (
	"testing"

	"github.com/callhook/callhook/metrics"
)

func TestOutboundSeries(t *testing.T) {
	m := metrics.New()
	o := metrics.NewOutbound(m.Registry())
	o.BoxState("fs1", "connecting")
	o.BoxState("fs1", "up")
	o.Originated("fs1", "busy")
	o.Originated("fs1", "busy")
	fams, err := m.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, f := range fams {
		for _, s := range f.GetMetric() {
			key := f.GetName()
			for _, l := range s.GetLabel() {
				key += "," + l.GetName() + "=" + l.GetValue()
			}
			if g := s.GetGauge(); g != nil {
				got[key] = g.GetValue()
			}
			if c := s.GetCounter(); c != nil {
				got[key] = c.GetValue()
			}
		}
	}
	for key, want := range map[string]float64{
		"callhook_box_state,box=fs1,state=connecting":   0,
		"callhook_box_state,box=fs1,state=up":           1,
		"callhook_originate_total,box=fs1,outcome=busy": 2,
	} {
		if v, ok := got[key]; !ok || v != want {
			t.Errorf("%s = %v (present %v), want %v", key, v, ok, want)
		}
	}
}
