package main

import (
	"fmt"
	"io"
	"log"
	"net/http"
	"strings"
)

// The prompts, from FreeSWITCH's default sound set.
const (
	promptWelcome = "ivr/ivr-welcome_to_freeswitch.wav"
	promptMenu    = "ivr/ivr-please_choose_from_the_following.wav"
	promptInvalid = "ivr/ivr-that_was_an_invalid_entry.wav"
	promptThanks  = "ivr/ivr-thank_you_for_calling.wav"
	maxMenuTries  = 3
)

// app is a Liverpie web app: the IVR is a state machine whose state lives
// in the caller's session cookie. Liverpie (or callhook) calls
//
//	GET  /ivr/reset          at call start: a fresh session
//	POST /ivr/state_machine  whenever the expected event arrives: do the next step
//	POST /ivr/dtmf           for each key the caller presses (dtmf_code)
//	POST /ivr/hangup         when the call ends (callhook's hangup_uri only)
//
// and each state-machine reply says which ESL command to send (msg) and
// which event fires the next request (expected_key, expected_value).
type app struct {
	sessions sessions
	log      *log.Logger
}

func newApp(key []byte, logger *log.Logger) http.Handler {
	a := &app{sessions: sessions{key: key}, log: logger}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /ivr/reset", a.reset)
	mux.HandleFunc("POST /ivr/state_machine", a.stateMachine)
	mux.HandleFunc("POST /ivr/dtmf", a.dtmf)
	mux.HandleFunc("POST /ivr/hangup", a.hangup)
	return mux
}

// reset starts the state machine of a new call.
func (a *app) reset(w http.ResponseWriter, r *http.Request) {
	a.sessions.save(w, session{State: "start"})
	io.WriteString(w, "OK\n")
}

// stateMachine runs the step the session says is next. The form holds
// every header FreeSWITCH sent on the call so far, names lower-cased with
// '-' as '_' (unique_id, caller_caller_id_number, event_name, ...).
func (a *app) stateMachine(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	sess, ok := a.sessions.load(r)
	if !ok {
		// No session: reset was not called, or the cookie was tampered
		// with. End the call rather than leave the caller in silence.
		a.log.Printf("call %s: no valid session; hanging up", r.PostForm.Get("unique_id"))
		io.WriteString(w, reply(hangup("NORMAL_TEMPORARY_FAILURE"), "event_name", "CHANNEL_HANGUP"))
		return
	}
	a.log.Printf("call %s from %s: state %s (after %s)", r.PostForm.Get("unique_id"),
		r.PostForm.Get("caller_caller_id_number"), sess.State, r.PostForm.Get("event_name"))
	var out string
	sess, out = step(sess)
	a.sessions.save(w, sess)
	w.Header().Set("Content-Type", "text/yaml")
	io.WriteString(w, out)
}

// step is the state machine: the reply to send in state s, and the state
// the next request finds. Each prompt's completion
// (CHANNEL_EXECUTE_COMPLETE) fires the next step.
func step(s session) (session, string) {
	const done, key = "CHANNEL_EXECUTE_COMPLETE", "event_name"
	switch s.State {
	case "start":
		s.State = "welcome"
		return s, reply(execute("answer", ""), key, done)
	case "welcome":
		s.State = "menu"
		return s, reply(execute("playback", promptWelcome), key, done)
	case "menu":
		return menu(s)
	case "choice":
		switch s.Digit {
		case "1", "2", "3":
			s.State = "goodbye"
			return s, reply(execute("playback", "digits/"+s.Digit+".wav"), key, done)
		case "":
			if s.Tries < maxMenuTries {
				return menu(s)
			}
			s.State = "hangup"
			return s, reply(execute("playback", promptThanks), key, done)
		default:
			s.Digit = ""
			if s.Tries < maxMenuTries {
				s.State = "menu"
			} else {
				s.State = "goodbye"
			}
			return s, reply(execute("playback", promptInvalid), key, done)
		}
	case "goodbye":
		s.State = "hangup"
		return s, reply(execute("playback", promptThanks), key, done)
	case "hangup":
		s.State = "done"
		return s, reply(hangup("NORMAL_CLEARING"), key, "CHANNEL_HANGUP")
	}
	// done: nothing left to say. An empty reply keeps the last expectation.
	return s, ""
}

// menu plays the menu prompt; the digit comes through /ivr/dtmf meanwhile.
func menu(s session) (session, string) {
	s.Tries++
	s.State = "choice"
	return s, reply(execute("playback", promptMenu), "event_name", "CHANNEL_EXECUTE_COMPLETE")
}

// dtmf keeps the first key pressed while the menu plays. It answers
// nothing: the state machine acts once the menu prompt ends. (A reply's msg
// would be sent at once; its expectations would be ignored.)
func (a *app) dtmf(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	sess, ok := a.sessions.load(r)
	if !ok {
		return
	}
	digit := r.PostForm.Get("dtmf_code")
	a.log.Printf("caller pressed %s in state %s", digit, sess.State)
	if sess.State == "choice" && sess.Digit == "" {
		sess.Digit = digit
		a.sessions.save(w, sess)
	}
}

// hangup hears about the end of a call (callhook's opt-in hangup_uri).
func (a *app) hangup(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	sess, _ := a.sessions.load(r)
	a.log.Printf("call %s ended (%s) in state %s", r.PostForm.Get("unique_id"),
		r.PostForm.Get("callhook_hangup_cause"), sess.State)
}

// execute is the ESL command that runs app with arg on the call; event-lock
// makes FreeSWITCH run queued commands one after the other.
func execute(app, arg string) string {
	cmd := "sendmsg\ncall-command: execute\nexecute-app-name: " + app + "\n"
	if arg != "" {
		cmd += "execute-app-arg: " + arg + "\n"
	}
	return cmd + "event-lock: true\n"
}

// hangup is the ESL command that hangs the call up.
func hangup(cause string) string {
	return "sendmsg\ncall-command: hangup\nhangup-cause: " + cause + "\n"
}

// reply is a state-machine reply in Liverpie's YAML: msg as a literal
// block, then what fires the next request.
func reply(msg, key, value string) string {
	var b strings.Builder
	b.WriteString("---\nmsg: |\n")
	for _, line := range strings.Split(strings.TrimSuffix(msg, "\n"), "\n") {
		b.WriteString("  " + line + "\n")
	}
	fmt.Fprintf(&b, "expected_key: %s\nexpected_value: %s\n", key, value)
	return b.String()
}
