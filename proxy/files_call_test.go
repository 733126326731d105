package proxy_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/callhook/callhook/esl/esltest"
	"github.com/callhook/callhook/internal/calltest"
	"github.com/callhook/callhook/verb"
	"github.com/callhook/callhook/webhook"
)

// TestCallFiles drives whole calls (a web app on httptest, FreeSWITCH as
// esltest) whose replies name files (issue 11 item 4). A reply that names a
// file outside the app's folders is an invalid reply: nothing of it runs,
// and the call fails as any invalid reply makes it fail.
func TestCallFiles(t *testing.T) {
	files := &verb.FileRules{RecordingsDir: "/var/lib/freeswitch/recordings/support", MediaDirs: []string{"/srv/ivr"}}
	cases := []struct {
		name     string
		reply    string   // the answer to call.start
		wantApps []string // the applications run, "app arg"
		wantRec  map[string]any
	}{
		{name: "record a name", reply: "[answer, {record: {path: msg.wav, beep: false, action: /rec}}]",
			wantApps: []string{"answer", "set playback_terminators=*", "mkdir /var/lib/freeswitch/recordings/support",
				"record /var/lib/freeswitch/recordings/support/msg.wav 60 200 3"},
			wantRec: map[string]any{"path": "/var/lib/freeswitch/recordings/support/msg.wav", "name": "msg.wav"}},
		{name: "record over another app's recording",
			reply: "[answer, {record: {path: /var/lib/freeswitch/recordings/other.wav, action: /rec}}]"},
		{name: "record out of the folder", reply: "[answer, {record: {path: ../../../etc/x.wav, action: /rec}}]"},
		{name: "play in a media folder", reply: "[answer, {play: /srv/ivr/welcome.wav}, hangup]",
			wantApps: []string{"answer", "playback /srv/ivr/welcome.wav"}},
		{name: "play outside the media folders", reply: "[answer, {play: /etc/passwd}, hangup]"},
		{name: "play with file handle parameters", reply: "[answer, {play: '{spool_path=/tmp}ivr/a.wav'}, hangup]"},
		{name: "gather prompt climbing out", reply: "[answer, {gather: {play: ../../../../etc/passwd, action: /rec}}]"},
		{name: "file_string part outside", reply: "[answer, {play: 'file_string://ivr/a.wav!/etc/shadow'}, hangup]"},
		{name: "move the sound prefix", reply: "[answer, {set: {sound_prefix: /var/lib/freeswitch/recordings/other}}, {play: x.wav}, hangup]"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			app := newWebapp(t, func(r request) (int, string) {
				if r.Path == "/ivr" {
					return 200, tc.reply
				}
				return 200, "[hangup]"
			})
			h := startProxy(t, webhookRuntime(&webhook.App{Name: "support", URL: app.URL + "/ivr", Files: files}))
			c := h.Dial(esltest.Options{})
			res := calltest.Wait(t, c)
			got := apps(c)
			if tc.wantApps == nil {
				// Refused: nothing of the reply reached the switch.
				if len(got) != 0 || res.By != esltest.ByDaemon || res.Cause != "NORMAL_TEMPORARY_FAILURE" {
					t.Errorf("call ran %q and ended %v, want nothing run and a NORMAL_TEMPORARY_FAILURE hangup", got, res)
				}
				h.Idle()
				if !strings.Contains(h.Log.String(), "invalid_reply") {
					t.Errorf("no invalid_reply in the log:\n%s", h.Log)
				}
				return
			}
			if !slices.Equal(got, tc.wantApps) {
				t.Errorf("apps run = %q, want %q", got, tc.wantApps)
			}
			if tc.wantRec != nil {
				r := app.waitRequest(t, "/rec")
				result, _ := r.Body["result"].(map[string]any)
				rec, _ := result["recording"].(map[string]any)
				for k, v := range tc.wantRec {
					if rec[k] != v {
						t.Errorf("result.recording.%s = %v, want %v (result %v)", k, rec[k], v, result)
					}
				}
			}
		})
	}
}
