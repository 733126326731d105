package statemachine_test

import (
	"testing"

	"github.com/callhook/callhook/esl/esltest"
	"github.com/callhook/callhook/proxy"
	"github.com/callhook/callhook/statemachine"
	"github.com/callhook/callhook/verb"
)

// TestFlowRecordName: a flow records under the app's recordings folder, and
// a caller id that would climb out of it (issue 11 item 4) is refused once
// filled into the name: the state ends in error, and the flow goes on by
// its error transition without recording anything.
func TestFlowRecordName(t *testing.T) {
	f, err := statemachine.ParseWith("rec.yaml", []byte(`
start: rec
states:
  rec:
    verbs:
      - answer
      - record: {path: "rec-{{call.from}}.wav", beep: false}
    on: {ok: done, error: refused}
  refused:
    verbs: [play: ivr/ivr-call_cannot_be_completed_as_dialed.wav]
    hangup: true
  done: {hangup: true}
`), statemachine.Options{Files: &verb.FileRules{RecordingsDir: "/var/lib/freeswitch/recordings/flow"}})
	if err != nil {
		t.Fatal(err)
	}
	addr := serve(t, &proxy.App{Name: "flow", Backend: &statemachine.Backend{Flow: f}})
	tests := []struct{ from, want string }{
		{"1000", "answer\nmkdir /var/lib/freeswitch/recordings/flow\nrecord /var/lib/freeswitch/recordings/flow/rec-1000.wav 60 200 3"},
		{"../../etc/x", "playback ivr/ivr-call_cannot_be_completed_as_dialed.wav"},
		{"+1555/../../x", "playback ivr/ivr-call_cannot_be_completed_as_dialed.wav"},
	}
	for _, tc := range tests {
		t.Run(tc.from, func(t *testing.T) {
			c, res := call(t, addr, esltest.Options{CallerIDNumber: tc.from})
			if res.Outcome != esltest.HungUp || res.By != esltest.ByDaemon {
				t.Errorf("call ended %v, want hung up by the daemon", res)
			}
			if got := ran(c); got != tc.want {
				t.Errorf("apps run:\n%s\nwant:\n%s", got, tc.want)
			}
		})
	}
}

// TestFlowPlayOutsideMediaDirs: a flow's absolute prompt must be in the
// app's media folders, checked when the flow is loaded.
func TestFlowPlayOutsideMediaDirs(t *testing.T) {
	doc := []byte("start: a\nstates:\n  a:\n    verbs: [play: /srv/ivr/welcome.wav]\n    hangup: true\n")
	if _, err := statemachine.Parse("p.yaml", doc); err == nil {
		t.Error("Parse with no media folders accepted /srv/ivr/welcome.wav")
	}
	o := statemachine.Options{Files: &verb.FileRules{MediaDirs: []string{"/srv/ivr"}}}
	if _, err := statemachine.ParseWith("p.yaml", doc, o); err != nil {
		t.Errorf("ParseWith(media_dirs [/srv/ivr]) = %v", err)
	}
}
