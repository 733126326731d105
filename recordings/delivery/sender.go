package delivery

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/callhook/callhook/apphttp"
	"github.com/callhook/callhook/internal/nolog"
	"github.com/callhook/callhook/proxy"
	"github.com/callhook/callhook/verb"
	"github.com/sirupsen/logrus"
)

// EventRecordingStatus is the event of a recording_status_url request:
// a recording is ready, or failed. Sent once per recording.
const EventRecordingStatus = "recording.status"

// Recording statuses.
const (
	Ready  = "ready"
	Failed = "failed"
)

// UploadTimeout bounds each attempt of an upload to an app's storage: a
// recording is bigger than an app's request.
const UploadTimeout = 2 * time.Minute

// drainBytes is how much of an answer is read (and dropped) so that its
// connection can be reused.
const drainBytes = 64 << 10

// Status is the recording field of recording.status (and of a webhook
// app's call.end when a whole-call recording ended with the call).
type Status struct {
	*verb.Recording
	Verb   string `json:"verb,omitempty"`
	Status string `json:"status,omitempty"` // Ready or Failed (recording.status)
	Error  string `json:"error,omitempty"`  // why it failed
}

// Sender delivers one call's recordings for its app. Its fields are the
// app's: a zero Sender sends unsigned, once, with http.DefaultClient.
type Sender struct {
	// Client makes the requests; it must not retry by itself (Retry
	// does). nil: http.DefaultClient.
	Client *http.Client
	// Retry is the policy between attempts, Attempts how many each
	// request may have (0: 1).
	Retry    apphttp.Retry
	Attempts int
	// Secret signs each attempt ("": nothing is signed).
	Secret string
	// Now is the clock of signatures (nil: time.Now).
	Now func() time.Time
	// Call is the call whose recording this is (its id and User-Agent
	// go in every request).
	Call *proxy.Call
	// Log is the call's logger (nil: none).
	Log logrus.FieldLogger
	// NextSeq counts a request of the call's and returns its
	// X-Callhook-Seq: an upload is one of the app's requests.
	NextSeq func() int
}

// Deliver carries out r: the upload the verb asked for (its outcome in
// r.Recording.Upload), then, with a recording_status_url, one
// recording.status request, which status sends in the app's own envelope
// (status is not called without a URL). Its answer is nobody's business:
// status logs a failure, nobody could act on it.
func (s *Sender) Deliver(ctx context.Context, r *proxy.RecordingReport, status func(ctx context.Context, url string, st *Status)) {
	rec := r.Recording
	if u := r.Delivery.Upload; u != nil {
		rec.Upload = &verb.Uploaded{URL: u.URL, Method: u.Method}
		if r.Failure != "" || r.Open == nil {
			rec.Upload.Error = "not uploaded: the recording failed"
		} else {
			s.Upload(ctx, u, rec, r.Open)
		}
	}
	if r.Delivery.StatusURL == "" {
		return
	}
	st := &Status{Recording: rec, Verb: r.Verb, Status: Ready}
	if r.Failure != "" {
		st.Status, st.Error = Failed, r.Failure
	}
	status(ctx, r.Delivery.StatusURL, st)
}

