package webhook

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/callhook/callhook/apphttp"
	"github.com/callhook/callhook/esl"
	"github.com/callhook/callhook/internal/calltest"
	"github.com/callhook/callhook/internal/testlog"
	"github.com/callhook/callhook/proxy"
	"github.com/callhook/callhook/verb"
	"github.com/sirupsen/logrus"
)

// seen is one request a test app received.
type seen struct {
	Path   string
	Header http.Header
	Body   []byte
}

// json decodes the request's JSON body.
func (s seen) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(s.Body, &m); err != nil {
		t.Fatalf("request body %q is not JSON: %v", s.Body, err)
	}
	return m
}

// testApp is a real HTTP web app: it records every request, then
// lets handle answer it (n counts requests from 1).
type testApp struct {
	*httptest.Server
	mu   sync.Mutex
	seen []seen
}

func newTestApp(t *testing.T, handle func(w http.ResponseWriter, r *http.Request, n int)) *testApp {
	t.Helper()
	a := &testApp{}
	a.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			t.Errorf("test app: read body: %v", err)
		}
		a.mu.Lock()
		a.seen = append(a.seen, seen{Path: r.URL.Path, Header: r.Header.Clone(), Body: body})
		n := len(a.seen)
		a.mu.Unlock()
		handle(w, r, n)
	}))
	t.Cleanup(a.Close)
	return a
}

// reply makes a handler that answers every request with body.
func replyWith(body string) func(http.ResponseWriter, *http.Request, int) {
	return func(w http.ResponseWriter, _ *http.Request, _ int) {
		w.Header().Set("Content-Type", "application/yaml")
		io.WriteString(w, body)
	}
}

func (a *testApp) requests() []seen {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]seen(nil), a.seen...)
}

// testClient is the production client.
func testClient(t *testing.T) *http.Client {
	c := apphttp.NewClient(nil)
	t.Cleanup(c.CloseIdleConnections)
	return c
}

// testRetry is callhook's retry policy with very short waits.
var testRetry = apphttp.Retry{WaitMin: time.Millisecond, WaitMax: 2 * time.Millisecond}

func testCall(id string, obs proxy.Observer) *proxy.Call {
	l := testlog.New() // at debug level: the debug logging code runs too
	return &proxy.Call{
		ID: id, App: "support", From: "1000", FromName: "Alice", To: "5000",
		Direction: "inbound", ChannelName: "sofia/internal/1000@192.0.2.10",
		StartedAt: time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC),
		Channel: &esl.Event{Headers: []esl.EventHeader{
			{Name: "variable_sip_user_agent", Value: "Zoiper 5", Raw: "Zoiper%205"},
		}},
		Log:      l.WithFields(logrus.Fields{"call_id": id, "app": "support"}),
		Observer: obs,
	}
}

func decodeJSON(t *testing.T, s string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		t.Fatalf("bad expected JSON %q: %v", s, err)
	}
	return m
}

var recordResult = &verb.Result{
	Verb: "record", Reason: verb.ReasonOK,
	Recording: &verb.Recording{Path: "/rec/support/r.wav", Name: "r.wav", DurationMS: 1500, Size: 24000},
}

func TestWebhookJSONBody(t *testing.T) {
	srv := newTestApp(t, func(w http.ResponseWriter, _ *http.Request, n int) {
		if n == 1 {
			io.WriteString(w, "session: {lang: en}\nverbs: [answer]\n")
			return
		}
		io.WriteString(w, "[answer]")
	})
	app := &App{Name: "support", URL: srv.URL + "/ivr", Vars: []string{"sip_user_agent", "never_set"}, Client: testClient(t), Retry: testRetry}
	d := calltest.StartDialog(t, app, testCall("call-1", &calltest.Requests{}))
	if _, err := d.Begin(t.Context()); err != nil {
		t.Fatalf("Begin() = %v", err)
	}
	if _, err := d.Result(t.Context(), verb.Verb{Name: "record", Action: srv.URL + "/recorded"}, recordResult); err != nil {
		t.Fatalf("Result() = %v", err)
	}
	call := `"call":{"from":"1000","from_name":"Alice","to":"5000","direction":"inbound","answered":false,
		"channel":"sofia/internal/1000@192.0.2.10","started_at":"2026-11-25T10:00:00Z"}`
	want := []struct{ path, body string }{
		{"/ivr", `{"call_id":"call-1","seq":1,"app":"support","event":"call.start",` + call + `,
			"vars":{"sip_user_agent":"Zoiper 5"}}`},
		{"/recorded", `{"call_id":"call-1","seq":2,"app":"support","event":"verb.result",` + call + `,
			"vars":{"sip_user_agent":"Zoiper 5"},
			"result":{"verb":"record","reason":"ok","response":"","recording":{"path":"/rec/support/r.wav","name":"r.wav","duration_ms":1500,"size":24000}},
			"session":{"lang":"en"}}`},
	}
	got := srv.requests()
	if len(got) != len(want) {
		t.Fatalf("app got %d requests, want %d", len(got), len(want))
	}
	for i, w := range want {
		if got[i].Path != w.path {
			t.Errorf("request %d path = %q, want %q", i+1, got[i].Path, w.path)
		}
		if ct := got[i].Header.Get("Content-Type"); ct != "application/json" {
			t.Errorf("request %d Content-Type = %q, want application/json", i+1, ct)
		}
		if g, w := got[i].json(t), decodeJSON(t, w.body); !reflect.DeepEqual(g, w) {
			t.Errorf("request %d body = %s\nwant %v", i+1, got[i].Body, w)
		}
	}
}

