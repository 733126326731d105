package webhook

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/callhook/callhook/apphttp"
	"github.com/callhook/callhook/proxy"
	"github.com/callhook/callhook/verb"
	"github.com/sirupsen/logrus"
)

// attemptResult is what one attempt got.
type attemptResult struct {
	resp   *http.Response // its body is read and closed; nil when none came
	body   []byte         // the reply's start (all of it on 2xx, up to the limit)
	tooBig bool           // a 2xx reply over MaxReplyBytes
	err    error          // a transport or read error
	code   string         // err's class (apphttp.Classify), within the attempt's own timeout
}

// errorBodyBytes is how much of a non-2xx reply is kept (for display)
// and drainBytes how much more is read so its connection can be reused.
const (
	errorBodyBytes = 4 << 10
	drainBytes     = 64 << 10
)

// attempt makes one POST under the app's per-attempt timeout, reading the
// reply within it. u is the request's URL, shared with the request's
// other attempts (and, for the app's own URL, with its other calls): read
// only, as net/http treats it.
func (d *dialog) attempt(ctx context.Context, u *url.URL, body []byte, ctype []string, seq int) attemptResult {
	actx, cancel := context.WithTimeout(ctx, d.app.timeout())
	defer cancel()
	req, err := newPost(actx, u, body)
	if err != nil {
		return attemptResult{err: err}
	}
	d.setHeaders(req.Header, body, ctype, seq)
	resp, err := d.httpc.Do(req)
	if err != nil {
		return attemptResult{err: err, code: apphttp.Classify(actx, 0, err)}
	}
	defer resp.Body.Close()
	a := attemptResult{resp: resp}
	limit := int64(errorBodyBytes)
	if resp.StatusCode/100 == 2 {
		limit = d.app.maxReplyBytes()
		if resp.ContentLength > limit {
			a.tooBig = true
			return a
		}
	}
	a.body, err = readReply(resp, limit)
	if err != nil {
		a.err = fmt.Errorf("read reply: %w", err)
		a.code = apphttp.Classify(actx, 0, err)
		return a
	}
	if int64(len(a.body)) > limit {
		if resp.StatusCode/100 == 2 {
			a.tooBig = true
			return a
		}
		a.body = a.body[:limit]
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, drainBytes))
	}
	return a
}

// readReply reads resp's body: up to limit+1 bytes, so that a body over
// limit shows. A body whose Content-Length is within limit is read into
// one buffer of that size (net/http fails the read when fewer bytes come,
// and stops at that length when more would); any other, in growing
// buffers, up to the limit.
func readReply(resp *http.Response, limit int64) ([]byte, error) {
	if n := resp.ContentLength; n >= 0 && n <= limit && n <= maxSizedRead {
		b := make([]byte, n)
		k, err := io.ReadFull(resp.Body, b)
		return b[:k], err // what came before an error, as io.ReadAll returns it
	}
	return io.ReadAll(io.LimitReader(resp.Body, limit+1))
}

// maxSizedRead bounds the buffer readReply makes up front from a
// Content-Length: a longer body (a max_reply_bytes raised far beyond
// the default) is read as it comes, in buffers that grow only as bytes
// arrive, so a header alone never costs its size in memory.
const maxSizedRead = 64 << 10

