package apphttp

import (
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"sync"
)

// Bounds of a call's cookie jar: RFC 6265 (6.1) asks a user agent to keep
// at least 50 cookies of at least 4096 bytes each, and browsers drop
// what goes over.
const (
	maxCallCookies     = 50
	maxCallCookieBytes = 4096
)

// callJar is one call's cookie jar, bounded. Go's cookiejar keeps every
// cookie it is given; an app is peer input, and over a long call (a
// gather or hold loop requests for as long as the caller stays) its
// responses could grow the jar by megabytes a request. A cookie over
// maxCallCookieBytes (its name, value, domain and path: RFC 6265 measures
// a cookie by its name, value and attributes, and the jar keeps the Path
// attribute as sent, which a response header of megabytes can carry) is
// dropped, and so is a new one once the jar has
// seen maxCallCookies: the app's first cookies, the ones it relies on,
// keep working (a cookie it sets again replaces itself).
//
// The cookiejar itself is made when the app first sets a cookie that is
// kept: most apps set none, and a jar per call was five allocations and,
// on every request, a host name canonicalised to look up an empty jar.
// Until then the call has no cookie to send, as an empty jar would say.
type callJar struct {
	mu   sync.Mutex
	jar  *cookiejar.Jar // nil until a cookie is kept
	seen map[cookieKey]struct{}
}

// cookieKey names a cookie as the jar stores it: by where it was set,
// its domain and path attributes, and its name.
type cookieKey struct{ host, domain, path, name string }

func newCallJar() (*callJar, error) {
	return &callJar{}, nil
}

// SetCookies implements http.CookieJar.
func (j *callJar) SetCookies(u *url.URL, cookies []*http.Cookie) {
	j.mu.Lock()
	keep := make([]*http.Cookie, 0, len(cookies))
	for _, c := range cookies {
		if len(c.Name)+len(c.Value)+len(c.Domain)+len(c.Path) > maxCallCookieBytes {
			continue
		}
		k := cookieKey{u.Hostname(), c.Domain, c.Path, c.Name}
		if _, ok := j.seen[k]; !ok {
			if len(j.seen) >= maxCallCookies {
				continue
			}
			if j.seen == nil {
				j.seen = map[cookieKey]struct{}{}
			}
			j.seen[k] = struct{}{}
		}
		keep = append(keep, c)
	}
	if len(keep) == 0 {
		j.mu.Unlock()
		return
	}
	if j.jar == nil {
		jar, err := cookiejar.New(nil)
		if err != nil {
			// cookiejar.New fails only on options it was not given.
			j.mu.Unlock()
			return
		}
		j.jar = jar
	}
	jar := j.jar
	j.mu.Unlock()
	jar.SetCookies(u, keep)
}

// Cookies implements http.CookieJar.
func (j *callJar) Cookies(u *url.URL) []*http.Cookie {
	j.mu.Lock()
	jar := j.jar
	j.mu.Unlock()
	if jar == nil {
		return nil
	}
	return jar.Cookies(u)
}
