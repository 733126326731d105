package twiml

// Recordings of TwiML apps: a Record's and a recorded Dial's recording is
// delivered by callhook (package recordings), and its
// recordingStatusCallback is told in Twilio's form through the delivery
// webhook and flow apps share (package recordings/delivery), so the same
// code carries every app's recording news.

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/callhook/callhook/apphttp"
	"github.com/callhook/callhook/proxy"
	"github.com/callhook/callhook/recordings/delivery"
	"github.com/sirupsen/logrus"
)

// ErrRecordingFailed is the ErrorCode a recordingStatusCallback gets with
// RecordingStatus failed: Twilio's "Internal Failure"
// (https://www.twilio.com/docs/api/errors/12400); the recording could not
// be had (the switch did not upload it, the file cannot be read), and
// ErrorMessage says why.
const ErrRecordingFailed = "12400"

var _ proxy.RecordingReporter = (*dialog)(nil)

// RecordingDone implements proxy.RecordingReporter: the session reports
// each recording once it is whole (or failed), before the verb's result
// goes to its action. A recording whose verb has a
// recordingStatusCallback is told there (the verb's delivery carries the
// URL as recording_status_url). Like every request of a TwiML app's, it is
// made once: Twilio does not retry a webhook.
func (d *dialog) RecordingDone(ctx context.Context, r *proxy.RecordingReport) {
	s := &delivery.Sender{Client: d.httpc, Attempts: 1, Call: d.call, Log: d.log}
	s.Deliver(ctx, r, func(ctx context.Context, target string, st *delivery.Status) {
		d.recordingStatus(ctx, s, target, st)
	})
}

// stepOfRecording finds the step whose verb made the recording named name.
func (d *dialog) stepOfRecording(name string) (Step, bool) {
	for _, s := range d.steps {
		if s.Recording != "" && s.Recording == name {
			return s, true
		}
	}
	return Step{}, false
}

// recordingStatus sends a recordingStatusCallback as Twilio does
// (https://www.twilio.com/docs/voice/twiml/record#recordingstatuscallback):
// AccountSid, CallSid, RecordingSid, RecordingUrl, RecordingStatus
// (completed, or failed with ErrorCode and ErrorMessage),
// RecordingDuration, RecordingChannels and RecordingSource, form-encoded
// (or in a GET's query), signed with X-Twilio-Signature. An empty Record,
// which Twilio discards, is told nothing. Its answer is nobody's
// business; a failure is logged.
func (d *dialog) recordingStatus(ctx context.Context, s *delivery.Sender, target string, st *delivery.Status) {
	step, ok := d.stepOfRecording(st.Name)
	if !ok || step.RecordingStatusCallback == "" {
		return
	}
	if st.Status == delivery.Ready && st.DurationMS == 0 && step.TwiML == "Record" {
		return
	}
	p := map[string]string{
		"AccountSid": d.app.AccountSID, "CallSid": d.callSID, "RecordingSid": recordingSID(st.Recording),
		"RecordingStatus": "completed", "RecordingDuration": recordingDuration(st.Recording),
		"RecordingChannels": strconv.Itoa(step.RecordingChannels), "RecordingSource": step.RecordingSource,
	}
	if st.Status == delivery.Failed {
		p["RecordingStatus"], p["ErrorCode"], p["ErrorMessage"] = "failed", ErrRecordingFailed, st.Error
	} else {
		p["RecordingUrl"] = recordingURL(st.Recording)
	}
	req, info, err := d.statusRequest(target, step.RecordingStatusMethod, p)
	start := time.Now()
	if err == nil {
		info.Status, info.Attempts, err = s.Send(ctx, req, 0, d.app.timeout())
	}
	info.Took, info.Err = time.Since(start), err
	d.obs.Request(d.call, info)
	log := d.log.WithFields(logrus.Fields{"url": apphttp.LogURL(info.URL), "event": info.Event, "status": info.Status,
		"took_ms": info.Took.Milliseconds()})
	if err != nil {
		log.WithError(err).Warn("twiml recordingStatusCallback failed")
		return
	}
	log.Debug("twiml request")
}

// statusRequest is a recordingStatusCallback's request: the parameters
// form-encoded for a POST, in the query for a GET, signed as every
// request of the app's is (client.go's request).
func (d *dialog) statusRequest(target, method string, p map[string]string) (delivery.Request, *proxy.RequestInfo, error) {
	info := &proxy.RequestInfo{URL: target, Event: "recording"}
	u, err := checkURL(target)
	if err != nil {
		return delivery.Request{}, info, err
	}
	form := url.Values{}
	for k, v := range p {
		form.Set(k, v)
	}
	r := delivery.Request{Method: method}
	var signed url.Values
	if method == "GET" {
		q := u.Query()
		for k, v := range form {
			q[k] = v
		}
		u.RawQuery = q.Encode()
	} else {
		r.Method, r.ContentType = "POST", "application/x-www-form-urlencoded"
		info.Sent = form.Encode()
		r.Body, signed = []byte(info.Sent), form
	}
	r.URL, info.URL = u.String(), u.String()
	sig := Signature(d.app.AuthToken, r.URL, signed)
	r.Sign = func(h http.Header) { h.Set(SignatureHeader, sig) }
	return r, info, nil
}

// noRecordingURL is a recording verb's result that has no URL: callhook
// delivers no recordings, although the plan said it did (App.Recordings
// and the proxy's delivery disagree). The fallback hears why.
func (d *dialog) noRecordingURL(ctx context.Context, s Step) (*proxy.Instructions, error) {
	err := fmt.Errorf("twiml: line %d: <%s>: %w", s.Verb.Line, s.TwiML, errNoRecordingURL)
	if d.fallbackDoc {
		return nil, fmt.Errorf("the fallback's document: %w", err)
	}
	return d.failed(ctx, err, ErrSchema, s.Action, nil)
}

var errNoRecordingURL = errors.New("the recording has no RecordingUrl: callhook delivers no recordings (add a recordings: section to its config)")
