// Package twilioapi places calls the Twilio way: the part of Twilio's
// REST API that creates and controls calls, so that a program written
// with a Twilio helper library places calls on callhook's FreeSWITCH
// boxes by changing only its base URL.
//
//	POST /2010-04-01/Accounts/{AccountSid}/Calls.json        create (201)
//	GET  /2010-04-01/Accounts/{AccountSid}/Calls/{Sid}.json  fetch
//	POST /2010-04-01/Accounts/{AccountSid}/Calls/{Sid}.json  update: Status=canceled|completed, Url
//
// (https://www.twilio.com/docs/voice/api/call-resource). Requests are
// form-encoded, as Twilio's clients send them, and authenticated with
// HTTP basic auth: a twiml app's account_sid and auth_token. The call is
// placed by package outbound (its boxes, limits and allow_to/allow_from
// patterns, and the app's dial.number template making To a dial string),
// and runs the twiml app with Direction outbound-api, starting at the
// request's Url or inline Twiml (twiml.Placed). Its status callbacks are
// outbound's status events (call.initiated, call.ringing, call.answered,
// call.completed) sent in Twilio's form and signed with X-Twilio-Signature:
// no second call tracker, only the resource's fields kept for GET.
//
// The package knows nothing of the config file or of listening: cmd
// builds the Server and serves it on the twilio_api listener.
package twilioapi
