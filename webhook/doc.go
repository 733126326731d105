// Package webhook is the backend of webhook apps, web apps that speak
// callhook's own protocol: each step of a call is a POST (call.start,
// verb.result, redirect, call.end) whose reply lists verbs (package verb).
// An App is a proxy.Backend; each call gets a dialog with its own cookie
// jar, request sequence and session data, signing every attempt afresh
// (X-Callhook-Signature) and retrying as apphttp.Retry says, then asking
// fallback_url when the app failed. A dialog is a proxy.AnswerNotifier:
// the status events an app lists in StatusEvents (call.answered) go to its
// StatusURL, as call.end does, from a goroutine of their own so that the
// call does not wait for them; End waits for them before call.end.
//
// request.go builds the request bodies (JSON or form), client.go makes the
// attempts and classes failures as *apphttp.RequestError, whose Code a
// fallback receives as error.code.
package webhook
