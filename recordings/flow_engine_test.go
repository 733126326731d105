package recordings_test

// Engine tests of a flow's recordings: the same delivery as a webhook
// app's (package delivery), the flow reading the result through
// {{recording.FIELD}} and its POST fetches' recording field.

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/callhook/callhook/apphttp"
	"github.com/callhook/callhook/esl/esltest"
	"github.com/callhook/callhook/internal/calltest"
	"github.com/callhook/callhook/proxy"
	"github.com/callhook/callhook/recordings"
	"github.com/callhook/callhook/statemachine"
	"github.com/callhook/callhook/verb"
)

// flowSecret signs the flow's requests in these tests.
const flowSecret = "flow-sekrit"

// service is the flow's web service and storage at once: every request
// kept, a 503 for the first nFail uploads to /bucket/.
type service struct {
	*httptest.Server
	mu      sync.Mutex
	seen    []request
	methods []string
	nFail   int
}

func newService(t *testing.T, nFail int) *service {
	t.Helper()
	s := &service{nFail: nFail}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw, _ := io.ReadAll(r.Body)
		req := request{Path: r.URL.RequestURI(), Header: r.Header.Clone(), Raw: raw}
		_ = json.Unmarshal(raw, &req.Body)
		s.mu.Lock()
		s.seen = append(s.seen, req)
		s.methods = append(s.methods, r.Method)
		uploads := 0
		for _, q := range s.seen {
			if strings.HasPrefix(q.Path, "/bucket/") {
				uploads++
			}
		}
		s.mu.Unlock()
		switch {
		case strings.HasPrefix(r.URL.Path, "/bucket/"):
			if uploads <= s.nFail {
				w.WriteHeader(http.StatusServiceUnavailable)
				return
			}
			w.WriteHeader(http.StatusCreated)
		default:
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, "{}")
		}
	}))
	t.Cleanup(s.Close)
	return s
}

// requests returns the requests whose path starts with prefix.
func (s *service) requests(prefix string) []request {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []request
	for _, r := range s.seen {
		if strings.HasPrefix(r.Path, prefix) {
			out = append(out, r)
		}
	}
	return out
}

// startFlow runs flow (its text with SVC standing for svc's URL) as the
// engine's default app, with a recordings store as start's.
func startFlow(t *testing.T, svc *service, flow string, cfg recordings.Config, files *verb.FileRules) (*calltest.Engine, *httptest.Server) {
	t.Helper()
	f, err := statemachine.ParseWith("rec.yaml", []byte(strings.ReplaceAll(flow, "SVC", svc.URL)), statemachine.Options{Files: files})
	if err != nil {
		t.Fatalf("flow: %v", err)
	}
	srv := httptest.NewUnstartedServer(nil)
	if cfg.URL == "" {
		cfg.URL = "http://" + srv.Listener.Addr().String()
	}
	if cfg.Dir == "" && !cfg.Local {
		cfg.Dir = t.TempDir()
	}
	store, err := recordings.New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	srv.Config.Handler = store
	srv.Start()
	t.Cleanup(srv.Close)
	client := apphttp.NewClient(nil)
	t.Cleanup(client.CloseIdleConnections)
	b := &statemachine.Backend{Flow: f, HTTPClient: client, Secret: flowSecret,
		Retry: apphttp.Retry{WaitMin: time.Millisecond, WaitMax: 2 * time.Millisecond}}
	e := calltest.Start(t, calltest.Apps(&proxy.App{Name: "ivr", Backend: b}), calltest.Options{Recordings: store})
	return e, srv
}

// checkSigned checks r's X-Callhook-Signature: flowSecret's HMAC of
// "<t>.<body>".
func checkSigned(t *testing.T, r request) {
	t.Helper()
	sig := r.Header.Get("X-Callhook-Signature")
	ts, mac, ok := strings.Cut(strings.TrimPrefix(sig, "t="), ",v1=")
	h := hmac.New(sha256.New, []byte(flowSecret))
	h.Write([]byte(ts + "."))
	h.Write(r.Raw)
	if !ok || mac != hex.EncodeToString(h.Sum(nil)) {
		t.Errorf("%s: X-Callhook-Signature %q is not the flow secret's over its body", r.Path, sig)
	}
}

