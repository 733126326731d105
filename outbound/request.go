package outbound

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/callhook/callhook/verb"
)

// Request is the body of POST /calls.
type Request struct {
	To       string            `json:"to"`        // a dial target: user/1000, sofia/gateway/gw/15551234567
	From     string            `json:"from"`      // caller id number ("": FreeSWITCH's default)
	FromName string            `json:"from_name"` // caller id name
	App      string            `json:"app"`       // the config's app that runs the answered call
	Vars     map[string]string `json:"vars"`      // channel variables set on the new channel
	// Timeout is the ring time in whole seconds (0: DefaultTimeout).
	Timeout int `json:"timeout"`
	// StatusURL receives the status events ("": none are sent).
	StatusURL string `json:"status_url"`
	// StatusEvents are the status events wanted (empty: all of
	// StatusEventNames).
	StatusEvents []string `json:"status_events"`

	// ID, when set by a program (never by JSON), is the call's id: a
	// UUID it made (esl.NewUUID) so that it knows the call before its
	// socket can connect. "": Place makes one.
	ID string `json:"-"`
	// Deliver, when set by a program (never by JSON), takes the call's
	// status events in place of the JSON POSTs to StatusURL: each of
	// StatusEvents once, in order, on the call's sender goroutine (the
	// Twilio API sends them in Twilio's form). ctx ends when the Manager
	// closes.
	Deliver func(ctx context.Context, ev StatusEvent) `json:"-"`
}

// Status events, sent to a placed call's status_url.
const (
	EventInitiated = "call.initiated"
	EventRinging   = "call.ringing"
	EventAnswered  = "call.answered"
	EventCompleted = "call.completed"
)

// StatusEventNames are the status events a request may ask for, in the
// order a call goes through them.
var StatusEventNames = []string{EventInitiated, EventRinging, EventAnswered, EventCompleted}

// Final statuses of call.completed.
const (
	StatusCompleted = "completed" // answered, then ended
	StatusBusy      = "busy"
	StatusNoAnswer  = "no-answer"
	StatusFailed    = "failed"
	StatusCanceled  = "canceled" // hung up through the API while it rang
)

// Bounds of a request's values.
const (
	DefaultTimeout = 60 // seconds: originate's own default (originate_function, mod_commands.c)
	MaxTimeout     = 600
	maxRequestBody = 64 << 10
	maxVars        = 50
	maxValueLen    = 256
	// maxToLen bounds a dial target: the longest a sofia URI with
	// parameters needs, far below what would make the bgapi line a burden
	// on the box's connection.
	maxToLen = 256
)

// App is what an app of the config lets the API do: where its calls may
// go (AllowTo) and which caller ids they may send (AllowFrom), the
// variables its policy allows (its allow_vars and allow_endpoints), and
// its secret, which signs the status events.
type App struct {
	Name      string
	AllowTo   []*regexp.Regexp // matched against to; none: the app places no calls
	AllowFrom []*regexp.Regexp // matched against from; none: only an empty from
	Policy    *verb.Policy
	Secret    string
}

// Error is a request the API refuses, with its HTTP status.
type Error struct {
	Status int    // 400, 403, 404, 413, 429 or 503
	Msg    string // says what to change
	// RetryAfter, for a 429, is when a box may take the call.
	RetryAfter time.Duration
}

func (e *Error) Error() string { return e.Msg }

func badRequest(format string, a ...any) *Error {
	return &Error{Status: http.StatusBadRequest, Msg: fmt.Sprintf(format, a...)}
}

// DecodeRequest reads a POST /calls body: JSON, one object, no unknown
// fields, at most 64 KiB.
func DecodeRequest(r io.Reader) (*Request, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxRequestBody+1))
	// A body over the limit is a 413, as on every admin endpoint, whether
	// the caller's http.MaxBytesReader or the limit here stopped it.
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) || len(data) > maxRequestBody {
		return nil, &Error{Status: http.StatusRequestEntityTooLarge, Msg: fmt.Sprintf("body over %d bytes", maxRequestBody)}
	}
	if err != nil {
		return nil, badRequest("read body: %v", err)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var req Request
	if err := dec.Decode(&req); err != nil {
		return nil, badRequest("invalid JSON body: %v", err)
	}
	if dec.More() {
		return nil, badRequest("invalid JSON body: more than one object")
	}
	return &req, nil
}

// Value patterns. Every value goes into one argument of FreeSWITCH's
// originate (split on spaces, single quotes grouping, backslash escaping:
// switch_separate_string, src/switch_utils.c) and into its {...} block
// (split on ',' with '^^' changing the separator:
// switch_event_create_brackets, src/switch_event.c), so the characters
// that mean something to either are refused rather than escaped: spaces,
// quotes, backslashes, braces, brackets, commas, '^', '|', '$' (variable
// expansion), parentheses and line breaks.
var (
	// toChars are the characters of a dial target: sofia URIs with
	// parameters (sofia/gateway/gw/+15551234567, user/1000@example.com,
	// sofia/internal/sip:1000@192.0.2.1:5060;transport=tcp).
	toChars = regexp.MustCompile(`^[A-Za-z0-9_.@:/+=;#*-]+$`)
	// fromChars: a caller id number.
	fromChars = regexp.MustCompile(`^[A-Za-z0-9_.+*#-]{1,32}$`)
	// fromNameChars: a caller id name, sent single-quoted; the only value
	// that may hold spaces, and no quote can end the quoting.
	fromNameChars = regexp.MustCompile(`^[\p{L}\p{N}_.-]([\p{L}\p{N} _.-]{0,62}[\p{L}\p{N}_.-])?$`)
	// valueChars: a variable's value.
	valueChars = regexp.MustCompile(`^[A-Za-z0-9_.:@/+=-]*$`)
)

