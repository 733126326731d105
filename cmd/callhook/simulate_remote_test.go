//go:build unix

package main

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// simulate -addr places a call into a real `callhook serve` process, as
// FreeSWITCH would, and prints the switch's side of it; the daemon logs the
// call's wire trace (callhook_trace=true) and the end, under the call id
// that simulate prints.
func TestSimulateAddrCallsARunningServe(t *testing.T) {
	demo, err := filepath.Abs("../../examples/flows/demo.yaml")
	if err != nil {
		t.Fatal(err)
	}
	d := startOpsDaemon(t, "default_app: demo\napps:\n  demo: {flow: "+demo+"}\n")
	var stdout, stderr bytes.Buffer
	code := run([]string{"simulate", "-addr", d.listen, "-digits", "9 1", "-config", d.configPath},
		strings.NewReader(""), &stdout, &stderr)
	out := stdout.String()
	if code != simOK {
		t.Fatalf("simulate -addr = %d, want %d; stdout:\n%s\nstderr:\n%s", code, simOK, out, stderr.String())
	}
	id := regexp.MustCompile(`call_id=([0-9a-f-]{36})`).FindStringSubmatch(out)
	if id == nil {
		t.Fatalf("simulate -addr printed no call id; stdout:\n%s", out)
	}
	for _, want := range []string{
		"dialling callhook serve at " + d.listen,
		"   answer\n",
		"   playback ivr/ivr-welcome.wav\n     = FILE PLAYED\n",
		"   play_and_get_digits ",
		"     caller presses 9\n     = digits 9",
		"   playback ivr/ivr-that_was_an_invalid_entry.wav\n",
		"     caller presses 1\n     = digits 1",
		"   playback ivr/ivr-one_moment_please.wav\n",
		"end: hung up, NORMAL_CLEARING by callhook",
		"http://" + d.admin + "/calls/" + id[1],
	} {
		if !strings.Contains(out, want) {
			t.Errorf("simulate -addr output lacks %q; stdout:\n%s", want, out)
		}
	}
	// The daemon took the call: its wire trace (callhook_trace=true at
	// log level debug) and its end are in its log, under that id.
	d.log.wait(t, map[string]string{"msg": "esl frame", "call_id": id[1]})
	d.log.wait(t, map[string]string{"msg": "call ended", "call_id": id[1], "app": "demo", "outcome": "hangup"})
}

// With -json, every line is a JSON object, and the apps' results say what
// the switch answered.
func TestSimulateAddrJSON(t *testing.T) {
	demo, err := filepath.Abs("../../examples/flows/demo.yaml")
	if err != nil {
		t.Fatal(err)
	}
	d := startOpsDaemon(t, "default_app: demo\napps:\n  demo: {flow: "+demo+"}\n")
	var stdout, stderr bytes.Buffer
	code := run([]string{"simulate", "-addr", d.listen, "-digits", "3 #", "-json", "-hangup-after", "20s"},
		strings.NewReader(""), &stdout, &stderr)
	if code != simOK {
		t.Fatalf("simulate -addr -json = %d; stdout:\n%s\nstderr:\n%s", code, stdout.String(), stderr.String())
	}
	kinds := map[string]int{}
	for _, line := range strings.Split(strings.TrimSpace(stdout.String()), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("not a JSON line: %q (%v)", line, err)
		}
		kinds[m["type"].(string)]++
		if m["type"] == "app" && m["app"] == "record" {
			if !strings.Contains(m["arg"].(string), ".wav") {
				t.Errorf("record app line = %v, want its file", m)
			}
		}
	}
	for _, k := range []string{"call", "app", "app_result", "caller", "end"} {
		if kinds[k] == 0 {
			t.Errorf("no %q line; stdout:\n%s", k, stdout.String())
		}
	}
}
