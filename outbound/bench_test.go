package outbound_test

import (
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/callhook/callhook/esl/esltest"
	"github.com/callhook/callhook/outbound"
)

// BenchmarkPlaceAtMaxCPS places b.N calls as fast as the box's max_cps
// lets them through (a 429's Retry-After paces the caller), on a
// simulated box whose own sessions-per-second equals max_cps, each call
// answered and run by the app to its end. It checks that every call got
// its four status events, that none was failed by the box's throttle
// (max_cps sustained, never exceeded) and reports the rate sustained:
//
//	go test -run XXX -bench PlaceAtMaxCPS -benchtime 500x ./outbound/
func BenchmarkPlaceAtMaxCPS(b *testing.B) {
	const cps = 100
	r := newRig(b, rigOptions{maxCPS: cps, orig: esltest.OriginateOptions{SessionsPerSecond: cps}})
	r.status = make(chan statusReq, 4*b.N+16)
	r.app = make(chan map[string]any, b.N+16)
	r.waitState(outbound.StateUp)
	ids := make(map[string]int, b.N)
	b.ResetTimer()
	start := time.Now()
	for range b.N {
		for {
			p, err := r.m.Place(b.Context(), &outbound.Request{App: "reminder", To: "user/1000", StatusURL: r.url})
			var e *outbound.Error
			if errors.As(err, &e) && e.Status == http.StatusTooManyRequests {
				time.Sleep(e.RetryAfter) // the pacing a client of POST /calls does
				continue
			}
			if err != nil {
				b.Fatal(err)
			}
			ids[p.ID] = 0
			break
		}
	}
	placed := time.Since(start)
	completed := 0
	deadline := time.After(time.Minute)
	for completed < b.N {
		select {
		case s := <-r.status:
			if _, ok := ids[s.ev.CallID]; !ok {
				b.Fatalf("status for an unknown call: %+v", s.ev)
			}
			ids[s.ev.CallID]++
			if s.ev.Event == outbound.EventCompleted {
				completed++
				if s.ev.Status != outbound.StatusCompleted {
					b.Fatalf("call %s ended %s %s %s: the box refused it", s.ev.CallID, s.ev.Status, s.ev.Cause, s.ev.Reason)
				}
			}
		case <-deadline:
			b.Fatalf("%d of %d calls completed", completed, b.N)
		}
	}
	b.StopTimer()
	for id, n := range ids {
		if n != 4 {
			b.Fatalf("call %s got %d status events, want 4", id, n)
		}
	}
	if b.N > 2*cps {
		// The first second's max_cps go at once; the rest at the rate
		// the window lets through, which is what a box sustains.
		b.ReportMetric(float64(b.N-cps)/placed.Seconds(), "sustained_calls/s")
		b.ReportMetric(cps, "max_cps")
	}
}
