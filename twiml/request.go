package twiml

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"

	"github.com/callhook/callhook/proxy"
	"github.com/callhook/callhook/verb"
)

// APIVersion is the ApiVersion every request carries.
const APIVersion = "2010-04-01"

// CallSID is a call's CallSid: "CA" and the call's Unique-ID as 32 hex
// digits (a UUID without its dashes, lower case). A Unique-ID that is not
// a UUID (a switch told to use other ids) is hashed into 32 hex digits,
// so a CallSid always has Twilio's shape.
func CallSID(uniqueID string) string { return sid("CA", uniqueID) }

// sid is prefix and 32 hex digits made of id.
func sid(prefix, id string) string {
	h := strings.ToLower(strings.ReplaceAll(id, "-", ""))
	if len(h) == 32 && isHex(h) {
		return prefix + h
	}
	sum := sha256.Sum256([]byte(id))
	return prefix + hex.EncodeToString(sum[:16])
}

func isHex(s string) bool {
	for _, r := range s {
		if !(r >= '0' && r <= '9' || r >= 'a' && r <= 'f') {
			return false
		}
	}
	return true
}

// Twilio's CallStatus values.
const (
	StatusRinging    = "ringing"
	StatusInProgress = "in-progress"
	StatusCompleted  = "completed"
	StatusBusy       = "busy"
	StatusNoAnswer   = "no-answer"
	StatusFailed     = "failed"
	StatusCanceled   = "canceled"
)

// direction is Twilio's Direction for FreeSWITCH's Call-Direction: a call
// that came in is inbound; one the switch placed is outbound-api.
func direction(d string) string {
	if strings.EqualFold(d, "outbound") {
		return "outbound-api"
	}
	return "inbound"
}

// params are the parameters of every request of the call, as Twilio
// sends them (https://www.twilio.com/docs/voice/twiml#request-parameters).
func (d *dialog) params(status string) map[string]string {
	c := d.call
	if d.placed != nil {
		return d.placedParams(status)
	}
	return map[string]string{
		"AccountSid": d.app.AccountSID,
		"ApiVersion": APIVersion,
		"CallSid":    d.callSID,
		"CallStatus": status,
		"Called":     c.To,
		"Caller":     c.From,
		"CallerName": c.FromName,
		"Direction":  direction(c.Direction),
		"From":       c.From,
		"To":         c.To,
	}
}

// liveStatus is CallStatus while the call is up.
func liveStatus(c *proxy.Call) string {
	if c.Answered {
		return StatusInProgress
	}
	return StatusRinging
}

// endStatus is the final CallStatus of a call that ended with cause:
// an answered call completed, else the cause says why not.
func endStatus(end *proxy.CallEnd, answered bool) string {
	if answered || end.Outcome == proxy.OutcomeTransferred {
		return StatusCompleted
	}
	switch end.Cause {
	case "USER_BUSY":
		return StatusBusy
	case "NO_ANSWER", "NO_USER_RESPONSE", "ALLOTTED_TIMEOUT",
		// Reject's rejected, whose call "ends with a status of busy or
		// no-answer, depending on the verb's reason attribute"
		// (https://www.twilio.com/docs/voice/twiml/reject).
		"CALL_REJECTED":
		return StatusNoAnswer
	case "ORIGINATOR_CANCEL":
		return StatusCanceled
	case "NORMAL_CLEARING", "":
		return StatusCompleted
	}
	return StatusFailed
}

// dialStatus is DialCallStatus for a bridge's outcome
// (https://www.twilio.com/docs/voice/twiml/dial#dialcallstatus-values).
func dialStatus(r *verb.Result) string {
	if r.Bridge == nil {
		if r.Reason == verb.ReasonOK {
			return StatusCompleted // a conference the caller left
		}
		return StatusFailed
	}
	switch strings.ToUpper(r.Bridge.Status) {
	case "SUCCESS", "ANSWER":
		return StatusCompleted
	case "BUSY", "USER_BUSY":
		return StatusBusy
	case "NOANSWER", "NO_ANSWER", "ALLOTTED_TIMEOUT":
		return StatusNoAnswer
	case "CANCEL", "ORIGINATOR_CANCEL":
		return StatusCanceled
	}
	return StatusFailed
}

// dialParams are a Dial action's DialCallStatus, DialCallSid (for a
// bridge that connected: its callee's channel, and the verb's place in
// the call, made into a CallSid) and DialCallDuration (whole seconds).
func (d *dialog) dialParams(p map[string]string, r *verb.Result) {
	p["DialCallStatus"] = dialStatus(r)
	if b := r.Bridge; b != nil && b.AnsweredBy != "" {
		d.dials++
		p["DialCallSid"] = sid("CA", d.call.ID+"/dial/"+strconv.Itoa(d.dials)+"/"+b.AnsweredBy)
		p["DialCallDuration"] = strconv.FormatInt(b.DurationMS/1000, 10)
	}
}

// recordingParams are the RecordingSid, RecordingUrl and
// RecordingDuration of a Record's or a recorded Dial's action request.
func recordingParams(p map[string]string, rec *verb.Recording) {
	p["RecordingSid"] = recordingSID(rec)
	p["RecordingUrl"] = recordingURL(rec)
	p["RecordingDuration"] = recordingDuration(rec)
}

// recordingSID is a recording's RecordingSid: its name (RE and 32 hex
// digits, PlanOptions.RecordingName) without the extension.
func recordingSID(rec *verb.Recording) string {
	return strings.TrimSuffix(rec.Name, "."+rec.Format)
}

// recordingURL is a recording's RecordingUrl in Twilio's form: its URL
// without the extension, so that it ends in the RecordingSid. Twilio's
// apps append the format they want; callhook's recordings listener
// serves the file at this URL and at this URL with its own extension
// (.wav) appended, and says another extension names no format it has
// (recordings.Store: it converts nothing).
func recordingURL(rec *verb.Recording) string {
	return strings.TrimSuffix(rec.URL, "."+rec.Format)
}

// recordingDuration is RecordingDuration: whole seconds, rounded up as
// Twilio's are.
func recordingDuration(rec *verb.Recording) string {
	return strconv.FormatInt((rec.DurationMS+999)/1000, 10)
}
