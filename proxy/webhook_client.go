package proxy

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"time"

	"github.com/hashicorp/go-retryablehttp"
	"github.com/sirupsen/logrus"
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
		CheckRetry:   webhookRetryPolicy,
		Backoff:      webhookBackoff,
	}
}

// webhookRetryPolicy retries connection errors (timeouts included), 5xx and
// 429, and nothing once ctx, the call's context, is done: a hung-up call
// needs no answer.
func webhookRetryPolicy(ctx context.Context, resp *http.Response, err error) (bool, error) {
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
func webhookBackoff(lo, hi time.Duration, attempt int, resp *http.Response) time.Duration {
	return min(retryablehttp.DefaultBackoff(lo, hi, attempt, resp), hi)
}

// webhookAttempt is what one attempt got.
type webhookAttempt struct {
	resp     *http.Response // its body is read and closed; nil when none came
	body     []byte         // the reply's start (all of it on 2xx, up to the limit)
	tooBig   bool           // a 2xx reply over MaxReplyBytes
	err      error          // a transport or read error
	timedOut bool           // err is the attempt's own timeout
}

// webhookErrorBodyBytes is how much of a non-2xx reply is kept (for display)
// and webhookDrainBytes how much more is read so its connection can be reused.
const (
	webhookErrorBodyBytes = 4 << 10
	webhookDrainBytes     = 64 << 10
)

// attempt makes one POST under the app's per-attempt timeout, reading the
// reply within it.
func (d *webhookDialog) attempt(ctx context.Context, u *url.URL, body []byte, ctype string, seq int) webhookAttempt {
	actx, cancel := context.WithTimeout(ctx, d.app.timeout())
	defer cancel()
	req, err := http.NewRequestWithContext(actx, http.MethodPost, u.String(), bytes.NewReader(body))
	if err != nil {
		return webhookAttempt{err: err}
	}
	d.setHeaders(req.Header, body, ctype, seq)
	resp, err := d.httpc.Do(req)
	if err != nil {
		return webhookAttempt{err: err, timedOut: webhookTimedOut(ctx, actx, err)}
	}
	defer resp.Body.Close()
	a := webhookAttempt{resp: resp}
	limit := int64(webhookErrorBodyBytes)
	if resp.StatusCode/100 == 2 {
		limit = d.app.maxReplyBytes()
		if resp.ContentLength > limit {
			a.tooBig = true
			return a
		}
	}
	a.body, err = io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		a.err = fmt.Errorf("read reply: %w", err)
		a.timedOut = webhookTimedOut(ctx, actx, err)
		return a
	}
	if int64(len(a.body)) > limit {
		if resp.StatusCode/100 == 2 {
			a.tooBig = true
			return a
		}
		a.body = a.body[:limit]
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, webhookDrainBytes))
	}
	return a
}

