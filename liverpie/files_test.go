package liverpie

import (
	"strings"
	"testing"

	"github.com/callhook/callhook/verb"
)

// TestLiverpieExecuteFiles: a Liverpie app's sendmsg execute of playback,
// record or play_and_get_digits follows the app's file rules (issue 11
// item 4), however the command spells call-command and wherever it puts the
// argument.
func TestLiverpieExecuteFiles(t *testing.T) {
	const exec = "sendmsg\ncall-command: execute\n"
	tests := []struct {
		name, msg string
		ok        bool
	}{
		{"sound name", exec + "execute-app-name: playback\nexecute-app-arg: ivr/ivr-welcome.wav", true},
		{"record in the folder", exec + "execute-app-name: record\nexecute-app-arg: /var/lib/freeswitch/recordings/t/m.wav 30", true},
		{"playback outside", exec + "execute-app-name: playback\nexecute-app-arg: /etc/passwd", false},
		{"record over another app's", exec + "execute-app-name: record\nexecute-app-arg: /var/lib/freeswitch/recordings/other/m.wav", false},
		{"record anywhere", exec + "execute-app-name: Record\nexecute-app-arg: /tmp/x.wav 30", false},
		{"argument in the body", exec + "execute-app-name: playback\ncontent-type: text/plain\ncontent-length: 11\n\n/etc/passwd", false},
		{"executeX", "sendmsg\ncall-command: executeX\nexecute-app-name: playback\nexecute-app-arg: /etc/passwd", false},
		{"file handle parameters", exec + "execute-app-name: playback\nexecute-app-arg: {spool_path=/tmp/x}ivr/a.wav", false},
		{"prompt outside", exec + "execute-app-name: play_and_get_digits\nexecute-app-arg: 1 1 1 5000 # /etc/passwd silence_stream://250 v \\d+", false},
		{"sound prefix", exec + "execute-app-name: set\nexecute-app-arg: sound_prefix=/etc", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := lpTestDialog()
			d.app.Files = &verb.FileRules{RecordingsDir: "/var/lib/freeswitch/recordings/t"}
			_, err := d.commands(tc.msg)
			if tc.ok && err != nil {
				t.Errorf("commands(%q) = %v, want it sent", tc.msg, err)
			}
			if !tc.ok && (err == nil || !strings.Contains(err.Error(), "msg sendmsg refused: execute")) {
				t.Errorf("commands(%q) = %v, want it refused", tc.msg, err)
			}
		})
	}
}
