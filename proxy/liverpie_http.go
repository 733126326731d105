package proxy

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/sirupsen/logrus"
)

// liverpieResponse is what one request to a Liverpie app got.
type liverpieResponse struct {
	url    string
	status int
	body   []byte
	code   string // a failure's class, as BackendError.Code; "" when the call went away
}

// do sends one request to the app: a single attempt (a state machine moves
// on with each request, so a retry could skip a state), bounded by the
// app's Timeout, with the call's cookies except on reset. A body is sent
// as a form, as Ruby's Net::HTTP#post did for Liverpie. The error, when
// the app did not answer or its reply could not be read, says which
// request failed and why; an HTTP status is for the caller to judge. Every
// request is reported to the observer and logged at Debug; the observer's
// RequestInfo.Err is a *BackendError, as a webhook's, unless the call went
// away during the request.
func (d *liverpieDialog) do(ctx context.Context, event, method, uri, body string) (*liverpieResponse, error) {
	resp := &liverpieResponse{url: d.base + liverpiePath(uri)}
	start := time.Now()
	err := d.send(ctx, event, method, body, resp)
	info := &RequestInfo{
		URL: resp.url, Event: event, Attempts: 1, Status: resp.status,
		Took: time.Since(start), Err: err, Reply: liverpieShorten(resp.body), Body: string(resp.body),
	}
	if err != nil && resp.code != "" {
		info.Err = &liverpieFailure{&BackendError{URL: resp.url, Code: resp.code, Status: resp.status, Err: err}}
	}
	d.obs.Request(d.call, info)
	d.log.WithFields(logrus.Fields{
		"event": event, "url": resp.url, "status": resp.status, "took_ms": info.Took.Milliseconds(),
	}).Debug("liverpie request")
	return resp, err
}

// send runs the request of do, filling resp.
func (d *liverpieDialog) send(ctx context.Context, event, method, body string, resp *liverpieResponse) error {
	ctx, cancel := context.WithTimeout(ctx, d.app.timeout())
	defer cancel()
	var rd io.Reader
	if method == http.MethodPost {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, resp.url, rd)
	if err != nil {
		resp.code = CodeConnect
		return fmt.Errorf("liverpie %s %s: %w", event, resp.url, err)
	}
	req.Header.Set("User-Agent", "callhook/"+Version)
	req.Header.Set("Accept", "*/*")
	// The mark of an app's request, which the admin API refuses.
	req.Header.Set(CallIDHeader, d.call.ID)
	if method == http.MethodPost {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if event != liverpieReset {
		if c := d.cookies.header(); c != "" {
			req.Header.Set("Cookie", c)
		}
	}
	r, err := d.client.Do(req)
	if err != nil {
		return d.failed(ctx, event, resp, err)
	}
	defer r.Body.Close()
	resp.status = r.StatusCode
	d.cookies.update(r.Cookies(), time.Now())
	max := d.app.maxReply()
	resp.body, err = io.ReadAll(io.LimitReader(r.Body, int64(max)+1))
	if err != nil {
		return d.failed(ctx, event, resp, fmt.Errorf("read reply: %w", err))
	}
	if len(resp.body) > max {
		resp.body = resp.body[:max]
		resp.code = liverpieReplyCode(resp.status)
		return fmt.Errorf("liverpie %s %s: reply over %d bytes", event, resp.url, max)
	}
	return nil
}

// failed words a request error (a timeout says how long the app had) and
// classes it in resp.code: none when the call went away (ctx is the
// request's, under the call's), timeout, connect when no status came, else
// the reply's class.
func (d *liverpieDialog) failed(ctx context.Context, event string, resp *liverpieResponse, err error) error {
	var ne net.Error
	switch {
	case errors.Is(ctx.Err(), context.Canceled) || errors.Is(err, context.Canceled):
		resp.code = ""
	case resp.status >= 400:
		resp.code = liverpieReplyCode(resp.status)
	case errors.Is(ctx.Err(), context.DeadlineExceeded) || errors.As(err, &ne) && ne.Timeout():
		resp.code = CodeTimeout
	case resp.status == 0:
		resp.code = CodeConnect
	default:
		resp.code = CodeInvalidReply
	}
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return fmt.Errorf("liverpie %s %s: no answer within %s", event, resp.url, d.app.timeout())
	}
	return fmt.Errorf("liverpie %s %s: %w", event, resp.url, err)
}

