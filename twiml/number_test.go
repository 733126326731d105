package twiml

import (
	"slices"
	"testing"

	"github.com/callhook/callhook/esl/esltest"
)

// https://www.twilio.com/docs/voice/twiml/dial — the page's first example
// is <Dial>415-123-4567</Dial>: a number written with the usual
// separators (spaces, dashes, dots, parentheses) is dialed as its digits.
// It was refused ("want digits, * and #").
func TestDialNumberWithSeparators(t *testing.T) {
	for _, tc := range []struct{ doc, want string }{
		{`<Response><Dial>415-123-4567</Dial></Response>`, "sofia/gateway/out/4151234567"},
		{`<Response><Dial><Number>+1 (415) 555.1234</Number></Dial></Response>`, "sofia/gateway/out/+14155551234"},
	} {
		a := newTwApp(t, map[string]string{"/voice": tc.doc})
		e := engine(t, a, "/voice", func(app *App) { app.AllowEndpoints = []string{"sofia/gateway/out/"} })
		c, _ := e.Call(esltest.Options{})
		want := "bridge {originate_timeout=30,execute_on_answer=sched_hangup +14400 ALLOTTED_TIMEOUT}" + tc.want
		if apps := ran(c); !slices.Contains(apps, want) {
			t.Errorf("%s: apps %q, want %q", tc.doc, apps, want)
		}
	}
}