func TestWebhookFormBody(t *testing.T) {
	srv := newTestApp(t, func(w http.ResponseWriter, _ *http.Request, n int) {
		if n == 1 {
			io.WriteString(w, `{"session": {"lang": "en", "tries": 2, "vip": true}, "verbs": ["answer"]}`)
			return
		}
		io.WriteString(w, "[answer]")
	})
	app := &App{Name: "support", URL: srv.URL, Form: true, Vars: []string{"sip_user_agent"}, Client: testClient(t), Retry: testRetry}
	call := testCall("call-1", &calltest.Requests{})
	call.Answered = true
	d := calltest.StartDialog(t, app, call)
	if _, err := d.Begin(t.Context()); err != nil {
		t.Fatalf("Begin() = %v", err)
	}
	if _, err := d.Result(t.Context(), verb.Verb{Name: "record", Action: srv.URL}, recordResult); err != nil {
		t.Fatalf("Result() = %v", err)
	}
	got := srv.requests()
	if len(got) != 2 {
		t.Fatalf("app got %d requests, want 2", len(got))
	}
	if ct := got[1].Header.Get("Content-Type"); ct != "application/x-www-form-urlencoded" {
		t.Errorf("Content-Type = %q, want application/x-www-form-urlencoded", ct)
	}
	form, err := url.ParseQuery(string(got[1].Body))
	if err != nil {
		t.Fatalf("body %q is not a form: %v", got[1].Body, err)
	}
	want := url.Values{
		"call_id": {"call-1"}, "seq": {"2"}, "app": {"support"}, "event": {"verb.result"},
		"call.from": {"1000"}, "call.from_name": {"Alice"}, "call.to": {"5000"},
		"call.direction": {"inbound"}, "call.answered": {"true"},
		"call.channel": {"sofia/internal/1000@192.0.2.10"}, "call.started_at": {"2026-11-25T10:00:00Z"},
		"vars.sip_user_agent":          {"Zoiper 5"},
		"result.verb":                  {"record"},
		"result.reason":                {"ok"},
		"result.response":              {""},
		"result.recording.path":        {"/rec/support/r.wav"},
		"result.recording.name":        {"r.wav"},
		"result.recording.duration_ms": {"1500"},
		"result.recording.size":        {"24000"},
		"session":                      {`{"lang":"en","tries":2,"vip":true}`},
	}
	if !reflect.DeepEqual(form, want) {
		t.Errorf("form body = %v\nwant %v", form, want)
	}
	first, err := url.ParseQuery(string(got[0].Body))
	if err != nil {
		t.Fatalf("body %q is not a form: %v", got[0].Body, err)
	}
	if first.Has("session") || first.Has("result.verb") {
		t.Errorf("call.start form = %v, want no session and no result", first)
	}
}