// reservedVars are the variables callhook sets on every placed call; a
// request cannot set them (nor any callhook_ variable).
var reservedVars = []string{
	"origination_uuid", "origination_caller_id_number", "origination_caller_id_name",
	"originate_timeout", "direction",
}

// Check validates req against app, in full, and fills its defaults
// (Timeout, StatusEvents). Its error is an *Error: 400 for a bad value,
// 403 for a value app does not allow.
func Check(req *Request, app *App) error {
	if req.To == "" {
		return badRequest("to: required (a dial target such as user/1000)")
	}
	if len(req.To) > maxToLen {
		return badRequest("to: longer than %d bytes", maxToLen)
	}
	if !toChars.MatchString(req.To) {
		return badRequest("to %s: only letters, digits and _ . @ : / + = ; # * - are allowed (no spaces, quotes, braces, commas or the like)", verb.Quote(req.To))
	}
	if !strings.Contains(req.To, "/") {
		return badRequest("to %s: want endpoint/destination, such as user/1000 or sofia/gateway/gw/15551234567", verb.Quote(req.To))
	}
	if err := app.Policy.CheckDialTarget(req.To); err != nil {
		return badRequest("to: %v", err)
	}
	if !matchAny(app.AllowTo, req.To) {
		return &Error{Status: http.StatusForbidden, Msg: fmt.Sprintf("to %s: app %s may not call it (its allow_to patterns do not match)", verb.Quote(req.To), app.Name)}
	}
	if req.From != "" {
		if !fromChars.MatchString(req.From) {
			return badRequest("from %s: a caller id number, up to 32 letters, digits and _ . + * # -", verb.Quote(req.From))
		}
		if !matchAny(app.AllowFrom, req.From) {
			return &Error{Status: http.StatusForbidden, Msg: fmt.Sprintf("from %s: app %s may not send it (its allow_from patterns do not match)", verb.Quote(req.From), app.Name)}
		}
	}
	if req.FromName != "" && !fromNameChars.MatchString(req.FromName) {
		return badRequest("from_name %s: up to 64 letters, digits, spaces and _ . -, no space first or last", verb.Quote(req.FromName))
	}
	if len(req.Vars) > maxVars {
		return badRequest("vars: more than %d", maxVars)
	}
	for _, name := range sortedNames(req.Vars) {
		if err := checkVar(app, name, req.Vars[name]); err != nil {
			return err
		}
	}
	switch {
	case req.Timeout == 0:
		req.Timeout = DefaultTimeout
	case req.Timeout < 1 || req.Timeout > MaxTimeout:
		return badRequest("timeout: %d seconds; want 1 to %d", req.Timeout, MaxTimeout)
	}
	if req.StatusURL != "" && !verb.IsHTTPURL(req.StatusURL) {
		return badRequest("status_url %s: want an absolute http(s) URL", verb.Quote(req.StatusURL))
	}
	for _, e := range req.StatusEvents {
		if !slices.Contains(StatusEventNames, e) {
			return badRequest("status_events: unknown event %s (%s)", verb.Quote(e), strings.Join(StatusEventNames, ", "))
		}
	}
	if len(req.StatusEvents) > 0 && req.StatusURL == "" && req.Deliver == nil {
		return badRequest("status_events go to status_url, which the request does not have")
	}
	if len(req.StatusEvents) == 0 {
		req.StatusEvents = StatusEventNames
	}
	return nil
}

// checkVar checks one of a request's variables: a plain name, not one of
// callhook's, one the app's policy lets be set on a placed call (none
// that would route it past allow_to or allow_from), and a plain value.
func checkVar(app *App, name, value string) error {
	if err := verb.CheckName(name, ""); err != nil {
		return badRequest("vars: %v", err)
	}
	l := strings.ToLower(name)
	if strings.HasPrefix(l, "callhook_") || slices.Contains(reservedVars, l) {
		return badRequest("vars: %s is set by callhook itself", verb.Quote(name))
	}
	if err := app.Policy.CheckPlacedVar(name); err != nil {
		return &Error{Status: http.StatusForbidden, Msg: "vars: " + err.Error()}
	}
	if len(value) > maxValueLen || !valueChars.MatchString(value) {
		return badRequest("vars.%s: up to %d letters, digits and _ . : @ / + = - (no spaces, quotes, braces, commas or the like)", name, maxValueLen)
	}
	return nil
}

func matchAny(res []*regexp.Regexp, s string) bool {
	for _, re := range res {
		if re.MatchString(s) {
			return true
		}
	}
	return false
}

func sortedNames(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// errorStatus is the HTTP status of err: an *Error's, else 500.
func errorStatus(err error) int {
	var e *Error
	if errors.As(err, &e) {
		return e.Status
	}
	return http.StatusInternalServerError
}