// Upload sends the recording to the app's storage: PUT with the file as
// the body, or POST with a multipart form whose field "file" holds it,
// retried (connection errors, 5xx, 429), each attempt signed afresh when
// the app has a secret (over the recording's bytes) and carrying the same
// X-Callhook-Seq. Its outcome goes into rec.Upload, which must be set.
func (s *Sender) Upload(ctx context.Context, u *verb.Upload, rec *verb.Recording, open func() (io.ReadCloser, int64, error)) {
	seq := s.nextSeq()
	sig, err := s.fileSignature(open)
	if err != nil {
		rec.Upload.Error = "cannot read the recording: " + err.Error()
		return
	}
	start := time.Now()
	var status int
	var last error
	n, _ := s.Retry.Do(ctx, s.attempts(), func(int) apphttp.Attempt {
		resp, err := s.uploadAttempt(ctx, u, rec, open, seq, sig)
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
	log := s.log().WithFields(logrus.Fields{"url": logURL(u.URL), "method": u.Method, "attempts": n, "status": status,
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

// Post sends body (JSON) to url as one request of the call's, seq: its
// attempts under timeout each, retried as Upload's are, each signed
// afresh. It returns the last answer's status, the attempts made and why
// the request failed (nil on a 2xx). The answer's body is dropped.
func (s *Sender) Post(ctx context.Context, url string, body []byte, seq int, timeout time.Duration) (status, attempts int, err error) {
	return s.Send(ctx, Request{Method: http.MethodPost, URL: url, ContentType: "application/json", Body: body}, seq, timeout)
}

// Request is a status request in an app's own envelope: a webhook or
// flow app's is a signed JSON POST (Post), a TwiML app's is Twilio's form
// (a POST form or a GET query) signed with X-Twilio-Signature. Sign, when
// set, signs each attempt in place of X-Callhook-Signature.
type Request struct {
	Method      string // GET or POST
	URL         string // as sent: a GET's parameters in its query
	ContentType string // "": no body
	Body        []byte
	// Sign sets the attempt's signature header (nil: X-Callhook-Signature
	// over Body with the Sender's Secret, when it has one).
	Sign func(h http.Header)
}

// Send makes r as one request of the call's, seq (0: none sent), with
// Post's retries, headers and outcome.
func (s *Sender) Send(ctx context.Context, r Request, seq int, timeout time.Duration) (status, attempts int, err error) {
	attempts, _ = s.Retry.Do(ctx, s.attempts(), func(int) apphttp.Attempt {
		var resp *http.Response
		resp, err = s.sendAttempt(ctx, r, seq, timeout)
		status = 0
		if resp == nil {
			return apphttp.Attempt{Err: err}
		}
		status = resp.StatusCode
		if status/100 == 2 {
			return apphttp.Attempt{Done: true}
		}
		err = fmt.Errorf("status %s", resp.Status)
		return apphttp.Attempt{Resp: resp}
	})
	return status, attempts, err
}

// sendAttempt makes one attempt of Send.
func (s *Sender) sendAttempt(ctx context.Context, r Request, seq int, timeout time.Duration) (*http.Response, error) {
	actx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var body io.Reader
	if r.ContentType != "" {
		body = bytes.NewReader(r.Body)
	}
	req, err := http.NewRequestWithContext(actx, r.Method, r.URL, body)
	if err != nil {
		return nil, err
	}
	if r.ContentType != "" {
		req.Header.Set("Content-Type", r.ContentType)
	}
	s.setHeaders(req.Header, seq)
	switch {
	case r.Sign != nil:
		r.Sign(req.Header)
	case s.Secret != "":
		req.Header.Set("X-Callhook-Signature", apphttp.Signature(s.Secret, s.now().Unix(), r.Body))
	}
	return s.do(req)
}

// uploadAttempt makes one attempt of an upload.
func (s *Sender) uploadAttempt(ctx context.Context, u *verb.Upload, rec *verb.Recording,
	open func() (io.ReadCloser, int64, error), seq int, sig func() string) (*http.Response, error) {
	f, size, err := open()
	if err != nil {
		return nil, err
	}
	defer f.Close()
	actx, cancel := context.WithTimeout(ctx, UploadTimeout)
	defer cancel()
	body, ctype, length, done := uploadBody(u.Method, f, size, rec)
	defer done()
	req, err := http.NewRequestWithContext(actx, u.Method, u.URL, body)
	if err != nil {
		return nil, err
	}
	req.ContentLength = length
	req.Header.Set("Content-Type", ctype)
	s.setHeaders(req.Header, seq)
	if sg := sig(); sg != "" {
		req.Header.Set("X-Callhook-Signature", sg)
	}
	return s.do(req)
}

// setHeaders sets what every request made for an app carries: its
// User-Agent, the call id (also the mark the admin API refuses) and the
// request's seq (when it has one: a TwiML app's requests have none), the
// same on every attempt so the app can tell a retry from a new request.
func (s *Sender) setHeaders(h http.Header, seq int) {
	if s.Call != nil {
		h.Set("User-Agent", s.Call.UserAgent)
		h.Set(apphttp.CallIDHeader, s.Call.ID)
	}
	if seq > 0 {
		h.Set("X-Callhook-Seq", strconv.Itoa(seq))
	}
}

// do makes req, reads (a bounded part of) its answer's body and closes it.
func (s *Sender) do(req *http.Request) (*http.Response, error) {
	c := s.Client
	if c == nil {
		c = http.DefaultClient
	}
	resp, err := c.Do(req)
	if err != nil {
		return nil, err
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, drainBytes))
	resp.Body.Close()
	return resp, nil
}

func (s *Sender) attempts() int { return max(s.Attempts, 1) }

func (s *Sender) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Sender) nextSeq() int {
	if s.NextSeq != nil {
		return s.NextSeq()
	}
	return 0
}

func (s *Sender) log() logrus.FieldLogger {
	if s.Log != nil {
		return s.Log
	}
	return nolog.Logger()
}
