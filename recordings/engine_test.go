package recordings_test

// Engine tests of recordings (issue 19): a real web app drives calls of
// the esltest simulator through the proxy; the simulated switch uploads
// (or writes) its recordings as FreeSWITCH does, and the app fetches them
// by their URL.

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/callhook/callhook/apphttp"
	"github.com/callhook/callhook/esl/esltest"
	"github.com/callhook/callhook/internal/calltest"
	"github.com/callhook/callhook/proxy"
	"github.com/callhook/callhook/recordings"
	"github.com/callhook/callhook/verb"
	"github.com/callhook/callhook/webhook"
)

// request is one request the test app got.
type request struct {
	Path   string
	Header http.Header
	Body   map[string]any
	Raw    []byte
}

// app is a web app: replies by path, every request kept.
type app struct {
	*httptest.Server
	mu   sync.Mutex
	seen []request
	done chan struct{} // closed at call.end
}

func newApp(t *testing.T, replies map[string]string) *app {
	t.Helper()
	a := &app{done: make(chan struct{})}
	a.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw, _ := io.ReadAll(r.Body)
		req := request{Path: r.URL.Path, Header: r.Header.Clone(), Raw: raw}
		_ = json.Unmarshal(raw, &req.Body)
		a.mu.Lock()
		a.seen = append(a.seen, req)
		a.mu.Unlock()
		if req.Body["event"] == webhook.EventCallEnd {
			defer close(a.done)
		}
		w.Header().Set("Content-Type", "application/yaml")
		io.WriteString(w, replies[r.URL.Path])
	}))
	t.Cleanup(a.Close)
	return a
}

// requests returns the requests to path.
func (a *app) requests(path string) []request {
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []request
	for _, r := range a.seen {
		if r.Path == path {
			out = append(out, r)
		}
	}
	return out
}

// waitEnd waits for call.end.
func (a *app) waitEnd(t *testing.T) {
	t.Helper()
	select {
	case <-a.done:
	case <-time.After(20 * time.Second):
		t.Fatal("no call.end")
	}
}

// field digs a value out of a decoded JSON body.
func field(m map[string]any, path string) any {
	var v any = m
	for _, k := range strings.Split(path, ".") {
		mm, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = mm[k]
	}
	return v
}

func str(m map[string]any, path string) string {
	s, _ := field(m, path).(string)
	return s
}

func num(m map[string]any, path string) int64 {
	f, _ := field(m, path).(float64)
	return int64(f)
}

// setup is an engine whose default app is a's, with a recordings store
// served by an HTTP server of its own.
type setup struct {
	e     *calltest.Engine
	store *recordings.Store
	srv   *httptest.Server
}

func start(t *testing.T, a *app, cfg recordings.Config, files *verb.FileRules, secret string) *setup {
	t.Helper()
	return startGuarded(t, a, cfg, files, secret, nil)
}

// startGuarded is start with the apps' requests through guard.
func startGuarded(t *testing.T, a *app, cfg recordings.Config, files *verb.FileRules, secret string, guard *apphttp.DialGuard) *setup {
	t.Helper()
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
	client := apphttp.NewClient(guard)
	t.Cleanup(client.CloseIdleConnections)
	wa := &webhook.App{Name: "support", URL: a.URL + "/start", StatusURL: a.URL + "/end", Files: files,
		Client: client, Retries: 2, Secret: secret, Timeout: 5 * time.Second,
		Retry: apphttp.Retry{WaitMin: time.Millisecond, WaitMax: 2 * time.Millisecond}}
	e := calltest.Start(t, calltest.Apps(&proxy.App{Name: "support", Backend: wa}), calltest.Options{Recordings: store})
	return &setup{e: e, store: store, srv: srv}
}

// fetch GETs a recording's URL.
func fetch(t *testing.T, u string) (int, []byte, http.Header) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b, resp.Header
}

