package apphttp

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/hashicorp/go-retryablehttp"
)

// Default waits of a Retry.
const (
	DefaultWaitMin = 100 * time.Millisecond
	DefaultWaitMax = 500 * time.Millisecond
)

// Retry is the one retry policy of the requests callhook makes for apps
// that may be tried again (webhook requests, flows' fetches; never a
// Liverpie request, whose state machine moves on with each one): which
// failures are retried (Retryable) and how long to wait first (Wait). Its
// zero value is callhook's policy, fit for a caller waiting on the line.
//
// It is built on retryablehttp's DefaultRetryPolicy and DefaultBackoff,
// but not on its Client's loop: each attempt needs what that loop cannot
// give it (its own timeout, a fresh signature, a count that observers
// see), so Do calls the caller back for every attempt.
type Retry struct {
	// WaitMin is the wait before the first retry, doubling for each next
	// one up to WaitMax, which also caps a 429's or 503's Retry-After:
	// the caller hears silence meanwhile. Zero: DefaultWaitMin and
	// DefaultWaitMax.
	WaitMin, WaitMax time.Duration
}

// Attempt is what one attempt of Do got.
type Attempt struct {
	// Resp is the answer Retryable judges (its body already read and
	// closed), nil when none came or when Err alone should decide.
	Resp *http.Response
	// Err is why the attempt failed, nil when it did not.
	Err error
	// Done says the attempt settled the request: it succeeded, or failed
	// in a way that asking again cannot change.
	Done bool
}

// Do makes up to attempts attempts with try (n counts from 1) until one is
// Done, or failed in a way Retryable does not retry, waiting Wait between
// them. It returns the number of attempts made, with ctx's error when ctx
// ended during a wait.
func (r Retry) Do(ctx context.Context, attempts int, try func(n int) Attempt) (int, error) {
	for n := 1; ; n++ {
		a := try(n)
		if a.Done || n >= attempts || !Retryable(ctx, a.Resp, a.Err) {
			return n, nil
		}
		t := time.NewTimer(r.Wait(n, a.Resp))
		select {
		case <-ctx.Done():
			t.Stop()
			return n, ctx.Err()
		case <-t.C:
		}
	}
}

// Retryable reports whether a failed attempt may be tried again: a 5xx or
// a 429 answer, or a transport error that retryablehttp's
// DefaultRetryPolicy retries (not a bad scheme or an untrusted
// certificate, which a retry cannot fix). Never once ctx, the call's or
// the request's, is done (a hung-up call needs no answer), and never a
// connection the DialGuard refused (the next would be refused the same
// way). An answer that came with a success status but could not be used
// is not retried either: asking again would get the same.
func Retryable(ctx context.Context, resp *http.Response, err error) bool {
	switch {
	case ctx.Err() != nil, errors.Is(err, ErrGuardedAddress):
		return false
	case resp != nil:
		return resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500
	case err != nil:
		retry, _ := retryablehttp.DefaultRetryPolicy(ctx, nil, err)
		return retry
	}
	return false
}

// Wait is the wait after the n-th attempt failed with resp (nil when no
// answer came): retryablehttp's exponential backoff, which honours a 429's
// or 503's Retry-After, capped at WaitMax so that an app cannot keep a
// caller waiting in silence for minutes.
func (r Retry) Wait(n int, resp *http.Response) time.Duration {
	lo, hi := r.WaitMin, r.WaitMax
	if lo <= 0 {
		lo = DefaultWaitMin
	}
	if hi <= 0 {
		hi = DefaultWaitMax
	}
	hi = max(hi, lo)
	return min(retryablehttp.DefaultBackoff(lo, hi, n-1, resp), hi)
}