func TestWebhookFlatten(t *testing.T) {
	tests := []struct {
		name, in string
		want     url.Values
	}{
		{"nested", `{"a":{"b":{"c":"x"}}}`, url.Values{"a.b.c": {"x"}}},
		{"numbers", `{"i":12,"f":1.5,"big":12345678901234567890}`, url.Values{"i": {"12"}, "f": {"1.5"}, "big": {"12345678901234567890"}}},
		{"booleans", `{"t":true,"f":false}`, url.Values{"t": {"true"}, "f": {"false"}}},
		{"null left out", `{"n":null,"s":""}`, url.Values{"s": {""}}},
		{"list by index", `{"l":["a",{"b":1}]}`, url.Values{"l.0": {"a"}, "l.1.b": {"1"}}},
		{"session left out", `{"session":{"x":1},"seq":3}`, url.Values{"seq": {"3"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := flatten([]byte(tc.in))
			if err != nil {
				t.Fatalf("webhookFlatten(%q) = %v", tc.in, err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("webhookFlatten(%q) = %v, want %v", tc.in, got, tc.want)
			}
		})
	}
}

func TestWebhookHeaders(t *testing.T) {
	srv := newTestApp(t, replyWith("[answer]"))
	app := &App{Name: "support", URL: srv.URL, Client: testClient(t), Retry: testRetry}
	call := testCall("call-7", &calltest.Requests{})
	call.UserAgent = proxy.UserAgent("v1.2.3")
	d := calltest.StartDialog(t, app, call)
	steps := []func() (*proxy.Instructions, error){
		func() (*proxy.Instructions, error) { return d.Begin(t.Context()) },
		func() (*proxy.Instructions, error) {
			return d.Result(t.Context(), verb.Verb{Name: "gather", Action: srv.URL}, &verb.Result{Verb: "gather", Reason: verb.ReasonTimeout})
		},
		func() (*proxy.Instructions, error) { return d.Redirect(t.Context(), srv.URL) },
	}
	for i, step := range steps {
		if _, err := step(); err != nil {
			t.Fatalf("step %d = %v", i+1, err)
		}
	}
	for i, r := range srv.requests() {
		want := map[string]string{
			"User-Agent":         "callhook/v1.2.3",
			"X-Callhook-Call-Id": "call-7",
			"X-Callhook-Seq":     strconv.Itoa(i + 1),
		}
		for k, v := range want {
			if got := r.Header.Get(k); got != v {
				t.Errorf("request %d %s = %q, want %q", i+1, k, got, v)
			}
		}
		if got := r.Header.Get("X-Callhook-Signature"); got != "" {
			t.Errorf("request %d X-Callhook-Signature = %q, want none without a secret", i+1, got)
		}
		if seq := r.json(t)["seq"]; seq != float64(i+1) {
			t.Errorf("request %d body seq = %v, want %d", i+1, seq, i+1)
		}
	}
}

// verify checks a signature as a web app would, with its own code.
func verify(secret, header string, body []byte) (int64, error) {
	ts, mac, ok := strings.Cut(header, ",")
	if !ok || !strings.HasPrefix(ts, "t=") || !strings.HasPrefix(mac, "v1=") {
		return 0, fmt.Errorf("malformed signature %q", header)
	}
	t, err := strconv.ParseInt(ts[2:], 10, 64)
	if err != nil {
		return 0, fmt.Errorf("signature time: %v", err)
	}
	h := hmac.New(sha256.New, []byte(secret))
	h.Write([]byte(ts[2:] + "." + string(body)))
	if want := hex.EncodeToString(h.Sum(nil)); !hmac.Equal([]byte(want), []byte(mac[3:])) {
		return 0, fmt.Errorf("signature %s does not match body, want v1=%s", mac, want)
	}
	return t, nil
}

func TestWebhookRetrySignedAfresh(t *testing.T) {
	const secret = "s3cret"
	srv := newTestApp(t, func(w http.ResponseWriter, r *http.Request, n int) {
		if n < 3 {
			http.Error(w, "busy", http.StatusServiceUnavailable)
			return
		}
		io.WriteString(w, "[answer]")
	})
	clock := time.Unix(1_700_000_000, 0)
	app := &App{Name: "support", URL: srv.URL, Secret: secret, Retries: 2, Client: testClient(t), Retry: testRetry,
		now: func() time.Time { clock = clock.Add(time.Second); return clock }}
	d := calltest.StartDialog(t, app, testCall("call-1", &calltest.Requests{}))
	ins, err := d.Begin(t.Context())
	if err != nil || ins.Failure != nil {
		t.Fatalf("Begin() = %+v, %v; want the app's instructions", ins, err)
	}
	seen := map[int64]bool{}
	got := srv.requests()
	if len(got) != 3 {
		t.Fatalf("app got %d attempts, want 3", len(got))
	}
	for i, r := range got {
		ts, err := verify(secret, r.Header.Get("X-Callhook-Signature"), r.Body)
		if err != nil {
			t.Errorf("attempt %d: %v", i+1, err)
		}
		if seen[ts] {
			t.Errorf("attempt %d signed with t=%d again, want a fresh t per attempt", i+1, ts)
		}
		seen[ts] = true
		if seq := r.Header.Get("X-Callhook-Seq"); seq != "1" {
			t.Errorf("attempt %d X-Callhook-Seq = %q, want 1 on every attempt", i+1, seq)
		}
	}
}

func TestWebhookCookiesPerCall(t *testing.T) {
	srv := newTestApp(t, func(w http.ResponseWriter, r *http.Request, _ int) {
		if _, err := r.Cookie("sid"); err != nil {
			http.SetCookie(w, &http.Cookie{Name: "sid", Value: r.Header.Get("X-Callhook-Call-Id"), Path: "/"})
		}
		io.WriteString(w, "[answer]")
	})
	app := &App{Name: "support", URL: srv.URL + "/ivr", Client: testClient(t), Retry: testRetry}
	a := calltest.StartDialog(t, app, testCall("call-a", &calltest.Requests{}))
	b := calltest.StartDialog(t, app, testCall("call-b", &calltest.Requests{}))
	steps := []struct {
		name string
		do   func() (*proxy.Instructions, error)
		want string // Cookie header the app must see
	}{
		{"a starts", func() (*proxy.Instructions, error) { return a.Begin(t.Context()) }, ""},
		{"a again", func() (*proxy.Instructions, error) { return a.Redirect(t.Context(), srv.URL+"/next") }, "sid=call-a"},
		{"b starts", func() (*proxy.Instructions, error) { return b.Begin(t.Context()) }, ""},
		{"b again", func() (*proxy.Instructions, error) { return b.Redirect(t.Context(), srv.URL+"/next") }, "sid=call-b"},
		{"a third", func() (*proxy.Instructions, error) { return a.Redirect(t.Context(), srv.URL+"/next") }, "sid=call-a"},
	}
	for i, s := range steps {
		if _, err := s.do(); err != nil {
			t.Fatalf("%s = %v", s.name, err)
		}
		got := srv.requests()[i].Header.Get("Cookie")
		if got != s.want {
			t.Errorf("%s: Cookie = %q, want %q", s.name, got, s.want)
		}
	}
}

func TestWebhookSessionRoundTrip(t *testing.T) {
	replies := []string{
		"session: {lang: en}\nverbs: [answer]",
		"[answer]", // no session: the last one is kept
		`{"session": {"lang": "fr", "n": 2}, "verbs": ["answer"]}`,
		"session: null\nverbs: [answer]", // set to null: sent as null
		"[answer]",
	}
	srv := newTestApp(t, func(w http.ResponseWriter, _ *http.Request, n int) {
		io.WriteString(w, replies[n-1])
	})
	app := &App{Name: "support", URL: srv.URL, Client: testClient(t), Retry: testRetry}
	d := calltest.StartDialog(t, app, testCall("call-1", &calltest.Requests{}))
	if _, err := d.Begin(t.Context()); err != nil {
		t.Fatalf("Begin() = %v", err)
	}
	for range len(replies) - 1 {
		if _, err := d.Redirect(t.Context(), srv.URL); err != nil {
			t.Fatalf("Redirect() = %v", err)
		}
	}
	want := []struct {
		present bool
		session string
	}{
		{false, ""},
		{true, `{"lang":"en"}`},
		{true, `{"lang":"en"}`},
		{true, `{"lang":"fr","n":2}`},
		{true, `null`},
	}
	for i, r := range srv.requests() {
		var body map[string]json.RawMessage
		if err := json.Unmarshal(r.Body, &body); err != nil {
			t.Fatalf("request %d body %q: %v", i+1, r.Body, err)
		}
		s, ok := body["session"]
		if ok != want[i].present || (ok && string(s) != want[i].session) {
			t.Errorf("request %d session = %s (present %v), want %s (present %v)", i+1, s, ok, want[i].session, want[i].present)
		}
	}
}

// TestWebhookSessionLiterals: session comes back as the app wrote it, in
// JSON and form requests, whether the reply was YAML or JSON. A JSON
// number keeps its literal (1.0 stays 1.0, a big number is not rounded);
// any other unquoted scalar but true, false and null comes back as the
// string written (01234 was 668, 0044123456 was 9479982: YAML's octal).
func TestWebhookSessionLiterals(t *testing.T) {
	const wantJSON = `{"big":123456789012345678901234567890,"bin":"0b101","f":1.0,"hex":"0x1F","inf":".inf",` +
		`"n":null,"nan":".nan","neg":-0.5e-3,"no":false,"phone":"0044123456","plus":"+1","sep":"1_000",` +
		`"t":true,"zip":"01234","zip_quoted":"01234"}`
	replies := []struct{ name, reply string }{
		{"YAML", "session: {zip: 01234, phone: 0044123456, big: 123456789012345678901234567890, f: 1.0,\n" +
			"  hex: 0x1F, sep: 1_000, inf: .inf, nan: .nan, bin: 0b101, plus: +1, neg: -0.5e-3,\n" +
			"  t: true, no: false, n: null, zip_quoted: '01234'}\nverbs: [answer]\n"},
		{"JSON", `{"session": {"zip": "01234", "phone": "0044123456", "big": 123456789012345678901234567890, "f": 1.0,` +
			` "hex": "0x1F", "sep": "1_000", "inf": ".inf", "nan": ".nan", "bin": "0b101", "plus": "+1", "neg": -0.5e-3,` +
			` "t": true, "no": false, "n": null, "zip_quoted": "01234"}, "verbs": ["answer"]}`},
	}
	for _, r := range replies {
		for _, form := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s reply, form %v", r.name, form), func(t *testing.T) {
				srv := newTestApp(t, replyWith(r.reply))
				app := &App{Name: "support", URL: srv.URL, Form: form, Client: testClient(t), Retry: testRetry}
				d := calltest.StartDialog(t, app, testCall("call-1", &calltest.Requests{}))
				if _, err := d.Begin(t.Context()); err != nil {
					t.Fatalf("Begin() = %v", err)
				}
				if _, err := d.Redirect(t.Context(), srv.URL); err != nil {
					t.Fatalf("Redirect() = %v", err)
				}
				got := srv.requests()
				if len(got) != 2 {
					t.Fatalf("app got %d requests, want 2", len(got))
				}
				var session string
				if form {
					v, err := url.ParseQuery(string(got[1].Body))
					if err != nil {
						t.Fatalf("body %q is not a form: %v", got[1].Body, err)
					}
					session = v.Get("session")
				} else {
					var body map[string]json.RawMessage
					if err := json.Unmarshal(got[1].Body, &body); err != nil {
						t.Fatalf("body %q: %v", got[1].Body, err)
					}
					session = string(body["session"])
				}
				if session != wantJSON {
					t.Errorf("session sent back = %s\nwant             %s", session, wantJSON)
				}
			})
		}
	}
}

