package twilioapi_test

// The API faces the Internet: these tests send it what an attacker
// would.

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/callhook/callhook/esl"
	"github.com/callhook/callhook/esl/esltest"
	"github.com/callhook/callhook/outbound"
	"github.com/callhook/callhook/twilioapi"
	"github.com/callhook/callhook/twiml"
	"github.com/sirupsen/logrus"
)

// newAPI is a Server with one account (sid, token) whose calls are all
// refused by outbound.
func newAPI() *twilioapi.Server {
	return &twilioapi.Server{Placer: placer{}, Accounts: func(s string) (*twilioapi.Account, bool) {
		return &twilioapi.Account{SID: sid, AuthToken: token, App: "tw", Dial: twiml.DialRules{Number: "sofia/gateway/gw/{number}"}}, s == sid
	}}
}

// serve sends one request to api as if from remote (host:port), and
// returns its status, its body and its headers.
func serve(t *testing.T, api http.Handler, remote, method, path, user, pass string, form url.Values) (int, map[string]any, http.Header) {
	t.Helper()
	req := httptest.NewRequestWithContext(t.Context(), method, path, strings.NewReader(form.Encode()))
	req.RemoteAddr = remote
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if user != "" {
		req.SetBasicAuth(user, pass)
	}
	rec := httptest.NewRecorder()
	api.ServeHTTP(rec, req)
	var body map[string]any
	if err := json.NewDecoder(rec.Body).Decode(&body); err != nil {
		t.Fatalf("%s %s: body: %v", method, path, err)
	}
	return rec.Code, body, rec.Header()
}

// A client guessing an account's auth token gets DefaultAuthFailures
// tries a window; then it is answered 429, with Retry-After, whatever
// it sends, the right token included, so that guessing on tells it
// nothing. Other clients, and the same client for another AccountSid,
// go on; an IPv6 client is its /64.
func TestFailedLoginsThrottled(t *testing.T) {
	const guesses = 10 // twilioapi.DefaultAuthFailures
	api := newAPI()
	fetch := "/2010-04-01/Accounts/" + sid + "/Calls/CA00000000000000000000000000000000.json"
	for _, attacker := range []struct{ first, sibling, other string }{
		{"192.0.2.1:40000", "192.0.2.1:40001", "192.0.2.2:40000"},
		{"[2001:db8:1:2::1]:40000", "[2001:db8:1:2:ffff::9]:40000", "[2001:db8:1:3::1]:40000"},
	} {
		for i := range guesses {
			if status, body, _ := serve(t, api, attacker.first, http.MethodGet, fetch, sid, "guess"+strings.Repeat("x", i), nil); status != http.StatusUnauthorized {
				t.Fatalf("%s: guess %d = %d %v, want 401", attacker.first, i, status, body)
			}
		}
		for _, remote := range []string{attacker.first, attacker.sibling} {
			status, body, h := serve(t, api, remote, http.MethodGet, fetch, sid, token, nil)
			if status != http.StatusTooManyRequests || body["code"] != float64(twilioapi.CodeTooManyRequests) || h.Get("Retry-After") == "" {
				t.Errorf("%s: right token after %d failures = %d %v %v, want 429 code 20429 with Retry-After",
					remote, guesses, status, body, h)
			}
		}
		if status, body, _ := serve(t, api, attacker.other, http.MethodGet, fetch, sid, token, nil); status != http.StatusNotFound {
			t.Errorf("%s (another client): = %d %v, want 404 (authenticated, no such call)", attacker.other, status, body)
		}
		if status, body, _ := serve(t, api, attacker.first, http.MethodGet, fetch, otherSID, token, nil); status != http.StatusUnauthorized {
			t.Errorf("%s for another AccountSid: = %d %v, want 401", attacker.first, status, body)
		}
	}
}

