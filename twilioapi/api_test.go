package twilioapi_test

// End to end: a Twilio-shaped request to the API places a call through
// outbound on esltest's inbound simulator; the answered call connects
// back to the engine (calltest) and runs a real TwiML app (httptest);
// the status callbacks go to a real httptest server, which checks their
// X-Twilio-Signature.

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/callhook/callhook/apphttp"
	"github.com/callhook/callhook/esl"
	"github.com/callhook/callhook/esl/esltest"
	"github.com/callhook/callhook/internal/calltest"
	"github.com/callhook/callhook/outbound"
	"github.com/callhook/callhook/proxy"
	"github.com/callhook/callhook/twilioapi"
	"github.com/callhook/callhook/twiml"
)

const (
	sid      = "AC0123456789abcdef0123456789abcdef"
	token    = "s3cret-token"
	otherSID = "ACffffffffffffffffffffffffffffffff"
	password = "ClueCon"
	wait     = 20 * time.Second
)

// hit is one request a test server got: its parameters (form or query)
// and whether its X-Twilio-Signature was right.
type hit struct {
	Method, Path string
	Params       url.Values
	SigOK        bool
}

// recorder is a real HTTP server answering doc (TwiML) on every path
// but the status callbacks', and passing every request to the test, in a
// queue per path.
type recorder struct {
	srv  *httptest.Server
	hits map[string]chan hit // by path: paths
}

var paths = []string{"/voice", "/next", "/status", "/app-status"}

func newRecorder(t *testing.T, doc string) *recorder {
	r := &recorder{hits: map[string]chan hit{}}
	for _, p := range paths {
		r.hits[p] = make(chan hit, 64)
	}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if err := req.ParseForm(); err != nil {
			t.Errorf("ParseForm: %v", err)
		}
		full := "http://" + req.Host + req.URL.RequestURI()
		var signed, params url.Values
		if req.Method == http.MethodPost {
			signed, params = req.PostForm, req.PostForm
		} else {
			params = req.URL.Query()
		}
		q, ok := r.hits[req.URL.Path]
		if !ok {
			t.Errorf("request to %s", req.URL.Path)
			http.NotFound(w, req)
			return
		}
		q <- hit{Method: req.Method, Path: req.URL.Path, Params: params,
			SigOK: twiml.ValidSignature(token, full, signed, req.Header.Get(twiml.SignatureHeader))}
		if strings.HasSuffix(req.URL.Path, "status") {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		w.Header().Set("Content-Type", "text/xml")
		io.WriteString(w, doc)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

// next returns the next request to path.
func (r *recorder) next(t *testing.T, path string) hit {
	t.Helper()
	select {
	case h := <-r.hits[path]:
		if !h.SigOK {
			t.Errorf("%s %s: bad X-Twilio-Signature", h.Method, h.Path)
		}
		return h
	case <-time.After(wait):
		t.Fatalf("no request to %s came", path)
	}
	return hit{}
}

// none checks that path got no request so far.
func (r *recorder) none(t *testing.T, path string) {
	t.Helper()
	select {
	case h := <-r.hits[path]:
		t.Errorf("unexpected request to %s: %v", path, h.Params)
	default:
	}
}

type rig struct {
	fs   *esltest.InboundServer
	m    *outbound.Manager
	api  *httptest.Server
	eng  string // the engine's address, where the boxes' calls connect
	web  *recorder
	box  chan string
	mu   sync.Mutex
	seen []string
}

type rigOptions struct {
	targets  map[string]esltest.OriginateOutcome
	maxCalls int
	doc      string
	speed    float64 // media speed (0: 1000 times real time)
}

func newRig(t *testing.T, o rigOptions) *rig {
	t.Helper()
	r := &rig{box: make(chan string, 16)}
	fs, err := esltest.NewInboundServer(password)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fs.Close() })
	if o.speed == 0 {
		o.speed = 1000
	}
	fs.SetOriginate(esltest.OriginateOptions{Targets: o.targets, Call: esltest.Options{Speed: o.speed}})
	r.fs = fs
	if o.doc == "" {
		o.doc = `<Response><Pause length="1"/><Hangup/></Response>`
	}
	r.web = newRecorder(t, o.doc)

	api := &twilioapi.Server{
		Accounts: func(s string) (*twilioapi.Account, bool) {
			if s != sid {
				return nil, false
			}
			return &twilioapi.Account{SID: sid, AuthToken: token, App: "tw",
				Dial: twiml.DialRules{Number: "sofia/gateway/gw/{number}"}}, true
		},
		Client: apphttp.NewClient(nil),
	}
	app := &twiml.App{Name: "tw", URL: r.web.srv.URL + "/voice", AccountSID: sid, AuthToken: token,
		Client: apphttp.NewClient(nil), Timeout: 5 * time.Second, StatusCallback: r.web.srv.URL + "/app-status",
		Dial: twiml.DialRules{Number: "sofia/gateway/gw/{number}"}, Placed: api.Placed}
	r.m = &outbound.Manager{
		Instance: "test1",
		Apps: func(name string) (*outbound.App, bool) {
			if name != "tw" {
				return nil, false
			}
			return &outbound.App{Name: name,
				AllowTo:   []*regexp.Regexp{regexp.MustCompile(`^sofia/gateway/gw/\+1555\d+$`)},
				AllowFrom: []*regexp.Regexp{regexp.MustCompile(`^\+1555`)}}, true
		},
		Client:     apphttp.NewClient(nil),
		Observer:   boxObserver(r.box),
		BackoffMin: 10 * time.Millisecond, BackoffMax: 50 * time.Millisecond,
	}
	eng := calltest.Start(t, calltest.Apps(&proxy.App{Name: "tw", Backend: app}), calltest.Options{Observer: r.m})
	r.eng = eng.Addr
	r.m.Boxes = []outbound.BoxConfig{{Name: "fs1", Addr: fs.Addr(), Password: password, ConnectBack: eng.Addr, MaxCalls: o.maxCalls}}
	api.Placer, api.Live = r.m, eng.Proxy
	if err := r.m.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.m.Close)
	ctx, cancel := context.WithTimeout(t.Context(), wait)
	defer cancel()
	if err := r.m.WaitUp(ctx); err != nil {
		t.Fatal(err)
	}
	r.api = httptest.NewServer(api)
	t.Cleanup(r.api.Close)
	return r
}

