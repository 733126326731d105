// Package ivr is the example IVR web app: it speaks callhook's webhook
// protocol (POST a JSON or form request, answer a JSON list of verbs) with
// the standard library only. examples/webapp-python and examples/webapp-node
// are the same app, path for path.
//
// The call: call.start (/ivr) answers, plays a welcome and asks for a menu
// choice (gather: 3 tries, an invalid-entry prompt, result to /menu).
// 1 bridges to user/1000 (result to /bridged), 2 records a message (result
// to /recorded, which fetches it by its URL when callhook gives one), 3 says the caller's number and asks again. /sorry is the
// fallback_url callhook asks when the app fails; /status receives call.end.
// The number of menu visits travels in the session field, so the app keeps
// no per-call state of its own.
package ivr

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"time"
)

// App is the example IVR as an http.Handler.
type App struct {
	// Secret, when set, makes every request prove it comes from callhook
	// (X-Callhook-Signature); others get 401.
	Secret string
	// Log receives one line per request and per finished call (nil: the
	// standard logger).
	Log *log.Logger
	// Now is the clock signatures are checked against (nil: time.Now).
	Now func() time.Time
	// Client fetches recordings (nil: one with a 10s timeout).
	Client *http.Client
}

// Verb is one verb of a reply: a bare name ("answer") or a one-key map
// ({"play": "file.wav"}, {"gather": {...}}).
type Verb = any

// Reply is what the app answers: the verbs to run, and the session data
// callhook echoes back on the call's next request.
type Reply struct {
	Session *Session `json:"session,omitempty"`
	Verbs   []Verb   `json:"verbs"`
}

// Prompts and targets, all FreeSWITCH's stock sounds.
const (
	welcomePrompt = "ivr/ivr-welcome_to_freeswitch.wav"
	menuPrompt    = "ivr/ivr-please_choose_from_the_following.wav"
	invalidPrompt = "ivr/ivr-that_was_an_invalid_entry.wav"
	holdPrompt    = "ivr/ivr-one_moment_please.wav"
	recordPrompt  = "voicemail/vm-record_message.wav"
	thanksPrompt  = "ivr/ivr-thank_you_for_calling.wav"
	failedPrompt  = "ivr/ivr-call_cannot_be_completed_as_dialed.wav"
	goodbyePrompt = "voicemail/vm-goodbye.wav"
	bridgeTarget  = "user/1000"
)