// A socket connection that claims a placed call's Unique-ID (its
// CallSid tells it) and its app, without the token outbound gave the
// channel it originated, is not that call: it starts at the app's voice
// URL, like any call the API did not place, never at the request's Url
// (whose app would take it for the call its client placed).
func TestClaimedCallSidDoesNotStartThePlacedDocument(t *testing.T) {
	r := newRig(t, rigOptions{targets: map[string]esltest.OriginateOutcome{"sofia/gateway/gw/+15550004": esltest.OriginateRing}})
	f := r.form("+15550004")
	f.Set("Url", r.web.srv.URL+"/next")
	status, res, _ := r.post(t, callsPath, sid, token, f)
	if status != http.StatusCreated {
		t.Fatalf("create = %d %v", status, res)
	}
	hex := strings.TrimPrefix(res["sid"].(string), "CA")
	uuid := hex[:8] + "-" + hex[8:12] + "-" + hex[12:16] + "-" + hex[16:20] + "-" + hex[20:]
	ctx, cancel := context.WithTimeout(t.Context(), wait)
	defer cancel()
	c, err := esltest.Dial(ctx, r.eng, esltest.Options{Speed: 1000, UUID: uuid,
		Vars: map[string]string{outbound.VarApp: "tw", outbound.VarPlaced: "a-guess"}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	select {
	case h := <-r.web.hits["/voice"]:
		if h.Params.Get("Direction") == twiml.DirectionOutboundAPI {
			t.Errorf("the claiming call's request says Direction %s: %v", twiml.DirectionOutboundAPI, h.Params)
		}
	case h := <-r.web.hits["/next"]:
		t.Errorf("the claiming call fetched the placed call's Url: %v", h.Params)
	case <-ctx.Done():
		t.Fatal("the claiming call made no request")
	}
	if _, err := c.Wait(ctx); err != nil {
		t.Fatal(err)
	}
}

// recordingPlacer places every call at once and keeps its request; its
// Hangup runs onHangup first.
type recordingPlacer struct {
	mu       sync.Mutex
	reqs     []*outbound.Request
	onHangup func(id string)
}

func (p *recordingPlacer) Place(_ context.Context, req *outbound.Request) (*outbound.Placed, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.reqs = append(p.reqs, req)
	return &outbound.Placed{ID: req.ID, Box: "fs1"}, nil
}

func (p *recordingPlacer) Hangup(_ context.Context, id string) (bool, error) {
	p.onHangup(id)
	return true, nil
}

func (p *recordingPlacer) Owns(*esl.Event) bool { return false }

// A cancel whose call ends, and is forgotten (over Keep), while it is
// carried out still answers the call's resource, canceled, not null.
func TestUpdateOfACallForgottenMeanwhile(t *testing.T) {
	p := &recordingPlacer{}
	api := newAPI()
	api.Placer, api.Keep = p, 1
	form := url.Values{"To": {"+15550001"}, "From": {"+15559999"}, "Url": {"https://app.example.com/voice"}}
	var sids []string
	for range 2 {
		status, body, _ := serve(t, api, "192.0.2.1:1", http.MethodPost, callsPath, sid, token, form)
		if status != http.StatusCreated {
			t.Fatalf("create = %d %v", status, body)
		}
		sids = append(sids, body["sid"].(string))
	}
	p.onHangup = func(string) {
		// The first call ends canceled, then the second: the first is
		// over Keep.
		for _, req := range p.reqs {
			req.Deliver(t.Context(), outbound.StatusEvent{Event: outbound.EventCompleted, CallID: req.ID, Status: outbound.StatusCanceled})
		}
	}
	status, body, _ := serve(t, api, "192.0.2.1:1", http.MethodPost, "/2010-04-01/Accounts/"+sid+"/Calls/"+sids[0]+".json", sid, token,
		url.Values{"Status": {"canceled"}})
	if status != http.StatusOK || body["sid"] != sids[0] || body["status"] != "canceled" {
		t.Errorf("cancel = %d %v, want 200 with the call, canceled", status, body)
	}
}

// Status=completed ends an answered call even while the resource still
// says queued: the call's status callbacks go one at a time, and a slow
// StatusCallback (up to its 15 s) holds back the resource's updates
// behind it, so what the resource says is no guide to whether the call
// is the engine's to hang up.
func TestCompleteWhileCallbacksLag(t *testing.T) {
	r := newRig(t, rigOptions{doc: `<Response><Pause length="3600"/></Response>`, speed: 1})
	release := make(chan struct{})
	statuses := make(chan string, 8)
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		_ = req.ParseForm()
		statuses <- req.PostForm.Get("CallStatus")
		<-release
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(slow.Close)
	var once sync.Once
	unblock := func() { once.Do(func() { close(release) }) }
	t.Cleanup(unblock)
	f := r.form("+15550001", "initiated", "completed")
	f.Set("StatusCallback", slow.URL+"/status")
	status, res, _ := r.post(t, callsPath, sid, token, f)
	if status != http.StatusCreated {
		t.Fatalf("create = %d %v", status, res)
	}
	next := func() string {
		t.Helper()
		select {
		case s := <-statuses:
			return s
		case <-time.After(wait):
			t.Fatal("no status callback came")
		}
		return ""
	}
	if s := next(); s != "initiated" {
		t.Fatalf("first callback %q, want initiated", s)
	}
	r.web.next(t, "/voice") // answered: the call runs its document
	csid := res["sid"].(string)
	status, body, _ := r.post(t, "/2010-04-01/Accounts/"+sid+"/Calls/"+csid+".json", sid, token, url.Values{"Status": {"completed"}})
	if status != http.StatusOK {
		t.Fatalf("complete = %d %v", status, body)
	}
	unblock()
	if s := next(); s != "completed" {
		t.Errorf("last callback %q, want completed", s)
	}
}

// A failed login's log line names the AccountSid it was for, but never
// a user name that is not one: clients swap their credentials, and the
// user name is then the auth token.
func TestFailedLoginLogsNoToken(t *testing.T) {
	var out bytes.Buffer
	log := logrus.New()
	log.Out = &out
	api := newAPI()
	api.Log = log
	for _, user := range []string{token, otherSID} {
		if status, body, _ := serve(t, api, "192.0.2.1:1", http.MethodGet, callsPath, user, sid, nil); status != http.StatusUnauthorized {
			t.Fatalf("user %s: = %d %v, want 401", user, status, body)
		}
	}
	if strings.Contains(out.String(), token) {
		t.Errorf("the log holds a token sent as the user name: %q", out.String())
	}
	if !strings.Contains(out.String(), otherSID) {
		t.Errorf("the log does not name the AccountSid of a failed login: %q", out.String())
	}
}

// Another account's CallSid is no call of this account's: GET and POST
// answer 404, the same as a CallSid nobody placed, and change nothing.
func TestAnotherAccountsCall(t *testing.T) {
	const otherToken = "another-token-of-32-characters-x"
	p := &recordingPlacer{onHangup: func(id string) { t.Errorf("call %s hung up by another account", id) }}
	api := &twilioapi.Server{Placer: p, Accounts: func(s string) (*twilioapi.Account, bool) {
		switch s {
		case sid:
			return &twilioapi.Account{SID: sid, AuthToken: token, App: "tw", Dial: twiml.DialRules{Number: "sofia/gateway/gw/{number}"}}, true
		case otherSID:
			return &twilioapi.Account{SID: otherSID, AuthToken: otherToken, App: "tw2", Dial: twiml.DialRules{Number: "sofia/gateway/gw/{number}"}}, true
		}
		return nil, false
	}}
	form := url.Values{"To": {"+15550001"}, "From": {"+15559999"}, "Url": {"https://app.example.com/voice"}}
	status, body, _ := serve(t, api, "192.0.2.1:1", http.MethodPost, callsPath, sid, token, form)
	if status != http.StatusCreated {
		t.Fatalf("create = %d %v", status, body)
	}
	mine := body["sid"].(string)
	nobodys := "CA" + strings.Repeat("0", 32)
	for _, method := range []string{http.MethodGet, http.MethodPost} {
		var answers []string
		for _, csid := range []string{mine, nobodys} {
			var f url.Values
			if method == http.MethodPost {
				f = url.Values{"Status": {"completed"}}
			}
			status, body, _ := serve(t, api, "192.0.2.2:1", method, "/2010-04-01/Accounts/"+otherSID+"/Calls/"+csid+".json", otherSID, otherToken, f)
			if status != http.StatusNotFound || body["code"] != float64(twilioapi.CodeNotFound) {
				t.Errorf("%s another account's call %s = %d %v, want 404", method, csid, status, body)
			}
			answers = append(answers, strings.ReplaceAll(body["message"].(string), csid, "SID"))
		}
		if answers[0] != answers[1] {
			t.Errorf("%s: another account's call answers %q, a call nobody placed %q: they must not differ", method, answers[0], answers[1])
		}
	}
}