func TestWebhookRelativeURLs(t *testing.T) {
	srv := newTestApp(t, func(w http.ResponseWriter, r *http.Request, _ int) {
		switch r.URL.Path {
		case "/old/start":
			// An HTTP redirect: the document's URL is where it ends up.
			http.Redirect(w, r, "/app/v2/doc", http.StatusTemporaryRedirect)
		case "/app/v2/doc":
			io.WriteString(w, "- gather: {play: menu.wav, action: next}\n- redirect: ../other\n")
		default:
			io.WriteString(w, "[answer]")
		}
	})
	app := &App{Name: "support", URL: srv.URL + "/old/start", Client: testClient(t), Retry: testRetry}
	d := calltest.StartDialog(t, app, testCall("call-1", &calltest.Requests{}))
	ins, err := d.Begin(t.Context())
	if err != nil {
		t.Fatalf("Begin() = %v", err)
	}
	if len(ins.Verbs) != 2 {
		t.Fatalf("Begin() verbs = %+v, want gather and redirect", ins.Verbs)
	}
	if got, want := ins.Verbs[0].Action, srv.URL+"/app/v2/next"; got != want {
		t.Errorf("gather action = %q, want %q", got, want)
	}
	rs, ok := ins.Verbs[1].Spec.(*verb.RedirectSpec)
	if !ok {
		t.Fatalf("second verb spec = %T, want *RedirectSpec", ins.Verbs[1].Spec)
	}
	if want := srv.URL + "/app/other"; rs.URL != want {
		t.Errorf("redirect url = %q, want %q", rs.URL, want)
	}
	if _, err := d.Result(t.Context(), ins.Verbs[0], &verb.Result{Verb: "gather", Reason: verb.ReasonOK, Digits: "1"}); err != nil {
		t.Fatalf("Result() = %v", err)
	}
	// A relative URL given to Redirect (an admin's) resolves against the app's URL.
	if _, err := d.Redirect(t.Context(), "menu"); err != nil {
		t.Fatalf("Redirect() = %v", err)
	}
	var paths []string
	for _, r := range srv.requests() {
		paths = append(paths, r.Path)
	}
	want := []string{"/old/start", "/app/v2/doc", "/app/v2/next", "/old/menu"}
	if !reflect.DeepEqual(paths, want) {
		t.Errorf("app saw paths %q, want %q", paths, want)
	}
}

func TestWebhookRetries(t *testing.T) {
	const retries = 2
	tests := []struct {
		name         string
		status       int // 0: the app is not listening
		wantAttempts int
		wantCode     string
	}{
		{"500 retried", 500, 1 + retries, "http_500"},
		{"503 retried", 503, 1 + retries, "http_503"},
		{"429 retried", 429, 1 + retries, "http_429"},
		{"404 not retried", 404, 1, "http_404"},
		{"400 not retried", 400, 1, "http_400"},
		{"connection refused retried", 0, 1 + retries, apphttp.CodeConnect},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := newTestApp(t, func(w http.ResponseWriter, _ *http.Request, _ int) {
				http.Error(w, "no", tc.status)
			})
			if tc.status == 0 {
				srv.Close()
			}
			obs := &calltest.Requests{}
			app := &App{Name: "support", URL: srv.URL, Retries: retries, Client: testClient(t), Retry: testRetry}
			d := calltest.StartDialog(t, app, testCall("call-1", obs))
			ins, err := d.Begin(t.Context())
			if ins != nil || err == nil {
				t.Fatalf("Begin() = %+v, %v; want the app's error", ins, err)
			}
			be, ok := errors.AsType[*apphttp.RequestError](err)
			if !ok || be.Code != tc.wantCode {
				t.Errorf("Begin() error = %v, want a RequestError with code %s", err, tc.wantCode)
			}
			if tc.status != 0 {
				if got := len(srv.requests()); got != tc.wantAttempts {
					t.Errorf("app got %d attempts, want %d", got, tc.wantAttempts)
				}
				if be != nil && be.Status != tc.status {
					t.Errorf("RequestError.Status = %d, want %d", be.Status, tc.status)
				}
			}
			reqs := obs.All()
			if len(reqs) != 1 || reqs[0].Attempts != tc.wantAttempts || reqs[0].Status != tc.status || reqs[0].Err == nil {
				t.Errorf("observer saw %+v, want one failed request with %d attempts and status %d", reqs, tc.wantAttempts, tc.status)
			}
		})
	}
}

