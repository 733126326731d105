package proxy_test

import (
	"strings"
	"testing"

	"github.com/callhook/callhook/esl"
	"github.com/callhook/callhook/esl/esltest"
	"github.com/callhook/callhook/proxy"
	"github.com/callhook/callhook/webhook"
)

// TestWebhookCallNixesIgnoredEvents: right after myevents a webhook call
// nixes the event types its session never reads, FreeSWITCH (the
// simulator, as mod_event_socket does) then sends none of them, and the
// call runs as before. (A socket without "full", where FreeSWITCH would
// refuse nixevent, is handed back to the dialplan before any of this.)
func TestWebhookCallNixesIgnoredEvents(t *testing.T) {
	nix := "nixevent " + strings.Join(proxy.IgnoredEvents(), " ")
	ignored := map[string]bool{}
	for _, n := range proxy.IgnoredEvents() {
		ignored[n] = true
	}
	app := newWebapp(t, menu)
	h := startProxy(t, webhookRuntime(&webhook.App{Name: "menu", URL: app.URL + "/ivr", StatusURL: app.URL + "/status"}))
	c := h.dial(esltest.Options{
		OnApp: func(c *esltest.Call, run esltest.AppRun) {
			if run.App == "play_and_get_digits" {
				c.Digits("2")
			}
		},
	})
	res := wait(t, c)
	if res.Outcome != esltest.HungUp || res.By != esltest.ByDaemon || res.Cause != "NORMAL_CLEARING" {
		t.Errorf("call ended %v, want hung up NORMAL_CLEARING by the daemon", res)
	}
	if got := apps(c); len(got) != 4 || !strings.HasPrefix(got[3], "playback ivr/option-2.wav") {
		t.Errorf("apps run = %q, want the menu through option 2", got)
	}
	cmds := c.Received()
	if len(cmds) < 4 || cmds[2].Line != "myevents" || cmds[3].Line != nix {
		t.Fatalf("commands %q..., want connect, linger, myevents, %q", lines(cmds, 4), nix)
	}
	var sent []string
	for _, f := range c.Written() {
		if f.ContentType() != esl.TypeEventPlain {
			continue
		}
		if ev, err := esl.ParseEvent(f); err == nil && ignored[ev.Name()] {
			sent = append(sent, ev.Name())
		}
	}
	if len(sent) > 0 {
		t.Errorf("after nixevent the daemon got %v", sent)
	}
}

func lines(cmds []esl.Command, n int) []string {
	var out []string
	for _, c := range cmds[:min(n, len(cmds))] {
		out = append(out, c.Line)
	}
	return out
}
