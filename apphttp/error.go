package apphttp

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"unicode/utf8"
)

// Codes of a RequestError, sent to a webhook app's fallback_url as
// error.code and counted by metrics (with http_<status> for HTTP
// statuses).
const (
	CodeConnect      = "connect"
	CodeTimeout      = "timeout"
	CodeInvalidReply = "invalid_reply"
)

// RequestError is how one request callhook made for an app failed, after
// its attempts: a webhook request, a Liverpie request, a flow's fetch.
// Like net.OpError it says what was done (Op), to what (URL) and what went
// wrong (Err); Code classes the failure so that callers branch on it
// (metrics, a webhook fallback's error field) the same way for every kind
// of app.
type RequestError struct {
	Op     string // what the request was for: "webhook", "liverpie reset", "fetch"
	URL    string // the URL that failed
	Code   string // connect, timeout, http_<status> or invalid_reply
	Status int    // the HTTP status, 0 when none came
	Err    error  // what went wrong, for people
}

// Error returns "<op> <url>: <code>: <err>".
func (e *RequestError) Error() string {
	return fmt.Sprintf("%s %s: %s: %v", e.Op, e.URL, e.Code, e.Err)
}

// Unwrap returns Err.
func (e *RequestError) Unwrap() error { return e.Err }

// Classify returns the Code of a request that failed with err after an
// answer with status (0 when none came), ctx being the request's own
// context. It returns "" when the request was cancelled (the call went
// away): that is no failure of the app. An error status is its class
// whatever went wrong after it; then a deadline, the request's or the
// network's, is a timeout; no answer at all is connect; an answer that
// came but could not be used is invalid_reply.
func Classify(ctx context.Context, status int, err error) string {
	var ne net.Error
	switch {
	case errors.Is(ctx.Err(), context.Canceled) || errors.Is(err, context.Canceled):
		return ""
	case status >= 400:
		return fmt.Sprintf("http_%d", status)
	case errors.Is(ctx.Err(), context.DeadlineExceeded) || errors.Is(err, context.DeadlineExceeded) ||
		errors.As(err, &ne) && ne.Timeout():
		return CodeTimeout
	case status == 0:
		return CodeConnect
	}
	return CodeInvalidReply
}

// Shorten returns the start of a reply for display: at most max bytes, cut
// on a rune boundary, with "…" when something was cut.
func Shorten(b []byte, max int) string {
	if len(b) <= max {
		return string(b)
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(b[cut]) {
		cut--
	}
	return string(b[:cut]) + "…"
}

// LogURL is an app URL as a log line shows it: without the password of
// its user info (an app or an operator may write basic-auth credentials
// into a URL; net/http's own errors drop the password the same way). The
// request itself still uses the whole URL.
func LogURL(s string) string {
	if !strings.Contains(s, "@") {
		return s // no user info: spare the parse on every logged request
	}
	u, err := url.Parse(s)
	if err != nil {
		return "(an unparsable URL)"
	}
	return u.Redacted()
}