// newPost is http.NewRequestWithContext(ctx, "POST", u.String(), body)
// without the URL's print and parse: the request takes u itself, which
// net/http only reads. A host with an empty port ("app:"), which
// NewRequestWithContext rewrites, takes that path.
func newPost(ctx context.Context, u *url.URL, body []byte) (*http.Request, error) {
	if strings.HasSuffix(u.Host, ":") {
		return http.NewRequestWithContext(ctx, http.MethodPost, u.String(), bytes.NewReader(body))
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "", bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.URL, req.Host = u, u.Host
	return req, nil
}

// request sends one request (all its attempts) to target and, when parse is
// set, parses the reply. Its error is an *apphttp.RequestError, or the call's
// context's error when the call went away. Every request is reported to the
// observer and logged (Debug; Warn when it failed).
func (d *dialog) request(ctx context.Context, target string, m *message, fallback, parse bool) (*verb.Reply, error) {
	start := time.Now()
	info := &proxy.RequestInfo{URL: target, Event: m.Event, Fallback: fallback}
	rep, err := d.send(ctx, target, m, parse, info)
	info.Took = time.Since(start)
	info.Err = err
	d.obs.Request(d.call, info)
	d.logRequest(ctx, m, info)
	return rep, err
}

// send runs the attempts of one request, filling info as it goes.
func (d *dialog) send(ctx context.Context, target string, m *message, parse bool, info *proxy.RequestInfo) (*verb.Reply, error) {
	u, ustr, err := d.target(target)
	if err != nil {
		return nil, &apphttp.RequestError{Op: "webhook", URL: target, Code: apphttp.CodeConnect, Err: fmt.Errorf("parse url: %w", err)}
	}
	info.URL = ustr
	body, ctype, err := d.encode(m)
	if err != nil {
		return nil, &apphttp.RequestError{Op: "webhook", URL: info.URL, Code: apphttp.CodeConnect, Err: err}
	}
	info.Sent = string(body)
	var (
		rep  *verb.Reply
		fail error // the request's failure, once an attempt settled it
		last attemptResult
	)
	n, err := d.app.Retry.Do(ctx, d.app.attempts(), func(n int) apphttp.Attempt {
		info.Attempts = n
		last = d.attempt(ctx, u, body, ctype, m.Seq)
		a := last
		if ctx.Err() != nil {
			return apphttp.Attempt{Done: true}
		}
		if a.resp != nil {
			info.Status = a.resp.StatusCode
			info.Body = string(a.body)
			info.Reply = info.Body // one copy for both when it is short
			if len(a.body) > replyShown {
				info.Reply = apphttp.Shorten(a.body, replyShown)
			}
		}
		if a.err == nil && a.resp.StatusCode/100 == 2 {
			switch {
			case a.tooBig:
				fail = &apphttp.RequestError{Op: "webhook", URL: info.URL, Code: apphttp.CodeInvalidReply, Status: info.Status,
					Err: fmt.Errorf("reply over %d bytes", d.app.maxReplyBytes())}
			case parse:
				rep, fail = d.parse(a, info)
			}
			return apphttp.Attempt{Done: true}
		}
		if a.err != nil {
			// The error decides: a status that came before it does not.
			return apphttp.Attempt{Err: a.err}
		}
		return apphttp.Attempt{Resp: a.resp}
	})
	switch {
	case ctx.Err() != nil || err != nil:
		return nil, gone(ctx, m.Event)
	case fail != nil:
		return nil, fail
	case rep != nil || last.err == nil && last.resp.StatusCode/100 == 2:
		return rep, nil
	}
	return nil, failure(info.URL, last, n, d.app.timeout())
}

// target resolves a request's target against the app's URL, and prints
// it; the app's own URL (call.start, and verb.result without an action)
// was resolved once for all its calls.
func (d *dialog) target(target string) (*url.URL, string, error) {
	if target == d.app.URL && d.self != nil {
		return d.self, d.selfStr, nil
	}
	u, err := d.base.Parse(target)
	if err != nil {
		return nil, "", err
	}
	return u, u.String(), nil
}

// parse validates a 2xx reply completely and keeps the session it sets.
func (d *dialog) parse(a attemptResult, info *proxy.RequestInfo) (*verb.Reply, error) {
	rep, err := verb.ParseReply(a.body, verb.ParseOptions{
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
		if s, err = sessionJSON(rep.Session); err == nil {
			d.session = s
		}
	}
	if err != nil {
		return nil, &apphttp.RequestError{Op: "webhook", URL: info.URL, Code: apphttp.CodeInvalidReply, Status: info.Status, Err: err}
	}
	return rep, nil
}

// failure is the error of a request whose last attempt failed: an answer
// that is not 2xx is http_<status> (the webhook protocol's code for it),
// an error is classed by apphttp.Classify.
func failure(target string, a attemptResult, attempts int, timeout time.Duration) *apphttp.RequestError {
	e := &apphttp.RequestError{Op: "webhook", URL: target, Code: a.code}
	switch {
	case a.err != nil && a.code == apphttp.CodeTimeout:
		e.Err = fmt.Errorf("no reply within %s (%d attempt(s)): %w", timeout, attempts, a.err)
	case a.err != nil:
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
func (d *dialog) logRequest(ctx context.Context, m *message, info *proxy.RequestInfo) {
	level := logrus.DebugLevel
	if info.Err != nil && ctx.Err() == nil {
		level = logrus.WarnLevel
	}
	if !proxy.LogsAt(d.log, level) {
		return // spare a busy app's every step the fields' allocations
	}
	log := d.log.WithFields(logrus.Fields{
		"url": apphttp.LogURL(info.URL), "event": m.Event, "seq": m.Seq, "attempts": info.Attempts,
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

// gone is the error of a request abandoned because the call's
// context ended (the caller hung up): it wraps the context's error and its
// cause, so callers can tell it from an app failure.
func gone(ctx context.Context, event string) error {
	err, cause := ctx.Err(), context.Cause(ctx)
	if cause != nil && cause != err {
		return fmt.Errorf("webhook %s: %w (%w)", event, err, cause)
	}
	return fmt.Errorf("webhook %s: %w", event, err)
}
