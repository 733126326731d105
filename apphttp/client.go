package apphttp

import (
	"context"
	"errors"
	"net"
	"net/http"
	"time"

	"github.com/hashicorp/go-retryablehttp"
)

// NewHTTPClient returns the client webhook apps share: one connection pool
// sized for thousands of calls per second to one app, with keep-alive, and
// a retry policy fit for a caller waiting on the line: 100-500 ms between
// attempts, retrying only connection errors, timeouts, 5xx and 429, never
// once the call's context is done.
//
// Webhook apps use its HTTPClient's transport, CheckRetry, Backoff and
// waits, but run the attempts themselves: each attempt needs its own
// timeout and a fresh signature, and the number of retries is the app's.
// Its RetryMax (1) serves other users of its Do or StandardClient (flows'
// fetches use its HTTPClient and make their own, counted retries). Its
// Logger is nil: each call logs its requests through its
// own logger, and retryablehttp would log every request at Info.
// Share the pointer; never copy the Client value.
//
// Every connection it makes passes guard (nil: none): it is the client of
// requests that apps choose the URLs of, directly (action, redirect,
// fallback_url, fetch) or by answering with an HTTP redirect, and guard
// keeps those off callhook's own admin API.
func NewHTTPClient(guard *DialGuard) *retryablehttp.Client {
	transport := &http.Transport{
		Proxy: http.ProxyFromEnvironment,
		DialContext: (&net.Dialer{
			Timeout:   10 * time.Second, // an attempt's own timeout is usually shorter
			KeepAlive: 30 * time.Second,
			Control:   guard.Control,
			Resolver:  guard.dialResolver(),
		}).DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          1024,
		MaxIdleConnsPerHost:   256,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ExpectContinueTimeout: time.Second,
	}
	return &retryablehttp.Client{
		HTTPClient:   &http.Client{Transport: transport},
		RetryWaitMin: 100 * time.Millisecond,
		RetryWaitMax: 500 * time.Millisecond,
		RetryMax:     1,
		CheckRetry:   WebhookRetryPolicy,
		Backoff:      WebhookBackoff,
	}
}

// webhookRetryPolicy retries connection errors (timeouts included), 5xx and
// 429, and nothing once ctx, the call's context, is done: a hung-up call
// needs no answer.
func WebhookRetryPolicy(ctx context.Context, resp *http.Response, err error) (bool, error) {
	if ctx.Err() != nil {
		return false, ctx.Err()
	}
	if errors.Is(err, ErrGuardedAddress) {
		return false, nil // the next attempt would be refused the same way
	}
	if err != nil {
		// retryablehttp knows the transport errors that a retry cannot
		// fix (a bad scheme, an untrusted certificate).
		return retryablehttp.DefaultRetryPolicy(ctx, nil, err)
	}
	return resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500, nil
}

// webhookBackoff is retryablehttp's exponential backoff, which honours a
// 429's or 503's Retry-After, capped at max so that an app cannot keep a
// caller waiting in silence for minutes.
func WebhookBackoff(lo, hi time.Duration, attempt int, resp *http.Response) time.Duration {
	return min(retryablehttp.DefaultBackoff(lo, hi, attempt, resp), hi)
}
