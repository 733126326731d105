package verb

import (
	"strconv"
	"strings"

	"github.com/callhook/callhook/esl"
)

// Result is a verb's outcome, as the app receives it.
type Result struct {
	Verb   string `json:"verb"`
	Reason string `json:"reason"` // ok, timeout, invalid, hangup, error
	Digits string `json:"digits,omitempty"`
	// Terminator is the key that ended a gather's input
	// (read_terminator_used) or a record (playback_terminator_used); ""
	// when it ended otherwise. FreeSWITCH never clears
	// read_terminator_used, so a gather's may be an earlier gather's: an
	// app that needs it exact unsets read_terminator_used before the
	// gather.
	Terminator string `json:"terminator,omitempty"`
	Response   string `json:"response"`
	// Message says why a verb ended with reason error before it ran: the
	// switch lacks a module it needs, or could not prepare it.
	Message   string     `json:"message,omitempty"`
	Recording *Recording `json:"recording,omitempty"`
	Bridge    *Bridged   `json:"bridge,omitempty"`
}

// Result reasons.
const (
	ReasonOK      = "ok"
	ReasonTimeout = "timeout"
	ReasonInvalid = "invalid"
	ReasonHangup  = "hangup"
	ReasonError   = "error"
)

// Recording is a record verb's result (and record_call's, and a
// recording bridge's).
type Recording struct {
	// Path is where FreeSWITCH wrote the recording: the app's recordings
	// folder and Name; "" when FreeSWITCH uploaded it to callhook instead
	// (README "Recordings").
	Path       string `json:"path"`
	Name       string `json:"name"` // the name the record verb gave
	DurationMS int64  `json:"duration_ms"`
	Size       int64  `json:"size"`
	// URL is where the app can GET the recording: callhook's, behind an
	// unguessable token that expires (README "Recordings"); "" when no
	// delivery is configured or the recording failed.
	URL    string `json:"url,omitempty"`
	Format string `json:"format,omitempty"` // wav, mp3, ogg or flac
	// Upload says where callhook uploaded the recording for the app
	// (upload:), or why it could not.
	Upload *Uploaded `json:"upload,omitempty"`
}

// Uploaded is the outcome of an upload to the app's storage.
type Uploaded struct {
	URL    string `json:"url"`
	Method string `json:"method"`
	Status int    `json:"status,omitempty"` // the storage's HTTP status, when it answered
	Error  string `json:"error,omitempty"`  // why it failed; "" when it worked
}

// Bridged is a bridge verb's result.
type Bridged struct {
	Status string `json:"status"` // originate_disposition / DIALSTATUS, e.g. SUCCESS, BUSY
	Cause  string `json:"cause"`  // bridge_hangup_cause or originate_failed_cause
	// AnsweredBy is the channel of the callee that answered (bridge_channel,
	// e.g. sofia/internal/1001@192.0.2.5), and DurationMS how long the two
	// were bridged; both only when the bridge connected.
	AnsweredBy string `json:"answered_by,omitempty"`
	DurationMS int64  `json:"duration_ms,omitempty"`
}

// response returns a completion's Application-Response, with FreeSWITCH's
// placeholder "_none_" (no response set) as "".
func response(complete *esl.Event) string {
	if complete == nil {
		return ""
	}
	if r := complete.AppResponse(); r != "_none_" {
		return r
	}
	return ""
}

// completionOf returns complete when it is the completion of app, else nil.
// The session hands Result the completion of the last exec that completed;
// when the call hung up before a verb's main application ran (during a
// record's beep, say), that is an earlier exec's, and the channel variables
// it carries belong to something else (an earlier recording's record_ms).
func completionOf(complete *esl.Event, app string) *esl.Event {
	if complete == nil || !strings.EqualFold(complete.Application(), app) {
		return nil
	}
	return complete
}

// baseResult is the result every verb starts from, given its main
// application's completion (nil when none came): hangup when the channel
// hung up while the verb ran, whatever the application answered (a cut-off
// playback says PLAYBACK ERROR, which is not the prompt's fault); error
// when no completion came; ok otherwise.
func baseResult(verb string, complete *esl.Event, hungUp bool) *Result {
	r := &Result{Verb: verb, Reason: ReasonOK, Response: response(complete)}
	switch {
	case hungUp:
		r.Reason = ReasonHangup
	case complete == nil:
		r.Reason = ReasonError
	}
	return r
}

// intVar reads a numeric channel variable from a completion; 0 when it is
// absent or not a number.
func intVar(complete *esl.Event, name string) int64 {
	if complete == nil {
		return 0
	}
	n, err := strconv.ParseInt(strings.TrimSpace(complete.Var(name)), 10, 64)
	if err != nil {
		return 0
	}
	return n
}
