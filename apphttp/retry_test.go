package apphttp

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"
)

func TestRetryable(t *testing.T) {
	done, cancel := context.WithCancel(t.Context())
	cancel()
	tests := []struct {
		name   string
		ctx    context.Context
		status int
		err    error
		want   bool
	}{
		{"200", t.Context(), 200, nil, false},
		{"404", t.Context(), 404, nil, false},
		{"429", t.Context(), 429, nil, true},
		{"500", t.Context(), 500, nil, true},
		{"501", t.Context(), 501, nil, true},
		{"connection error", t.Context(), 0, errors.New("connection refused"), true},
		{"call gone", done, 503, nil, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var resp *http.Response
			if tc.err == nil {
				resp = &http.Response{StatusCode: tc.status}
			}
			if got := Retryable(tc.ctx, resp, tc.err); got != tc.want {
				t.Errorf("Retryable(%d, %v) = %v, want %v", tc.status, tc.err, got, tc.want)
			}
		})
	}
}

// TestRetryWaitCapped: a Retry-After longer than WaitMax is cut to it, so
// an app cannot keep a caller waiting in silence.
func TestRetryWaitCapped(t *testing.T) {
	resp := &http.Response{StatusCode: 429, Header: http.Header{"Retry-After": {"120"}}}
	for _, r := range []Retry{{}, {WaitMin: 100 * time.Millisecond, WaitMax: 500 * time.Millisecond}} {
		if got := r.Wait(1, resp); got > 500*time.Millisecond {
			t.Errorf("%+v.Wait(Retry-After: 120) = %v, want at most 500ms", r, got)
		}
	}
}

// TestRetryDo: Do makes attempts until one is done, the policy refuses a
// failure, or the attempts are spent, and none once the call's context has
// ended (webhook's TestWebhookHangupMidRequest ends a wait with a hangup).
func TestRetryDo(t *testing.T) {
	fast := Retry{WaitMin: time.Microsecond, WaitMax: time.Microsecond}
	unavailable := &http.Response{StatusCode: 503}
	tests := []struct {
		name     string
		attempts int
		results  []Attempt // what each attempt gets; the last repeats
		want     int
	}{
		{"first succeeds", 3, []Attempt{{Done: true}}, 1},
		{"retried then done", 3, []Attempt{{Resp: unavailable}, {Done: true}}, 2},
		{"spent", 3, []Attempt{{Resp: unavailable}}, 3},
		{"not retryable", 3, []Attempt{{Resp: &http.Response{StatusCode: 404}}}, 1},
		{"one attempt", 1, []Attempt{{Resp: unavailable}}, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			calls := 0
			n, err := fast.Do(t.Context(), tc.attempts, func(n int) Attempt {
				calls++
				if n != calls {
					t.Errorf("attempt %d numbered %d", calls, n)
				}
				return tc.results[min(n, len(tc.results))-1]
			})
			if n != tc.want || calls != tc.want || err != nil {
				t.Errorf("Do() = %d, %v after %d calls; want %d, nil", n, err, calls, tc.want)
			}
		})
	}
	ctx, cancel := context.WithCancel(t.Context())
	slow := Retry{WaitMin: time.Hour, WaitMax: time.Hour}
	n, err := slow.Do(ctx, 3, func(int) Attempt {
		cancel() // the call hangs up while the request fails
		return Attempt{Err: errors.New("connection refused")}
	})
	if n != 1 || err != nil {
		t.Errorf("Do() after the call ended = %d, %v; want 1, nil (no retry once ctx is done)", n, err)
	}
}