// recordFlow records with an upload and a status callback, then tells
// the service what it read of the recording: in a fetch URL's query
// (templates), in a POST fetch's body, and by the route a when: on the
// upload's status took.
const recordFlow = `
name: rec
start: rec
states:
  rec:
    verbs:
      - answer
      - record:
          path: msg.wav
          beep: false
          max: 2s
          silence_threshold: 0
          upload: {url: SVC/bucket/msg.wav, method: PUT}
          recording_status_url: SVC/rs
    on: {ok: check, error: failed}
  check:
    when:
      - {var: recording.upload_status, equals: "201", goto: uploaded}
    else: failed
  uploaded:
    fetch: {url: "SVC/uploaded?url={{recording.url}}&status={{recording.upload_status}}&size={{recording.size}}", method: POST}
    on: {ok: bye, error: bye}
  failed:
    fetch: {url: "SVC/failed?message={{recording.upload_error}}&url={{recording.url}}", method: POST}
    on: {ok: bye, error: bye}
  bye:
    verbs: [hangup]
`

// TestFlowRecordUploaded: a flow's record is uploaded to its storage as a
// webhook app's is (a 503 retried with the same X-Callhook-Seq, each
// attempt signed with the flow's secret), recording_status_url hears
// "ready" once, signed, and the flow reads the recording's URL and upload
// status in its templates, conditions and POST body.
func TestFlowRecordUploaded(t *testing.T) {
	svc := newService(t, 1)
	e, rsrv := startFlow(t, svc, recordFlow, recordings.Config{}, nil)
	_, res := e.Call(esltest.Options{OnApp: func(c *esltest.Call, run esltest.AppRun) {
		if run.App == "record" {
			c.Talk(1500 * time.Millisecond)
		}
	}})
	if res.Outcome != esltest.HungUp {
		t.Fatalf("call ended %v", res)
	}
	e.Idle()

	ups := svc.requests("/bucket/")
	if len(ups) != 2 {
		t.Fatalf("%d uploads, want 2 (a 503, then a retry)", len(ups))
	}
	for _, u := range ups {
		if string(u.Raw[:4]) != "RIFF" || len(u.Raw) != 44+1500*16 || u.Header.Get(apphttp.CallIDHeader) == "" {
			t.Errorf("upload: %d bytes, headers %v; want the WAV and the call id", len(u.Raw), u.Header)
		}
		checkSigned(t, u)
	}
	seq := ups[0].Header.Get("X-Callhook-Seq")
	if seq == "" || ups[1].Header.Get("X-Callhook-Seq") != seq {
		t.Errorf("upload X-Callhook-Seq %q then %q, want the same", seq, ups[1].Header.Get("X-Callhook-Seq"))
	}

	rs := svc.requests("/rs")
	if len(rs) != 1 {
		t.Fatalf("%d recording_status_url requests, want 1", len(rs))
	}
	b := rs[0].Body
	u := str(b, "recording.url")
	if str(b, "event") != "recording.status" || str(b, "recording.status") != "ready" || str(b, "flow") != "rec" ||
		!strings.HasPrefix(u, rsrv.URL+"/recordings/") || num(b, "recording.upload.status") != 201 || str(b, "recording.verb") != "record" {
		t.Errorf("recording.status = %s", rs[0].Raw)
	}
	checkSigned(t, rs[0])
	if s := rs[0].Header.Get("X-Callhook-Seq"); s == "" || s == seq {
		t.Errorf("recording.status X-Callhook-Seq %q, want its own (the upload's was %q)", s, seq)
	}
	if code, wav, _ := fetch(t, u); code != 200 || len(wav) != 44+1500*16 {
		t.Errorf("GET url = %d, %d bytes", code, len(wav))
	}

	got := svc.requests("/uploaded")
	if len(got) != 1 || len(svc.requests("/failed")) != 0 {
		t.Fatalf("the flow went to %d uploaded, %d failed; want uploaded (upload status 201)", len(got), len(svc.requests("/failed")))
	}
	q, _ := url.Parse(got[0].Path)
	if v := q.Query(); v.Get("url") != u || v.Get("status") != "201" || v.Get("size") != "24044" {
		t.Errorf("the flow's fetch URL %s, want url %s, status 201, size 24044", got[0].Path, u)
	}
	if str(got[0].Body, "recording.url") != u || num(got[0].Body, "recording.upload.status") != 201 {
		t.Errorf("the fetch body's recording = %v", field(got[0].Body, "recording"))
	}
	checkSigned(t, got[0])
}