func TestWebhookTimeoutPerAttempt(t *testing.T) {
	srv := newTestApp(t, func(w http.ResponseWriter, r *http.Request, _ int) {
		<-r.Context().Done() // never answers: the attempt's timeout ends it
	})
	obs := &calltest.Requests{}
	app := &App{Name: "support", URL: srv.URL, Timeout: 100 * time.Millisecond, Retries: 1, Client: testClient(t), Retry: testRetry}
	d := calltest.StartDialog(t, app, testCall("call-1", obs))
	ins, err := d.Begin(t.Context())
	if ins != nil || err == nil {
		t.Fatalf("Begin() = %+v, %v; want the app's error", ins, err)
	}
	if be, ok := errors.AsType[*apphttp.RequestError](err); !ok || be.Code != apphttp.CodeTimeout {
		t.Errorf("Begin() error = %v, want a RequestError with code timeout", err)
	}
	// Each attempt timed out on its own. (How many reached the app depends
	// on when each timeout struck, so the observer's count is the one checked.)
	if reqs := obs.All(); len(reqs) != 1 || reqs[0].Attempts != 2 || reqs[0].Status != 0 {
		t.Errorf("observer saw %+v, want one request of 2 attempts with no status", reqs)
	}
}

func TestWebhookFallback(t *testing.T) {
	srv := newTestApp(t, func(w http.ResponseWriter, _ *http.Request, _ int) {
		http.Error(w, "boom", http.StatusInternalServerError)
	})
	fallback := newTestApp(t, replyWith("[{play: sorry.wav}]"))
	obs := &calltest.Requests{}
	app := &App{Name: "support", URL: srv.URL + "/ivr", FallbackURL: fallback.URL + "/sorry", Retries: 1, Client: testClient(t), Retry: testRetry}
	d := calltest.StartDialog(t, app, testCall("call-1", obs))
	ins, err := d.Begin(t.Context())
	if err != nil {
		t.Fatalf("Begin() = %v", err)
	}
	if len(ins.Verbs) != 1 || ins.Verbs[0].Name != "play" {
		t.Errorf("Begin() verbs = %+v, want the fallback's play", ins.Verbs)
	}
	if ins.Failure == nil || !ins.Failure.Fallback || ins.Failure.OnFailure {
		t.Fatalf("Begin() failure = %+v, want Fallback", ins.Failure)
	}
	if be, ok := errors.AsType[*apphttp.RequestError](ins.Failure.Err); !ok || be.Code != "http_500" || be.URL != srv.URL+"/ivr" {
		t.Errorf("failure error = %v, want http_500 from the app's URL", ins.Failure.Err)
	}
	got := fallback.requests()
	if len(got) != 1 {
		t.Fatalf("fallback got %d requests, want 1", len(got))
	}
	body := got[0].json(t)
	if body["event"] != EventCallStart || body["seq"] != float64(1) || got[0].Header.Get("X-Callhook-Seq") != "1" {
		t.Errorf("fallback body = %s, want the same call.start request (seq 1)", got[0].Body)
	}
	e, _ := body["error"].(map[string]any)
	if e["code"] != "http_500" || e["url"] != srv.URL+"/ivr" || e["message"] == "" {
		t.Errorf("fallback error field = %v, want code http_500, the app's url and a message", e)
	}
	if _, ok := srv.requests()[0].json(t)["error"]; ok {
		t.Errorf("app request carries error, want it only on the fallback's")
	}
	want := []proxy.RequestInfo{
		{URL: srv.URL + "/ivr", Event: EventCallStart, Attempts: 2, Status: 500, Reply: "boom\n"},
		{URL: fallback.URL + "/sorry", Event: EventCallStart, Attempts: 1, Status: 200, Reply: "[{play: sorry.wav}]", Fallback: true},
	}
	reqs := obs.All()
	if len(reqs) != len(want) {
		t.Fatalf("observer saw %d requests, want %d", len(reqs), len(want))
	}
	for i, w := range want {
		r := reqs[i]
		if (r.Err != nil) != (i == 0) {
			t.Errorf("observed request %d Err = %v, want an error only for the app", i+1, r.Err)
		}
		if r.Body != w.Reply {
			t.Errorf("observed request %d Body = %q, want the whole reply %q", i+1, r.Body, w.Reply)
		}
		if !strings.Contains(r.Sent, `"event":"call.start"`) {
			t.Errorf("observed request %d Sent = %q, want the call.start JSON", i+1, r.Sent)
		}
		r.Err, r.Took, r.Body, r.Sent = nil, 0, "", ""
		if r != w {
			t.Errorf("observed request %d = %+v, want %+v", i+1, r, w)
		}
	}
}

