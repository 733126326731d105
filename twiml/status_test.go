package twiml

import (
	"slices"
	"testing"

	"github.com/callhook/callhook/esl/esltest"
	"github.com/callhook/callhook/internal/calltest"
	"github.com/callhook/callhook/proxy"
)

// https://www.twilio.com/docs/voice/twiml/reject — "The call ends with a
// status of busy or no-answer, depending on the verb's reason attribute":
// the status callback's CallStatus. reason="rejected" once read failed.
func TestRejectFinalStatus(t *testing.T) {
	for _, tc := range []struct{ doc, status string }{
		{`<Response><Reject/></Response>`, "no-answer"},
		{`<Response><Reject reason="rejected"/></Response>`, "no-answer"},
		{`<Response><Reject reason="busy"/></Response>`, "busy"},
	} {
		a := newTwApp(t, map[string]string{"/voice": tc.doc, "/status": ``})
		e := engine(t, a, "/voice", func(app *App) { app.StatusCallback = a.srv.URL + "/status" })
		e.Call(esltest.Options{})
		e.Idle()
		reqs := a.requests()
		if got := a.paths(); !slices.Equal(got, []string{"POST /voice", "POST /status"}) {
			t.Fatalf("%s: requests %q", tc.doc, got)
		}
		if got := reqs[1].Params.Get("CallStatus"); got != tc.status {
			t.Errorf("%s: CallStatus %q, want %q", tc.doc, got, tc.status)
		}
	}
}

// https://www.twilio.com/docs/voice/api/call-resource — a call's duration
// is "empty for busy, failed, unanswered" calls and counts from the
// answer: the status callback's CallDuration is the call's billsec. It
// was its duration, which counts the ringing (and made a rejected call
// last seconds).
func TestStatusCallbackDurationFromAnswer(t *testing.T) {
	for _, tc := range []struct {
		end      proxy.CallEnd
		answered bool
		want     string
	}{
		{proxy.CallEnd{Cause: "CALL_REJECTED", Duration: 7}, false, "0"},
		{proxy.CallEnd{Cause: "NORMAL_CLEARING", Duration: 9, Billsec: 5}, true, "5"},
	} {
		a := newTwApp(t, map[string]string{"/status": ``})
		app := &App{Name: "tw", URL: a.srv.URL + "/voice", StatusCallback: a.srv.URL + "/status",
			AccountSID: testSID, AuthToken: testToken, Client: a.srv.Client()}
		d := calltest.StartDialog(t, app, &proxy.Call{ID: "9a7c1b2e-4d3f-45a6-b7c8-d9e0f1a2b3c4", Answered: tc.answered})
		d.End(t.Context(), &tc.end)
		reqs := a.requests()
		if len(reqs) != 1 || reqs[0].Path != "/status" {
			t.Fatalf("requests %q", a.paths())
		}
		if got := reqs[0].Params.Get("CallDuration"); got != tc.want {
			t.Errorf("%+v: CallDuration %q, want %q", tc.end, got, tc.want)
		}
	}
}

// https://www.twilio.com/docs/voice/api/call-resource#call-status-values
// — a call's final CallStatus from how it ended, and Direction
// (https://www.twilio.com/docs/voice/twiml#request-parameters): inbound,
// or outbound-api for a call the switch placed.
func TestFinalStatusAndDirection(t *testing.T) {
	for _, tc := range []struct {
		cause    string
		answered bool
		want     string
	}{
		{"NORMAL_CLEARING", true, "completed"},
		{"USER_BUSY", true, "completed"}, // answered first: it completed
		{"USER_BUSY", false, "busy"},
		{"NO_ANSWER", false, "no-answer"},
		{"ORIGINATOR_CANCEL", false, "canceled"},
		{"CALL_REJECTED", false, "no-answer"},
		{"DESTINATION_OUT_OF_ORDER", false, "failed"},
	} {
		if got := endStatus(&proxy.CallEnd{Cause: tc.cause}, tc.answered); got != tc.want {
			t.Errorf("endStatus(%s, answered %v) = %s, want %s", tc.cause, tc.answered, got, tc.want)
		}
	}
	for in, want := range map[string]string{"inbound": "inbound", "outbound": "outbound-api", "": "inbound"} {
		if got := direction(in); got != want {
			t.Errorf("direction(%q) = %s, want %s", in, got, want)
		}
	}
}