// liverpieReplyCode classes a reply that came but could not be used: an
// error status is its class, as a webhook's http_<status>, whatever went
// wrong after it.
func liverpieReplyCode(status int) string {
	if status >= 400 {
		return fmt.Sprintf("http_%d", status)
	}
	return CodeInvalidReply
}

// liverpieFailure is RequestInfo.Err of a failed request: the request's own
// error text (a BackendError's speaks of a webhook), unwrapping to the
// *BackendError that classes it, as observers read a webhook's.
type liverpieFailure struct{ be *BackendError }

func (e *liverpieFailure) Error() string { return e.be.Err.Error() }
func (e *liverpieFailure) Unwrap() error { return e.be }

// liverpiePath makes a configured URI a request path: Liverpie's URIs are
// paths on the app's host, and one without its leading slash still means
// one.
func liverpiePath(uri string) string {
	if strings.HasPrefix(uri, "/") {
		return uri
	}
	return "/" + uri
}

// liverpieReplyShown is how much of a reply RequestInfo.Reply shows.
const liverpieReplyShown = 512

// liverpieShorten cuts a reply for display, on a rune boundary.
func liverpieShorten(b []byte) string {
	if len(b) <= liverpieReplyShown {
		return string(b)
	}
	cut := liverpieReplyShown
	for cut > 0 && !utf8.RuneStart(b[cut]) {
		cut--
	}
	return string(b[:cut]) + "…"
}

// Bounds of a call's cookie jar: what browsers guarantee at least (RFC
// 6265 §6.1), so a sane app fits and a runaway one cannot grow a call's
// memory.
const (
	maxLiverpieCookies     = 50
	maxLiverpieCookieBytes = 4096
)

// liverpieJar holds one call's cookies and sends them back as a browser
// would: name=value pairs, in the order first set, to every URI of the app
// (Liverpie sent its one cookie to all of them, whatever its path).
// Liverpie sent the raw Set-Cookie line back, attributes and all; frameworks
// read its first pair the same way, so apps see the same session.
type liverpieJar struct {
	names  []string
	values map[string]string
}

// update applies the cookies of one response. A response that sets none
// keeps the old ones; a cookie that expires (Max-Age<0 or an Expires in the
// past) is removed, as a browser removes it.
func (j *liverpieJar) update(cookies []*http.Cookie, now time.Time) {
	for _, c := range cookies {
		if c.Name == "" {
			continue
		}
		if c.MaxAge < 0 || (!c.Expires.IsZero() && c.Expires.Before(now)) {
			j.remove(c.Name)
			continue
		}
		v := c.Value
		if c.Quoted {
			v = `"` + v + `"`
		}
		if len(c.Name)+len(v) > maxLiverpieCookieBytes {
			continue
		}
		if j.values == nil {
			j.values = make(map[string]string)
		}
		if _, ok := j.values[c.Name]; !ok {
			if len(j.names) >= maxLiverpieCookies {
				continue
			}
			j.names = append(j.names, c.Name)
		}
		j.values[c.Name] = v
	}
}

func (j *liverpieJar) remove(name string) {
	if _, ok := j.values[name]; !ok {
		return
	}
	delete(j.values, name)
	for i, n := range j.names {
		if n == name {
			j.names = append(j.names[:i], j.names[i+1:]...)
			break
		}
	}
}

// header returns the Cookie header value, "" when there is no cookie.
func (j *liverpieJar) header() string {
	var b strings.Builder
	for i, n := range j.names {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(n)
		b.WriteByte('=')
		b.WriteString(j.values[n])
	}
	return b.String()
}
