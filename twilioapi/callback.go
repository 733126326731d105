package twilioapi

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"

	"github.com/callhook/callhook/apphttp"
	"github.com/callhook/callhook/twiml"
	"github.com/sirupsen/logrus"
)

var defaultClient = sync.OnceValue(func() *http.Client { return apphttp.NewClient(nil) })

// callback sends one status callback as Twilio does: the parameters
// form-encoded in a POST, or in a GET's query, signed with
// X-Twilio-Signature (the app's auth token). One attempt: Twilio does not
// retry status callbacks; a failure is logged.
func (s *Server) callback(ctx context.Context, rec *record, p map[string]string) {
	form := url.Values{}
	for k, v := range p {
		form.Set(k, v)
	}
	target := rec.cbURL
	var body io.Reader
	signed := form
	method := http.MethodPost
	if rec.cbGET {
		method, signed = http.MethodGet, nil
		u, err := url.Parse(target)
		if err != nil {
			return // checked when the call was created
		}
		q := u.Query()
		for k, v := range form {
			q[k] = v
		}
		u.RawQuery = q.Encode()
		target = u.String()
	} else {
		body = strings.NewReader(form.Encode())
	}
	timeout := s.CallbackTimeout
	if timeout <= 0 {
		timeout = twiml.DefaultTimeout
	}
	actx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	log := s.logger().WithFields(logrus.Fields{"call_id": rec.id, "url": apphttp.LogURL(rec.cbURL), "call_status": p["CallStatus"]})
	req, err := http.NewRequestWithContext(actx, method, target, body)
	if err != nil {
		log.WithError(err).Warn("twilio api: status callback")
		return
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if s.UserAgent != "" {
		req.Header.Set("User-Agent", s.UserAgent)
	}
	req.Header.Set(apphttp.CallIDHeader, rec.id)
	req.Header.Set(twiml.SignatureHeader, twiml.Signature(rec.token, target, signed))
	client := s.Client
	if client == nil {
		client = defaultClient()
	}
	resp, err := client.Do(req)
	if err != nil {
		log.WithError(err).Warn("twilio api: status callback not delivered")
		return
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		log.WithField("status", resp.StatusCode).Warn("twilio api: status callback refused")
		return
	}
	log.Debug("twilio api: status callback delivered")
}