// TestRecordReady: the switch uploads the recording as record ends; the
// result the action gets has its URL (and no path on the switch), the app
// GETs a real WAV there, and recording_status_url hears "ready" once.
func TestRecordReady(t *testing.T) {
	a := newApp(t, map[string]string{
		"/start": "[answer, {record: {path: msg.wav, beep: false, max: 2s, silence_threshold: 0, recording_status_url: /rs, action: /done}}]",
		"/done":  "[hangup]",
	})
	s := start(t, a, recordings.Config{}, nil, "")
	c, res := s.e.Call(esltest.Options{OnApp: func(c *esltest.Call, run esltest.AppRun) {
		if run.App == "record" {
			c.Talk(1500 * time.Millisecond) // record writes the caller's audio
		}
	}})
	if res.Outcome != esltest.HungUp {
		t.Fatalf("call ended %v", res)
	}
	a.waitEnd(t)
	done := a.requests("/done")
	if len(done) != 1 {
		t.Fatalf("%d action requests, want 1", len(done))
	}
	b := done[0].Body
	if str(b, "result.reason") != "ok" || str(b, "result.recording.path") != "" || str(b, "result.recording.format") != "wav" {
		t.Errorf("result = %v, want ok, no path, format wav", b["result"])
	}
	u := str(b, "result.recording.url")
	if !strings.HasPrefix(u, s.srv.URL+"/recordings/") || !strings.HasSuffix(u, "/msg.wav") {
		t.Fatalf("url = %q, want one of the store's", u)
	}
	code, wav, h := fetch(t, u)
	if code != 200 || string(wav[:4]) != "RIFF" || h.Get("Content-Type") != "audio/wav" {
		t.Errorf("GET url = %d %q %q, want 200 and a WAV", code, wav[:min(len(wav), 4)], h.Get("Content-Type"))
	}
	if got, want := num(b, "result.recording.size"), int64(len(wav)); got != want || want != 44+1500*16 {
		t.Errorf("size = %d, fetched %d bytes, want %d", got, want, 44+1500*16)
	}
	if num(b, "result.recording.duration_ms") != 1500 {
		t.Errorf("duration_ms = %d, want 1500", num(b, "result.recording.duration_ms"))
	}
	rs := a.requests("/rs")
	if len(rs) != 1 {
		t.Fatalf("%d recording_status_url requests, want 1", len(rs))
	}
	r := rs[0].Body
	if str(r, "event") != webhook.EventRecordingStatus || str(r, "recording.status") != "ready" || str(r, "recording.url") != u ||
		num(r, "recording.duration_ms") != 1500 || num(r, "recording.size") != int64(len(wav)) || str(r, "recording.format") != "wav" {
		t.Errorf("recording.status = %s", rs[0].Raw)
	}
	if rs[0].Header.Get("X-Callhook-Seq") == "" {
		t.Error("recording.status has no X-Callhook-Seq")
	}
	// The switch recorded to callhook's upload URL, not to a path.
	var recArg string
	for _, r := range c.Apps() {
		if r.App == "record" {
			recArg = r.Arg
		}
		if r.App == "mkdir" {
			t.Errorf("ran mkdir %s: an upload target needs no folder", r.Arg)
		}
	}
	if !strings.HasPrefix(recArg, s.srv.URL+"/uploads/") {
		t.Errorf("record %q, want callhook's upload URL", recArg)
	}
}

// TestRecordFailed: a recording callhook cannot read (delivery local, and
// the file is not there) is a result with reason error and a message, and
// the status callback says failed.
func TestRecordFailed(t *testing.T) {
	a := newApp(t, map[string]string{
		"/start": "[answer, {record: {path: msg.wav, beep: false, max: 1s, recording_status_url: /rs, action: /done}}]",
		"/done":  "[hangup]",
	})
	e := startLocal(t, a, t.TempDir())
	_, res := e.Call(esltest.Options{}) // the simulator writes no file
	if res.Outcome != esltest.HungUp {
		t.Fatalf("call ended %v", res)
	}
	a.waitEnd(t)
	b := a.requests("/done")[0].Body
	if str(b, "result.reason") != "error" || !strings.Contains(str(b, "result.message"), "cannot read the recording") || str(b, "result.recording.url") != "" {
		t.Errorf("result = %v, want reason error, a message, no url", b["result"])
	}
	rs := a.requests("/rs")
	if len(rs) != 1 || str(rs[0].Body, "recording.status") != "failed" || str(rs[0].Body, "recording.error") == "" {
		t.Errorf("recording.status requests = %d, %v; want one, failed, with an error", len(rs), rs)
	}
}

