// Package delivery carries out what a recording's verb asked of it once
// it is whole (README "Recordings"): the upload to the app's own storage
// (upload:) and the recording.status request (recording_status_url).
// Webhook apps and flow apps share it, so a recording gets the same
// delivery whichever kind of app made it: the same retries (apphttp.Retry:
// connection errors, 5xx, 429), the same X-Callhook-Seq on every attempt
// of one request, and, when the app has a secret, an X-Callhook-Signature
// made afresh for each attempt (apphttp.Signature; an upload's over the
// recording's bytes).
//
// Each kind of app keeps the envelope of its own requests: a webhook app's
// recording.status is a webhook message (JSON or form), a flow's is a
// fetch body, a TwiML app's is Twilio's recordingStatusCallback (a form,
// or a GET's query, signed with X-Twilio-Signature, made once as Twilio
// makes it); Deliver hands the status over to a function of the app's for
// that. Post is the signed, retried JSON POST a flow sends it with, Send
// the same for any Request, whose Sign hook signs it the app's way.
package delivery