type boxObserver chan string

func (o boxObserver) BoxState(box, state string)     {}
func (o boxObserver) Originated(box, outcome string) {}

// post sends form to path on the API with basic auth user:pass.
func (r *rig) post(t *testing.T, path, user, pass string, form url.Values) (int, map[string]any, http.Header) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, r.api.URL+path, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if user != "" {
		req.SetBasicAuth(user, pass)
	}
	return do(t, req)
}

func do(t *testing.T, req *http.Request) (int, map[string]any, http.Header) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatalf("%s %s: body: %v", req.Method, req.URL.Path, err)
	}
	return resp.StatusCode, body, resp.Header
}

const callsPath = "/2010-04-01/Accounts/" + sid + "/Calls.json"

func (r *rig) form(to string, events ...string) url.Values {
	f := url.Values{"To": {to}, "From": {"+15559999"}, "Url": {r.web.srv.URL + "/voice"},
		"StatusCallback": {r.web.srv.URL + "/status"}}
	for _, e := range events {
		f.Add("StatusCallbackEvent", e)
	}
	return f
}

var (
	callSID = regexp.MustCompile(`^CA[0-9a-f]{32}$`)
	rfc2822 = regexp.MustCompile(`^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d\d (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d\d:\d\d:\d\d \+0000$`)
)