// startLocal is start with a local delivery reading dir.
func startLocal(t *testing.T, a *app, dir string) *calltest.Engine {
	t.Helper()
	return start(t, a, recordings.Config{Local: true}, &verb.FileRules{RecordingsDir: dir}, "").e
}

// TestRecordLocal: with callhook on the switch's host, the recording is
// read where FreeSWITCH wrote it and served from there.
func TestRecordLocal(t *testing.T) {
	a := newApp(t, map[string]string{
		"/start": "[answer, {record: {path: msg.wav, beep: false, max: 1s, action: /done}}]",
		"/done":  "[hangup]",
	})
	dir := t.TempDir()
	e := startLocal(t, a, dir)
	_, res := e.Call(esltest.Options{WriteRecordings: true})
	if res.Outcome != esltest.HungUp {
		t.Fatalf("call ended %v", res)
	}
	a.waitEnd(t)
	b := a.requests("/done")[0].Body
	if str(b, "result.recording.path") != filepath.Join(dir, "msg.wav") {
		t.Errorf("path = %q", str(b, "result.recording.path"))
	}
	code, wav, _ := fetch(t, str(b, "result.recording.url"))
	disk, err := os.ReadFile(filepath.Join(dir, "msg.wav"))
	if err != nil || code != 200 || string(wav) != string(disk) || num(b, "result.recording.size") != int64(len(disk)) {
		t.Errorf("GET url = %d, %d bytes; file %d bytes (%v)", code, len(wav), len(disk), err)
	}
}

// TestRecordHangupDuringRecord: the caller hangs up while record runs; its
// file is still whole and delivered: call.end's last_result has the URL,
// and the status callback says ready.
func TestRecordHangupDuringRecord(t *testing.T) {
	a := newApp(t, map[string]string{
		"/start": "[answer, {record: {path: msg.wav, beep: false, max: 60s, recording_status_url: /rs, action: /done}}]",
	})
	s := start(t, a, recordings.Config{}, nil, "")
	_, res := s.e.Call(esltest.Options{OnApp: func(c *esltest.Call, run esltest.AppRun) {
		if run.App == "record" {
			c.HangupAfter(1500*time.Millisecond, "NORMAL_CLEARING", nil)
		}
	}})
	if res.Outcome != esltest.HungUp {
		t.Fatalf("call ended %v", res)
	}
	a.waitEnd(t)
	if n := len(a.requests("/done")); n != 0 {
		t.Errorf("%d action requests after the hangup, want none", n)
	}
	end := a.requests("/end")[0].Body
	u := str(end, "last_result.recording.url")
	if str(end, "last_result.reason") != "hangup" || u == "" {
		t.Fatalf("call.end last_result = %v, want hangup with a url", end["last_result"])
	}
	if code, _, _ := fetch(t, u); code != 200 {
		t.Errorf("GET url = %d", code)
	}
	rs := a.requests("/rs")
	if len(rs) != 1 || str(rs[0].Body, "recording.status") != "ready" || str(rs[0].Body, "recording.url") != u {
		t.Errorf("recording.status = %v", rs)
	}
}

