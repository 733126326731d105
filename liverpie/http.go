package liverpie

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/callhook/callhook/apphttp"
	"github.com/callhook/callhook/proxy"
	"github.com/sirupsen/logrus"
)

// response is what one request to a Liverpie app got.
type response struct {
	url    string
	status int
	body   []byte
}

// do sends one request to the app: a single attempt (a state machine moves
// on with each request, so a retry could skip a state), bounded by the
// app's Timeout, with the call's cookies except on reset. A body is sent
// as a form, as Ruby's Net::HTTP#post did for Liverpie. The error, when
// the app did not answer or its reply could not be read, is an
// *apphttp.RequestError, as every app request's, unless the call went away during
// the request; an HTTP status is for the caller to judge. Every request is
// reported to the observer and logged at Debug.
func (d *dialog) do(ctx context.Context, event, method, uri, body string) (*response, error) {
	resp := &response{url: d.base + requestPath(uri)}
	start := time.Now()
	err := d.send(ctx, event, method, body, resp)
	d.obs.Request(d.call, &proxy.RequestInfo{
		URL: resp.url, Event: event, Attempts: 1, Status: resp.status,
		Took: time.Since(start), Err: err, Reply: apphttp.Shorten(resp.body, replyShown), Body: string(resp.body),
		Sent: body,
	})
	d.log.WithFields(logrus.Fields{
		"event": event, "url": apphttp.LogURL(resp.url), "status": resp.status, "took_ms": time.Since(start).Milliseconds(),
	}).Debug("liverpie request")
	return resp, err
}

// send runs the request of do, filling resp.
func (d *dialog) send(ctx context.Context, event, method, body string, resp *response) error {
	ctx, cancel := context.WithTimeout(ctx, d.app.timeout())
	defer cancel()
	var rd io.Reader
	if method == http.MethodPost {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, resp.url, rd)
	if err != nil {
		return d.failed(ctx, event, resp, err)
	}
	req.Header.Set("User-Agent", d.call.UserAgent)
	req.Header.Set("Accept", "*/*")
	// The mark of an app's request, which the admin API refuses.
	req.Header.Set(apphttp.CallIDHeader, d.call.ID)
	if method == http.MethodPost {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if event != eventReset {
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
		return d.failed(ctx, event, resp, fmt.Errorf("reply over %d bytes", max))
	}
	return nil
}

// failed is the error of a request that failed with err, ctx being the
// request's (under the call's): a *apphttp.RequestError classed by
// apphttp.Classify, or, when the call went away, a plain error (no failure
// of the app). A timeout says how long the app had.
func (d *dialog) failed(ctx context.Context, event string, resp *response, err error) error {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		err = fmt.Errorf("no answer within %s", d.app.timeout())
	}
	code := apphttp.Classify(ctx, resp.status, err)
	if code == "" {
		return fmt.Errorf("liverpie %s %s: %w", event, resp.url, err)
	}
	return &apphttp.RequestError{Op: "liverpie " + event, URL: resp.url, Code: code, Status: resp.status, Err: err}
}

// requestPath makes a configured URI a request path: Liverpie's URIs are
// paths on the app's host, and one without its leading slash still means
// one.
func requestPath(uri string) string {
	if strings.HasPrefix(uri, "/") {
		return uri
	}
	return "/" + uri
}

// replyShown is how much of a reply RequestInfo.Reply shows.
const replyShown = 512

// Bounds of a call's cookie jar: what browsers guarantee at least (RFC
// 6265 §6.1), so a sane app fits and a runaway one cannot grow a call's
// memory.
const (
	maxCookies     = 50
	maxCookieBytes = 4096
)

// jar holds one call's cookies and sends them back as a browser
// would: name=value pairs, in the order first set, to every URI of the app
// (Liverpie sent its one cookie to all of them, whatever its path).
// Liverpie sent the raw Set-Cookie line back, attributes and all; frameworks
// read its first pair the same way, so apps see the same session.
type jar struct {
	names  []string
	values map[string]string
}

// update applies the cookies of one response. A response that sets none
// keeps the old ones; a cookie that expires (Max-Age<0 or an Expires in the
// past) is removed, as a browser removes it.
func (j *jar) update(cookies []*http.Cookie, now time.Time) {
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
		if len(c.Name)+len(v) > maxCookieBytes {
			continue
		}
		if j.values == nil {
			j.values = make(map[string]string)
		}
		if _, ok := j.values[c.Name]; !ok {
			if len(j.names) >= maxCookies {
				continue
			}
			j.names = append(j.names, c.Name)
		}
		j.values[c.Name] = v
	}
}

func (j *jar) remove(name string) {
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
func (j *jar) header() string {
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
