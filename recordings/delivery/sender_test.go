package delivery_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/callhook/callhook/apphttp"
	"github.com/callhook/callhook/proxy"
	"github.com/callhook/callhook/recordings/delivery"
	"github.com/callhook/callhook/verb"
)

// hits is what a test server got: each request's headers and body.
type hits struct {
	mu   sync.Mutex
	reqs []*http.Request
	body []string
}

// server answers each request with the next status of codes (the last
// one once they run out).
func server(t *testing.T, h *hits, codes ...int) *httptest.Server {
	t.Helper()
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		h.mu.Lock()
		n := len(h.reqs)
		h.reqs = append(h.reqs, r)
		h.body = append(h.body, string(b))
		h.mu.Unlock()
		w.WriteHeader(codes[min(n, len(codes)-1)])
	}))
	t.Cleanup(s.Close)
	return s
}

func sender(secret string) *delivery.Sender {
	seq := 6
	return &delivery.Sender{Attempts: 3, Secret: secret, Retry: apphttp.Retry{WaitMin: time.Millisecond, WaitMax: time.Millisecond},
		Now: func() time.Time { return time.Unix(1700000000, 0) }, Call: &proxy.Call{ID: "call-1", UserAgent: "callhook-test"},
		NextSeq: func() int { seq++; return seq }}
}

// TestPostRetriesWithOneSeq: Post retries a 503 and a 429, every attempt
// with the seq it was given and a fresh signature over the body; a 2xx
// ends it.
func TestPostRetriesWithOneSeq(t *testing.T) {
	var h hits
	srv := server(t, &h, 503, 429, 204)
	body := []byte(`{"event":"recording.status"}`)
	status, attempts, err := sender("k").Post(context.Background(), srv.URL+"/rs", body, 9, time.Minute)
	if err != nil || status != 204 || attempts != 3 {
		t.Fatalf("Post = %d, %d attempts, %v; want 204 after 3", status, attempts, err)
	}
	want := apphttp.Signature("k", 1700000000, body)
	for i, r := range h.reqs {
		if r.Header.Get("X-Callhook-Seq") != "9" || r.Header.Get("X-Callhook-Signature") != want || h.body[i] != string(body) ||
			r.Header.Get(apphttp.CallIDHeader) != "call-1" || r.Header.Get("Content-Type") != "application/json" {
			t.Errorf("attempt %d: headers %v body %q", i+1, r.Header, h.body[i])
		}
	}
}

// TestPostGivesUp: a 4xx is not retried, and is the error.
func TestPostGivesUp(t *testing.T) {
	var h hits
	srv := server(t, &h, 404)
	status, attempts, err := sender("").Post(context.Background(), srv.URL, []byte("{}"), 1, time.Minute)
	if err == nil || status != 404 || attempts != 1 || !strings.Contains(err.Error(), "404") {
		t.Errorf("Post = %d, %d attempts, %v; want a 404 error after 1", status, attempts, err)
	}
	if s := h.reqs[0].Header.Get("X-Callhook-Signature"); s != "" {
		t.Errorf("unsigned sender signed: %q", s)
	}
}

// TestDeliverFailed: a failed recording is not uploaded (its upload says
// why) and its status is failed, with the failure.
func TestDeliverFailed(t *testing.T) {
	r := &proxy.RecordingReport{Verb: "record", Recording: &verb.Recording{Name: "a.wav"}, Failure: "no file",
		Delivery: verb.Delivery{Upload: &verb.Upload{URL: "http://127.0.0.1:1/x", Method: verb.UploadPUT}, StatusURL: "http://s/rs"}}
	var got []*delivery.Status
	var urls []string
	sender("").Deliver(context.Background(), r, func(_ context.Context, url string, st *delivery.Status) {
		urls, got = append(urls, url), append(got, st)
	})
	if u := r.Recording.Upload; u == nil || u.Error != "not uploaded: the recording failed" || u.Status != 0 {
		t.Errorf("upload = %+v", u)
	}
	if len(got) != 1 || urls[0] != "http://s/rs" || got[0].Status != delivery.Failed || got[0].Error != "no file" || got[0].Verb != "record" {
		t.Errorf("status calls %v %+v", urls, got)
	}
}

// TestDeliverUploadPUT: a ready recording is PUT with its bytes, its
// content type and a signature over them; no status URL, no status.
func TestDeliverUploadPUT(t *testing.T) {
	var h hits
	srv := server(t, &h, 201)
	data := "RIFF....WAVE"
	r := &proxy.RecordingReport{Verb: "record", Recording: &verb.Recording{Name: "a.wav", Format: "wav"},
		Delivery: verb.Delivery{Upload: &verb.Upload{URL: srv.URL + "/a.wav", Method: verb.UploadPUT}},
		Open: func() (io.ReadCloser, int64, error) {
			return io.NopCloser(strings.NewReader(data)), int64(len(data)), nil
		}}
	sender("k").Deliver(context.Background(), r, func(context.Context, string, *delivery.Status) {
		t.Error("status sent without a recording_status_url")
	})
	if u := r.Recording.Upload; u.Status != 201 || u.Error != "" {
		t.Errorf("upload = %+v", u)
	}
	q := h.reqs[0]
	if q.Method != http.MethodPut || h.body[0] != data || q.Header.Get("Content-Type") != "audio/wav" ||
		q.Header.Get("X-Callhook-Signature") != apphttp.Signature("k", 1700000000, []byte(data)) || q.Header.Get("X-Callhook-Seq") != "7" {
		t.Errorf("upload %s %v %q", q.Method, q.Header, h.body[0])
	}
}

// TestSendSignsTheAppsWay: a Request with its own Sign is signed by it
// alone (a TwiML app's X-Twilio-Signature), a GET has no body, and seq 0
// sends no X-Callhook-Seq (a TwiML app's requests have none).
func TestSendSignsTheAppsWay(t *testing.T) {
	var h hits
	srv := server(t, &h, 204)
	r := delivery.Request{Method: http.MethodGet, URL: srv.URL + "/rs?RecordingStatus=completed",
		Sign: func(h http.Header) { h.Set("X-Twilio-Signature", "sig") }}
	status, attempts, err := sender("k").Send(context.Background(), r, 0, time.Minute)
	if err != nil || status != 204 || attempts != 1 {
		t.Fatalf("Send = %d, %d attempts, %v", status, attempts, err)
	}
	q := h.reqs[0]
	if q.Method != http.MethodGet || q.URL.RawQuery != "RecordingStatus=completed" || h.body[0] != "" ||
		q.Header.Get("X-Twilio-Signature") != "sig" || q.Header.Get("X-Callhook-Signature") != "" ||
		q.Header.Get("X-Callhook-Seq") != "" || q.Header.Get(apphttp.CallIDHeader) != "call-1" {
		t.Errorf("request %s %s %v %q", q.Method, q.URL, q.Header, h.body[0])
	}
}
