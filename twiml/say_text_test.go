package twiml

import (
	"strings"
	"testing"

	"github.com/callhook/callhook/esl/esltest"
)

// https://www.twilio.com/docs/voice/twiml/say — Say speaks any text.
// Characters the switch would read as more than text ("${" expands,
// "{...}" are TTS parameters, "!" separates a Gather's prompt files)
// once sent the call to the fallback ("Welcome!" in a Gather did); they
// are now spoken as what sounds the same: "(" and ")" for braces, and
// in a Gather "." for "!".
func TestSayTextTheSwitchWouldRead(t *testing.T) {
	sw := esltest.NewSwitch()
	sw.LoadModule("mod_flite")
	sw.LoadModule("mod_ssml")
	a := newTwApp(t, map[string]string{"/voice": `<Response>
<Say>{Hi}! It costs ${5}, or $${x}.</Say>
<Gather timeout="1"><Say>Welcome! Press {1} for ${x}.</Say></Gather>
</Response>`})
	e := engine(t, a, "/voice", nil)
	c, _ := e.Call(esltest.Options{Switch: sw})
	apps := join(ran(c))
	for _, want := range []string{
		"speak flite|kal|(Hi)! It costs $(5), or $$(x).",
		`tts://flite|kal|Welcome.\sPress\s(1)\sfor\s$(x).`,
	} {
		if !strings.Contains(apps, want) {
			t.Errorf("apps:\n%s\nwant %q", apps, want)
		}
	}
	if got := a.paths(); len(got) != 1 {
		t.Errorf("requests %q, want the voice URL's only (no fallback)", got)
	}
}