// TestRecordCall: record_call start, then stop; the stop's result has the
// recording, whole once RECORD_STOP said so, delivered like record's.
func TestRecordCall(t *testing.T) {
	a := newApp(t, map[string]string{
		"/start": "[answer, {record_call: {mode: start, path: call.wav, recording_status_url: /rs}}, {pause: 3s}, {record_call: {mode: stop, action: /done}}]",
		"/done":  "[hangup]",
	})
	s := start(t, a, recordings.Config{}, nil, "")
	c, res := s.e.Call(esltest.Options{})
	if res.Outcome != esltest.HungUp {
		t.Fatalf("call ended %v", res)
	}
	a.waitEnd(t)
	b := a.requests("/done")[0].Body
	u := str(b, "result.recording.url")
	if str(b, "result.verb") != "record_call" || str(b, "result.reason") != "ok" || u == "" {
		t.Fatalf("result = %v", b["result"])
	}
	// The bug records from record_session to stop_record_session: the
	// pause, and the real time the engine took between them.
	if d := num(b, "result.recording.duration_ms"); d < 3000 {
		t.Errorf("duration_ms = %d, want at least 3000 (the pause)", d)
	}
	code, wav, _ := fetch(t, u)
	if code != 200 || int64(len(wav)) != num(b, "result.recording.size") {
		t.Errorf("GET url = %d, %d bytes", code, len(wav))
	}
	rs := a.requests("/rs")
	if len(rs) != 1 || str(rs[0].Body, "recording.status") != "ready" {
		t.Errorf("recording.status = %v", rs)
	}
	var apps []string
	for _, r := range c.Apps() {
		apps = append(apps, r.App)
	}
	if got := strings.Join(apps, ","); !strings.Contains(got, "record_session,sleep,stop_record_session") {
		t.Errorf("apps = %s", got)
	}
}

// TestRecordCallStopAtHangup: a whole-call recording still running when
// the caller hangs up closes in the hangup tail (RECORD_STOP before
// CHANNEL_HANGUP_COMPLETE) and is delivered then: call.end and the status
// callback carry its URL.
func TestRecordCallStopAtHangup(t *testing.T) {
	a := newApp(t, map[string]string{
		"/start": "[answer, {record_call: {mode: start, path: call.wav, recording_status_url: /rs}}, park]",
	})
	s := start(t, a, recordings.Config{}, nil, "")
	_, res := s.e.Call(esltest.Options{OnApp: func(c *esltest.Call, run esltest.AppRun) {
		if run.App == "park" {
			c.HangupAfter(2*time.Second, "NORMAL_CLEARING", nil)
		}
	}})
	if res.Outcome != esltest.HungUp {
		t.Fatalf("call ended %v", res)
	}
	a.waitEnd(t)
	rs := a.requests("/rs")
	if len(rs) != 1 || str(rs[0].Body, "recording.status") != "ready" {
		t.Fatalf("recording.status = %v", rs)
	}
	u := str(rs[0].Body, "recording.url")
	end := a.requests("/end")[0].Body
	if str(end, "recording.url") != u || u == "" || num(end, "recording.duration_ms") < 2000 {
		t.Errorf("call.end recording = %v, want url %q, at least 2000 ms", end["recording"], u)
	}
	if code, _, _ := fetch(t, u); code != 200 {
		t.Errorf("GET url = %d", code)
	}
	// The status callback came before call.end.
	a.mu.Lock()
	var order []string
	for _, r := range a.seen {
		order = append(order, r.Path)
	}
	a.mu.Unlock()
	if got := strings.Join(order, ","); got != "/start,/rs,/end" {
		t.Errorf("requests = %s, want /start,/rs,/end", got)
	}
}

// TestRecordCallMisuse: stop with nothing running, start twice: each is a
// result with reason error and a message, and the call goes on.
func TestRecordCallMisuse(t *testing.T) {
	a := newApp(t, map[string]string{
		"/start": "[answer, {record_call: {mode: stop, action: /a}}]",
		"/a":     "[{record_call: {mode: start, path: a.wav}}, {record_call: {mode: start, path: b.wav, action: /b}}]",
		"/b":     "[hangup]",
	})
	s := start(t, a, recordings.Config{}, nil, "")
	_, res := s.e.Call(esltest.Options{})
	if res.Outcome != esltest.HungUp {
		t.Fatalf("call ended %v", res)
	}
	a.waitEnd(t)
	for _, p := range []string{"/a", "/b"} {
		b := a.requests(p)[0].Body
		if str(b, "result.reason") != "error" || str(b, "result.message") == "" {
			t.Errorf("%s result = %v, want error with a message", p, b["result"])
		}
	}
	// a.wav, started and never stopped, is delivered at the hangup.
	if end := a.requests("/end")[0].Body; str(end, "recording.name") != "a.wav" || str(end, "recording.url") == "" {
		t.Errorf("call.end recording = %v", end["recording"])
	}
}

