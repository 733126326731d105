package webhook

import (
	"context"

	"github.com/callhook/callhook/proxy"
	"github.com/callhook/callhook/recordings/delivery"
)

// EventRecordingStatus is the event of a recording_status_url request:
// a recording is ready, or failed. Sent once per recording.
const EventRecordingStatus = delivery.EventRecordingStatus

// Recording statuses.
const (
	RecordingReady  = delivery.Ready
	RecordingFailed = delivery.Failed
)

// UploadTimeout bounds each attempt of an upload to an app's storage.
const UploadTimeout = delivery.UploadTimeout

// RecordingDone implements proxy.RecordingReporter with the delivery flows
// share (package delivery): the upload the verb asked for (its outcome in
// r.Recording.Upload), then recording.status to its recording_status_url,
// once, a webhook message retried as every status request is, with the
// same X-Callhook-Seq on every attempt.
func (d *dialog) RecordingDone(ctx context.Context, r *proxy.RecordingReport) {
	s := &delivery.Sender{Client: d.httpc, Retry: d.app.Retry, Attempts: d.app.attempts(), Secret: d.app.Secret,
		Now: d.app.clock, Call: d.call, Log: d.log, NextSeq: func() int { d.seq++; return d.seq }}
	s.Deliver(ctx, r, func(ctx context.Context, url string, st *delivery.Status) {
		m := d.message(EventRecordingStatus)
		m.Recording = st
		// request logs the failure; nobody could act on it.
		_, _ = d.request(ctx, url, m, false, false)
	})
}
