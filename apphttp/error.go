package apphttp

import "fmt"

// Error codes of BackendError, sent to fallback_url as error.code (with
// http_<status> for HTTP statuses).
const (
	CodeConnect      = "connect"
	CodeTimeout      = "timeout"
	CodeInvalidReply = "invalid_reply"
)

// BackendError is how one request to a web app failed, after its retries.
// Callers branch on Code (metrics, the fallback's error field).
type BackendError struct {
	URL    string // the URL that failed
	Code   string // connect, timeout, http_<status> or invalid_reply
	Status int    // the HTTP status, 0 when none came
	Err    error  // what went wrong, for people
}

// Error implements error.
func (e *BackendError) Error() string {
	return fmt.Sprintf("webhook %s: %s: %v", e.URL, e.Code, e.Err)
}

// Unwrap returns the underlying error.
func (e *BackendError) Unwrap() error { return e.Err }