// TestUploadRetry: callhook uploads the recording to the app's storage,
// retrying a 503 with the same X-Callhook-Seq, signed; the result says
// where it went.
func TestUploadRetry(t *testing.T) {
	var mu sync.Mutex
	var got []request
	storage := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw, _ := io.ReadAll(r.Body)
		mu.Lock()
		got = append(got, request{Path: r.URL.Path, Header: r.Header.Clone(), Raw: raw})
		n := len(got)
		mu.Unlock()
		if n == 1 {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusCreated)
	}))
	t.Cleanup(storage.Close)
	a := newApp(t, map[string]string{
		"/start": "[answer, {record: {path: msg.wav, beep: false, max: 1s, upload: {url: '" + storage.URL + "/bucket/msg.wav', method: PUT}, action: /done}}]",
		"/done":  "[hangup]",
	})
	s := start(t, a, recordings.Config{}, nil, "sekrit")
	s.e.Call(esltest.Options{})
	a.waitEnd(t)
	b := a.requests("/done")[0].Body
	if str(b, "result.recording.upload.url") != storage.URL+"/bucket/msg.wav" || num(b, "result.recording.upload.status") != 201 ||
		str(b, "result.recording.upload.error") != "" || str(b, "result.recording.upload.method") != "PUT" {
		t.Errorf("upload = %v", field(b, "result.recording.upload"))
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 2 {
		t.Fatalf("%d uploads, want 2 (a 503, then a retry)", len(got))
	}
	for _, r := range got {
		if string(r.Raw[:4]) != "RIFF" || int64(len(r.Raw)) != num(b, "result.recording.size") {
			t.Errorf("uploaded %d bytes, want the WAV", len(r.Raw))
		}
		if !strings.HasPrefix(r.Header.Get("X-Callhook-Signature"), "t=") || r.Header.Get(apphttp.CallIDHeader) == "" {
			t.Errorf("upload headers %v, want a signature and the call id", r.Header)
		}
	}
	if a, b := got[0].Header.Get("X-Callhook-Seq"), got[1].Header.Get("X-Callhook-Seq"); a == "" || a != b {
		t.Errorf("X-Callhook-Seq %q then %q, want the same", a, b)
	}
	if _, err := strconv.Atoi(got[0].Header.Get("X-Callhook-Seq")); err != nil {
		t.Error(err)
	}
}

// TestBridgeRecord: bridge with record: true records the bridged
// conversation on the caller's channel, only while bridged
// (RECORD_BRIDGE_REQ), stopped after the bridge; its URL is in the bridge's
// result.
func TestBridgeRecord(t *testing.T) {
	a := newApp(t, map[string]string{
		"/start": "[answer, {bridge: {to: user/1001, record: {recording_status_url: /rs}, action: /done}}]",
		"/done":  "[hangup]",
	})
	s := start(t, a, recordings.Config{}, nil, "")
	c, _ := s.e.Call(esltest.Options{BridgeDuration: 4 * time.Second})
	a.waitEnd(t)
	b := a.requests("/done")[0].Body
	u := str(b, "result.recording.url")
	if str(b, "result.bridge.status") != "SUCCESS" || u == "" || !strings.HasPrefix(str(b, "result.recording.name"), "bridge-") {
		t.Fatalf("result = %v", b["result"])
	}
	if d := num(b, "result.recording.duration_ms"); d != 4000 {
		t.Errorf("duration_ms = %d, want 4000 (the bridged time only)", d)
	}
	if code, wav, _ := fetch(t, u); code != 200 || int64(len(wav)) != 44+4000*16 {
		t.Errorf("GET url = %d, %d bytes", code, len(wav))
	}
	if rs := a.requests("/rs"); len(rs) != 1 || str(rs[0].Body, "recording.status") != "ready" || str(rs[0].Body, "recording.url") != u ||
		str(rs[0].Body, "recording.verb") != "bridge" {
		t.Errorf("recording.status = %v", rs)
	}
	var apps []string
	for _, r := range c.Apps() {
		switch r.App {
		case "record_session", "stop_record_session":
			apps = append(apps, r.App+" "+strings.SplitN(r.Arg, "/uploads/", 2)[0])
		case "bridge":
			apps = append(apps, r.App)
		}
	}
	want := "record_session %[RECORD_BRIDGE_REQ=true]" + s.srv.URL + ",bridge,stop_record_session " + s.srv.URL
	if got := strings.Join(apps, ","); got != want {
		t.Errorf("apps = %s, want %s", got, want)
	}
}