// TestWebhookFallbackFails: when the fallback fails too, the dialog returns
// both errors (the session runs the app's on_failure, see TestAppFailures).
func TestWebhookFallbackFails(t *testing.T) {
	srv := newTestApp(t, func(w http.ResponseWriter, _ *http.Request, _ int) {
		http.Error(w, "down", http.StatusBadGateway)
	})
	fallback := newTestApp(t, func(w http.ResponseWriter, _ *http.Request, _ int) {
		http.Error(w, "down too", http.StatusServiceUnavailable)
	})
	app := &App{Name: "support", URL: srv.URL, FallbackURL: fallback.URL, Client: testClient(t), Retry: testRetry}
	d := calltest.StartDialog(t, app, testCall("call-1", &calltest.Requests{}))
	ins, err := d.Begin(t.Context())
	if ins != nil || err == nil {
		t.Fatalf("Begin() = %+v, %v; want the app's and the fallback's error", ins, err)
	}
	be, ok := errors.AsType[*apphttp.RequestError](err)
	if !ok || be.Code != "http_502" {
		t.Errorf("Begin() error = %v, want the app's http_502 first", err)
	}
	if !strings.Contains(err.Error(), "http_503") {
		t.Errorf("Begin() error = %v, want the fallback's http_503 too", err)
	}
	if n := len(fallback.requests()); n != 1 {
		t.Errorf("fallback got %d requests, want 1", n)
	}
}

func TestWebhookInvalidReply(t *testing.T) {
	long := "[{play: " + strings.Repeat("x", 100) + "}]"
	tests := []struct {
		name    string
		handle  func(w http.ResponseWriter, r *http.Request, n int)
		maxSize int64
	}{
		{"invalid YAML", replyWith("[{play: x"), 0},
		{"unknown verb", replyWith("[frobnicate]"), 0},
		{"CR-LF in an argument", replyWith(`[{play: "a.wav\r\napi hangup"}]`), 0},
		{"not a list", replyWith(`42`), 0},
		{"session key JSON cannot carry", replyWith("session: {[a, b]: 1}\nverbs: [answer]"), 0},
		{"over MaxReplyBytes with Content-Length", replyWith(long), 64},
		{"over MaxReplyBytes chunked", func(w http.ResponseWriter, _ *http.Request, _ int) {
			io.WriteString(w, long[:50])
			w.(http.Flusher).Flush() // no Content-Length: the read limit must catch it
			io.WriteString(w, long[50:])
		}, 64},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := newTestApp(t, tc.handle)
			fallback := newTestApp(t, replyWith("[hangup]"))
			app := &App{Name: "support", URL: srv.URL, FallbackURL: fallback.URL, Retries: 2,
				MaxReplyBytes: tc.maxSize, Client: testClient(t), Retry: testRetry}
			d := calltest.StartDialog(t, app, testCall("call-1", &calltest.Requests{}))
			ins, err := d.Begin(t.Context())
			if err != nil {
				t.Fatalf("Begin() = %v", err)
			}
			if ins.Failure == nil || !ins.Failure.Fallback {
				t.Fatalf("Begin() failure = %+v, want the fallback's answer", ins.Failure)
			}
			if be, ok := errors.AsType[*apphttp.RequestError](ins.Failure.Err); !ok || be.Code != apphttp.CodeInvalidReply || be.Status != 200 {
				t.Errorf("failure error = %v, want invalid_reply with status 200", ins.Failure.Err)
			}
			if n := len(srv.requests()); n != 1 {
				t.Errorf("app got %d attempts, want 1 (an invalid reply is not retried)", n)
			}
			got := fallback.requests()
			if len(got) != 1 {
				t.Fatalf("fallback got %d requests, want 1", len(got))
			}
			if e, _ := got[0].json(t)["error"].(map[string]any); e["code"] != apphttp.CodeInvalidReply {
				t.Errorf("fallback error field = %v, want code invalid_reply", e)
			}
		})
	}
}

func TestWebhookRedirectLimit(t *testing.T) {
	srv := newTestApp(t, replyWith("[{redirect: /again}]"))
	fallback := newTestApp(t, replyWith("[answer]"))
	app := &App{Name: "support", URL: srv.URL, FallbackURL: fallback.URL, MaxRedirects: 2, Client: testClient(t), Retry: testRetry}
	d := calltest.StartDialog(t, app, testCall("call-1", &calltest.Requests{}))
	for i := range 2 {
		ins, err := d.Redirect(t.Context(), srv.URL+"/again")
		if err != nil || ins.Failure != nil {
			t.Fatalf("redirect %d = %+v, %v; want the app's instructions", i+1, ins, err)
		}
	}
	ins, err := d.Redirect(t.Context(), srv.URL+"/again")
	if ins != nil || !errors.Is(err, ErrTooManyRedirects) {
		t.Errorf("redirect 3 = %+v, %v; want ErrTooManyRedirects", ins, err)
	}
	if n := len(srv.requests()); n != 2 {
		t.Errorf("app got %d requests, want 2", n)
	}
	if n := len(fallback.requests()); n != 0 {
		t.Errorf("fallback got %d requests, want none for a redirect loop", n)
	}
}

// TestWebhookNoRedirects: a negative MaxRedirects (the config's
// max_redirects: 0) refuses the first redirect.
func TestWebhookNoRedirects(t *testing.T) {
	srv := newTestApp(t, replyWith("[answer]"))
	app := &App{Name: "support", URL: srv.URL, MaxRedirects: -1, Client: testClient(t), Retry: testRetry}
	d := calltest.StartDialog(t, app, testCall("call-1", &calltest.Requests{}))
	ins, err := d.Redirect(t.Context(), srv.URL+"/again")
	if ins != nil || !errors.Is(err, ErrTooManyRedirects) {
		t.Errorf("Redirect = %+v, %v; want ErrTooManyRedirects", ins, err)
	}
	if n := len(srv.requests()); n != 0 {
		t.Errorf("app got %d requests, want none", n)
	}
}

var errTestHangup = errors.New("caller hung up")

