package twiml

import (
	"slices"
	"testing"

	"github.com/callhook/callhook/esl/esltest"
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
