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
// maxCallCookieBytes is dropped, and so is a new one once the jar has
// seen maxCallCookies: the app's first cookies, the ones it relies on,
// keep working (a cookie it sets again replaces itself).
type callJar struct {
	jar  *cookiejar.Jar
	mu   sync.Mutex
	seen map[cookieKey]struct{}
}

// cookieKey names a cookie as the jar stores it: by where it was set,
// its domain and path attributes, and its name.
type cookieKey struct{ host, domain, path, name string }

func newCallJar() (*callJar, error) {
	j, err := cookiejar.New(nil)
	if err != nil {
		return nil, err
	}
	return &callJar{jar: j, seen: map[cookieKey]struct{}{}}, nil
}

// SetCookies implements http.CookieJar.
func (j *callJar) SetCookies(u *url.URL, cookies []*http.Cookie) {
	j.mu.Lock()
	keep := make([]*http.Cookie, 0, len(cookies))
	for _, c := range cookies {
		if len(c.Name)+len(c.Value) > maxCallCookieBytes {
			continue
		}
		k := cookieKey{u.Hostname(), c.Domain, c.Path, c.Name}
		if _, ok := j.seen[k]; !ok {
			if len(j.seen) >= maxCallCookies {
				continue
			}
			j.seen[k] = struct{}{}
		}
		keep = append(keep, c)
	}
	j.mu.Unlock()
	j.jar.SetCookies(u, keep)
}

// Cookies implements http.CookieJar.
func (j *callJar) Cookies(u *url.URL) []*http.Cookie { return j.jar.Cookies(u) }
