package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// callIDHeader names the call in every webhook request; the
// baseline's requests carry it too.
const callIDHeader = "X-Callhook-Call-Id"

// holdFile is the hold app's long playback: an hour of silence, so a held
// call waits until loadgen hangs it up.
const holdFile = "silence_stream://3600000"

// WebApp is loadgen's own web app: a fixed menu IVR answered from memory,
// so that it costs as little as a web app can. It serves
//
//	/ivr         call.start → answer, play, gather (action /menu)
//	/menu        verb.result → play the option pressed, hang up
//	/slow/ivr    the same menu, each request taking Delay (the slow app)
//	/slow/menu
//	/hold        call.start → answer, an hour-long playback
//	/step        the floor's one request per step, answered with the bytes
//	             the menu gives at that step (the start reply for call.start,
//	             an option's reply for verb.result), which the floor reads
//	             and discards
//
// Every reply is JSON, as most web apps answer (callhook reads JSON replies
// on a fast path, verb/reply_json.go).
//
// It times its own handling of every request (from the handler's start
// to just before it writes the reply, the Delay included) and charges it
// to the call named by X-Callhook-Call-Id, so the step timing can take the
// web app's time out of what the daemon adds.
type WebApp struct {
	// Delay is how long each /slow request takes.
	Delay time.Duration

	calls    sync.Map // call id → *atomic.Int64 (ns of handling since the last sendmsg)
	handling samples  // every request's handling time
	requests atomic.Int64
	bad      atomic.Int64 // requests loadgen's app could not answer (404, bad body)
	// serverErrors counts the HTTP server's own errors (accept failures,
	// broken connections) instead of logging each: under overload there
	// are thousands.
	serverErrors lineCounter
}

// lineCounter is an io.Writer that counts the lines written to it.
type lineCounter struct{ n atomic.Int64 }

// Write counts the newlines in p and discards it.
func (c *lineCounter) Write(p []byte) (int, error) {
	c.n.Add(int64(bytes.Count(p, []byte{'\n'})))
	return len(p), nil
}

// menuReplies are the verb.result replies by digit, built once.
var menuReplies = func() map[string][]byte {
	m := make(map[string][]byte, 12)
	for _, d := range []string{"0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "*", "#"} {
		name := d
		switch d {
		case "*":
			name = "star"
		case "#":
			name = "pound"
		}
		m[d] = []byte(fmt.Sprintf(`[{"play": "ivr/option-%s.wav"}, {"hangup": "NORMAL_CLEARING"}]`+"\n", name))
	}
	return m
}()

// startReply is the call.start answer of the menu under prefix ("" or
// "/slow"): the action is absolute, so it stays in the same app.
func startReply(prefix string) []byte {
	return []byte(`{"session": {"step": 1}, "verbs": [
  "answer",
  {"play": "ivr/welcome.wav"},
  {"gather": {"play": "ivr/menu.wav", "max": 1, "timeout": "3s", "action": "` + prefix + `/menu"}}
]}
`)
}

var (
	fastStart = startReply("")
	slowStart = startReply("/slow")
	holdReply = []byte(`["answer", {"play": "` + holdFile + `"}]` + "\n")
	noDigits  = []byte(`[{"play": "ivr/goodbye.wav"}, {"hangup": "NORMAL_CLEARING"}]` + "\n")
	// stepResult is the floor's verb.result answer: the size of an
	// option's reply.
	stepResult = menuReplies["1"]
)

// track starts charging the web app's handling time of call id to the
// returned counter; untrack stops it.
func (w *WebApp) track(id string) *atomic.Int64 {
	n := new(atomic.Int64)
	w.calls.Store(id, n)
	return n
}

func (w *WebApp) untrack(id string) { w.calls.Delete(id) }

// ServeHTTP answers one request of the menu, hold or baseline app.
func (w *WebApp) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	start := time.Now()
	w.requests.Add(1)
	reply, status := w.answer(r)
	if reply != nil && strings.HasPrefix(r.URL.Path, "/slow/") && w.Delay > 0 {
		t := time.NewTimer(w.Delay)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
		}
	}
	took := time.Since(start)
	w.handling.add(took)
	if v, ok := w.calls.Load(r.Header.Get(callIDHeader)); ok {
		v.(*atomic.Int64).Add(int64(took))
	}
	if status != http.StatusOK {
		w.bad.Add(1)
		http.Error(rw, http.StatusText(status), status)
		return
	}
	rw.Header().Set("Content-Type", "application/json")
	_, _ = rw.Write(reply)
}

// answer picks the reply to r.
func (w *WebApp) answer(r *http.Request) ([]byte, int) {
	switch r.URL.Path {
	case "/ivr":
		_, _ = io.Copy(io.Discard, r.Body)
		return fastStart, http.StatusOK
	case "/slow/ivr":
		_, _ = io.Copy(io.Discard, r.Body)
		return slowStart, http.StatusOK
	case "/hold":
		_, _ = io.Copy(io.Discard, r.Body)
		return holdReply, http.StatusOK
	case "/step":
		body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err != nil {
			return nil, http.StatusBadRequest
		}
		if bytes.Contains(body, []byte(`"event":"verb.result"`)) {
			return stepResult, http.StatusOK
		}
		return fastStart, http.StatusOK
	case "/menu", "/slow/menu":
		var body struct {
			Result struct {
				Digits string `json:"digits"`
			} `json:"result"`
		}
		if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&body); err != nil {
			return nil, http.StatusBadRequest
		}
		if reply, ok := menuReplies[body.Result.Digits]; ok {
			return reply, http.StatusOK
		}
		return noDigits, http.StatusOK
	}
	_, _ = io.Copy(io.Discard, r.Body)
	return nil, http.StatusNotFound
}
