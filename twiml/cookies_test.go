package twiml

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/callhook/callhook/esl/esltest"
)

// TestCookiesBounded: a call keeps the app's cookies (Twilio does), but
// a hostile app could grow a call's jar without end: every response may
// set megabytes of new cookies, and a hold loop requests for as long as
// the call lasts. The jar keeps at most 50 cookies of at most 4096
// bytes (RFC 6265's minimums for a user agent), and drops the rest.
func TestCookiesBounded(t *testing.T) {
	var mu sync.Mutex
	var got []*http.Cookie
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/next" {
			mu.Lock()
			got = r.Cookies()
			mu.Unlock()
			fmt.Fprint(w, `<Response><Hangup/></Response>`)
			return
		}
		for i := range 100 {
			http.SetCookie(w, &http.Cookie{Name: fmt.Sprintf("c%d", i), Value: "v"})
		}
		http.SetCookie(w, &http.Cookie{Name: "big", Value: strings.Repeat("x", 5000)})
		fmt.Fprint(w, `<Response><Redirect>/next</Redirect></Response>`)
	}))
	t.Cleanup(srv.Close)
	e := engineAt(t, srv, "/voice", nil)
	e.Call(esltest.Options{})
	mu.Lock()
	defer mu.Unlock()
	if len(got) == 0 || len(got) > 50 {
		t.Errorf("/next got %d cookies, want 1 to 50", len(got))
	}
	for _, c := range got {
		if c.Name == "big" {
			t.Errorf("a cookie of %d bytes was kept", len(c.Value))
		}
	}
}
