package twiml

import (
	"context"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/callhook/callhook/apphttp"
	"github.com/callhook/callhook/proxy"
	"github.com/sirupsen/logrus"
)

// reply is a 2xx reply to a request.
type reply struct {
	body []byte // at most MaxReplyBytes
	// url is where it came from (without a GET's parameters; after HTTP
	// redirects, where they led): relative URLs in it resolve against it.
	url *url.URL
	// mime is its Content-Type's media type, lower case ("" if none).
	mime string
}

// request makes one request as Twilio does: a POST with the parameters
// form-encoded, or a GET with them added to the URL's query; signed with
// X-Twilio-Signature over the URL as sent and, for a POST, the
// parameters. It returns the 2xx reply. Its error is an
// *apphttp.RequestError, or the call's context's error when the call
// went away. Twilio does not retry a webhook, and neither does this.
func (d *dialog) request(ctx context.Context, target, method string, p map[string]string, event string, fallback bool) (*reply, error) {
	start := time.Now()
	info := &proxy.RequestInfo{URL: target, Event: event, Fallback: fallback, Attempts: 1}
	rep, err := d.send(ctx, target, method, p, info)
	info.Took, info.Err = time.Since(start), err
	d.obs.Request(d.call, info)
	level := logrus.DebugLevel
	if err != nil && ctx.Err() == nil {
		level = logrus.WarnLevel
	}
	if proxy.LogsAt(d.log, level) {
		log := d.log.WithFields(logrus.Fields{"url": apphttp.LogURL(info.URL), "event": event, "method": method, "status": info.Status,
			"took_ms": info.Took.Milliseconds()})
		if fallback {
			log = log.WithField("fallback", true)
		}
		switch {
		case err == nil:
			log.Debug("twiml request")
		case level == logrus.DebugLevel:
			log.WithError(err).Debug("twiml request abandoned: the call is gone")
		default:
			log.WithError(err).Warn("twiml request failed")
		}
	}
	return rep, err
}

func (d *dialog) send(ctx context.Context, target, method string, p map[string]string, info *proxy.RequestInfo) (*reply, error) {
	fail := func(code string, status int, err error) error {
		return &apphttp.RequestError{Op: "twiml", URL: info.URL, Code: code, Status: status, Err: err}
	}
	u, err := checkURL(target)
	if err != nil {
		return nil, fail(apphttp.CodeConnect, 0, err)
	}
	doc := *u // the document's URL, without the parameters a GET adds
	form := url.Values{}
	for k, v := range p {
		form.Set(k, v)
	}
	var (
		reqBody io.Reader
		signed  url.Values
	)
	if method == "GET" {
		q := u.Query()
		for k, v := range form {
			q[k] = v
		}
		u.RawQuery = q.Encode()
	} else {
		info.Sent = form.Encode()
		reqBody = strings.NewReader(info.Sent)
		signed = form
	}
	info.URL = u.String()
	actx, cancel := context.WithTimeout(ctx, d.app.timeout())
	defer cancel()
	req, err := http.NewRequestWithContext(actx, method, info.URL, reqBody)
	if err != nil {
		return nil, fail(apphttp.CodeConnect, 0, err)
	}
	if reqBody != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	req.Header.Set("Accept", "text/xml, application/xml")
	if d.call.UserAgent != "" {
		req.Header.Set("User-Agent", d.call.UserAgent)
	}
	req.Header.Set(apphttp.CallIDHeader, d.call.ID)
	req.Header.Set(SignatureHeader, Signature(d.app.AuthToken, info.URL, signed))
	resp, err := d.httpc.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("twiml %s: %w", info.Event, ctx.Err())
		}
		return nil, fail(apphttp.Classify(actx, 0, err), 0, err)
	}
	defer resp.Body.Close()
	info.Status = resp.StatusCode
	limit := int64(d.app.MaxReplyBytes)
	if limit <= 0 {
		limit = DefaultMaxBytes
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	info.Reply, info.Body = apphttp.Shorten(body, 200), string(body)
	switch {
	case err != nil && ctx.Err() != nil:
		return nil, fmt.Errorf("twiml %s: %w", info.Event, ctx.Err())
	case err != nil:
		return nil, fail(apphttp.Classify(actx, 0, err), resp.StatusCode, fmt.Errorf("read reply: %w", err))
	case resp.StatusCode/100 != 2:
		return nil, fail(fmt.Sprintf("http_%d", resp.StatusCode), resp.StatusCode, fmt.Errorf("status %s", resp.Status))
	case int64(len(body)) > limit:
		return nil, fail(apphttp.CodeInvalidReply, resp.StatusCode, fmt.Errorf("reply over %d bytes", limit))
	}
	rep := &reply{body: body, url: &doc}
	if resp.Request.URL.String() != info.URL {
		// An HTTP redirect: the document is where it led.
		rep.url = resp.Request.URL
	}
	if mt, _, err := mime.ParseMediaType(resp.Header.Get("Content-Type")); err == nil {
		rep.mime = mt
	}
	return rep, nil
}
