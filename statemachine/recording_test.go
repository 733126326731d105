package statemachine

import (
	"testing"

	"github.com/callhook/callhook/verb"
)

// TestStepRecording: a verb's result with a recording makes it the flow's
// last, which templates ({{recording.FIELD}}) and when: conditions read; a
// later result without one (a gather's) keeps it, and set: can save it.
func TestStepRecording(t *testing.T) {
	f, err := Parse("rec.yaml", []byte(`name: rec
start: rec
vars: {saved: ""}
states:
  rec:
    verbs: [answer, {record: {path: msg.wav}}]
    set: {saved: "{{recording.url}}"}
    when:
      - {var: recording.upload_error, matches: ".", goto: failed}
    else: menu
  menu:
    verbs: [{gather: {max: 1}}]
    next: say
  say:
    verbs: [{speak: "{{recording.name}} {{recording.duration_ms}} ms {{recording.upload_status}} {{flow.saved}}"}]
    hangup: true
  failed:
    verbs: [{speak: "{{recording.upload_error}}"}]
    hangup: true
`))
	if err != nil {
		t.Fatal(err)
	}
	rec := &verb.Recording{Name: "msg.wav", DurationMS: 1500, URL: "http://r/recordings/x/msg.wav",
		Upload: &verb.Uploaded{URL: "http://s/msg.wav", Method: "PUT", Status: 201}}
	mv := walk(t, f, testEnv, "rec", []step{
		{o: Outcome{Reason: verb.ReasonOK, Verb: "record", Recording: rec}, state: "menu", verbs: "gather->menu"},
		{o: Outcome{Reason: verb.ReasonOK, Verb: "gather", Digits: "1"}, state: "say", verbs: "speak,hangup", end: true},
	})
	if got := texts(t, mv.Verbs[0]); len(got) == 0 || got[0] != "msg.wav 1500 ms 201 http://r/recordings/x/msg.wav" {
		t.Errorf("speak %q", got)
	}
	failed := &verb.Recording{Name: "msg.wav", Upload: &verb.Uploaded{URL: "http://s/msg.wav", Method: "PUT", Error: "status 500 (2 attempt(s))"}}
	mv = walk(t, f, testEnv, "rec", []step{
		{o: Outcome{Reason: verb.ReasonOK, Verb: "record", Recording: failed}, state: "failed", verbs: "speak,hangup", end: true},
	})
	if got := texts(t, mv.Verbs[0]); len(got) == 0 || got[0] != "status 500 (2 attempt(s))" {
		t.Errorf("speak %q", got)
	}
}

// TestRecordingFieldEmpty: before any recording, and for upload fields
// without an upload, {{recording.FIELD}} is "".
func TestRecordingFieldEmpty(t *testing.T) {
	for _, name := range recordingFields {
		if v := recordingField(nil, name); v != "" {
			t.Errorf("recordingField(nil, %q) = %q, want \"\"", name, v)
		}
	}
	rec := &verb.Recording{Name: "a.wav"}
	for _, name := range []string{"upload_url", "upload_method", "upload_status", "upload_error"} {
		if v := recordingField(rec, name); v != "" {
			t.Errorf("recordingField(no upload, %q) = %q, want \"\"", name, v)
		}
	}
	if v := recordingField(rec, "size"); v != "0" {
		t.Errorf("size = %q, want 0", v)
	}
}
