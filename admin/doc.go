// Package admin is callhook's operator HTTP API: Prometheus metrics,
// liveness and readiness, the live calls and live control of one call
// (hang up, redirect to a URL), and a graceful drain.
//
//	GET  /metrics                 the Prometheus exposition (Server.Metrics)
//	GET  /healthz                 200 "ok" while the process lives
//	GET  /readyz                  200 while accepting calls, 503 while draining
//	GET  /calls                   live calls as JSON, oldest first, with the count held against limits
//	GET  /calls/{id}              one live call
//	POST /calls/{id}/hangup       hang up at once; optional cause (default NORMAL_CLEARING)
//	POST /calls/{id}/redirect     switch the call to the document at url, at once
//	POST /drain                   stop taking calls; those in progress finish
//
// Parameters come as a JSON object (Content-Type: application/json) or as
// form values (query or urlencoded body). Errors are JSON objects
// {"error": "..."} with a status that says what went wrong: 400 bad
// parameters, 413 a body over 64 KiB, 415 a body of another type or of
// none, 401 no or wrong token, 403 a request callhook made for an app, 404
// no such call, 409 a redirect of a call whose app takes none (Liverpie)
// or live control of a call whose Unique-ID is not fit for an api command
// (proxy.ErrBadCallID), 502 FreeSWITCH refused the hangup, 504 FreeSWITCH
// did not answer the hangup in time. A redirect does not wait
// for FreeSWITCH: the call's session sends the uuid_break once the running
// verb's application has started.
//
// Hangup and redirect act through the event socket the call already holds,
// with api uuid_kill and uuid_break, so they take effect in the middle of a
// long verb rather than queueing behind it.
//
// No request callhook makes for an app may act here: every one carries
// apphttp.CallIDHeader (X-Callhook-Call-Id), and any request carrying it is
// refused with 403 and a log line, on every endpoint, before the token is
// looked at. It backs up the apphttp.DialGuard on the apps' HTTP client,
// which refuses connections to the admin's address at connect time, for
// paths that guard cannot see (an HTTP proxy, a port forward).
//
// When Server.Token is set, every endpoint except /healthz and /readyz
// (which load balancers and orchestrators probe without credentials)
// requires "Authorization: Bearer <token>". The config refuses an admin
// address off loopback without a token.
//
// admin knows the proxy only through the CallControl interface (with the
// proxy's CallInfo and errors) and the metrics only as an http.Handler.
package admin
