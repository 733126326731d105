package admin_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/callhook/callhook/admin"
	"github.com/callhook/callhook/apphttp"
	"github.com/callhook/callhook/esl"
	"github.com/callhook/callhook/internal/testlog"
	"github.com/callhook/callhook/proxy"
	"github.com/sirupsen/logrus"
)

// fakeProxy records what the API asked of it and answers with err.
type fakeProxy struct {
	mu       sync.Mutex
	calls    []proxy.CallInfo
	draining bool
	err      error
	did      []string // "hangup id cause", "redirect id url"
}

func (f *fakeProxy) Calls() []proxy.CallInfo {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls
}

func (f *fakeProxy) Call(id string) (proxy.CallInfo, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, c := range f.calls {
		if c.ID == id {
			return c, true
		}
	}
	return proxy.CallInfo{}, false
}

func (f *fakeProxy) Hangup(_ context.Context, id, cause string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.did = append(f.did, "hangup "+id+" "+cause)
	return f.err
}

func (f *fakeProxy) Redirect(_ context.Context, id, url string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.did = append(f.did, "redirect "+id+" "+url)
	return f.err
}

func (f *fakeProxy) Active() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.calls)
}

func (f *fakeProxy) Draining() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.draining
}

func (f *fakeProxy) actions() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.did...)
}

// req is one request to the API: method, path, optional body and its
// content type, optional Authorization header.
type req struct {
	method, path, ctype, body, auth string
}

func do(t *testing.T, h http.Handler, rq req) *httptest.ResponseRecorder {
	t.Helper()
	var body io.Reader
	if rq.body != "" {
		body = strings.NewReader(rq.body)
	}
	r := httptest.NewRequest(rq.method, rq.path, body)
	if rq.ctype != "" {
		r.Header.Set("Content-Type", rq.ctype)
	}
	if rq.auth != "" {
		r.Header.Set("Authorization", rq.auth)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

// errorOf decodes a JSON error response's message.
func errorOf(t *testing.T, w *httptest.ResponseRecorder) string {
	t.Helper()
	if ct := w.Header().Get("Content-Type"); ct != "application/json" {
		t.Errorf("error Content-Type = %q, want application/json (body %q)", ct, w.Body)
	}
	var e struct{ Error string }
	if err := json.Unmarshal(w.Body.Bytes(), &e); err != nil || e.Error == "" {
		t.Errorf("error body %q: want {\"error\": ...} (%v)", w.Body, err)
	}
	return e.Error
}

func TestAuth(t *testing.T) {
	const token = "s3cret-token"
	s := &admin.Server{Proxy: &fakeProxy{}, Token: token, Metrics: http.NotFoundHandler(), Drain: func() {}}
	tests := []struct {
		name string
		rq   req
		want int
	}{
		{"healthz without token", req{method: "GET", path: "/healthz"}, 200},
		{"readyz without token", req{method: "GET", path: "/readyz"}, 200},
		{"calls without token", req{method: "GET", path: "/calls"}, 401},
		{"metrics without token", req{method: "GET", path: "/metrics"}, 401},
		{"drain without token", req{method: "POST", path: "/drain"}, 401},
		{"hangup without token", req{method: "POST", path: "/calls/x/hangup"}, 401},
		{"unknown path without token", req{method: "GET", path: "/nothing"}, 401},
		{"wrong token", req{method: "GET", path: "/calls", auth: "Bearer s3cret-tokeN"}, 401},
		{"token prefix", req{method: "GET", path: "/calls", auth: "Bearer s3cret"}, 401},
		{"basic scheme", req{method: "GET", path: "/calls", auth: "Basic " + token}, 401},
		{"bare token", req{method: "GET", path: "/calls", auth: token}, 401},
		{"empty bearer", req{method: "GET", path: "/calls", auth: "Bearer "}, 401},
		{"right token", req{method: "GET", path: "/calls", auth: "Bearer " + token}, 200},
		{"scheme any case", req{method: "GET", path: "/calls", auth: "bearer " + token}, 200},
		{"unknown path with token", req{method: "GET", path: "/nothing", auth: "Bearer " + token}, 404},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := do(t, s, tc.rq)
			if w.Code != tc.want {
				t.Fatalf("%s %s = %d %s, want %d", tc.rq.method, tc.rq.path, w.Code, w.Body, tc.want)
			}
			if w.Code == 401 {
				if got := w.Header().Get("WWW-Authenticate"); !strings.HasPrefix(got, "Bearer") {
					t.Errorf("WWW-Authenticate = %q, want Bearer", got)
				}
				errorOf(t, w)
			}
		})
	}
}

