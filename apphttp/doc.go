// Package apphttp is what every request callhook makes for an app shares,
// whichever backend makes it (webhook requests, Liverpie requests, flows'
// fetches): the connection pool (NewClient), the DialGuard that keeps those
// requests off callhook's own admin API, the mark they all carry
// (CallIDHeader), one retry policy (Retry, built on go-retryablehttp's
// policies) and one error (RequestError, classed by Classify) that metrics
// and fallbacks read the same way for every kind of app.
//
// It imports nothing of callhook's, so the engine (package proxy) stays
// free of HTTP.
package apphttp
