package twilioapi_test

// The API faces the Internet: these tests send it what an attacker
// would.

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/callhook/callhook/twilioapi"
	"github.com/callhook/callhook/twiml"
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