// https://www.twilio.com/docs/voice/api/call-resource#create-a-call-resource:
// 201 with the Call resource, queued; the answered call fetches Url with
// Direction outbound-api, and the status callbacks come in order with
// SequenceNumber 0, 1, ...
func TestAnsweredCallRunsTheDocument(t *testing.T) {
	r := newRig(t, rigOptions{})
	status, res, _ := r.post(t, callsPath, sid, token, r.form("+15550001", "initiated", "ringing", "answered", "completed"))
	if status != http.StatusCreated {
		t.Fatalf("create = %d %v, want 201", status, res)
	}
	csid, _ := res["sid"].(string)
	if !callSID.MatchString(csid) || res["account_sid"] != sid || res["to"] != "+15550001" || res["from"] != "+15559999" ||
		res["status"] != "queued" || res["direction"] != "outbound-api" || res["api_version"] != "2010-04-01" ||
		res["uri"] != "/2010-04-01/Accounts/"+sid+"/Calls/"+csid+".json" {
		t.Errorf("created resource = %v", res)
	}
	if d, _ := res["date_created"].(string); !rfc2822.MatchString(d) {
		t.Errorf("date_created %q: want RFC 2822", d)
	}

	doc := r.web.next(t, "/voice")
	p := doc.Params
	if p.Get("Direction") != "outbound-api" || p.Get("CallSid") != csid || p.Get("AccountSid") != sid ||
		p.Get("To") != "+15550001" || p.Get("From") != "+15559999" || p.Get("CallStatus") != "in-progress" {
		t.Errorf("document request = %v", p)
	}
	var seqs, statuses []string
	for range 4 {
		h := r.web.next(t, "/status")
		seqs = append(seqs, h.Params.Get("SequenceNumber"))
		statuses = append(statuses, h.Params.Get("CallStatus"))
		if h.Params.Get("CallSid") != csid || h.Params.Get("CallbackSource") != "call-progress-events" ||
			h.Params.Get("Direction") != "outbound-api" || !rfc2822.MatchString(h.Params.Get("Timestamp")) {
			t.Errorf("status callback = %v", h.Params)
		}
		if h.Params.Get("CallStatus") == "completed" {
			// The document paused a second: FreeSWITCH's billsec, at
			// least 1.
			if d, err := strconv.Atoi(h.Params.Get("CallDuration")); err != nil || d < 1 {
				t.Errorf("completed callback's CallDuration %q, want 1 or more", h.Params.Get("CallDuration"))
			}
		}
	}
	if got := strings.Join(statuses, " "); got != "initiated ringing in-progress completed" {
		t.Errorf("CallStatus = %s, want initiated ringing in-progress completed", got)
	}
	if got := strings.Join(seqs, " "); got != "0 1 2 3" {
		t.Errorf("SequenceNumber = %s, want 0 1 2 3", got)
	}
	// The app's own status_callback is for the calls it takes; a placed
	// call's are its request's. The call ended before its completed
	// callback was sent, and its dialog's End came before that.
	r.web.none(t, "/app-status")

	// The resource as GET finds it now.
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, r.api.URL+"/2010-04-01/Accounts/"+sid+"/Calls/"+csid+".json", nil)
	req.SetBasicAuth(sid, token)
	status, res, _ = do(t, req)
	if status != http.StatusOK || res["status"] != "completed" || res["sid"] != csid || res["end_time"] == nil || res["duration"] == nil {
		t.Errorf("GET = %d %v, want the completed call", status, res)
	}
}

// Busy and no-answer: one completed callback (StatusCallbackEvent's
// default) whose CallStatus says why, and the document is never asked.
func TestUnansweredCompleted(t *testing.T) {
	r := newRig(t, rigOptions{targets: map[string]esltest.OriginateOutcome{
		"sofia/gateway/gw/+15550002": esltest.OriginateBusy,
		"sofia/gateway/gw/+15550003": esltest.OriginateNoAnswer,
	}})
	for _, tc := range []struct{ to, want, method string }{{"+15550002", "busy", "POST"}, {"+15550003", "no-answer", "GET"}} {
		f := r.form(tc.to)
		f.Set("Timeout", "1")
		f.Set("StatusCallbackMethod", tc.method)
		status, res, _ := r.post(t, callsPath, sid, token, f)
		if status != http.StatusCreated {
			t.Fatalf("create %s = %d %v", tc.to, status, res)
		}
		h := r.web.next(t, "/status")
		if h.Method != tc.method || h.Params.Get("CallStatus") != tc.want || h.Params.Get("CallSid") != res["sid"] || h.Params.Get("SequenceNumber") != "0" {
			t.Errorf("%s: callback %v, want CallStatus %s", tc.to, h.Params, tc.want)
		}
	}
	// Both calls ended (their completed callbacks came): had either asked
	// for its document, it would have done so before.
	r.web.none(t, "/voice")
}

