package webhook

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/callhook/callhook/apphttp"
	"github.com/callhook/callhook/proxy"
	"github.com/callhook/callhook/verb"
	"github.com/sirupsen/logrus"
)

// EventRecordingStatus is the event of a recording_status_url request:
// a recording is ready, or failed. Sent once per recording.
const EventRecordingStatus = "recording.status"

// Recording statuses.
const (
	RecordingReady  = "ready"
	RecordingFailed = "failed"
)

// UploadTimeout bounds each attempt of an upload to an app's storage: a
// recording is bigger than a webhook request.
const UploadTimeout = 2 * time.Minute

// recordingInfo is the recording field of recording.status and call.end.
type recordingInfo struct {
	*verb.Recording
	Verb   string `json:"verb,omitempty"`
	Status string `json:"status,omitempty"` // ready or failed (recording.status)
	Error  string `json:"error,omitempty"`  // why it failed
}

// RecordingDone implements proxy.RecordingReporter: the upload the verb
// asked for (its outcome in r.Recording.Upload), then recording.status to
// its recording_status_url, once, retried as every status request is,
// with the same X-Callhook-Seq on every attempt.
func (d *dialog) RecordingDone(ctx context.Context, r *proxy.RecordingReport) {
	rec := r.Recording
	if u := r.Delivery.Upload; u != nil {
		rec.Upload = &verb.Uploaded{URL: u.URL, Method: u.Method}
		if r.Failure != "" || r.Open == nil {
			rec.Upload.Error = "not uploaded: the recording failed"
		} else {
			d.upload(ctx, u, rec, r.Open)
		}
	}
	if r.Delivery.StatusURL == "" {
		return
	}
	m := d.message(EventRecordingStatus)
	info := &recordingInfo{Recording: rec, Verb: r.Verb, Status: RecordingReady}
	if r.Failure != "" {
		info.Status, info.Error = RecordingFailed, r.Failure
	}
	m.Recording = info
	// request logs the failure; nobody could act on it.
	_, _ = d.request(ctx, r.Delivery.StatusURL, m, false, false)
}

// upload sends the recording to the app's storage: PUT with the file as
// the body, or POST with a multipart form whose field "file" holds it,
// retried as the app's requests are (connection errors, 5xx, 429), each
// attempt signed afresh when the app has a secret (over the recording's
// bytes) and carrying the same X-Callhook-Seq.
func (d *dialog) upload(ctx context.Context, u *verb.Upload, rec *verb.Recording, open func() (io.ReadCloser, int64, error)) {
	d.seq++
	seq := d.seq
	sig, err := d.fileSignature(open)
	if err != nil {
		rec.Upload.Error = "cannot read the recording: " + err.Error()
		return
	}
	start := time.Now()
	var status int
	var last error
	n, _ := d.app.Retry.Do(ctx, d.app.attempts(), func(int) apphttp.Attempt {
		resp, err := d.uploadAttempt(ctx, u, rec, open, seq, sig)
		status, last = 0, err
		if resp != nil {
			status = resp.StatusCode
			if status/100 == 2 {
				return apphttp.Attempt{Done: true}
			}
			last = fmt.Errorf("status %s", resp.Status)
			if err == nil {
				return apphttp.Attempt{Resp: resp}
			}
		}
		return apphttp.Attempt{Err: err}
	})
	rec.Upload.Status = status
	log := d.log.WithFields(logrus.Fields{"url": logURL(u.URL), "method": u.Method, "attempts": n, "status": status,
		"took_ms": time.Since(start).Milliseconds()})
	if last != nil {
		rec.Upload.Error = fmt.Sprintf("%v (%d attempt(s))", last, n)
		var ue *url.Error
		if errors.As(last, &ue) {
			last = &url.Error{Op: ue.Op, URL: logURL(ue.URL), Err: ue.Err}
		}
		log.WithError(last).Warn("recording upload failed")
		return
	}
	log.Debug("recording uploaded")
}

// logURL is an upload URL as the log shows it: without its user info,
// query or fragment, where storage puts credentials (a presigned URL's
// signature). The app's result keeps the whole URL: it is the app's own.
func logURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "(an unparsable URL)"
	}
	u.User, u.RawQuery, u.Fragment, u.ForceQuery = nil, "", "", false
	return u.String()
}

// uploadAttempt makes one attempt; its answer's body is read and closed.
func (d *dialog) uploadAttempt(ctx context.Context, u *verb.Upload, rec *verb.Recording,
	open func() (io.ReadCloser, int64, error), seq int, sig func() string) (*http.Response, error) {
	f, size, err := open()
	if err != nil {
		return nil, err
	}
	defer f.Close()
	actx, cancel := context.WithTimeout(ctx, UploadTimeout)
	defer cancel()
	var body io.Reader = f
	ctype := verb.RecordingMediaType(rec.Format)
	length := size
	if u.Method == verb.UploadPOST {
		pr, pw := io.Pipe()
		mw := multipart.NewWriter(pw)
		ctype, length = mw.FormDataContentType(), -1
		go func() {
			part, err := mw.CreateFormFile("file", rec.Name)
			if err == nil {
				_, err = io.Copy(part, f)
			}
			if err == nil {
				err = mw.Close()
			}
			pw.CloseWithError(err)
		}()
		body = pr
		defer pr.Close()
	}
	req, err := http.NewRequestWithContext(actx, u.Method, u.URL, body)
	if err != nil {
		return nil, err
	}
	req.ContentLength = length
	req.Header.Set("Content-Type", ctype)
	req.Header.Set("User-Agent", d.call.UserAgent)
	req.Header.Set(apphttp.CallIDHeader, d.call.ID)
	req.Header.Set("X-Callhook-Seq", strconv.Itoa(seq))
	if s := sig(); s != "" {
		req.Header.Set("X-Callhook-Signature", s)
	}
	resp, err := d.httpc.Do(req)
	if err != nil {
		return nil, err
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, drainBytes))
	resp.Body.Close()
	return resp, nil
}

// fileSignature returns a function that makes each attempt's
// X-Callhook-Signature over the recording's bytes (t=<unix
// seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<bytes>")>), the file hashed
// once per attempt's t; "" without a secret.
func (d *dialog) fileSignature(open func() (io.ReadCloser, int64, error)) (func() string, error) {
	if d.app.Secret == "" {
		return func() string { return "" }, nil
	}
	// Read the file once to check it can be, the MAC is made per attempt.
	f, _, err := open()
	if err != nil {
		return nil, err
	}
	f.Close()
	return func() string {
		t := strconv.FormatInt(d.app.clock().Unix(), 10)
		mac := hmac.New(sha256.New, []byte(d.app.Secret))
		mac.Write([]byte(t + "."))
		if f, _, err := open(); err == nil {
			_, _ = io.Copy(mac, f)
			f.Close()
		}
		return "t=" + t + ",v1=" + hex.EncodeToString(mac.Sum(nil))
	}, nil
}
