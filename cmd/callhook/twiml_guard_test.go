//go:build unix

package main

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/callhook/callhook/esl/esltest"
)

// TestTwiMLURLsToAdmin: a TwiML app's Redirect, Gather action and the
// fallback it is then told to use all reach callhook's admin API through
// the guarded client, as every app's URLs do: each is refused at connect
// time, the fallback hears why (ErrorCode 11205, connection failure), and
// the daemon is undisturbed.
func TestTwiMLURLsToAdmin(t *testing.T) {
	for _, doc := range []string{
		`<Response><Redirect>http://%s/drain</Redirect></Response>`,
		`<Response><Gather timeout="1" actionOnEmptyResult="true" action="http://%s/drain"/></Response>`,
	} {
		var admin adminAddr
		var mu sync.Mutex
		var told url.Values
		app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			r.ParseForm()
			if r.URL.Path == "/fallback" {
				mu.Lock()
				told = r.PostForm
				mu.Unlock()
				fmt.Fprint(w, `<Response><Reject/></Response>`)
				return
			}
			fmt.Fprintf(w, doc, admin.get())
		}))
		t.Cleanup(app.Close)
		d := startGuardDaemon(t, fmt.Sprintf("default_app: tw\napps:\n  tw: {twiml: %s/voice, fallback_url: %s/fallback, "+
			"account_sid: AC0123456789abcdef0123456789abcdef, auth_token: t0ken}\n", app.URL, app.URL))
		admin.set(d.admin)
		d.call(t, esltest.Options{})
		d.idle(t)
		d.undisturbed(t)
		mu.Lock()
		if told.Get("ErrorCode") != "11205" || !strings.Contains(told.Get("ErrorMessage"), "callhook's admin API") {
			t.Errorf("%s: fallback told %v, want 11205 and the admin API's refusal", doc, told)
		}
		mu.Unlock()
	}
}
