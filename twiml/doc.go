// Package twiml is the backend of TwiML apps: web apps written for
// Twilio's voice API, served unchanged. Each step of a call is a request
// as Twilio makes it (form-encoded POST, or GET with a query; CallSid,
// AccountSid, From, To, ... and X-Twilio-Signature), whose answer is a
// TwiML document.
//
// parse.go reads a document (encoding/xml, bounded: size, depth,
// elements; no DTD), plan.go, verbs.go, gather.go and dial.go map its
// verbs onto callhook's own (package verb: speak, play and its prompt lists, gather, record,
// bridge, conference, reject, hangup, redirect), each checked by verb's
// parser exactly as a webhook app's reply is, so every file, dial string
// and variable rule holds. A verb or attribute callhook cannot carry out
// is an Unsupported error, and an unknown one a ParseError: either goes
// to the app's fallback_url, never skipped. twiml.go is the dialog, which
// keeps Twilio's execution rules (a verb's action answer replaces the
// rest; Gather with no digits and an empty Record go on with the
// document; the end of the document hangs up); request.go builds the
// requests' parameters, client.go makes them and signature.go signs
// them. recording.go is a Record's and a recorded Dial's side of
// callhook's recordings delivery: the RecordingUrl (Twilio's form, without
// an extension) and the recordingStatusCallback, sent through the
// delivery webhook and flow apps share (package recordings/delivery).
package twiml
