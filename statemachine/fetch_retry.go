package statemachine

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"time"
)

// A fetch's waits between attempts: fetchRetryMin before the first retry,
// doubling up to fetchRetryMax, which also caps a 429's or 503's
// Retry-After. They are a webhook app's (apphttp.NewHTTPClient): the caller
// hears silence meanwhile.
const (
	fetchRetryMin = 100 * time.Millisecond
	fetchRetryMax = 500 * time.Millisecond
)

// fetchRetryable reports whether a failed attempt may be tried again: a
// connection error, a 5xx or a 429. Not once ctx is done (the fetch's
// timeout, which bounds all its attempts, or the call's end), and not an
// answer that came but was wrong (not JSON, too big): asking again would
// get the same.
func fetchRetryable(ctx context.Context, status int, err error) bool {
	if ctx.Err() != nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	if status == 0 {
		return true
	}
	return status == http.StatusTooManyRequests || status >= 500
}

// fetchRetryWait is the wait after the attempt-th attempt failed:
// retryAfter (the answer's Retry-After, in seconds) when it says more, at
// most fetchRetryMax.
func fetchRetryWait(attempt int, retryAfter string) time.Duration {
	w := fetchRetryMin << min(attempt-1, 8)
	if secs, err := strconv.Atoi(retryAfter); err == nil && secs > 0 {
		w = max(w, time.Duration(min(secs, 3600))*time.Second)
	}
	return min(w, fetchRetryMax)
}

// waitCtx waits d, or until ctx is done (false then).
func waitCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