func TestAuthAndAccount(t *testing.T) {
	r := newRig(t, rigOptions{})
	f := r.form("+15550001")
	for _, tc := range []struct {
		name, path, user, pass string
		status, code           int
	}{
		{"no auth", callsPath, "", "", 401, 20003},
		{"wrong token", callsPath, sid, "nope", 401, 20003},
		{"unknown account", callsPath, otherSID, token, 401, 20003},
		{"another account's path", "/2010-04-01/Accounts/" + otherSID + "/Calls.json", sid, token, 404, 20404},
		{"no such resource", "/2010-04-01/Accounts/" + sid + "/Messages.json", sid, token, 404, 20404},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, body, h := r.post(t, tc.path, tc.user, tc.pass, f)
			if status != tc.status || body["code"] != float64(tc.code) || body["status"] != float64(tc.status) ||
				body["message"] == "" || !strings.HasPrefix(body["more_info"].(string), "https://www.twilio.com/docs/errors/") {
				t.Errorf("= %d %v, want %d code %d", status, body, tc.status, tc.code)
			}
			if tc.status == 401 && !strings.HasPrefix(h.Get("WWW-Authenticate"), "Basic") {
				t.Errorf("401 without WWW-Authenticate: %v", h)
			}
		})
	}
	if n := r.fs.Originated(); n != 0 {
		t.Errorf("%d calls placed by refused requests", n)
	}
}

func TestBadRequests(t *testing.T) {
	r := newRig(t, rigOptions{})
	for _, tc := range []struct {
		name string
		edit func(url.Values)
		code int
	}{
		{"no To", func(f url.Values) { f.Del("To") }, 21201},
		{"no From", func(f url.Values) { f.Del("From") }, 21213},
		{"no Url", func(f url.Values) { f.Del("Url") }, 21205},
		{"bad Url", func(f url.Values) { f.Set("Url", "ftp://x/y") }, 21205},
		{"To not a number", func(f url.Values) { f.Set("To", "+1555 0001") }, 21211},
		{"To without digits", func(f url.Values) { f.Set("To", "+") }, 21211},
		{"To a client with a space", func(f url.Values) { f.Set("To", "client:a b") }, 21211},
		{"To not allowed", func(f url.Values) { f.Set("To", "+44200000") }, 21215},
		{"From not allowed", func(f url.Values) { f.Set("From", "+4420") }, 21210},
		{"From with a quote", func(f url.Values) { f.Set("From", "+1555'") }, 21212},
		{"unsupported parameter", func(f url.Values) { f.Set("Record", "true") }, 20001},
		{"bad event", func(f url.Values) { f.Set("StatusCallbackEvent", "queued") }, 20001},
		{"bad Timeout", func(f url.Values) { f.Set("Timeout", "601") }, 20001},
		{"malformed Twiml", func(f url.Values) { f.Del("Url"); f.Set("Twiml", "<Response><Say>") }, 12100},
		{"Twiml too long", func(f url.Values) { f.Del("Url"); f.Set("Twiml", strings.Repeat(" ", 4001)) }, 20001},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := r.form("+15550001")
			tc.edit(f)
			status, body, _ := r.post(t, callsPath, sid, token, f)
			if status != 400 || body["code"] != float64(tc.code) {
				t.Errorf("= %d %v, want 400 code %d", status, body, tc.code)
			}
		})
	}
	if n := r.fs.Originated(); n != 0 {
		t.Errorf("%d calls placed by refused requests", n)
	}
}

// Over a box's max_calls: 429, code 20429, with Retry-After.
func TestOverLimit(t *testing.T) {
	r := newRig(t, rigOptions{maxCalls: 1, targets: map[string]esltest.OriginateOutcome{"sofia/gateway/gw/+15550004": esltest.OriginateRing}})
	status, res, _ := r.post(t, callsPath, sid, token, r.form("+15550004"))
	if status != http.StatusCreated {
		t.Fatalf("first create = %d %v", status, res)
	}
	status, body, h := r.post(t, callsPath, sid, token, r.form("+15550004"))
	if status != http.StatusTooManyRequests || body["code"] != float64(20429) || h.Get("Retry-After") == "" {
		t.Errorf("second create = %d %v %v, want 429 code 20429 with Retry-After", status, body, h)
	}
}