func TestWebhookHangupMidRequest(t *testing.T) {
	tests := []struct {
		name string
		// handle signals on arrived once the call is in the state to test.
		handle func(arrived chan<- struct{}) func(http.ResponseWriter, *http.Request, int)
	}{
		{"while the app thinks", func(arrived chan<- struct{}) func(http.ResponseWriter, *http.Request, int) {
			return func(_ http.ResponseWriter, r *http.Request, _ int) {
				arrived <- struct{}{}
				<-r.Context().Done()
			}
		}},
		{"between attempts", func(arrived chan<- struct{}) func(http.ResponseWriter, *http.Request, int) {
			return func(w http.ResponseWriter, _ *http.Request, _ int) {
				http.Error(w, "busy", http.StatusServiceUnavailable)
				arrived <- struct{}{}
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			arrived := make(chan struct{}, 1)
			srv := newTestApp(t, tc.handle(arrived))
			fallback := newTestApp(t, replyWith("[answer]"))
			client := testClient(t)
			wait := apphttp.Retry{WaitMin: time.Hour, WaitMax: time.Hour} // only a hangup ends the wait
			app := &App{Name: "support", URL: srv.URL, FallbackURL: fallback.URL, Timeout: time.Hour, Retries: 3, Client: client, Retry: wait}
			d := calltest.StartDialog(t, app, testCall("call-1", &calltest.Requests{}))
			ctx, cancel := context.WithCancelCause(t.Context())
			type result struct {
				ins *proxy.Instructions
				err error
			}
			done := make(chan result, 1)
			go func() {
				ins, err := d.Begin(ctx)
				done <- result{ins, err}
			}()
			select {
			case <-arrived:
			case <-time.After(10 * time.Second):
				t.Fatal("the request never reached the app")
			}
			cancel(errTestHangup)
			var r result
			select {
			case r = <-done:
			case <-time.After(10 * time.Second):
				t.Fatal("Begin() did not return after the hangup")
			}
			if r.ins != nil || !errors.Is(r.err, context.Canceled) || !errors.Is(r.err, errTestHangup) {
				t.Errorf("Begin() = %+v, %v; want nil and an error wrapping context.Canceled and the cause", r.ins, r.err)
			}
			if n := len(fallback.requests()); n != 0 {
				t.Errorf("fallback got %d requests, want none for a hung-up call", n)
			}
		})
	}
}

func TestWebhookCallEnd(t *testing.T) {
	status := newTestApp(t, replyWith("ok"))
	srv := newTestApp(t, replyWith("session: {lang: en}\nverbs: [answer]"))
	obs := &calltest.Requests{}
	app := &App{Name: "support", URL: srv.URL, StatusURL: status.URL + "/status", Client: testClient(t), Retry: testRetry}
	d := calltest.StartDialog(t, app, testCall("call-1", obs))
	if _, err := d.Begin(t.Context()); err != nil {
		t.Fatalf("Begin() = %v", err)
	}
	end := &proxy.CallEnd{Outcome: proxy.OutcomeHangup, Cause: "NORMAL_CLEARING", Duration: 42, Billsec: 40,
		LastResult: &verb.Result{Verb: "play", Reason: verb.ReasonHangup, Response: "PLAYBACK ERROR"}}
	d.End(t.Context(), end)
	d.End(t.Context(), end) // exactly once, whatever the caller does
	got := status.requests()
	if len(got) != 1 {
		t.Fatalf("status_url got %d requests, want 1", len(got))
	}
	if got[0].Path != "/status" {
		t.Errorf("call.end path = %q, want /status", got[0].Path)
	}
	body := got[0].json(t)
	want := decodeJSON(t, `{"call_id":"call-1","seq":2,"app":"support","event":"call.end",
		"call":{"from":"1000","from_name":"Alice","to":"5000","direction":"inbound","answered":false,
			"channel":"sofia/internal/1000@192.0.2.10","started_at":"2026-11-25T10:00:00Z"},
		"session":{"lang":"en"},
		"hangup":{"cause":"NORMAL_CLEARING","duration":42,"billsec":40},
		"outcome":"hangup",
		"last_result":{"verb":"play","reason":"hangup","response":"PLAYBACK ERROR"}}`)
	if !reflect.DeepEqual(body, want) {
		t.Errorf("call.end body = %s\nwant %v", got[0].Body, want)
	}
	if n := len(srv.requests()); n != 1 {
		t.Errorf("app URL got %d requests, want only call.start", n)
	}
	reqs := obs.All()
	if last := reqs[len(reqs)-1]; last.Event != EventCallEnd || last.Err != nil || last.Status != 200 {
		t.Errorf("observer saw %+v for call.end, want a good call.end", last)
	}
}

func TestWebhookCallEndFailures(t *testing.T) {
	tests := []struct {
		name      string
		statusURL func(t *testing.T) string
		wantReqs  int
	}{
		{"no status_url", func(*testing.T) string { return "" }, 0},
		{"status_url fails", func(t *testing.T) string {
			s := newTestApp(t, func(w http.ResponseWriter, _ *http.Request, _ int) {
				http.Error(w, "no", http.StatusInternalServerError)
			})
			return s.URL
		}, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			obs := &calltest.Requests{}
			app := &App{Name: "support", URL: "http://127.0.0.1:1/never", StatusURL: tc.statusURL(t), Client: testClient(t), Retry: testRetry}
			d := calltest.StartDialog(t, app, testCall("call-1", obs))
			d.End(t.Context(), &proxy.CallEnd{Outcome: proxy.OutcomeFailed, Cause: "NORMAL_TEMPORARY_FAILURE"})
			reqs := obs.All()
			if len(reqs) != tc.wantReqs {
				t.Fatalf("observer saw %d requests, want %d", len(reqs), tc.wantReqs)
			}
			if tc.wantReqs > 0 && (reqs[0].Err == nil || reqs[0].Status != 500) {
				t.Errorf("observer saw %+v, want the failed call.end", reqs[0])
			}
		})
	}
}

