package twiml

import (
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/callhook/callhook/esl/esltest"
)

// Each verb's documented defaults, with no attribute given, as the
// applications they become:
//   - https://www.twilio.com/docs/voice/twiml/gather — timeout 5 s,
//     finishOnKey "#", numDigits unlimited (the gather's 128);
//   - https://www.twilio.com/docs/voice/twiml/pause — length 1 s;
//   - https://www.twilio.com/docs/voice/twiml/record — maxLength 3600 s,
//     timeout 5 s, playBeep true, finishOnKey "1234567890*#";
//   - https://www.twilio.com/docs/voice/twiml/dial — timeout 30 s,
//     timeLimit 14400 s.
func TestVerbDefaults(t *testing.T) {
	a := newTwApp(t, map[string]string{"/voice": `<Response>
<Pause/>
<Gather/>
<Record/>
<Dial>+15005550006</Dial>
</Response>`})
	e := engine(t, a, "/voice", nil)
	c, _ := e.Call(esltest.Options{})
	apps := ran(c)
	for _, want := range []*regexp.Regexp{
		regexp.MustCompile(`^sleep 1000$`),
		regexp.MustCompile(`^play_and_get_digits 1 128 1 5000 # \S+ \S+ \S+ \S+ 5000$`),
		regexp.MustCompile(`^playback tone_stream://`),
		regexp.MustCompile(`^set playback_terminators=1234567890\*#$`),
		regexp.MustCompile(`^record \S+\.wav 3600 200 5$`),
		regexp.MustCompile(`^bridge \{originate_timeout=30,execute_on_answer=sched_hangup \+14400 ALLOTTED_TIMEOUT\}sofia/gateway/out/\+15005550006$`),
	} {
		if !slices.ContainsFunc(apps, want.MatchString) {
			t.Errorf("no application matches %s in:\n%s", want, join(apps))
		}
	}
}

// https://www.twilio.com/docs/voice/twiml/hangup — "If used as the first
// verb in a TwiML response it does not prevent Twilio from answering the
// call": any first verb but Reject answers, Hangup and Pause included.
func TestFirstVerbAnswers(t *testing.T) {
	for _, doc := range []string{`<Response><Hangup/></Response>`, `<Response><Pause/></Response>`, `<Response/>`} {
		a := newTwApp(t, map[string]string{"/voice": doc})
		e := engine(t, a, "/voice", nil)
		c, _ := e.Call(esltest.Options{})
		if apps := ran(c); len(apps) == 0 || apps[0] != "answer" {
			t.Errorf("%s: apps %q, want answer first", doc, apps)
		}
	}
}

// https://www.twilio.com/docs/voice/twiml/redirect — relative URLs
// resolve against the current document's URL (here the Redirect's),
// not the voice URL.
func TestRelativeToTheCurrentDocument(t *testing.T) {
	a := newTwApp(t, map[string]string{
		"/a/voice": `<Response><Redirect>../b/next</Redirect></Response>`,
		"/b/next":  `<Response><Play>x.wav</Play><Redirect>end</Redirect></Response>`,
		"/b/end":   `<Response><Hangup/></Response>`,
	})
	e := engine(t, a, "/a/voice", nil)
	c, _ := e.Call(esltest.Options{})
	if apps := ran(c); !slices.Contains(apps, "playback "+a.srv.URL+"/b/x.wav") {
		t.Errorf("apps %q, want /b/x.wav played", apps)
	}
	if got := strings.Join(a.paths(), ","); got != "POST /a/voice,POST /b/next,POST /b/end" {
		t.Errorf("requests %s", got)
	}
}
