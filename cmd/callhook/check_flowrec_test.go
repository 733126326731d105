package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCheckFlowRecordingOptions: callhook check reports a flow's bad
// upload and recording_status_url options (record, record_call, bridge's
// record) and unknown {{recording.FIELD}} templates, each with its flow
// file:line, and takes a flow app's secret.
func TestCheckFlowRecordingOptions(t *testing.T) {
	dir := t.TempDir()
	write := func(name, data string) string {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	flow := write("rec.yaml", `name: rec
start: a
states:
  a:
    verbs:
      - answer
      - record: {path: a.wav, upload: {url: "https://s.example/a.wav", method: PATCH}}
      - record: {path: b.wav, upload: /relative.wav}
      - record: {path: c.wav, recording_status_url: "ftp://x/y"}
      - record_call: {mode: start, path: d.wav, upload: {method: PUT}}
      - bridge: {to: user/1000, record: {path: e.wav, recording_status_url: "not a url"}}
      - speak: "{{recording.nope}}"
    hangup: true
`)
	cfg := write("config.yaml", "admin: ''\ndefault_app: ivr\napps:\n  ivr:\n    flow: rec.yaml\n    secret: s3cret\n")
	var out bytes.Buffer
	if code := runCheck([]string{"-config", cfg}, &out, &out); code == 0 {
		t.Fatalf("check passed:\n%s", out.String())
	}
	for _, want := range []string{
		flow + `:7: record: upload: method: "PATCH": want PUT`,
		flow + `:8: record: upload: want an absolute http or https URL, got "/relative.wav"`,
		flow + `:9: record: recording_status_url: want an absolute http or https URL, got "ftp://x/y"`,
		flow + `:10: record_call: upload: url: is required`,
		flow + `:11: bridge: record: recording_status_url: want an absolute http or https URL, got "not a url"`,
		flow + `:12: state "a": unknown recording field "nope"`,
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("check output lacks %q:\n%s", want, out.String())
		}
	}
	if strings.Contains(out.String(), "secret") {
		t.Errorf("check refused a flow app's secret:\n%s", out.String())
	}
}
