package webhook

// Engine tests of call.answered sent in the background: the call does not
// wait for the status URL, the request is counted safely beside the
// session's own, call.end comes after it, and a status URL that never
// answers does not keep the call (or a goroutine) alive.

import (
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/callhook/callhook/esl/esltest"
	"github.com/callhook/callhook/internal/calltest"
	"github.com/callhook/callhook/proxy"
)

// endStats records the CallStats each call ended with.
type endStats struct {
	proxy.NopObserver
	mu    sync.Mutex
	stats []proxy.CallStats
}

func (o *endStats) CallEnded(_ *proxy.Call, _ *proxy.CallEnd, s *proxy.CallStats) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.stats = append(o.stats, *s)
}

func (o *endStats) all() []proxy.CallStats {
	o.mu.Lock()
	defer o.mu.Unlock()
	return slices.Clone(o.stats)
}

// onAppStart returns an esltest OnApp hook that closes the returned
// channel when the application app first starts on the simulated switch.
func onAppStart(app string) (func(*esltest.Call, esltest.AppRun), <-chan struct{}) {
	started := make(chan struct{})
	var once sync.Once
	return func(_ *esltest.Call, run esltest.AppRun) {
		if run.App == app {
			once.Do(func() { close(started) })
		}
	}, started
}

// TestCallAnsweredDoesNotHoldTheCall: a status URL that is slow to answer
// call.answered does not delay the verbs after answer. The status server
// answers only once the simulated switch has started the first verb after
// answer (the prompt); the call waiting for call.answered would never
// start it, and the request would time out. The request is counted from
// its own goroutine while the session makes the verb's action request
// (run with -race: the call's stats are shared by the two).
func TestCallAnsweredDoesNotHoldTheCall(t *testing.T) {
	onApp, playing := onAppStart("play_and_get_digits")
	var (
		mu   sync.Mutex
		held bool // call.answered had to give up waiting for the prompt
	)
	srv := newTestApp(t, func(w http.ResponseWriter, r *http.Request, _ int) {
		w.Header().Set("Content-Type", "application/yaml")
		switch r.URL.Path {
		case "/status":
			if r.Header.Get("X-Callhook-Seq") != "2" {
				return // call.end
			}
			select {
			case <-playing:
			case <-r.Context().Done():
				mu.Lock()
				held = true
				mu.Unlock()
			}
			w.WriteHeader(http.StatusNoContent)
		case "/next":
			w.Write([]byte("[hangup]"))
		default:
			w.Write([]byte("[answer, {gather: {play: a.wav, action: /next}}]"))
		}
	})
	obs := &endStats{}
	app := &App{Name: "support", URL: srv.URL + "/ivr", StatusURL: srv.URL + "/status",
		StatusEvents: []string{EventCallAnswered}, Client: testClient(t), Timeout: 5 * time.Second, Retry: testRetry}
	e := calltest.Start(t, calltest.Apps(&proxy.App{Name: app.Name, Backend: app}), calltest.Options{Observer: obs})
	c := e.Dial(esltest.Options{OnApp: onApp})
	calltest.Wait(t, c)
	e.Idle()
	mu.Lock()
	if held {
		t.Errorf("the prompt after answer did not start while call.answered was in flight: the call waited for the status URL")
	}
	mu.Unlock()
	var events []string
	for _, r := range srv.requests() {
		ev, _ := r.json(t)["event"].(string)
		events = append(events, ev)
	}
	slices.Sort(events)
	want := []string{EventCallAnswered, EventCallEnd, EventCallStart, EventVerbResult}
	if !slices.Equal(events, want) {
		t.Errorf("requests = %q, want %q in some order", events, want)
	}
	// Every request counted once, the background one included.
	if s := obs.all(); len(s) != 1 || s[0].Requests != 4 {
		t.Errorf("call stats = %+v, want one call with 4 requests", s)
	}
}