// TestBridgeRecordNotConnected: a bridge that never connected has no
// recording (FreeSWITCH discards the empty file), and callhook keeps none.
func TestBridgeRecordNotConnected(t *testing.T) {
	a := newApp(t, map[string]string{
		"/start": "[answer, {bridge: {to: user/1001, record: true, action: /done}}]",
		"/done":  "[hangup]",
	})
	s := start(t, a, recordings.Config{}, nil, "")
	s.e.Call(esltest.Options{BridgeTargets: map[string]esltest.BridgeOutcome{"user/1001": esltest.BridgeBusy}})
	a.waitEnd(t)
	b := a.requests("/done")[0].Body
	if str(b, "result.bridge.status") != "BUSY" || field(b, "result.recording") != nil {
		t.Errorf("result = %v, want BUSY and no recording", b["result"])
	}
	if n := s.store.Len(); n != 0 {
		t.Errorf("the store holds %d recordings, want none", n)
	}
}

// TestRecordWithoutHttapi: a switch without mod_httapi cannot record to
// callhook's upload URL: the record is an error naming the module, at
// once, and nothing is kept.
func TestRecordWithoutHttapi(t *testing.T) {
	a := newApp(t, map[string]string{
		"/start": "[answer, {record: {path: msg.wav, beep: false, max: 1s, recording_status_url: /rs, action: /done}}]",
		"/done":  "[hangup]",
	})
	s := start(t, a, recordings.Config{}, nil, "")
	sw := esltest.NewSwitch()
	sw.UnloadModule("mod_httapi")
	c, _ := s.e.Call(esltest.Options{Switch: sw})
	a.waitEnd(t)
	b := a.requests("/done")[0].Body
	if str(b, "result.reason") != "error" || !strings.Contains(str(b, "result.message"), "mod_httapi") {
		t.Errorf("result = %v, want an error naming mod_httapi", b["result"])
	}
	for _, r := range c.Apps() {
		if r.App == "record" {
			t.Errorf("ran record %s", r.Arg)
		}
	}
	if n := s.store.Len(); n != 0 {
		t.Errorf("the store holds %d recordings", n)
	}
	rs := a.requests("/rs")
	if len(rs) != 1 || str(rs[0].Body, "recording.status") != "failed" || !strings.Contains(str(rs[0].Body, "recording.error"), "mod_httapi") {
		t.Errorf("recording.status = %v, want one, failed, naming mod_httapi", rs)
	}
}

// TestRecordCallTransferred: a transfer with a whole-call recording running
// ends callhook's part at once (no wait for a RECORD_STOP that comes
// elsewhere); the status callback says failed, and why.
func TestRecordCallTransferred(t *testing.T) {
	a := newApp(t, map[string]string{
		"/start": "[answer, {record_call: {mode: start, path: call.wav, recording_status_url: /rs}}, {transfer: 1000}]",
	})
	s := start(t, a, recordings.Config{}, nil, "")
	c := s.e.Dial(esltest.Options{})
	a.waitEnd(t)
	c.Hangup("NORMAL_CLEARING")
	rs := a.requests("/rs")
	if len(rs) != 1 || str(rs[0].Body, "recording.status") != "failed" || !strings.Contains(str(rs[0].Body, "recording.error"), "transferred") {
		t.Errorf("recording.status = %v", rs)
	}
	if end := a.requests("/end")[0].Body; str(end, "outcome") != "transferred" {
		t.Errorf("call.end outcome = %q", str(end, "outcome"))
	}
}

