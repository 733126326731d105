package twiml

import (
	"slices"
	"strings"
	"testing"

	"github.com/callhook/callhook/esl/esltest"
	"github.com/callhook/callhook/internal/calltest"
)

// https://www.twilio.com/docs/voice/twiml/conference — "The name of the
// room is up to you and is namespaced to your account": any name
// ("Room 1234" was refused), and a room of its own per AccountSid. The
// bare name once joined the switch's conference of that name, so a
// TwiML app could join (and listen in on) another app's room.
func TestConferenceNamespacedToTheAccount(t *testing.T) {
	for _, tc := range []struct{ name, want string }{
		{"room1", "conference " + testSID + "-room1@default"},
		{"Room 1234", "conference " + testSID + "-Room.201234@default"},
		// Every byte the switch's conference data could read (@ + { and
		// the escape itself) is escaped, so two names never meet.
		{"a.b@c+d{e}", "conference " + testSID + "-a.2Eb.40c.2Bd.7Be.7D@default"},
		{"café", "conference " + testSID + "-caf.C3.A9@default"},
	} {
		a := newTwApp(t, map[string]string{"/voice": "<Response><Dial><Conference>" + tc.name + "</Conference></Dial></Response>"})
		e := engine(t, a, "/voice", nil)
		c := e.Dial(esltest.Options{OnApp: func(c *esltest.Call, run esltest.AppRun) {
			if run.App == "conference" {
				c.Hangup("NORMAL_CLEARING")
			}
		}})
		calltest.Wait(t, c)
		if apps := ran(c); !slices.Contains(apps, tc.want) {
			t.Errorf("%s: apps %q, want %q", tc.name, apps, tc.want)
		}
		if got := a.paths(); len(got) != 1 {
			t.Errorf("%s: requests %q, want none after the voice URL's", tc.name, got)
		}
	}
}

// TestConferenceNamesNeverMeet: the escaping is one-to-one.
func TestConferenceNamesNeverMeet(t *testing.T) {
	names := []string{"a b", "a_b", "a.20b", "a.b", "a-b", "a%20b", "A b"}
	seen := map[string]string{}
	for _, n := range names {
		r := conferenceRoom(testSID, n)
		if other, dup := seen[r]; dup {
			t.Errorf("%q and %q are both room %s", n, other, r)
		}
		seen[r] = n
		if strings.ContainsAny(r, "@+{} ") {
			t.Errorf("room %q of %q holds a character conference reads", r, n)
		}
	}
}