// TestFlowRecordFailed: a recording callhook cannot read fails: the status
// callback says failed with the error, nothing is uploaded (the result's
// upload says why), and the flow routes the record's error.
func TestFlowRecordFailed(t *testing.T) {
	svc := newService(t, 0)
	e, _ := startFlow(t, svc, recordFlow, recordings.Config{Local: true}, &verb.FileRules{RecordingsDir: t.TempDir()})
	_, res := e.Call(esltest.Options{}) // the simulator writes no file
	if res.Outcome != esltest.HungUp {
		t.Fatalf("call ended %v", res)
	}
	e.Idle()
	if n := len(svc.requests("/bucket/")); n != 0 {
		t.Errorf("%d uploads of a failed recording", n)
	}
	rs := svc.requests("/rs")
	if len(rs) != 1 || str(rs[0].Body, "recording.status") != "failed" || !strings.Contains(str(rs[0].Body, "recording.error"), "cannot read the recording") {
		t.Fatalf("recording.status = %v, want one, failed, with the error", rs)
	}
	checkSigned(t, rs[0])
	f := svc.requests("/failed")
	if len(f) != 1 {
		t.Fatalf("%d requests to /failed, want 1", len(f))
	}
	q, _ := url.Parse(f[0].Path)
	if m := q.Query().Get("message"); m != "not uploaded: the recording failed" {
		t.Errorf("{{recording.upload_error}} = %q", m)
	}
}

// TestFlowRecordCallAtHangup: a flow's whole-call recording still running
// at the hangup is delivered then, and its on.hangup route's POST fetch
// carries it.
func TestFlowRecordCallAtHangup(t *testing.T) {
	svc := newService(t, 0)
	flow := `
name: rec
start: rec
states:
  rec:
    verbs:
      - answer
      - record_call: {mode: start, path: call.wav, recording_status_url: SVC/rs}
      - park
    on: {hangup: report, default: report}
  report:
    fetch: {url: "SVC/end?url={{recording.url}}", method: POST}
    on: {ok: done, error: done}
  done:
    next: done2
  done2:
    verbs: [hangup]
`
	e, _ := startFlow(t, svc, flow, recordings.Config{}, nil)
	_, res := e.Call(esltest.Options{OnApp: func(c *esltest.Call, run esltest.AppRun) {
		if run.App == "park" {
			c.HangupAfter(2*time.Second, "NORMAL_CLEARING", nil)
		}
	}})
	if res.Outcome != esltest.HungUp {
		t.Fatalf("call ended %v", res)
	}
	e.Idle()
	rs := svc.requests("/rs")
	if len(rs) != 1 || str(rs[0].Body, "recording.status") != "ready" || str(rs[0].Body, "recording.verb") != "record_call" {
		t.Fatalf("recording.status = %v", rs)
	}
	u := str(rs[0].Body, "recording.url")
	end := svc.requests("/end")
	if len(end) != 1 {
		t.Fatalf("%d on.hangup fetches, want 1", len(end))
	}
	q, _ := url.Parse(end[0].Path)
	if q.Query().Get("url") != u || u == "" || str(end[0].Body, "recording.url") != u || str(end[0].Body, "event") != "hangup" {
		t.Errorf("on.hangup fetch %s %s, want the recording's url %q", end[0].Path, end[0].Raw, u)
	}
}