// TestCallAnsweredBeforeCallEnd: a call that hangs up while call.answered
// is in flight sends call.end only after call.answered has finished. Here
// the caller hangs up as the prompt starts, and the status URL answers
// call.answered only then.
func TestCallAnsweredBeforeCallEnd(t *testing.T) {
	hungUp := make(chan struct{})
	var once sync.Once
	onApp := func(c *esltest.Call, run esltest.AppRun) {
		if run.App == "playback" {
			once.Do(func() {
				c.Hangup("NORMAL_CLEARING")
				close(hungUp)
			})
		}
	}
	var (
		mu  sync.Mutex
		log []string
	)
	note := func(s string) {
		mu.Lock()
		log = append(log, s)
		mu.Unlock()
	}
	srv := newTestApp(t, func(w http.ResponseWriter, r *http.Request, _ int) {
		w.Header().Set("Content-Type", "application/yaml")
		switch {
		case r.URL.Path == "/status" && r.Header.Get("X-Callhook-Seq") == "2":
			select {
			case <-hungUp:
				note("call.answered answered")
			case <-r.Context().Done():
				note("call.answered cancelled")
			}
			w.WriteHeader(http.StatusNoContent)
		case r.URL.Path == "/status":
			note("call.end")
			w.WriteHeader(http.StatusNoContent)
		default:
			w.Write([]byte("[answer, {play: a.wav}]"))
		}
	})
	e := verbsEngine(t, &App{Name: "support", URL: srv.URL + "/ivr", StatusURL: srv.URL + "/status",
		StatusEvents: []string{EventCallAnswered}})
	calltest.Wait(t, e.Dial(esltest.Options{OnApp: onApp}))
	e.Idle()
	mu.Lock()
	defer mu.Unlock()
	if want := []string{"call.answered answered", "call.end"}; !slices.Equal(log, want) {
		t.Errorf("status URL saw %q, want %q", log, want)
	}
}

// TestCallAnsweredNeverAnswered: a status URL that never answers
// call.answered does not keep the ended call, nor cost the app its
// call.end: the call's end work (bounded by the proxy's EndTimeout) gives
// call.answered half its time, then cancels it, and its goroutine ends
// with the call (the package's TestMain checks that none is left); then
// call.end goes, with the other half.
func TestCallAnsweredNeverAnswered(t *testing.T) {
	var (
		mu  sync.Mutex
		log []string
	)
	note := func(s string) {
		mu.Lock()
		log = append(log, s)
		mu.Unlock()
	}
	srv := newTestApp(t, func(w http.ResponseWriter, r *http.Request, _ int) {
		w.Header().Set("Content-Type", "application/yaml")
		switch {
		case r.URL.Path == "/status" && r.Header.Get("X-Callhook-Seq") == "2":
			// Never answers: the client must give up. The deadline only
			// keeps a broken build from hanging the test run.
			select {
			case <-r.Context().Done():
				note("call.answered cancelled")
			case <-time.After(20 * time.Second):
				note("call.answered never cancelled")
			}
		case r.URL.Path == "/status":
			note("call.end")
			w.WriteHeader(http.StatusNoContent)
		default:
			w.Write([]byte("[answer, hangup]"))
		}
	})
	// An attempt timeout longer than the test: only the end work's bound
	// can end the request.
	app := &App{Name: "support", URL: srv.URL + "/ivr", StatusURL: srv.URL + "/status",
		StatusEvents: []string{EventCallAnswered}, Client: testClient(t), Timeout: time.Hour, Retry: testRetry}
	e := calltest.Start(t, calltest.Apps(&proxy.App{Name: app.Name, Backend: app}),
		calltest.Options{EndTimeout: 2 * time.Second})
	res := calltest.Wait(t, e.Dial(esltest.Options{}))
	if res.Outcome != esltest.HungUp {
		t.Errorf("call ended %v, want hung up", res)
	}
	e.Idle()
	// The handler notes the cancellation once the client's connection
	// is gone, maybe after call.end came on another; the server's Close
	// waits for its handlers.
	srv.Close()
	mu.Lock()
	defer mu.Unlock()
	slices.Sort(log)
	if want := []string{"call.answered cancelled", "call.end"}; !slices.Equal(log, want) {
		t.Errorf("status URL saw %q, want %q", log, want)
	}
}
