package webhook

// Engine tests of the verbs of issue 20 (reject, prompt lists, module
// checks, the fuller bridge, call.answered): a real HTTP web app drives a
// call of the esltest simulator through the proxy.

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/callhook/callhook/esl/esltest"
	"github.com/callhook/callhook/internal/calltest"
	"github.com/callhook/callhook/proxy"
)

// verbsEngine serves app as the default webhook app of an engine.
func verbsEngine(t *testing.T, app *App) *calltest.Engine {
	t.Helper()
	if app.Client == nil {
		app.Client = testClient(t)
	}
	if app.Timeout == 0 {
		app.Timeout = 5 * time.Second
	}
	app.Retry = testRetry
	return calltest.Start(t, calltest.Apps(&proxy.App{Name: app.Name, Backend: app}), calltest.Options{})
}

// ranApps lists the applications the simulator ran, "app arg" each,
// without the socket application.
func ranApps(c *esltest.Call) []string {
	var out []string
	for _, r := range c.Apps() {
		if r.App != "socket" {
			out = append(out, strings.TrimSpace(r.App+" "+r.Arg))
		}
	}
	return out
}

// sofiaCall is a call from a SIP phone, so that the simulator reports the
// SIP response it was refused with.
var sofiaCall = esltest.Options{ChannelName: "sofia/internal/1000@192.0.2.10"}

func TestRejectBeforeAnswer(t *testing.T) {
	cases := []struct {
		reply     string
		wantApps  string
		wantCause string
		wantSIP   int
	}{
		{"[reject]", "hangup USER_BUSY", "USER_BUSY", 486},
		{"[{reject: busy}]", "hangup USER_BUSY", "USER_BUSY", 486},
		{"[ring_ready, {reject: rejected}]", "ring_ready,hangup CALL_REJECTED", "CALL_REJECTED", 603},
		// respond sends the code itself and hangs up; the hangup after it
		// never runs.
		{"[{reject: {code: 480}}]", "respond 480", "NO_USER_RESPONSE", 480},
		// Early media does not answer: a refusal is still possible.
		{"[pre_answer, {reject: {code: 404}}]", "pre_answer,respond 404", "UNALLOCATED_NUMBER", 404},
	}
	for _, tc := range cases {
		t.Run(tc.reply, func(t *testing.T) {
			srv := newTestApp(t, replyWith(tc.reply))
			e := verbsEngine(t, &App{Name: "support", URL: srv.URL})
			c := e.Dial(sofiaCall)
			res := calltest.Wait(t, c)
			if res.Outcome != esltest.HungUp || res.Cause != tc.wantCause {
				t.Errorf("call ended %v, want hung up %s", res, tc.wantCause)
			}
			if got := strings.Join(ranApps(c), ","); got != tc.wantApps {
				t.Errorf("apps = %q, want %q", got, tc.wantApps)
			}
			if got := c.SIPResponse(); got != tc.wantSIP {
				t.Errorf("SIP response = %d, want %d", got, tc.wantSIP)
			}
		})
	}
}

// TestRejectCodeOnOtherEndpoints: respond does nothing on a loopback
// channel; the hangup after it still ends the call with the code's cause.
func TestRejectCodeOnOtherEndpoints(t *testing.T) {
	srv := newTestApp(t, replyWith("[{reject: {code: 603}}]"))
	e := verbsEngine(t, &App{Name: "support", URL: srv.URL})
	c := e.Dial(esltest.Options{})
	res := calltest.Wait(t, c)
	if res.Outcome != esltest.HungUp || res.Cause != "CALL_REJECTED" {
		t.Errorf("call ended %v, want hung up CALL_REJECTED", res)
	}
	if got := strings.Join(ranApps(c), ","); got != "respond 603,hangup CALL_REJECTED" {
		t.Errorf("apps = %q", got)
	}
}

// TestRejectAfterAnswer: a reject reached on an answered call is an invalid
// reply: it runs nothing, and the app's failure path takes over (here the
// default, hanging up NORMAL_TEMPORARY_FAILURE).
func TestRejectAfterAnswer(t *testing.T) {
	srv := newTestApp(t, func(w http.ResponseWriter, r *http.Request, n int) {
		w.Header().Set("Content-Type", "application/yaml")
		switch n {
		case 1:
			w.Write([]byte("[answer, {gather: {play: menu.wav, action: /next}}]"))
		default:
			w.Write([]byte("[reject]"))
		}
	})
	e := verbsEngine(t, &App{Name: "support", URL: srv.URL})
	c := e.Dial(esltest.Options{OnApp: func(c *esltest.Call, run esltest.AppRun) {
		if run.App == "play_and_get_digits" {
			c.Digits("1")
		}
	}})
	res := calltest.Wait(t, c)
	if res.Outcome != esltest.HungUp || res.Cause != "NORMAL_TEMPORARY_FAILURE" {
		t.Errorf("call ended %v, want hung up NORMAL_TEMPORARY_FAILURE", res)
	}
	for _, a := range ranApps(c) {
		if strings.HasPrefix(a, "hangup") || strings.HasPrefix(a, "respond") {
			t.Errorf("reject ran %q on an answered call", a)
		}
	}
	e.Idle()
	if !strings.Contains(e.Log.String(), "reject: the call is answered already") {
		t.Errorf("the log does not say why:\n%s", e.Log)
	}
}
