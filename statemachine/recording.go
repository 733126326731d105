package statemachine

import (
	"context"
	"encoding/json"
	"time"

	"github.com/callhook/callhook/apphttp"
	"github.com/callhook/callhook/proxy"
	"github.com/callhook/callhook/recordings/delivery"
)

// deliveryAttempts is how many attempts a recording's upload and its
// recording.status get: a fetch's default (one retry), as a flow has no
// app-wide retries.
const deliveryAttempts = 1 + defaultFetchRetries

// statusTimeout bounds each attempt of a recording.status request, as a
// fetch's default timeout bounds a fetch's.
const statusTimeout = defaultFetchTimeout

var _ proxy.RecordingReporter = (*dialog)(nil)

// RecordingDone implements proxy.RecordingReporter with the delivery
// webhook apps get (package delivery): the upload the verb asked for, then
// recording.status to its recording_status_url, once, a POST with the
// fetch body's fields (event recording.status, and recording with its
// status), every attempt with the same X-Callhook-Seq and signed with the
// backend's Secret. The recording is then the flow's last
// ({{recording.FIELD}}), even when its verb was not its state's last.
func (d *dialog) RecordingDone(ctx context.Context, r *proxy.RecordingReport) {
	s := &delivery.Sender{Client: d.b.HTTPClient, Retry: d.b.Retry, Attempts: deliveryAttempts, Secret: d.b.Secret,
		Now: d.now, Call: d.call, Log: d.log(), NextSeq: d.nextSeq}
	s.Deliver(ctx, r, func(ctx context.Context, url string, st *delivery.Status) {
		d.sendStatus(ctx, s, url, st)
	})
	d.mem.Recording = r.Recording
}

// nextSeq counts a request of the call's (fetches, uploads, statuses).
func (d *dialog) nextSeq() int {
	d.seq++
	return d.seq
}

// sendStatus posts a recording.status and tells the observer; its
// failure is logged, nobody could act on it.
func (d *dialog) sendStatus(ctx context.Context, s *delivery.Sender, url string, st *delivery.Status) {
	fb := d.body(d.state, delivery.EventRecordingStatus)
	fb.Recording = st
	body, err := json.Marshal(fb)
	if err != nil {
		d.log().WithError(err).Warn("encode recording.status")
		return
	}
	start := time.Now()
	status, attempts, err := s.Post(ctx, url, body, d.nextSeq(), statusTimeout)
	if obs := d.call.Observer; obs != nil {
		info := &proxy.RequestInfo{URL: url, Event: delivery.EventRecordingStatus, Attempts: attempts, Status: status,
			Took: time.Since(start), Sent: string(body)}
		if err != nil {
			info.Err = err
			// Classified as a fetch's failure is; "" is a call that went
			// away, no failure of the app's.
			if code := apphttp.Classify(ctx, status, err); code != "" {
				info.Err = &apphttp.RequestError{Op: delivery.EventRecordingStatus, URL: url, Code: code, Status: status, Err: err}
			}
		}
		obs.Request(d.call, info)
	}
	if err != nil {
		d.log().WithError(err).WithField("url", url).Warn("recording.status failed")
	}
}
