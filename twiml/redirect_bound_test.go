package twiml

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/callhook/callhook/esl/esltest"
	"github.com/callhook/callhook/internal/calltest"
)

// loopApp serves doc at every path until its rounds are spent, then
// hangs up; it counts the requests.
type loopApp struct {
	srv    *httptest.Server
	mu     sync.Mutex
	served int
}

func newLoopApp(t *testing.T, doc string, rounds int) *loopApp {
	a := &loopApp{}
	a.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a.mu.Lock()
		a.served++
		n := a.served
		a.mu.Unlock()
		if n > rounds {
			fmt.Fprint(w, `<Response><Hangup/></Response>`)
			return
		}
		fmt.Fprint(w, doc)
	}))
	t.Cleanup(a.srv.Close)
	return a
}

func (a *loopApp) requests() int { a.mu.Lock(); defer a.mu.Unlock(); return a.served }

func loopEngine(t *testing.T, a *loopApp, maxRedirects int) *calltest.Engine {
	return engineAt(t, a.srv, "/voice", func(app *App) { app.MaxRedirects = maxRedirects })
}

// A document that only redirects, with no verb run between requests, is
// bounded by the app's MaxRedirects (limits.max_redirects): the call
// then runs the app's failure path.
func TestRedirectLoopBounded(t *testing.T) {
	a := newLoopApp(t, `<Response><Redirect>/voice</Redirect></Response>`, 100)
	e := loopEngine(t, a, 3)
	_, res := e.Call(esltest.Options{})
	if got := a.requests(); got != 4 {
		t.Errorf("%d requests, want the voice URL's and 3 redirects", got)
	}
	if res.Cause != "NORMAL_TEMPORARY_FAILURE" {
		t.Errorf("call ended %v, want the failure path", res)
	}
}

// https://www.twilio.com/docs/voice/twiml/redirect — a hold loop (Say or
// Play, Pause, Redirect to itself) is how Twilio apps wait; it once ended
// the call after MaxRedirects rounds (50: under a minute of Pause
// length="1"). A Redirect that a Pause, Gather or Record precedes in its
// document, each at least a second of the call, starts the count again.
func TestRedirectHoldLoopGoesOn(t *testing.T) {
	a := newLoopApp(t, `<Response><Pause length="1"/><Redirect>/voice</Redirect></Response>`, 8)
	e := loopEngine(t, a, 3)
	_, res := e.Call(esltest.Options{})
	if got := a.requests(); got != 9 {
		t.Errorf("%d requests, want 8 rounds and the document that hangs up", got)
	}
	if res.Cause != "NORMAL_CLEARING" {
		t.Errorf("call ended %v, want the app's Hangup", res)
	}
}
