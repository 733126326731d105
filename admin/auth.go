package admin

import (
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
	"strings"

	"github.com/callhook/callhook/apphttp"
)

// fromApp reports whether r is a request callhook itself sends on behalf
// of an app: every such request carries apphttp.CallIDHeader (net/http
// keeps it across redirects), and no operator's does. It is the admin
// API's own defence behind the connect-time apphttp.DialGuard, for a path
// the guard cannot see (an HTTP proxy forwarding the request, a NAT or
// port forward to the admin's port). Any value counts, the empty one too.
func fromApp(r *http.Request) bool {
	_, ok := r.Header[http.CanonicalHeaderKey(apphttp.CallIDHeader)]
	return ok
}

// authorized reports whether r carries the bearer token (always, when no
// token is set). Both sides are hashed first so the comparison takes the
// same time whatever the length of the guess.
func (s *Server) authorized(r *http.Request) bool {
	if s.Token == "" {
		return true
	}
	scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return false
	}
	got := sha256.Sum256([]byte(strings.TrimSpace(token)))
	want := sha256.Sum256([]byte(s.Token))
	return subtle.ConstantTimeCompare(got[:], want[:]) == 1
}
