package ivr

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Request is the body of a callhook webhook request (the README's field
// table), decoded from JSON or from a form (format: form in the config).
type Request struct {
	CallID  string   `json:"call_id"`
	Seq     int      `json:"seq"`
	App     string   `json:"app"`
	Event   string   `json:"event"` // call.start, verb.result, redirect, call.end
	Call    CallInfo `json:"call"`
	Result  *Result  `json:"result"`  // verb.result only
	Session *Session `json:"session"` // nil until a reply of ours set it
	Error   *Failure `json:"error"`   // requests to the fallback URL only

	// call.end only. A transferred call has not hung up: no Hangup, and
	// HeldMS, how long callhook held it.
	Hangup     *Hangup `json:"hangup"`
	HeldMS     int64   `json:"held_ms"`
	Outcome    string  `json:"outcome"`
	LastResult *Result `json:"last_result"`
}

// CallInfo is the request's call field.
type CallInfo struct {
	From      string `json:"from"`
	FromName  string `json:"from_name"`
	To        string `json:"to"`
	Direction string `json:"direction"`
	Answered  bool   `json:"answered"`
}

// Result is a verb's outcome.
type Result struct {
	Verb      string     `json:"verb"`
	Reason    string     `json:"reason"` // ok, timeout, invalid, hangup, error
	Digits    string     `json:"digits"`
	Recording *Recording `json:"recording"`
	Bridge    *Bridge    `json:"bridge"`
}

// Recording is a record verb's result.
type Recording struct {
	Path       string `json:"path"`
	DurationMS int64  `json:"duration_ms"`
	// URL is where the app GETs it, when callhook delivers recordings.
	URL string `json:"url"`
}

// Bridge is a bridge verb's result.
type Bridge struct {
	Status string `json:"status"` // SUCCESS, BUSY, NO_ANSWER, ...
	Cause  string `json:"cause"`
}

// Failure says why callhook is asking the fallback URL.
type Failure struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	URL     string `json:"url"`
}

// Hangup is call.end's hangup field.
type Hangup struct {
	Cause    string `json:"cause"`
	Duration int64  `json:"duration"`
}

// Session is this app's own per-call data: callhook sends back exactly
// what the last reply set, so the app keeps no state of its own.
type Session struct {
	MenuVisits int    `json:"menu_visits"`
	LastChoice string `json:"last_choice,omitempty"`
}

// maxBody bounds a request body; callhook's are a few hundred bytes.
const maxBody = 64 << 10

// signatureTolerance is how old a signature's timestamp may be: enough for
// clock skew and callhook's retries, short enough to refuse replays.
const signatureTolerance = 5 * time.Minute

// errBadSignature is answered with 401.
var errBadSignature = errors.New("missing or invalid X-Callhook-Signature")

// readRequest reads and, when secret is set, authenticates a webhook
// request.
func readRequest(r *http.Request, secret string, now time.Time) (*Request, error) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		return nil, fmt.Errorf("read body: %w", err)
	}
	if len(body) > maxBody {
		return nil, fmt.Errorf("body over %d bytes", maxBody)
	}
	if secret != "" && !validSignature(secret, r.Header.Get("X-Callhook-Signature"), body, now) {
		return nil, errBadSignature
	}
	ctype, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ctype == "application/x-www-form-urlencoded" {
		return formRequest(body)
	}
	var req Request
	if err := json.Unmarshal(body, &req); err != nil {
		return nil, fmt.Errorf("decode JSON body: %w", err)
	}
	return &req, nil
}

// validSignature checks header "t=<unix>,v1=<hex HMAC-SHA256(secret, t.body)>".
func validSignature(secret, header string, body []byte, now time.Time) bool {
	var ts, sig string
	for part := range strings.SplitSeq(header, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "t":
			ts = v
		case "v1":
			sig = v
		}
	}
	t, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return false
	}
	if age := now.Sub(time.Unix(t, 0)); age > signatureTolerance || age < -signatureTolerance {
		return false
	}
	got, err := hex.DecodeString(sig)
	if err != nil {
		return false
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(ts + "."))
	mac.Write(body)
	return hmac.Equal(got, mac.Sum(nil))
}

// formRequest decodes a form body: dotted keys (call.from, result.digits)
// with string values, and session as one JSON string.
func formRequest(body []byte) (*Request, error) {
	f, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, fmt.Errorf("decode form body: %w", err)
	}
	req := &Request{
		CallID: f.Get("call_id"),
		App:    f.Get("app"),
		Event:  f.Get("event"),
		Call: CallInfo{
			From: f.Get("call.from"), FromName: f.Get("call.from_name"), To: f.Get("call.to"),
			Direction: f.Get("call.direction"), Answered: f.Get("call.answered") == "true",
		},
		Outcome:    f.Get("outcome"),
		Result:     formResult(f, "result."),
		LastResult: formResult(f, "last_result."),
	}
	req.Seq, _ = strconv.Atoi(f.Get("seq"))
	if s := f.Get("session"); s != "" {
		req.Session = &Session{}
		if err := json.Unmarshal([]byte(s), req.Session); err != nil {
			return nil, fmt.Errorf("decode session field: %w", err)
		}
	}
	if f.Has("error.code") {
		req.Error = &Failure{Code: f.Get("error.code"), Message: f.Get("error.message"), URL: f.Get("error.url")}
	}
	req.HeldMS, _ = strconv.ParseInt(f.Get("held_ms"), 10, 64)
	if f.Has("hangup.cause") {
		req.Hangup = &Hangup{Cause: f.Get("hangup.cause")}
		req.Hangup.Duration, _ = strconv.ParseInt(f.Get("hangup.duration"), 10, 64)
	}
	return req, nil
}

func formResult(f url.Values, p string) *Result {
	if !f.Has(p + "verb") {
		return nil
	}
	r := &Result{Verb: f.Get(p + "verb"), Reason: f.Get(p + "reason"), Digits: f.Get(p + "digits")}
	if f.Has(p + "recording.path") {
		r.Recording = &Recording{Path: f.Get(p + "recording.path"), URL: f.Get(p + "recording.url")}
		r.Recording.DurationMS, _ = strconv.ParseInt(f.Get(p+"recording.duration_ms"), 10, 64)
	}
	if f.Has(p + "bridge.status") {
		r.Bridge = &Bridge{Status: f.Get(p + "bridge.status"), Cause: f.Get(p + "bridge.cause")}
	}
	return r
}
