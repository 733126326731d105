package proxy_test

import (
	"context"
	"testing"
	"time"

	"github.com/callhook/callhook/esl/esltest"
	"github.com/callhook/callhook/webhook"
)

// BenchmarkCall measures one whole menu call through the engine: connect,
// linger, myevents, answer, play, gather (the caller presses 2), a
// verb.result request, play, hangup, the hangup tail, call.end-less exit.
// The web app (two requests per call), the simulated FreeSWITCH and the
// proxy all run in this process on loopback sockets, so the figure is the
// whole system's cost per call on one machine, not callhook's alone.
func BenchmarkCall(b *testing.B) {
	app := newWebapp(b, menu)
	rt := webhookRuntime(&webhook.App{Name: "menu", URL: app.URL + "/ivr", Timeout: 10 * time.Second})
	h := startProxy(b, rt)
	opts := esltest.Options{Speed: 1e6, DiscardHistory: true, OnApp: func(c *esltest.Call, run esltest.AppRun) {
		if run.App == "play_and_get_digits" {
			c.Digits("2")
		}
	}}
	b.ReportAllocs()
	for b.Loop() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		c, err := esltest.Dial(ctx, h.Addr, opts)
		if err != nil {
			b.Fatal(err)
		}
		res, err := c.Wait(ctx)
		cancel()
		if err != nil || res.By != esltest.ByDaemon {
			b.Fatalf("call ended %v, %v", res, err)
		}
		c.Close()
	}
}
