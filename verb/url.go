package verb

import (
	"fmt"
	"net/url"
)

// action reads a verb's action: a URL resolved against the document's
// (webhook apps), or, without a base (flows), a state name kept as written.
func (a *args) action() string {
	n := a.scalar(optAction, "a URL")
	if n == nil {
		return ""
	}
	if n.Value == "" {
		a.failf(n, optAction, "must not be empty")
		return ""
	}
	if err := checkLine(n.Value); err != nil {
		a.failf(n, optAction, "%v", err)
		return ""
	}
	if a.o.Base == nil {
		return n.Value
	}
	u, err := resolveURL(a.o.Base, n.Value)
	if err != nil {
		a.failf(n, optAction, "%v", err)
		return ""
	}
	return u
}

// resolveURL resolves ref against base, and accepts only an http or https
// URL with a host: the result is where callhook will send the call's data.
func resolveURL(base *url.URL, ref string) (string, error) {
	r, err := url.Parse(ref)
	if err != nil {
		return "", fmt.Errorf("%s is not a URL", Quote(ref))
	}
	return absoluteURL(base.ResolveReference(r).String())
}

// absoluteURL checks that s is an absolute http or https URL with a host.
func absoluteURL(s string) (string, error) {
	u, err := url.Parse(s)
	if err != nil {
		return "", fmt.Errorf("%s is not a URL", Quote(s))
	}
	if !isHTTP(u) {
		return "", fmt.Errorf("want an absolute http or https URL, got %s", Quote(s))
	}
	return u.String(), nil
}

// IsHTTPURL reports whether s is an absolute http or https URL with a host:
// the check absoluteURL makes, for callers that word their own error.
func IsHTTPURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && isHTTP(u)
}

func isHTTP(u *url.URL) bool {
	return (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}
