package twiml

import (
	"context"
	"fmt"
	"strings"

	"github.com/callhook/callhook/proxy"
	"github.com/callhook/callhook/verb"
)

// Placed is how a call placed through the Twilio API (package twilioapi:
// POST .../Calls.json) starts, in place of the app's voice URL: the
// request's Url (with its Method) or its inline Twiml. Its requests carry
// Direction outbound-api and the request's To and From, as Twilio's do
// (https://www.twilio.com/docs/voice/api/call-resource#create-a-call-resource);
// its status callbacks are the request's StatusCallback, sent from the
// placed call's status events, so the app's own status_callback is not
// told of it.
type Placed struct {
	// URL is the first document's absolute URL; "" with TwiML.
	URL string
	// Method fetches URL: GET or POST ("": POST).
	Method string
	// TwiML is an inline document, when URL is "". It is planned as if
	// the app's voice URL had answered it: relative URLs resolve against
	// that URL, and a Gather or Record without action posts there.
	TwiML string
	// To and From are the request's, as it gave them (To, Called, From,
	// Caller); the channel's own numbers are FreeSWITCH's view of the
	// dial string.
	To, From string
}

// DirectionOutboundAPI is the Direction of a call placed through the API.
const DirectionOutboundAPI = "outbound-api"

// beginPlaced is a placed call's first document: its request's Url, or
// its inline TwiML.
func (d *dialog) beginPlaced(ctx context.Context) (*proxy.Instructions, error) {
	p := d.placed
	if p.URL != "" {
		m := "POST"
		if p.Method == "GET" {
			m = "GET"
		}
		return d.fetch(ctx, p.URL, m, nil)
	}
	base, err := checkURL(d.app.URL)
	if err != nil {
		return nil, fmt.Errorf("twiml app %s: voice URL: %w", d.app.Name, err)
	}
	ins, code, err := d.plan(&reply{body: []byte(p.TwiML), url: base, mime: "text/xml"}, false)
	if err == nil {
		return ins, nil
	}
	return d.failed(ctx, err, code, d.app.URL, nil)
}

// placedParams are params for a placed call: the request's To and From,
// Direction outbound-api.
func (d *dialog) placedParams(status string) map[string]string {
	p := d.placed
	return map[string]string{
		"AccountSid": d.app.AccountSID,
		"ApiVersion": APIVersion,
		"CallSid":    d.callSID,
		"CallStatus": status,
		"Called":     p.To,
		"Caller":     p.From,
		"Direction":  DirectionOutboundAPI,
		"From":       p.From,
		"To":         p.To,
	}
}

// Target is the dial string of a Twilio API request's To, by the same
// rules as Dial's nouns: a phone number (digits, * and #, with a leading
// +) through Number, "sip:..." (without URI headers) through Sip, and
// "client:NAME" through Client.
func (r DialRules) Target(to string) (string, error) {
	lower := strings.ToLower(to)
	switch {
	case to == "":
		return "", fmt.Errorf("empty")
	case strings.HasPrefix(lower, "client:"):
		name := to[len("client:"):]
		if err := verb.CheckName(name, ""); err != nil {
			return "", fmt.Errorf("client %w", err)
		}
		tmpl := r.Client
		if tmpl == "" {
			tmpl = DefaultClient
		}
		return fill(tmpl, "name", name), nil
	case strings.HasPrefix(lower, "sip:") || strings.HasPrefix(lower, "sips:"):
		if strings.ContainsAny(to, "?&") {
			return "", fmt.Errorf("%s: URI headers are not supported here", verb.Quote(to))
		}
		tmpl := r.Sip
		if tmpl == "" {
			tmpl = DefaultSip
		}
		return fill(tmpl, "uri", to), nil
	}
	digits := 0
	for i, c := range to {
		switch {
		case c >= '0' && c <= '9':
			digits++
		case c == '*' || c == '#' || c == '+' && i == 0:
		default:
			digits = -len(to)
		}
	}
	if digits <= 0 {
		return "", fmt.Errorf("%s: want a phone number (digits, * and #, with a leading +), sip:URI or client:name", verb.Quote(to))
	}
	if r.Number == "" {
		return "", fmt.Errorf("%s: the app's dial.number names no gateway for phone numbers", verb.Quote(to))
	}
	return fill(r.Number, "number", to), nil
}