// https://www.twilio.com/docs/voice/api/call-resource#update-a-call-resource:
// Status=canceled ends a ringing call; its completed callback says
// canceled.
func TestCancelRinging(t *testing.T) {
	// At real-time speed the target rings for its whole originate_timeout
	// (60 s), so the cancel always finds it ringing: at 1000 times real
	// time the ring ended after 60 ms and a loaded machine could cancel
	// too late.
	r := newRig(t, rigOptions{targets: map[string]esltest.OriginateOutcome{"sofia/gateway/gw/+15550004": esltest.OriginateRing}, speed: 1})
	status, res, _ := r.post(t, callsPath, sid, token, r.form("+15550004", "ringing", "completed"))
	if status != http.StatusCreated {
		t.Fatalf("create = %d %v", status, res)
	}
	if h := r.web.next(t, "/status"); h.Params.Get("CallStatus") != "ringing" {
		t.Fatalf("first callback %v, want ringing", h.Params)
	}
	csid := res["sid"].(string)
	status, res, _ = r.post(t, "/2010-04-01/Accounts/"+sid+"/Calls/"+csid+".json", sid, token, url.Values{"Status": {"canceled"}})
	if status != http.StatusOK || res["sid"] != csid {
		t.Fatalf("update = %d %v", status, res)
	}
	if h := r.web.next(t, "/status"); h.Params.Get("CallStatus") != "canceled" || h.Params.Get("SequenceNumber") != "1" {
		t.Errorf("completed callback %v, want canceled, SequenceNumber 1", h.Params)
	}
}

// Status=canceled leaves an answered call alone, Url redirects it,
// Status=completed hangs it up. The document pauses for an hour of call time (six minutes at
// this speed), so only the hangup can end the call within the test's
// deadline.
func TestHangUpInProgress(t *testing.T) {
	r := newRig(t, rigOptions{doc: `<Response><Pause length="3600"/></Response>`, speed: 10})
	status, res, _ := r.post(t, callsPath, sid, token, r.form("+15550001", "answered", "completed"))
	if status != http.StatusCreated {
		t.Fatalf("create = %d %v", status, res)
	}
	if h := r.web.next(t, "/status"); h.Params.Get("CallStatus") != "in-progress" {
		t.Fatalf("first callback %v, want in-progress", h.Params)
	}
	r.web.next(t, "/voice")
	path := "/2010-04-01/Accounts/" + sid + "/Calls/" + res["sid"].(string) + ".json"
	status, res, _ = r.post(t, path, sid, token, url.Values{"Status": {"canceled"}})
	if status != http.StatusOK || res["status"] != "in-progress" || res["start_time"] == nil {
		t.Errorf("cancel of an answered call = %d %v, want it in-progress still", status, res)
	}
	// Url redirects it: the app is asked for the new document (the same
	// long pause).
	status, res, _ = r.post(t, path, sid, token, url.Values{"Url": {r.web.srv.URL + "/next"}})
	if status != http.StatusOK {
		t.Fatalf("redirect = %d %v", status, res)
	}
	if h := r.web.next(t, "/next"); h.Method != "POST" || h.Params.Get("Direction") != "outbound-api" || h.Params.Get("CallStatus") != "in-progress" {
		t.Errorf("redirect request %s %v", h.Method, h.Params)
	}
	status, res, _ = r.post(t, path, sid, token, url.Values{"Status": {"completed"}})
	if status != http.StatusOK {
		t.Fatalf("hangup = %d %v", status, res)
	}
	if h := r.web.next(t, "/status"); h.Params.Get("CallStatus") != "completed" || h.Params.Get("SequenceNumber") != "1" {
		t.Errorf("completed callback %v", h.Params)
	}
	status, res, _ = r.post(t, path, sid, token, url.Values{"Status": {"paused"}})
	if status != 400 || res["code"] != float64(20001) {
		t.Errorf("Status=paused = %d %v, want 400", status, res)
	}
}

