package apphttp

import (
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"
)

// NewClient returns the client every app's requests share (webhook apps,
// flows' fetches, Liverpie apps): one connection pool sized for thousands
// of calls per second to one app, with keep-alive. It retries nothing by
// itself: the callers that may retry do it with a Retry, counted and each
// attempt under its own timeout; a client that retried on its own would
// re-POST silently, and a Liverpie state machine would skip a state. Share
// the pointer: it is the pool.
//
// Every connection it makes passes guard (nil: none): it is the client of
// requests that apps choose the URLs of, directly (action, redirect,
// fallback_url, fetch) or by answering with an HTTP redirect, and guard
// keeps those off callhook's own admin API.
func NewClient(guard *DialGuard) *http.Client {
	transport := &http.Transport{
		Proxy: http.ProxyFromEnvironment,
		DialContext: (&net.Dialer{
			Timeout:   10 * time.Second, // an attempt's own timeout is usually shorter
			KeepAlive: 30 * time.Second,
			Control:   guard.Control,
			Resolver:  guard.dialResolver(),
		}).DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          1024,
		MaxIdleConnsPerHost:   256,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ExpectContinueTimeout: time.Second,
	}
	return &http.Client{Transport: transport}
}

// CallClient is one call's client over shared's connection pool (nil: a
// client made once by NewClient(nil)): the call's own cookie jar (bounded,
// callJar) sends an app's cookies back on the call's later requests only,
// and keeps them across HTTP redirects, as a browser would; the pool's
// guard still checks every connection.
func CallClient(shared *http.Client) (*http.Client, error) {
	if shared == nil {
		shared = unguardedClient()
	}
	jar, err := newCallJar()
	if err != nil {
		return nil, fmt.Errorf("cookie jar: %w", err)
	}
	return &http.Client{Jar: jar, Transport: shared.Transport, CheckRedirect: shared.CheckRedirect}, nil
}

// unguardedClient is the pool of apps given no client (tests), made once.
var unguardedClient = sync.OnceValue(func() *http.Client { return NewClient(nil) })
