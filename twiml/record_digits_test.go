package twiml

import (
	"testing"

	"github.com/callhook/callhook/internal/calltest"
	"github.com/callhook/callhook/proxy"
	"github.com/callhook/callhook/verb"
)

// https://www.twilio.com/docs/voice/twiml/record — the action request
// carries Digits, "the key (if any) pressed to end the recording"; it
// was never sent. A recording ended otherwise (silence, maxLength) has
// none.
func TestRecordActionDigits(t *testing.T) {
	for _, term := range []string{"#", ""} {
		a := newTwApp(t, map[string]string{"/voice": `<Response><Record action="/done"/></Response>`,
			"/done": `<Response><Hangup/></Response>`})
		app := &App{Name: "tw", URL: a.srv.URL + "/voice", AccountSID: testSID, AuthToken: testToken, Client: a.srv.Client(), Recordings: true}
		d := calltest.StartDialog(t, app, &proxy.Call{ID: "9a7c1b2e-4d3f-45a6-b7c8-d9e0f1a2b3c4", Answered: true})
		ins, err := d.Begin(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		var rec verb.Verb
		for _, v := range ins.Verbs {
			if v.Name == "record" {
				rec = v
			}
		}
		res := &verb.Result{Verb: "record", Reason: verb.ReasonOK, Terminator: term,
			Recording: &verb.Recording{Name: "m.wav", URL: "http://rec.example/recordings/m.wav", Format: "wav", DurationMS: 2500}}
		if _, err := d.Result(t.Context(), rec, res); err != nil {
			t.Fatal(err)
		}
		reqs := a.requests()
		if len(reqs) != 2 || reqs[1].Path != "/done" {
			t.Fatalf("requests %q", a.paths())
		}
		got, sent := reqs[1].Params["Digits"]
		if term == "" && sent || term != "" && (len(got) != 1 || got[0] != term) {
			t.Errorf("terminator %q: Digits %q (sent %v)", term, got, sent)
		}
	}
}