// webhookTimedOut tells whether err comes from the attempt's own timeout
// rather than from the call's context or the network.
func webhookTimedOut(ctx, actx context.Context, err error) bool {
	if ctx.Err() != nil {
		return false
	}
	if errors.Is(actx.Err(), context.DeadlineExceeded) {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// request sends one request (all its attempts) to target and, when parse is
// set, parses the reply. Its error is a *BackendError, or the call's
// context's error when the call went away. Every request is reported to the
// observer and logged (Debug; Warn when it failed).
func (d *webhookDialog) request(ctx context.Context, target string, m *webhookMessage, fallback, parse bool) (*Reply, error) {
	start := time.Now()
	info := &RequestInfo{URL: target, Event: m.Event, Fallback: fallback}
	rep, err := d.send(ctx, target, m, parse, info)
	info.Took = time.Since(start)
	info.Err = err
	d.obs.Request(d.call, info)
	d.logRequest(ctx, m, info)
	return rep, err
}

// send runs the attempts of one request, filling info as it goes.
func (d *webhookDialog) send(ctx context.Context, target string, m *webhookMessage, parse bool, info *RequestInfo) (*Reply, error) {
	u, err := d.base.Parse(target)
	if err != nil {
		return nil, &BackendError{URL: target, Code: CodeConnect, Err: fmt.Errorf("parse url: %w", err)}
	}
	info.URL = u.String()
	body, ctype, err := d.encode(m)
	if err != nil {
		return nil, &BackendError{URL: info.URL, Code: CodeConnect, Err: err}
	}
	checkRetry, backoff := d.client.CheckRetry, d.client.Backoff
	if checkRetry == nil {
		checkRetry = webhookRetryPolicy
	}
	if backoff == nil {
		backoff = webhookBackoff
	}
	for n := 1; ; n++ {
		info.Attempts = n
		a := d.attempt(ctx, u, body, ctype, m.Seq)
		if ctx.Err() != nil {
			return nil, webhookGone(ctx, m.Event)
		}
		if a.resp != nil {
			info.Status = a.resp.StatusCode
			info.Reply, info.Body = webhookShorten(a.body), string(a.body)
		}
		if a.err == nil && a.resp.StatusCode/100 == 2 {
			if a.tooBig {
				return nil, &BackendError{URL: info.URL, Code: CodeInvalidReply, Status: info.Status,
					Err: fmt.Errorf("reply over %d bytes", d.app.maxReplyBytes())}
			}
			if !parse {
				return nil, nil
			}
			return d.parse(a, info)
		}
		resp := a.resp
		if a.err != nil {
			resp = nil
		}
		retry, _ := checkRetry(ctx, resp, a.err)
		if !retry || n >= d.app.attempts() {
			return nil, webhookFailure(info.URL, a, n, d.app.timeout())
		}
		wait := time.NewTimer(backoff(d.client.RetryWaitMin, d.client.RetryWaitMax, n-1, resp))
		select {
		case <-ctx.Done():
			wait.Stop()
			return nil, webhookGone(ctx, m.Event)
		case <-wait.C:
		}
	}
}

// parse validates a 2xx reply completely and keeps the session it sets.
func (d *webhookDialog) parse(a webhookAttempt, info *RequestInfo) (*Reply, error) {
	rep, err := ParseReply(a.body, ParseOptions{
		MaxVerbs:       d.app.maxVerbs(),
		AllowExecute:   d.app.AllowExecute,
		AllowVars:      d.app.AllowVars,
		AllowEndpoints: d.app.AllowEndpoints,
		AllowDialplans: d.app.AllowDialplans,
		Files:          d.app.Files,
		Base:           a.resp.Request.URL, // the document's URL, after HTTP redirects
	})
	if err == nil && rep.HasSession {
		var s []byte
		if s, err = webhookSessionJSON(rep.Session); err == nil {
			d.session = s
		}
	}
	if err != nil {
		return nil, &BackendError{URL: info.URL, Code: CodeInvalidReply, Status: info.Status, Err: err}
	}
	return rep, nil
}

// webhookFailure is the error of a request whose last attempt failed.
func webhookFailure(target string, a webhookAttempt, attempts int, timeout time.Duration) *BackendError {
	e := &BackendError{URL: target}
	switch {
	case a.err != nil && a.timedOut:
		e.Code = CodeTimeout
		e.Err = fmt.Errorf("no reply within %s (%d attempt(s)): %w", timeout, attempts, a.err)
	case a.err != nil:
		e.Code = CodeConnect
		e.Err = fmt.Errorf("%w (%d attempt(s))", a.err, attempts)
	default:
		e.Status = a.resp.StatusCode
		e.Code = fmt.Sprintf("http_%d", e.Status)
		e.Err = fmt.Errorf("status %s (%d attempt(s))", a.resp.Status, attempts)
	}
	if a.err != nil && a.resp != nil {
		e.Status = a.resp.StatusCode
	}
	return e
}

// logRequest logs a finished request: at Warn when it failed, at Debug
// otherwise (a hung-up call is no failure of the app).
func (d *webhookDialog) logRequest(ctx context.Context, m *webhookMessage, info *RequestInfo) {
	level := logrus.DebugLevel
	if info.Err != nil && ctx.Err() == nil {
		level = logrus.WarnLevel
	}
	if !logsAt(d.log, level) {
		return // spare a busy app's every step the fields' allocations
	}
	log := d.log.WithFields(logrus.Fields{
		"url": info.URL, "event": m.Event, "seq": m.Seq, "attempts": info.Attempts,
		"status": info.Status, "took_ms": info.Took.Milliseconds(),
	})
	if info.Fallback {
		log = log.WithField("fallback", true)
	}
	switch {
	case info.Err == nil:
		log.Debug("webhook request")
	case level == logrus.DebugLevel:
		log.WithError(info.Err).Debug("webhook request abandoned: the call is gone")
	default:
		log.WithError(info.Err).Warn("webhook request failed")
	}
}

// webhookGone is the error of a request abandoned because the call's
// context ended (the caller hung up): it wraps the context's error and its
// cause, so callers can tell it from an app failure.
func webhookGone(ctx context.Context, event string) error {
	err, cause := ctx.Err(), context.Cause(ctx)
	if cause != nil && cause != err {
		return fmt.Errorf("webhook %s: %w (%w)", event, err, cause)
	}
	return fmt.Errorf("webhook %s: %w", event, err)
}
