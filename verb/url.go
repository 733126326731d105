package verb

import (
	"fmt"
	"net/url"
	"strings"
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
	u := base.ResolveReference(r)
	s := u.String()
	if isHTTP(u) && plainHost(u.Host) && plainURL(s) {
		// The usual action ("/menu" against the app's URL): parsing s
		// again, as absoluteURL does, would give u and s back.
		return s, nil
	}
	return absoluteURL(s)
}

// plainHost reports whether host is letters, digits, '.' and '-', with
// an optional ':' and decimal port: a host url.Parse reads back as is.
func plainHost(host string) bool {
	name, port, _ := strings.Cut(host, ":")
	for i := 0; i < len(name); i++ {
		switch c := name[i]; {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '.', c == '-':
		default:
			return false
		}
	}
	for i := 0; i < len(port); i++ {
		if port[i] < '0' || port[i] > '9' {
			return false
		}
	}
	return true
}

// plainURL reports whether s holds only letters, digits and - . _ ~ / :,
// which net/url neither escapes nor reads differently on a second parse
// (no userinfo, query, fragment or escape).
func plainURL(s string) bool {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case c == '-', c == '.', c == '_', c == '~', c == '/', c == ':':
		default:
			return false
		}
	}
	return true
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
