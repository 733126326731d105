package proxy_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/callhook/callhook/esl"
	"github.com/callhook/callhook/esl/esltest"
	"github.com/callhook/callhook/proxy"
	"github.com/callhook/callhook/webhook"
	"github.com/sirupsen/logrus"
)

// TestWebhookCallNixesIgnoredEvents: right after myevents a webhook call
// nixes the event types its session never reads, FreeSWITCH (the
// simulator, as mod_event_socket does) then sends none of them, and the
// call runs as before: a menu call through its option. (A socket without
// "full", where FreeSWITCH would refuse nixevent, is handed back to the
// dialplan before any of this.) The test needs only exported API, so it
// sets up its own proxy and web app.
func TestWebhookCallNixesIgnoredEvents(t *testing.T) {
	web := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		switch {
		case r.URL.Path == "/ivr":
			io.WriteString(w, `["answer", {"gather": {"play": "ivr/menu.wav", "max": 1, "action": "/menu"}}]`)
		case r.URL.Path == "/menu" && strings.Contains(string(body), `"digits":"2"`):
			io.WriteString(w, `[{"play": "ivr/option-2.wav"}, "hangup"]`)
		default:
			io.WriteString(w, `["hangup"]`)
		}
	}))
	t.Cleanup(web.Close)
	log := logrus.New()
	log.Out = io.Discard
	p := &proxy.Proxy{Log: log, Linger: 60 * time.Second, EndTimeout: 5 * time.Second}
	p.SetRuntime(&proxy.Runtime{DefaultApp: "menu", Apps: map[string]*proxy.App{
		"menu": {Name: "menu", Backend: &webhook.App{Name: "menu", URL: web.URL + "/ivr", Timeout: 10 * time.Second}},
	}})
	srv := &esl.Server{Handler: p, ConnectTimeout: time.Minute, Conn: esl.ConnOptions{ReplyTimeout: time.Minute}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })

	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	c, err := esltest.Dial(ctx, ln.Addr().String(), esltest.Options{Speed: 1000, OnApp: func(c *esltest.Call, run esltest.AppRun) {
		if run.App == "play_and_get_digits" {
			c.Digits("2")
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	res, err := c.Wait(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if res.Outcome != esltest.HungUp || res.By != esltest.ByDaemon {
		t.Errorf("call ended %v, want hung up by the daemon", res)
	}
	var played []string
	for _, r := range c.Apps() {
		played = append(played, r.App+" "+r.Arg)
	}
	if len(played) == 0 || !strings.HasPrefix(played[len(played)-1], "playback ivr/option-2.wav") {
		t.Errorf("apps run = %q, want the menu through option 2", played)
	}

	nix := "nixevent " + strings.Join(proxy.IgnoredEvents(), " ")
	cmds := c.Received()
	var lines []string
	for _, cmd := range cmds[:min(4, len(cmds))] {
		lines = append(lines, cmd.Line)
	}
	if len(cmds) < 4 || cmds[2].Line != "myevents" || cmds[3].Line != nix {
		t.Fatalf("commands %q..., want connect, linger, myevents, %q", lines, nix)
	}
	ignored := map[string]bool{}
	for _, n := range proxy.IgnoredEvents() {
		ignored[n] = true
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
