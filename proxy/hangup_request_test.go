package proxy_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/callhook/callhook/esl/esltest"
	"github.com/callhook/callhook/internal/calltest"
	"github.com/callhook/callhook/webhook"
)

// TestCallerHangupCancelsRequest: a caller who hangs up while the app is
// still thinking cancels the request at once, through the whole engine (the
// session's hung-up signal reaches the request's context), rather than
// leaving it to run until the app's own timeout.
func TestCallerHangupCancelsRequest(t *testing.T) {
	arrived := make(chan struct{})
	cancelled := make(chan struct{})
	release := make(chan struct{})
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/ivr" {
			return
		}
		// Drain the body first: net/http notices a client that went away
		// (and cancels r.Context()) only through its background read, which
		// it starts once the request body has been read to EOF.
		_, _ = io.Copy(io.Discard, r.Body)
		close(arrived)
		select {
		case <-r.Context().Done():
			close(cancelled)
		case <-release: // the test gave up: let the server close
		}
	}))
	t.Cleanup(app.Close)
	t.Cleanup(func() { close(release) }) // runs before app.Close: a stuck handler lets go
	h := startProxy(t, webhookRuntime(&webhook.App{Name: "a", URL: app.URL + "/ivr", Timeout: time.Hour}))
	c := h.Dial(esltest.Options{})
	select {
	case <-arrived:
	case <-time.After(10 * time.Second):
		t.Fatal("the request never reached the app")
	}
	c.Hangup("NORMAL_CLEARING")
	select {
	case <-cancelled:
	case <-time.After(10 * time.Second):
		t.Fatalf("the app's request was not cancelled after the caller hung up (its timeout is an hour); received %v", c.Received())
	}
	if res := calltest.Wait(t, c); res.Outcome != esltest.HungUp || res.By != esltest.ByCaller {
		t.Errorf("call ended %v, want hung up by the caller", res)
	}
	h.Idle()
}
