package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/callhook/callhook/esl"
)

// baseline is the thinnest correct outbound handler: the floor callhook is
// measured against. It does what callhook does for the menu app (linger,
// myevents, answer, playback, play_and_get_digits, the option's playback,
// hangup, the hangup tail, exit), with event-lock and a fresh Event-UUID
// on every execute and every event read, but no verbs, no webhook
// protocol and no logging. With web set it makes one keep-alive POST per
// step, before each command, to the web app's /step.
//
// A call whose channel variable callhook_app is "hold" answers and plays
// the hold file instead, until the caller hangs up.
type baseline struct {
	web    string // the web app's base URL; "" makes no requests
	client *http.Client
	// failed counts the calls the handler could not drive, by error: no
	// logging, by design, so this is how they are reported.
	failed failures
}

// newBaseline returns the floor; web is the web app's base URL, "" for
// none. Its HTTP pool keeps every connection alive, as a tuned client would.
func newBaseline(web string) *baseline {
	b := &baseline{web: web}
	if web != "" {
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.MaxIdleConns = 0 // no overall cap
		t.MaxIdleConnsPerHost = 10000
		b.client = &http.Client{Transport: t, Timeout: 10 * time.Second}
	}
	return b
}

// ServeESL implements esl.Handler.
func (b *baseline) ServeESL(ctx context.Context, c *esl.Conn) {
	if err := b.serve(ctx, c); err != nil {
		b.failed.add(err.Error())
	}
	ectx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	_ = c.Exit(ectx)
}

// serve drives one call; an error is a call the floor could not drive.
func (b *baseline) serve(ctx context.Context, c *esl.Conn) error {
	id := c.Channel().UniqueID()
	if _, err := c.Send(ctx, esl.Linger(30*time.Second)); err != nil {
		return fmt.Errorf("linger: %w", err)
	}
	if _, err := c.Send(ctx, esl.MyEvents(esl.FormatPlain, "")); err != nil {
		return fmt.Errorf("myevents: %w", err)
	}
	over := false // CHANNEL_HANGUP_COMPLETE was read
	run := func(app, arg string) (*esl.Event, error) {
		if err := b.step(ctx, id, app); err != nil {
			return nil, err
		}
		ev, err := c.Execute(ctx, app, arg, esl.ExecuteOptions{EventLock: true})
		if err != nil {
			return nil, fmt.Errorf("%s: %w", app, err)
		}
		// Execute leaves every event in the stream; a handler that kept
		// them would hold a call's whole history in memory.
		over = over || discardEvents(c)
		return ev, nil
	}
	if _, err := run("answer", ""); err != nil {
		return err
	}
	if c.Channel().Var("callhook_app") == "hold" {
		if _, err := run("playback", holdFile); err != nil || over {
			return err
		}
		return b.tail(ctx, c)
	}
	if _, err := run("playback", "ivr/welcome.wav"); err != nil {
		return err
	}
	ev, err := run("play_and_get_digits", `1 1 1 3000 # ivr/menu.wav silence_stream://250 callhook_digits_3 \d+ 3000`)
	if err != nil {
		return err
	}
	option := "ivr/goodbye.wav"
	if d := ev.Var("callhook_digits_3"); d != "" {
		option = "ivr/option-" + d + ".wav"
	}
	if _, err := run("playback", option); err != nil {
		return err
	}
	if over {
		return nil
	}
	if err := b.step(ctx, id, "hangup"); err != nil {
		return err
	}
	if _, err := c.Send(ctx, esl.Hangup("", "NORMAL_CLEARING")); err != nil {
		return fmt.Errorf("hangup: %w", err)
	}
	return b.tail(ctx, c)
}

// discardEvents drops the events already queued and reports whether
// CHANNEL_HANGUP_COMPLETE was among them.
func discardEvents(c *esl.Conn) (over bool) {
	for {
		ev, ok := c.TryEvent()
		if !ok {
			return over
		}
		over = over || ev.Name() == "CHANNEL_HANGUP_COMPLETE"
	}
}

// tail reads events until CHANNEL_HANGUP_COMPLETE, which follows every
// application's completion: the call is then over and exit is safe.
func (b *baseline) tail(ctx context.Context, c *esl.Conn) error {
	for {
		ev, err := c.NextEvent(ctx)
		if err != nil {
			if errors.Is(err, esl.ErrDisconnected) {
				return nil
			}
			return fmt.Errorf("hangup tail: %w", err)
		}
		if ev.Name() == "CHANNEL_HANGUP_COMPLETE" || ev.IsFinalNotice() {
			return nil
		}
	}
}

// step makes the step's web request, when the baseline has a web app.
func (b *baseline) step(ctx context.Context, id, name string) error {
	if b.web == "" {
		return nil
	}
	body := `{"call_id":"` + id + `","step":"` + name + `"}`
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, b.web+"/step", strings.NewReader(body))
	if err != nil {
		return fmt.Errorf("step %s: %w", name, err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(callIDHeader, id)
	resp, err := b.client.Do(req)
	if err != nil {
		return fmt.Errorf("step %s: %w", name, err)
	}
	// Read to the end so the connection goes back to the pool (keep-alive).
	_, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if err != nil {
		return fmt.Errorf("step %s: %w", name, err)
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("step %s: web app answered %s", name, resp.Status)
	}
	return nil
}