func TestNoToken(t *testing.T) {
	s := &admin.Server{Proxy: &fakeProxy{}}
	if w := do(t, s, req{method: "GET", path: "/calls"}); w.Code != 200 {
		t.Errorf("GET /calls without a token configured = %d, want 200", w.Code)
	}
}

func TestRouting(t *testing.T) {
	s := &admin.Server{Proxy: &fakeProxy{}}
	tests := []struct {
		name      string
		rq        req
		want      int
		wantAllow string
	}{
		{"unknown path", req{method: "GET", path: "/calls/x/y/z"}, 404, ""},
		{"get on an action", req{method: "GET", path: "/calls/x/hangup"}, 405, "POST"},
		{"delete on calls", req{method: "DELETE", path: "/calls"}, 405, "GET, HEAD, POST"},
		{"get drain", req{method: "GET", path: "/drain"}, 405, "POST"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := do(t, s, tc.rq)
			if w.Code != tc.want {
				t.Fatalf("%s %s = %d, want %d", tc.rq.method, tc.rq.path, w.Code, tc.want)
			}
			errorOf(t, w)
			if got := w.Header().Get("Allow"); got != tc.wantAllow {
				t.Errorf("Allow = %q, want %q", got, tc.wantAllow)
			}
		})
	}
}

func TestProbes(t *testing.T) {
	f := &fakeProxy{}
	s := &admin.Server{Proxy: f}
	for _, tc := range []struct {
		draining bool
		path     string
		wantCode int
		wantBody string
	}{
		{false, "/healthz", 200, "ok\n"},
		{false, "/readyz", 200, "ready\n"},
		{true, "/healthz", 200, "ok\n"},
		{true, "/readyz", 503, "draining\n"},
	} {
		t.Run(fmt.Sprintf("%s draining=%v", tc.path, tc.draining), func(t *testing.T) {
			f.mu.Lock()
			f.draining = tc.draining
			f.mu.Unlock()
			w := do(t, s, req{method: "GET", path: tc.path})
			if w.Code != tc.wantCode || w.Body.String() != tc.wantBody {
				t.Errorf("GET %s = %d %q, want %d %q", tc.path, w.Code, w.Body, tc.wantCode, tc.wantBody)
			}
		})
	}
}

