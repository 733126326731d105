package apphttp

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"
)

// TestClassify: every kind of app's failed request is classed the same
// way (webhook, Liverpie, fetch); an error status is its class whatever
// went wrong after it, and a request the call gave up on is not classed.
func TestClassify(t *testing.T) {
	gone, cancel := context.WithCancel(t.Context())
	cancel()
	slow := fmt.Errorf("fetch: %w", context.DeadlineExceeded)
	netTimeout := &net.OpError{Op: "dial", Err: timeoutError{}}
	tests := []struct {
		name   string
		ctx    context.Context
		status int
		err    error
		code   string
	}{
		{"unreachable", t.Context(), 0, errors.New("connection refused"), CodeConnect},
		{"timeout", t.Context(), 0, slow, CodeTimeout},
		{"network timeout", t.Context(), 0, netTimeout, CodeTimeout},
		{"error status", t.Context(), 503, errors.New("status 503"), "http_503"},
		{"error status, slow body", t.Context(), 404, slow, "http_404"},
		{"redirect status", t.Context(), 302, errors.New("status 302"), CodeInvalidReply},
		{"not json", t.Context(), 200, errors.New("answer is not JSON"), CodeInvalidReply},
		{"call gone", gone, 0, fmt.Errorf("fetch: %w", context.Canceled), ""},
		{"call gone, error status", gone, 503, errors.New("status 503"), ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := Classify(tc.ctx, tc.status, tc.err); got != tc.code {
				t.Errorf("Classify(%d, %v) = %q, want %q", tc.status, tc.err, got, tc.code)
			}
		})
	}
}

type timeoutError struct{}

func (timeoutError) Error() string   { return "i/o timeout" }
func (timeoutError) Timeout() bool   { return true }
func (timeoutError) Temporary() bool { return true }

// TestRequestError: the error says what was asked of which URL and how it
// failed, and unwraps to its cause.
func TestRequestError(t *testing.T) {
	cause := errors.New("no answer within 5s")
	e := &RequestError{Op: "liverpie reset", URL: "http://app/reset", Code: CodeTimeout, Err: cause}
	if got, want := e.Error(), "liverpie reset http://app/reset: timeout: no answer within 5s"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	if !errors.Is(e, cause) {
		t.Error("RequestError does not unwrap to its cause")
	}
}

// TestShorten: a long reply is cut on a rune boundary.
func TestShorten(t *testing.T) {
	for _, tc := range []struct {
		in   string
		max  int
		want string
	}{
		{"short", 10, "short"},
		{"0123456789", 4, "0123…"},
		{"ab\u00e9cd", 3, "ab…"}, // é is two bytes: never cut in half
	} {
		if got := Shorten([]byte(tc.in), tc.max); got != tc.want || !strings.HasPrefix(tc.in, strings.TrimSuffix(got, "…")) {
			t.Errorf("Shorten(%q, %d) = %q, want %q", tc.in, tc.max, got, tc.want)
		}
	}
}

func TestLogURL(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"https://app.example.com/ivr?x=1", "https://app.example.com/ivr?x=1"},
		{"https://user:s3cret@app.example.com/ivr", "https://user:xxxxx@app.example.com/ivr"},
		{"https://user@app.example.com/ivr", "https://user@app.example.com/ivr"},
		{"https://app.example.com/ivr?to=a@b", "https://app.example.com/ivr?to=a@b"},
		{"http://u:p@[::1%zz/", "(an unparsable URL)"},
	} {
		if got := LogURL(tc.in); got != tc.want {
			t.Errorf("LogURL(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