// Inline Twiml runs in place of a Url, planned against the app's voice
// URL (a Gather without action posts there).
func TestInlineTwiml(t *testing.T) {
	r := newRig(t, rigOptions{})
	f := r.form("+15550001", "completed")
	f.Del("Url")
	f.Set("Twiml", `<Response><Redirect>/next</Redirect></Response>`)
	status, res, _ := r.post(t, callsPath, sid, token, f)
	if status != http.StatusCreated {
		t.Fatalf("create = %d %v", status, res)
	}
	h := r.web.next(t, "/next")
	if h.Params.Get("Direction") != "outbound-api" || h.Params.Get("CallSid") != res["sid"] {
		t.Errorf("redirect request = %v", h.Params)
	}
	if h := r.web.next(t, "/status"); h.Params.Get("CallStatus") != "completed" {
		t.Errorf("callback %v, want completed", h.Params)
	}
}

// A request exactly as Twilio's Node.js helper library sends it
// (testdata/twilio-node-create.json, see testdata/README.md) places the
// call.
func TestHelperLibraryRequest(t *testing.T) {
	var fx struct {
		Method, Path string
		Headers      map[string]string
		Body         string
	}
	data, err := os.ReadFile("testdata/twilio-node-create.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &fx); err != nil {
		t.Fatal(err)
	}
	r := newRig(t, rigOptions{})
	body := strings.ReplaceAll(fx.Body, url.QueryEscape("http://127.0.0.1:1"), url.QueryEscape(r.web.srv.URL))
	req, err := http.NewRequestWithContext(t.Context(), fx.Method, r.api.URL+fx.Path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range fx.Headers {
		req.Header.Set(k, v)
	}
	status, res, _ := do(t, req)
	if status != http.StatusCreated || res["to"] != "+15550001" || res["from"] != "+15559999" {
		t.Fatalf("create = %d %v", status, res)
	}
	if h := r.web.next(t, "/voice"); h.Params.Get("Direction") != "outbound-api" {
		t.Errorf("document request %v", h.Params)
	}
	var got []string
	for range 4 {
		got = append(got, r.web.next(t, "/status").Params.Get("CallStatus"))
	}
	if strings.Join(got, " ") != "initiated ringing in-progress completed" {
		t.Errorf("callbacks %v", got)
	}
}

// placer is a Placer that refuses every call with err.
type placer struct{ err error }

func (p placer) Place(context.Context, *outbound.Request) (*outbound.Placed, error) {
	return nil, p.err
}
func (p placer) Hangup(context.Context, string) (bool, error) { return false, nil }
func (p placer) Owns(*esl.Event) bool                         { return false }

// outbound's refusals in Twilio's shape: 503 when no box is up, 429 with
// Retry-After over a limit.
func TestOutboundRefusals(t *testing.T) {
	for _, tc := range []struct {
		err          *outbound.Error
		status, code int
		retryAfter   string
	}{
		{&outbound.Error{Status: 503, Msg: "no FreeSWITCH box is up: fs1 (down)"}, 503, 20503, ""},
		{&outbound.Error{Status: 429, Msg: "every box with room is at its max_cps", RetryAfter: 1500 * time.Millisecond}, 429, 20429, "2"},
	} {
		api := &twilioapi.Server{Placer: placer{tc.err}, Accounts: func(s string) (*twilioapi.Account, bool) {
			return &twilioapi.Account{SID: sid, AuthToken: token, App: "tw", Dial: twiml.DialRules{Number: "sofia/gateway/gw/{number}"}}, s == sid
		}}
		srv := httptest.NewServer(api)
		form := url.Values{"To": {"+15550001"}, "From": {"+15559999"}, "Url": {"https://app.example.com/voice"}}
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, srv.URL+callsPath, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.SetBasicAuth(sid, token)
		status, body, h := do(t, req)
		srv.Close()
		if status != tc.status || body["code"] != float64(tc.code) || !strings.Contains(body["message"].(string), tc.err.Msg) ||
			h.Get("Retry-After") != tc.retryAfter {
			t.Errorf("%s: = %d %v Retry-After %q, want %d code %d Retry-After %q", tc.err.Msg, status, body, h.Get("Retry-After"), tc.status, tc.code, tc.retryAfter)
		}
	}
}
