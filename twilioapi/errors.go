package twilioapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/callhook/callhook/outbound"
)

// Error is a request the API refuses, in Twilio's shape:
// {"code", "message", "more_info", "status"}
// (https://www.twilio.com/docs/usage/twilios-response#response-formats-exceptions).
type Error struct {
	Status  int    `json:"status"`
	Code    int    `json:"code"`
	Message string `json:"message"`
	// MoreInfo is Twilio's page of the code.
	MoreInfo string `json:"more_info"`

	retryAfter time.Duration
}

func (e *Error) Error() string { return fmt.Sprintf("%d %d: %s", e.Status, e.Code, e.Message) }

// Twilio's error codes this API answers (https://www.twilio.com/docs/api/errors).
const (
	CodeInvalidParameter = 20001 // a parameter this API does not take
	CodeAuthenticate     = 20003 // wrong AccountSid or AuthToken
	CodeNotFound         = 20404 // no such resource
	CodeTooManyRequests  = 20429 // over a box's max_calls or max_cps
	CodeUnavailable      = 20503 // no box up, shutting down
	CodeNoTo             = 21201 // no To
	CodeInvalidURL       = 21205 // Url (or StatusCallback) missing or not an http(s) URL
	CodeFromNotAllowed   = 21210 // From not among the app's allow_from
	CodeInvalidTo        = 21211 // To is not a number, sip: or client:
	CodeInvalidFrom      = 21212 // From is not a caller id number
	CodeNoFrom           = 21213 // no From
	CodeToNotAllowed     = 21215 // To not among the app's allow_to
)

func apiError(status, code int, format string, a ...any) *Error {
	return &Error{Status: status, Code: code, Message: fmt.Sprintf(format, a...),
		MoreInfo: "https://www.twilio.com/docs/errors/" + strconv.Itoa(code)}
}

func badParam(code int, format string, a ...any) *Error {
	return apiError(http.StatusBadRequest, code, format, a...)
}

// fromOutbound maps outbound's refusal onto Twilio's shape.
func fromOutbound(err error) *Error {
	var oe *outbound.Error
	if !errors.As(err, &oe) {
		return apiError(http.StatusInternalServerError, 20500, "%v", err)
	}
	switch oe.Status {
	case http.StatusTooManyRequests:
		e := apiError(http.StatusTooManyRequests, CodeTooManyRequests, "Too Many Requests: %s", oe.Msg)
		e.retryAfter = oe.RetryAfter
		return e
	case http.StatusServiceUnavailable:
		return apiError(http.StatusServiceUnavailable, CodeUnavailable, "Service Unavailable: %s", oe.Msg)
	case http.StatusNotFound:
		return apiError(http.StatusNotFound, CodeNotFound, "%s", oe.Msg)
	}
	// outbound's messages start with the field they are about.
	to := strings.HasPrefix(oe.Msg, "to ") || strings.HasPrefix(oe.Msg, "to:")
	from := strings.HasPrefix(oe.Msg, "from ") || strings.HasPrefix(oe.Msg, "from:")
	code := CodeInvalidParameter
	switch {
	case oe.Status == http.StatusForbidden && from:
		// allow_from; Twilio answers 400 with a code.
		code = CodeFromNotAllowed
	case oe.Status == http.StatusForbidden && to:
		code = CodeToNotAllowed
	case to:
		code = CodeInvalidTo
	case from:
		code = CodeInvalidFrom
	}
	return badParam(code, "%s", oe.Msg)
}

// writeJSON answers v with status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// writeError answers e; a 401 says how to authenticate, a 429 when to
// come back.
func writeError(w http.ResponseWriter, e *Error) {
	switch e.Status {
	case http.StatusUnauthorized:
		w.Header().Set("WWW-Authenticate", `Basic realm="Twilio API"`)
	case http.StatusTooManyRequests:
		secs := int((e.retryAfter + time.Second - 1) / time.Second)
		w.Header().Set("Retry-After", strconv.Itoa(max(secs, 1)))
	}
	writeJSON(w, e.Status, e)
}