func TestCallsList(t *testing.T) {
	started := time.Date(2026, 11, 26, 1, 0, 0, 0, time.UTC)
	f := &fakeProxy{}
	s := &admin.Server{Proxy: f}

	w := do(t, s, req{method: "GET", path: "/calls"})
	if got := strings.Join(strings.Fields(w.Body.String()), ""); w.Code != 200 || got != `{"calls":[],"active":0,"draining":false}` {
		t.Errorf("GET /calls with no call = %d %s, want 200 and an empty list", w.Code, got)
	}

	f.calls = []proxy.CallInfo{{ID: "c1", App: "menu", From: "1000", To: "5000", State: "verb", CurrentVerb: "play",
		StartedAt: started, Age: 90 * time.Second, AgeSeconds: 90}}
	w = do(t, s, req{method: "GET", path: "/calls"})
	var got struct {
		Calls  []map[string]any `json:"calls"`
		Active int              `json:"active"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil || len(got.Calls) != 1 || got.Active != 1 {
		t.Fatalf("GET /calls = %q (%v), want one call, active 1", w.Body, err)
	}
	want := map[string]any{"id": "c1", "app": "menu", "from": "1000", "to": "5000", "state": "verb",
		"current_verb": "play", "age_seconds": 90.0, "started_at": "2026-11-26T01:00:00Z"}
	for k, v := range want {
		if got.Calls[0][k] != v {
			t.Errorf("call %s = %v, want %v", k, got.Calls[0][k], v)
		}
	}

	if w := do(t, s, req{method: "GET", path: "/calls/c1"}); w.Code != 200 || !strings.Contains(w.Body.String(), `"id": "c1"`) {
		t.Errorf("GET /calls/c1 = %d %q, want the call", w.Code, w.Body)
	}
	if w := do(t, s, req{method: "GET", path: "/calls/nope"}); w.Code != 404 {
		t.Errorf("GET /calls/nope = %d, want 404", w.Code)
	} else if msg := errorOf(t, w); !strings.Contains(msg, "nope") {
		t.Errorf("GET /calls/nope error = %q, want the id in it", msg)
	}
}

// TestNotFoundEchoesShortID: a 404 repeats at most 64 bytes of the id the
// client sent (issue 12, item 9: a 60 KB id came back whole).
func TestNotFoundEchoesShortID(t *testing.T) {
	long := strings.Repeat("é", 30<<10) // 60 KB, two bytes a rune
	for _, rq := range []req{
		{method: "GET", path: "/calls/" + long},
		{method: "POST", path: "/calls/" + long + "/hangup"},
		{method: "POST", path: "/calls/" + long + "/redirect?url=http://app.example/x"},
	} {
		s := &admin.Server{Proxy: &fakeProxy{err: proxy.ErrNoSuchCall}}
		w := do(t, s, rq)
		if w.Code != 404 {
			t.Fatalf("%s /calls/<60 KB id>... = %d, want 404", rq.method, w.Code)
		}
		msg := errorOf(t, w)
		if len(msg) > 100 || !strings.HasPrefix(msg, "no such call: éé") || !utf8.ValidString(msg) {
			t.Errorf("%s /calls/<60 KB id>... error = %d bytes %.80q…, want the id cut short, valid UTF-8", rq.method, len(msg), msg)
		}
	}
}

func TestHangupParams(t *testing.T) {
	tests := []struct {
		name    string
		rq      req
		want    int
		wantDid string // the proxy call made, "" for none
	}{
		{"no cause", req{path: "/calls/c1/hangup"}, 200, "hangup c1 NORMAL_CLEARING"},
		{"json cause", req{path: "/calls/c1/hangup", ctype: "application/json", body: `{"cause": "CALL_REJECTED"}`}, 200, "hangup c1 CALL_REJECTED"},
		{"json lower case", req{path: "/calls/c1/hangup", ctype: "application/json; charset=utf-8", body: `{"cause": "user_busy"}`}, 200, "hangup c1 USER_BUSY"},
		{"json empty object", req{path: "/calls/c1/hangup", ctype: "application/json", body: `{}`}, 200, "hangup c1 NORMAL_CLEARING"},
		{"json empty body", req{path: "/calls/c1/hangup", ctype: "application/json"}, 200, "hangup c1 NORMAL_CLEARING"},
		{"form cause", req{path: "/calls/c1/hangup", ctype: "application/x-www-form-urlencoded", body: "cause=NO_ANSWER"}, 200, "hangup c1 NO_ANSWER"},
		{"query cause", req{path: "/calls/c1/hangup?cause=SYSTEM_SHUTDOWN"}, 200, "hangup c1 SYSTEM_SHUTDOWN"},
		{"q850 code", req{path: "/calls/c1/hangup?cause=17"}, 200, "hangup c1 17"},
		{"code out of range", req{path: "/calls/c1/hangup?cause=128"}, 400, ""},
		{"code zero", req{path: "/calls/c1/hangup?cause=0"}, 400, ""},
		{"code with sign", req{path: "/calls/c1/hangup?cause=%2B17"}, 400, ""},
		{"command injection", req{path: "/calls/c1/hangup", ctype: "application/json", body: `{"cause": "NORMAL_CLEARING\nexit"}`}, 400, ""},
		{"unknown cause", req{path: "/calls/c1/hangup", ctype: "application/json", body: `{"cause": "NO_SUCH_CAUSE"}`}, 400, ""},
		{"space", req{path: "/calls/c1/hangup", ctype: "application/x-www-form-urlencoded", body: "cause=NORMAL+CLEARING"}, 400, ""},
		{"too long", req{path: "/calls/c1/hangup?cause=" + strings.Repeat("A", 65)}, 400, ""},
		{"cause not a string", req{path: "/calls/c1/hangup", ctype: "application/json", body: `{"cause": 16}`}, 400, ""},
		{"broken json", req{path: "/calls/c1/hangup", ctype: "application/json", body: `{"cause": `}, 400, ""},
		{"json not an object", req{path: "/calls/c1/hangup", ctype: "application/json", body: `["CALL_REJECTED"]`}, 400, ""},
		{"body too big", req{path: "/calls/c1/hangup", ctype: "application/json", body: `{"x": "` + strings.Repeat("a", 70<<10) + `"}`}, 413, ""},
		{"form too big", req{path: "/calls/c1/hangup", ctype: "application/x-www-form-urlencoded", body: "x=" + strings.Repeat("a", 70<<10)}, 413, ""},
		// Issue 12, item 9: a body without a Content-Type was skipped
		// unread, however big, and the call hung up.
		{"no type too big", req{path: "/calls/c1/hangup", body: strings.Repeat("a", 70<<10)}, 413, ""},
		{"other type too big", req{path: "/calls/c1/hangup", ctype: "text/plain", body: strings.Repeat("a", 70<<10)}, 413, ""},
		{"no type", req{path: "/calls/c1/hangup", body: "cause=NO_ANSWER"}, 415, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := &fakeProxy{}
			s := &admin.Server{Proxy: f}
			tc.rq.method = "POST"
			w := do(t, s, tc.rq)
			if w.Code != tc.want {
				t.Fatalf("POST %s %q = %d %s, want %d", tc.rq.path, tc.rq.body, w.Code, w.Body, tc.want)
			}
			did := f.actions()
			switch {
			case tc.wantDid == "" && len(did) != 0:
				t.Errorf("proxy asked %q, want nothing", did)
			case tc.wantDid != "" && (len(did) != 1 || did[0] != tc.wantDid):
				t.Errorf("proxy asked %q, want %q", did, tc.wantDid)
			}
			if w.Code != 200 {
				errorOf(t, w)
			}
		})
	}
}

func TestRedirectParams(t *testing.T) {
	tests := []struct {
		name    string
		rq      req
		want    int
		wantDid string
	}{
		{"json url", req{path: "/calls/c1/redirect", ctype: "application/json", body: `{"url": "https://app.example/moved?x=1"}`}, 200, "redirect c1 https://app.example/moved?x=1"},
		{"form url", req{path: "/calls/c1/redirect", ctype: "application/x-www-form-urlencoded", body: "url=http%3A%2F%2F10.0.0.5%3A8080%2Fivr"}, 200, "redirect c1 http://10.0.0.5:8080/ivr"},
		{"query url", req{path: "/calls/c1/redirect?url=http://app/ivr"}, 200, "redirect c1 http://app/ivr"},
		{"missing", req{path: "/calls/c1/redirect"}, 400, ""},
		{"relative", req{path: "/calls/c1/redirect", ctype: "application/json", body: `{"url": "/ivr"}`}, 400, ""},
		{"ftp", req{path: "/calls/c1/redirect", ctype: "application/json", body: `{"url": "ftp://app/ivr"}`}, 400, ""},
		{"no host", req{path: "/calls/c1/redirect", ctype: "application/json", body: `{"url": "http:///ivr"}`}, 400, ""},
		{"control character", req{path: "/calls/c1/redirect", ctype: "application/json", body: `{"url": "http://app/\r\nivr"}`}, 400, ""},
		{"too long", req{path: "/calls/c1/redirect", ctype: "application/json", body: `{"url": "http://app/` + strings.Repeat("a", 5000) + `"}`}, 400, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := &fakeProxy{}
			s := &admin.Server{Proxy: f}
			tc.rq.method = "POST"
			w := do(t, s, tc.rq)
			if w.Code != tc.want {
				t.Fatalf("POST %s %q = %d %s, want %d", tc.rq.path, tc.rq.body, w.Code, w.Body, tc.want)
			}
			did := f.actions()
			switch {
			case tc.wantDid == "" && len(did) != 0:
				t.Errorf("proxy asked %q, want nothing", did)
			case tc.wantDid != "" && (len(did) != 1 || did[0] != tc.wantDid):
				t.Errorf("proxy asked %q, want %q", did, tc.wantDid)
			}
			if w.Code != 200 {
				errorOf(t, w)
			}
		})
	}
}

// TestActionErrors: the proxy's errors map to statuses that say whose
// problem it is.
func TestActionErrors(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want int
	}{
		{"unknown call", proxy.ErrNoSuchCall, 404},
		{"app takes no redirects", proxy.ErrNotRedirectable, 409},
		{"unsafe call id", fmt.Errorf("%w: byte ' ' at 6", proxy.ErrBadCallID), 409},
		{"freeswitch stopped answering", fmt.Errorf("api: %w", esl.ErrNoReply), 504},
		{"call ended meanwhile", fmt.Errorf("api: %w", esl.ErrClosed), 404},
		{"freeswitch hung up the socket", esl.ErrDisconnected, 404},
		{"freeswitch refused", &esl.ReplyError{Command: "api uuid_kill", Text: "-ERR No such channel!"}, 502},
		{"freeswitch too slow", fmt.Errorf("api: %w", context.DeadlineExceeded), 504},
		{"anything else", errors.New("esl: event queue overflow"), 500},
	}
	for _, tc := range tests {
		for _, action := range []string{"hangup", "redirect?url=http://app/x"} {
			t.Run(tc.name+" "+action, func(t *testing.T) {
				s := &admin.Server{Proxy: &fakeProxy{err: tc.err}}
				w := do(t, s, req{method: "POST", path: "/calls/c1/" + action})
				if w.Code != tc.want {
					t.Errorf("POST /calls/c1/%s with proxy error %v = %d, want %d", action, tc.err, w.Code, tc.want)
				}
				errorOf(t, w)
			})
		}
	}
}

func TestDrain(t *testing.T) {
	if w := do(t, &admin.Server{Proxy: &fakeProxy{}}, req{method: "POST", path: "/drain"}); w.Code != 501 {
		t.Errorf("POST /drain without a Drain func = %d, want 501", w.Code)
	}
	n := 0
	s := &admin.Server{Proxy: &fakeProxy{}, Drain: func() { n++ }}
	for range 2 {
		if w := do(t, s, req{method: "POST", path: "/drain"}); w.Code != 202 {
			t.Errorf("POST /drain = %d %s, want 202", w.Code, w.Body)
		}
	}
	if n != 2 {
		t.Errorf("Drain called %d times, want 2 (once per request; it must tolerate repeats)", n)
	}
}

func TestMetricsEndpoint(t *testing.T) {
	if w := do(t, &admin.Server{Proxy: &fakeProxy{}}, req{method: "GET", path: "/metrics"}); w.Code != 404 {
		t.Errorf("GET /metrics without Metrics = %d, want 404", w.Code)
	}
	m := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "callhook_calls_active 0\n") })
	w := do(t, &admin.Server{Proxy: &fakeProxy{}, Metrics: m}, req{method: "GET", path: "/metrics"})
	if w.Code != 200 || w.Body.String() != "callhook_calls_active 0\n" {
		t.Errorf("GET /metrics = %d %q, want the Metrics handler's answer", w.Code, w.Body)
	}
}

// TestLifecycle: Start binds and serves; Shutdown stops; a taken address
// fails Start at once.
func TestLifecycle(t *testing.T) {
	s := &admin.Server{Proxy: &fakeProxy{}}
	addr, err := s.Start("127.0.0.1:0")
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	resp, err := http.Get("http://" + addr.String() + "/healthz")
	if err != nil {
		t.Fatalf("GET /healthz: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(body) != "ok\n" {
		t.Errorf("GET /healthz = %d %q, want 200 ok", resp.StatusCode, body)
	}

	other := &admin.Server{Proxy: &fakeProxy{}}
	if _, err := other.Start(addr.String()); err == nil {
		other.Close()
		t.Errorf("Start(%s) on a taken address succeeded", addr)
	}

	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if err := s.Shutdown(ctx); err != nil {
		t.Errorf("Shutdown: %v", err)
	}
	if resp, err := http.Get("http://" + addr.String() + "/healthz"); err == nil {
		resp.Body.Close()
		t.Errorf("GET /healthz after Shutdown answered %d", resp.StatusCode)
	}
}

// TestRefusesAppRequests: a request carrying the mark of every request
// callhook makes for an app is refused on every endpoint, with or without
// a token configured and whatever its value, and nothing is acted on.
func TestRefusesAppRequests(t *testing.T) {
	const token = "s3cret-token"
	for _, tok := range []string{"", token} {
		fp := &fakeProxy{calls: []proxy.CallInfo{{ID: "c1"}}}
		drained := 0
		log := testlog.New()
		s := &admin.Server{Proxy: fp, Token: tok, Metrics: http.NotFoundHandler(), Drain: func() { drained++ }, Log: log}
		for _, rq := range []req{
			{method: "POST", path: "/drain"},
			{method: "POST", path: "/calls/c1/hangup"},
			{method: "POST", path: "/calls/c1/redirect?url=http://example.com/"},
			{method: "GET", path: "/calls"},
			{method: "GET", path: "/calls/c1"},
			{method: "GET", path: "/metrics"},
			{method: "GET", path: "/healthz"},
			{method: "GET", path: "/readyz"},
			{method: "GET", path: "/nothing"},
		} {
			for _, mark := range []string{"c1", ""} {
				r := httptest.NewRequest(rq.method, rq.path, nil)
				r.Header.Set("Authorization", "Bearer "+token)
				r.Header.Set(apphttp.CallIDHeader, mark)
				w := httptest.NewRecorder()
				s.ServeHTTP(w, r)
				if w.Code != http.StatusForbidden {
					t.Errorf("token %q: %s %s with %s %q = %d %s, want 403", tok, rq.method, rq.path, apphttp.CallIDHeader, mark, w.Code, w.Body)
					continue
				}
				if msg := errorOf(t, w); !strings.Contains(msg, "app") {
					t.Errorf("refusal says %q, want it to name an app's request", msg)
				}
			}
		}
		if drained != 0 || len(fp.actions()) != 0 {
			t.Errorf("token %q: drained %d times and did %q, want nothing", tok, drained, fp.actions())
		}
		refusals := log.Count(func(e *logrus.Entry) bool {
			return e.Level == logrus.WarnLevel && strings.HasPrefix(e.Message, "admin: refused a request an app made") &&
				e.Data["path"] != "" && e.Data["method"] != ""
		})
		if refusals != 18 {
			t.Errorf("token %q: %d refusals logged, want 18; log:\n%s", tok, refusals, log)
		}
	}
}
