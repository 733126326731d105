package twilioapi

import (
	"slices"
	"strconv"
	"strings"

	"github.com/callhook/callhook/outbound"
	"github.com/callhook/callhook/twiml"
	"github.com/callhook/callhook/verb"
)

// createParams are a create request's parameters, checked.
type createParams struct {
	to, from             string
	url, method, twiml   string
	statusCallback       string
	statusCallbackMethod string
	events               []string // outbound's events
	timeout              int
}

// createNames are the parameters a create request may hold; any other
// is refused rather than ignored, so that a client never believes that
// callhook records or detects machines when it does not.
var createNames = []string{"To", "From", "Url", "Method", "Twiml", "StatusCallback", "StatusCallbackMethod", "StatusCallbackEvent", "Timeout"}

// parseCreate reads and checks a create request's form
// (https://www.twilio.com/docs/voice/api/call-resource#create-a-call-resource).
// To's dial string and allow_to, and From's allow_from, are checked
// when the call is placed (outbound.Check).
func parseCreate(form map[string][]string) (*createParams, *Error) {
	for k, vs := range form {
		if !slices.Contains(createNames, k) {
			return nil, badParam(CodeInvalidParameter, "parameter %s: not supported by callhook (it takes %s)", verb.Quote(k), strings.Join(createNames, ", "))
		}
		if k != "StatusCallbackEvent" && len(vs) > 1 {
			return nil, badParam(CodeInvalidParameter, "parameter %s given %d times", k, len(vs))
		}
	}
	p := &createParams{to: one(form, "To"), from: one(form, "From"), url: one(form, "Url"), twiml: one(form, "Twiml"),
		statusCallback: one(form, "StatusCallback"), timeout: outbound.DefaultTimeout}
	switch {
	case p.to == "":
		return nil, badParam(CodeNoTo, "A 'To' phone number is required.")
	case p.from == "":
		return nil, badParam(CodeNoFrom, "A 'From' phone number is required.")
	case p.url == "" && p.twiml == "":
		return nil, badParam(CodeInvalidURL, "Either Url or Twiml is required (callhook does not take ApplicationSid).")
	case p.url != "" && p.twiml != "":
		return nil, badParam(CodeInvalidParameter, "Url and Twiml: give one of them")
	}
	if p.url != "" && !checkURL(p.url) {
		return nil, badParam(CodeInvalidURL, "Url is not a valid URL: %s", verb.Quote(p.url))
	}
	if p.twiml != "" {
		if len(p.twiml) > maxTwiML {
			return nil, badParam(CodeInvalidParameter, "Twiml: over %d characters", maxTwiML)
		}
		if _, err := twiml.Parse([]byte(p.twiml), twiml.Limits{MaxBytes: maxTwiML}); err != nil {
			return nil, badParam(12100, "Twiml: %v", err)
		}
	}
	var e *Error
	if p.method, e = method(form, "Method"); e != nil {
		return nil, e
	}
	if p.statusCallbackMethod, e = method(form, "StatusCallbackMethod"); e != nil {
		return nil, e
	}
	if p.statusCallback != "" && !checkURL(p.statusCallback) {
		return nil, badParam(CodeInvalidURL, "StatusCallback is not a valid URL: %s", verb.Quote(p.statusCallback))
	}
	for _, v := range form["StatusCallbackEvent"] {
		// The helper libraries repeat the parameter; TwiML's attribute
		// separates the events with spaces: take both.
		for name := range strings.FieldsSeq(v) {
			ev, ok := callbackEvents[name]
			if !ok {
				return nil, badParam(CodeInvalidParameter, "StatusCallbackEvent %s: want initiated, ringing, answered or completed", verb.Quote(name))
			}
			if !slices.Contains(p.events, ev) {
				p.events = append(p.events, ev)
			}
		}
	}
	if len(p.events) == 0 {
		p.events = []string{outbound.EventCompleted} // Twilio's default
	}
	if t := one(form, "Timeout"); t != "" {
		n, err := strconv.Atoi(t)
		if err != nil || n < 1 || n > outbound.MaxTimeout {
			return nil, badParam(CodeInvalidParameter, "Timeout %s: want 1 to %d seconds", verb.Quote(t), outbound.MaxTimeout)
		}
		p.timeout = n
	}
	return p, nil
}

// one is a form's value of name ("" when absent).
func one(form map[string][]string, name string) string {
	if vs := form[name]; len(vs) > 0 {
		return vs[0]
	}
	return ""
}

// method reads a method parameter: GET or POST (POST when absent).
func method(form map[string][]string, name string) (string, *Error) {
	switch m := strings.ToUpper(one(form, name)); m {
	case "", "POST":
		return "POST", nil
	case "GET":
		return "GET", nil
	default:
		return "", badParam(CodeInvalidParameter, "%s %s: want GET or POST", name, verb.Quote(m))
	}
}

// checkURL is the check of every URL an app gives: absolute http(s),
// bounded. Where it may lead is the HTTP client's dial guard's to say.
func checkURL(s string) bool { return len(s) <= maxURL && verb.IsHTTPURL(s) }