// TestUploadGuarded: an upload URL goes through the guard every app
// request goes through: one aimed at a refused listener (callhook's admin
// API, its recordings listener) fails, and the result says why.
func TestUploadGuarded(t *testing.T) {
	storage := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("the guarded listener got %s %s", r.Method, r.URL)
	}))
	t.Cleanup(storage.Close)
	guard := &apphttp.DialGuard{}
	guard.Refuse(netip.MustParseAddrPort(storage.Listener.Addr().String()), "callhook's admin API")
	a := newApp(t, map[string]string{
		"/start": "[answer, {record: {path: msg.wav, beep: false, max: 1s, upload: '" + storage.URL + "/x', action: /done}}]",
		"/done":  "[hangup]",
	})
	s := startGuarded(t, a, recordings.Config{}, nil, "", guard)
	s.e.Call(esltest.Options{})
	a.waitEnd(t)
	b := a.requests("/done")[0].Body
	if e := str(b, "result.recording.upload.error"); !strings.Contains(e, "refused by callhook") || str(b, "result.recording.url") == "" {
		t.Errorf("upload = %v, want refused by the guard (the recording itself ready)", field(b, "result.recording"))
	}
}

// TestUploadPOSTForm: method POST sends a multipart form whose field
// "file" holds the recording, named as the verb named it.
func TestUploadPOSTForm(t *testing.T) {
	type part struct {
		field, name string
		size        int
	}
	got := make(chan part, 1)
	storage := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f, h, err := r.FormFile("file")
		if err != nil {
			t.Errorf("storage: %v", err)
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		b, _ := io.ReadAll(f)
		got <- part{"file", h.Filename, len(b)}
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(storage.Close)
	a := newApp(t, map[string]string{
		"/start": "[answer, {record: {path: msg.wav, beep: false, max: 1s, upload: {url: '" + storage.URL + "/forms', method: POST}, action: /done}}]",
		"/done":  "[hangup]",
	})
	s := start(t, a, recordings.Config{}, nil, "")
	s.e.Call(esltest.Options{})
	a.waitEnd(t)
	b := a.requests("/done")[0].Body
	p := <-got
	if p.name != "msg.wav" || int64(p.size) != num(b, "result.recording.size") || num(b, "result.recording.upload.status") != 204 {
		t.Errorf("form part %+v, upload %v", p, field(b, "result.recording.upload"))
	}
}

// TestUploadURLNotLogged: an upload URL's query (a presigned URL's
// signature is a credential) stays out of callhook's log, whether the
// upload succeeds or fails; the result the app gets keeps the whole URL.
func TestUploadURLNotLogged(t *testing.T) {
	for _, status := range []int{http.StatusCreated, http.StatusForbidden, 0} { // 0: nobody listens
		t.Run(strconv.Itoa(status), func(t *testing.T) {
			storage := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(status)
			}))
			t.Cleanup(storage.Close)
			if status == 0 {
				storage.Close()
			}
			u := storage.URL + "/bucket/msg.wav?X-Amz-Credential=AKIDEXAMPLE&X-Amz-Signature=f00dfacecafe"
			a := newApp(t, map[string]string{
				"/start": "[answer, {record: {path: msg.wav, beep: false, max: 1s, upload: {url: '" + u + "', method: PUT}, action: /done}}]",
				"/done":  "[hangup]",
			})
			s := start(t, a, recordings.Config{}, nil, "")
			s.e.Call(esltest.Options{})
			a.waitEnd(t)
			b := a.requests("/done")[0].Body
			if got := str(b, "result.recording.upload.url"); got != u || num(b, "result.recording.upload.status") != int64(status) {
				t.Errorf("upload = %v, want %s answered %d", field(b, "result.recording.upload"), u, status)
			}
			log := s.e.Log.String()
			if strings.Contains(log, "f00dfacecafe") || strings.Contains(log, "AKIDEXAMPLE") {
				t.Errorf("the log holds the upload URL's query:\n%s", log)
			}
			if !strings.Contains(log, storage.URL+"/bucket/msg.wav") {
				t.Errorf("the log does not name the upload's URL without its query:\n%s", log)
			}
		})
	}
}