// ServeHTTP routes a request to its step.
func (a *App) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	step, ok := map[string]func(*Request) *Reply{
		"/ivr":      a.start,
		"/menu":     a.menu,
		"/bridged":  a.bridged,
		"/recorded": a.recorded,
		"/sorry":    a.sorry,
		"/status":   a.status,
	}[r.URL.Path]
	if !ok {
		http.NotFound(w, r)
		return
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "callhook requests are POSTs", http.StatusMethodNotAllowed)
		return
	}
	req, err := readRequest(r, a.Secret, a.now())
	if errors.Is(err, errBadSignature) {
		a.logf("refused %s: %v", r.URL.Path, err)
		http.Error(w, err.Error(), http.StatusUnauthorized)
		return
	}
	if err != nil {
		a.logf("bad request to %s: %v", r.URL.Path, err)
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	a.logf("call %s seq %d: %s %s", req.CallID, req.Seq, req.Event, r.URL.Path)
	reply := step(req)
	if reply == nil {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	if err := json.NewEncoder(w).Encode(reply); err != nil {
		a.logf("write reply: %v", err)
	}
}

// start is call.start: answer, welcome, the menu.
func (a *App) start(req *Request) *Reply {
	s := session(req)
	return &Reply{Session: s, Verbs: append([]Verb{"answer", play(welcomePrompt)}, menu(s)...)}
}

// menu handles the menu gather's result.
func (a *App) menu(req *Request) *Reply {
	s := session(req)
	res := req.Result
	if res == nil || res.Reason != "ok" {
		// Three tries without a valid choice: let the caller go.
		return &Reply{Session: s, Verbs: []Verb{play(goodbyePrompt), "hangup"}}
	}
	s.LastChoice = res.Digits
	switch res.Digits {
	case "1":
		return &Reply{Session: s, Verbs: []Verb{
			play(holdPrompt),
			map[string]any{"bridge": map[string]any{"to": bridgeTarget, "timeout": "20s", "action": "/bridged"}},
		}}
	case "2":
		return &Reply{Session: s, Verbs: []Verb{
			play(recordPrompt),
			map[string]any{"record": map[string]any{
				"path": "callhook-" + req.CallID + ".wav", "max": "30s", "silence": "3s",
				"terminators": "#", "action": "/recorded",
			}},
		}}
	case "3":
		return &Reply{Session: s, Verbs: append([]Verb{
			map[string]any{"say": map[string]any{"text": req.Call.From, "type": "telephone_number", "method": "iterated"}},
		}, menu(s)...)}
	}
	// The gather's regex lets only 1-3 through; anything else asks again.
	return &Reply{Session: s, Verbs: menu(s)}
}

// bridged handles the bridge's result: thanks after a call, the menu again
// when nobody answered.
func (a *App) bridged(req *Request) *Reply {
	s := session(req)
	if b := req.Result; b != nil && b.Bridge != nil && b.Bridge.Status == "SUCCESS" {
		return &Reply{Session: s, Verbs: []Verb{play(thanksPrompt), "hangup"}}
	}
	return &Reply{Session: s, Verbs: append([]Verb{play(failedPrompt)}, menu(s)...)}
}

// recorded handles the recording's result. When callhook delivers
// recordings (its recordings key), the result has the recording's URL:
// the app fetches it there (a real app would store it; this one says in
// the call's log what it got).
func (a *App) recorded(req *Request) *Reply {
	var verbs []Verb
	if r := req.Result; r != nil && r.Recording != nil {
		where := r.Recording.Path // "" when the switch uploaded it to callhook
		if where == "" {
			where = r.Recording.URL
		}
		a.logf("call %s: message recorded in %s (%d ms)", req.CallID, where, r.Recording.DurationMS)
		if u := r.Recording.URL; u != "" {
			n, ctype, err := a.fetch(u)
			if err != nil {
				a.logf("call %s: message not fetched: %v", req.CallID, err)
				verbs = append(verbs, map[string]any{"log": "message not fetched"})
			} else {
				verbs = append(verbs, map[string]any{"log": fmt.Sprintf("message fetched: %d bytes of %s", n, ctype)})
			}
		}
	}
	return &Reply{Session: session(req), Verbs: append(verbs, play(thanksPrompt), "hangup")}
}

// maxRecording bounds what fetch reads.
const maxRecording = 64 << 20

// fetch GETs a recording at the URL callhook gave, and returns its size
// and type.
func (a *App) fetch(u string) (int64, string, error) {
	c := a.Client
	if c == nil {
		c = &http.Client{Timeout: 10 * time.Second}
	}
	resp, err := c.Get(u)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, "", fmt.Errorf("GET %s: %s", u, resp.Status)
	}
	n, err := io.Copy(io.Discard, io.LimitReader(resp.Body, maxRecording))
	return n, resp.Header.Get("Content-Type"), err
}

// sorry is the fallback: callhook asks it when the app's own URL failed.
func (a *App) sorry(req *Request) *Reply {
	if e := req.Error; e != nil {
		a.logf("call %s: fallback after %s failed: %s %s", req.CallID, e.URL, e.Code, e.Message)
	}
	return &Reply{Verbs: []Verb{play(failedPrompt), map[string]any{"hangup": "NORMAL_TEMPORARY_FAILURE"}}}
}

// status receives call.end; nothing is answered.
func (a *App) status(req *Request) *Reply {
	cause, secs := "", int64(0)
	if h := req.Hangup; h != nil {
		cause, secs = h.Cause, h.Duration
	}
	visits := 0
	if req.Session != nil {
		visits = req.Session.MenuVisits
	}
	if req.Outcome == "transferred" {
		// Not hung up: it went on to another extension.
		a.logf("call %s transferred after %dms, %d menu visits", req.CallID, req.HeldMS, visits)
		return nil
	}
	a.logf("call %s ended: %s, cause %s, %ds, %d menu visits", req.CallID, req.Outcome, cause, secs, visits)
	return nil
}

// menu returns the menu's verbs, counting the visit in the session.
func menu(s *Session) []Verb {
	s.MenuVisits++
	return []Verb{map[string]any{"gather": map[string]any{
		"play": menuPrompt, "max": 1, "tries": 3, "timeout": "5s",
		"regex": "^[123]$", "invalid": invalidPrompt, "action": "/menu",
	}}}
}

func play(file string) Verb { return map[string]any{"play": file} }

// session returns a copy of the request's session, or a new one.
func session(req *Request) *Session {
	if req.Session == nil {
		return &Session{}
	}
	s := *req.Session
	return &s
}

func (a *App) now() time.Time {
	if a.Now != nil {
		return a.Now()
	}
	return time.Now()
}

func (a *App) logf(format string, args ...any) {
	if a.Log != nil {
		a.Log.Printf(format, args...)
		return
	}
	log.Printf(format, args...)
}
