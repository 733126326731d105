package main

import (
	"errors"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/callhook/callhook/apphttp"
	"github.com/callhook/callhook/internal/testlog"
)

// TestSimulateRecordingURL: with a recordings key, simulate shows the
// recording's URL, and the simulated switch's upload left a real (silent)
// WAV where callhook keeps it.
func TestSimulateRecordingURL(t *testing.T) {
	demo, err := filepath.Abs("../../examples/flows/demo.yaml")
	if err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp) // simulate keeps the upload in a temporary folder
	cfg := writeConfig(t, "recordings: {listen: '127.0.0.1:8086'}\ndefault_app: demo\napps:\n  demo: {flow: "+demo+"}\n")
	code, out, errOut := simulate(t, "-config", cfg, "-digits", "3 #")
	if code != simOK {
		t.Fatalf("simulate = %d; stdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	m := regexp.MustCompile(`= ok: recording (http://127\.0\.0\.1:\d+/recordings/[0-9a-f]{32}/[0-9a-f]{64}/callhook-[0-9a-f-]+\.wav) \(3s, 48044 bytes\)\n.*callhook keeps it in (\S+) `).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("transcript shows no recording URL:\n%s", out)
	}
	if !strings.HasPrefix(m[2], tmp) {
		t.Errorf("kept in %s, want a folder under %s", m[2], tmp)
	}
	files, _ := filepath.Glob(filepath.Join(m[2], "*.wav"))
	if len(files) != 1 {
		t.Fatalf("files kept = %v, want one WAV", files)
	}
	wav, err := os.ReadFile(files[0])
	if err != nil || len(wav) != 48044 || string(wav[:4]) != "RIFF" || string(wav[8:12]) != "WAVE" {
		t.Errorf("kept file: %d bytes, %v; want a 48044-byte WAV", len(wav), err)
	}
}

// TestSimulateWebappsFetchRecording: each example web app fetches the
// message it recorded by the URL callhook gives it, and says what it got.
func TestSimulateWebappsFetchRecording(t *testing.T) {
	t.Setenv("TMPDIR", t.TempDir())
	for _, app := range exampleApps {
		t.Run(app.name, func(t *testing.T) {
			base := app.start(t, "")
			for _, format := range []string{"json", "form"} {
				t.Run(format, func(t *testing.T) {
					cfg := writeConfig(t, "recordings: {listen: '127.0.0.1:8086'}\n"+
						"default_app: ivr\napps:\n  ivr:\n    url: "+base+"/ivr\n    status_url: "+base+"/status\n    format: "+format+"\n")
					code, out, errOut := simulate(t, "-config", cfg, "-digits", "2 #")
					if code != simOK {
						t.Fatalf("simulate = %d; stderr:\n%s\nstdout:\n%s", code, errOut, out)
					}
					checkTranscript(t, out, []string{"caller presses 2", "= ok: recording http://127.0.0.1:",
						"-> verb.result " + base + "/recorded", `   log "message fetched: 48044 bytes of audio/wav"`,
						"   play ivr/ivr-thank_you_for_calling.wav", "end: hangup, NORMAL_CLEARING"})
				})
			}
		})
	}
}

// TestServeRecordings: serve runs the recordings listener of the config's
// recordings key, and the apps' requests may not reach it (the guard).
func TestServeRecordings(t *testing.T) {
	cfg := mustParseConfig(t, "admin: ''\nrecordings: {listen: '127.0.0.1:8086', dir: "+t.TempDir()+"}\n"+
		"apps:\n  a: {url: 'http://127.0.0.1:1/ivr'}\n")
	s, err := newServer(cfg, newLogger(cfg.Log, &testlog.Buffer{}))
	if err != nil {
		t.Fatal(err)
	}
	if s.proxy.Recordings == nil {
		t.Fatal("the proxy has no recordings delivery")
	}
	recLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.recLn = recLn
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served, err := s.serve(ln)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		s.stopRecordings()
		s.ops.stop()
		s.esl.Close()
		<-served
	}()
	resp, err := http.Get("http://" + recLn.Addr().String() + "/recordings/" + strings.Repeat("a", 32) + "/" + strings.Repeat("b", 64) + "/x.wav")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("GET an unknown recording = %d, want 404", resp.StatusCode)
	}
	if err := s.deps.guard.Check("tcp", recLn.Addr().String()); !errors.Is(err, apphttp.ErrGuardedAddress) {
		t.Errorf("guard.Check(recordings listener) = %v, want refused", err)
	}
}
