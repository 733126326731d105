package twilioapi

import (
	"net"
	"net/netip"
	"sync"
	"time"
)

// Defaults of the failed-login throttle (Server.AuthFailures and
// Server.AuthWindow).
const (
	DefaultAuthFailures = 10
	DefaultAuthWindow   = time.Minute
	// maxThrottled bounds the clients the throttle remembers, so that
	// failures from many addresses cannot grow it without end; when it is
	// full, the client whose window started first is forgotten.
	maxThrottled = 10000
	// maxThrottleUser bounds the part of a basic-auth user name a key
	// keeps (an AccountSid is 34 characters; the header may be 64 KiB).
	maxThrottleUser = 64
)

// authThrottle counts failed logins per client and AccountSid: the
// listener faces the Internet, and an auth token must not be guessed at
// the rate requests can be sent. A client over its failures in a window
// is answered 429 until the window ends, without its credentials being
// looked at, whether they are right or not, so that a guess costs the
// same and tells nothing. The key holds the user name too: behind a TLS
// proxy on loopback every client has the proxy's address, and one
// client's failures for one AccountSid then lock out only that account,
// not every account; any other user name is no account at all, and
// guessing it gets the same 401 as a wrong token.
type authThrottle struct {
	mu      sync.Mutex
	clients map[throttleKey]*failures
}

type throttleKey struct {
	addr netip.Prefix // an IPv4 address, or an IPv6 client's /64
	user string
}

type failures struct {
	n     int
	since time.Time // the window's start
}

// clientKey is the throttle's key of a request from remote (host:port)
// with basic-auth user name user. An IPv6 client is its /64, which one
// host can hold whole.
func clientKey(remote, user string) throttleKey {
	host, _, err := net.SplitHostPort(remote)
	if err != nil {
		host = remote
	}
	var p netip.Prefix
	if a, err := netip.ParseAddr(host); err == nil {
		a = a.Unmap().WithZone("")
		bits := 32
		if a.Is6() {
			bits = 64
		}
		p, _ = a.Prefix(bits)
	}
	if len(user) > maxThrottleUser {
		user = user[:maxThrottleUser]
	}
	return throttleKey{addr: p, user: user}
}

// blocked reports how long k must wait before its credentials are looked
// at again (0: not blocked).
func (t *authThrottle) blocked(k throttleKey, limit int, window time.Duration, now time.Time) time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	f := t.clients[k]
	if f == nil {
		return 0
	}
	end := f.since.Add(window)
	if !now.Before(end) {
		delete(t.clients, k)
		return 0
	}
	if f.n < limit {
		return 0
	}
	return end.Sub(now)
}

// failed counts a failed login of k.
func (t *authThrottle) failed(k throttleKey, window time.Duration, now time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.clients == nil {
		t.clients = map[throttleKey]*failures{}
	}
	f := t.clients[k]
	if f != nil && !now.Before(f.since.Add(window)) {
		f = nil // the window ended: a new one starts
	}
	if f == nil {
		if len(t.clients) >= maxThrottled {
			t.evictLocked(window, now)
		}
		f = &failures{since: now}
		t.clients[k] = f
	}
	f.n++
}

// evictLocked makes room: it forgets every client whose window ended,
// or, when none did, the one whose window started first.
func (t *authThrottle) evictLocked(window time.Duration, now time.Time) {
	var oldest throttleKey
	var first time.Time
	for k, f := range t.clients {
		if !now.Before(f.since.Add(window)) {
			delete(t.clients, k)
			continue
		}
		if first.IsZero() || f.since.Before(first) {
			oldest, first = k, f.since
		}
	}
	if len(t.clients) >= maxThrottled {
		delete(t.clients, oldest)
	}
}