func TestWebhookLogs(t *testing.T) {
	tests := []struct {
		name   string
		status int
		want   []map[string]any // the log lines, fields that matter only
	}{
		{"a good request is quiet at info", 200, nil},
		{"a failed request warns", 500, []map[string]any{
			{"level": "warning", "msg": "webhook request failed", "event": EventCallStart, "status": 500, "attempts": 2},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := newTestApp(t, func(w http.ResponseWriter, _ *http.Request, _ int) {
				w.WriteHeader(tc.status)
				io.WriteString(w, "[answer]")
			})
			log := testlog.New()
			log.Level = logrus.InfoLevel
			call := testCall("call-1", &calltest.Requests{})
			call.Log = log.WithField("call_id", "call-1")
			app := &App{Name: "support", URL: srv.URL, Retries: 1, Client: testClient(t), Retry: testRetry}
			d := calltest.StartDialog(t, app, call)
			// A failed request is the app's error (the session runs
			// on_failure); what matters here is what the dialog logged.
			if _, err := d.Begin(t.Context()); (err != nil) != (tc.status != 200) {
				t.Fatalf("Begin() = %v, want an error only for status %d", err, tc.status)
			}
			entries := log.Entries()
			if len(entries) != len(tc.want) {
				t.Fatalf("logged %q, want %d lines", log.String(), len(tc.want))
			}
			for i, w := range tc.want {
				e := entries[i]
				got := map[string]any{"level": e.Level.String(), "msg": e.Message}
				maps.Copy(got, e.Data)
				for k, v := range w {
					if got[k] != v {
						t.Errorf("log line %d %s = %v, want %v", i+1, k, got[k], v)
					}
				}
				if got["url"] != srv.URL || got["call_id"] != "call-1" || got["error"] == nil {
					t.Errorf("log line %d = %v, want url, call_id and error", i+1, got)
				}
			}
		})
	}
}

func TestWebhookReplyShortened(t *testing.T) {
	reply := "[{play: " + strings.Repeat("é", 300) + "}]"
	srv := newTestApp(t, replyWith(reply))
	obs := &calltest.Requests{}
	app := &App{Name: "support", URL: srv.URL, Client: testClient(t), Retry: testRetry}
	d := calltest.StartDialog(t, app, testCall("call-1", obs))
	if _, err := d.Begin(t.Context()); err != nil {
		t.Fatalf("Begin() = %v", err)
	}
	got := obs.All()[0].Reply
	if len(got) > replyShown+len("…") || !strings.HasPrefix(reply, strings.TrimSuffix(got, "…")) || !strings.HasSuffix(got, "…") {
		t.Errorf("observed reply = %q (%d bytes), want the reply's first %d bytes or fewer and …", got, len(got), replyShown)
	}
}

func TestWebhookStart(t *testing.T) {
	tests := []struct {
		name    string
		url     string
		wantErr bool
	}{
		{"good", "http://127.0.0.1:8000/ivr", false},
		{"bad url", "http://[::1", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			app := &App{Name: "support", URL: tc.url}
			_, err := app.Start(t.Context(), &proxy.Call{ID: "call-1"})
			if (err != nil) != tc.wantErr {
				t.Errorf("Start(%q) = %v, want error %v", tc.url, err, tc.wantErr)
			}
		})
	}
}

func TestWebhookDefaultClient(t *testing.T) {
	srv := newTestApp(t, replyWith("[answer]"))
	// No Client, no logger, no observer: the defaults take over.
	app := &App{Name: "support", URL: srv.URL}
	t.Cleanup(srv.CloseClientConnections) // the shared default pool keeps idle connections
	d := calltest.StartDialog(t, app, &proxy.Call{ID: "call-1"})
	ins, err := d.Begin(t.Context())
	if err != nil || ins.Failure != nil || len(ins.Verbs) != 1 {
		t.Errorf("Begin() = %+v, %v; want one verb", ins, err)
	}
}

func BenchmarkWebhookStep(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		io.WriteString(w, "session: {lang: en}\nverbs:\n  - gather: {play: menu.wav, max: 1, action: /menu}\n  - hangup\n")
	}))
	defer srv.Close()
	client := apphttp.NewClient(nil)
	defer client.CloseIdleConnections()
	app := &App{Name: "support", URL: srv.URL, Secret: "s3cret", Vars: []string{"sip_user_agent"}, Client: client}
	call := testCall("call-1", proxy.NopObserver{})
	call.Log.(*logrus.Entry).Logger.Level = logrus.InfoLevel
	d, err := app.Start(b.Context(), call)
	if err != nil {
		b.Fatal(err)
	}
	vd := d.(proxy.VerbDialog)
	v := verb.Verb{Name: "gather", Action: srv.URL + "/menu"}
	r := &verb.Result{Verb: "gather", Reason: verb.ReasonOK, Digits: "1"}
	b.ReportAllocs()
	for b.Loop() {
		ins, err := vd.Result(b.Context(), v, r)
		if err != nil || ins.Failure != nil {
			b.Fatalf("Result() = %+v, %v", ins, err)
		}
	}
}

// A web app answers call.start with a menu; the dialog returns its verbs,
// with the gather's relative action resolved against the app's URL.
func ExampleApp() {
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Event string `json:"event"`
			Call  struct {
				From string `json:"from"`
			} `json:"call"`
		}
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		fmt.Println("app got", req.Event, "from", req.Call.From)
		io.WriteString(w, "verbs:\n  - answer\n  - gather: {play: menu.wav, action: /menu}\n")
	}))
	defer app.Close()

	backend := &App{Name: "support", URL: app.URL + "/ivr"}
	d, err := backend.Start(context.Background(), &proxy.Call{ID: "6f1c", From: "1000"})
	if err != nil {
		fmt.Println(err)
		return
	}
	ins, err := d.(proxy.VerbDialog).Begin(context.Background())
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, v := range ins.Verbs {
		fmt.Println(strings.TrimSpace(v.Name + " " + strings.TrimPrefix(v.Action, app.URL)))
	}
	// Output:
	// app got call.start from 1000
	// answer
	// gather /menu
}
