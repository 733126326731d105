package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/callhook/callhook/esl/esltest"
	"github.com/callhook/callhook/outbound"
)

// TestOriginateCommand runs `callhook originate` against a daemon whose
// box is the simulator: the call is placed through POST /calls, rings,
// answers, connects back and runs its flow, and the status_url hears
// every step.
func TestOriginateCommand(t *testing.T) {
	fs, err := esltest.NewInboundServer("ClueCon")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fs.Close() })
	fs.SetOriginate(esltest.OriginateOptions{Call: esltest.Options{Speed: 1000}})

	status := make(chan outbound.StatusEvent, 16)
	st := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var ev outbound.StatusEvent
		body, _ := io.ReadAll(r.Body)
		if err := json.Unmarshal(body, &ev); err != nil {
			t.Errorf("status body %q: %v", body, err)
		}
		w.WriteHeader(http.StatusNoContent)
		status <- ev
	}))
	t.Cleanup(st.Close)

	ports := opsFreePorts(t, 2)
	dir := t.TempDir()
	flow := "start: main\nstates:\n  main:\n    verbs: [answer, hangup]\n"
	if err := os.WriteFile(filepath.Join(dir, "bye.yaml"), []byte(flow), 0o600); err != nil {
		t.Fatal(err)
	}
	text := fmt.Sprintf("listen: %s\nadmin: %s\nadmin_token: tok\nlog: {level: debug}\n"+
		"apps:\n  bye:\n    flow: bye.yaml\n    allow_to: ['^user/1\\d{3}$']\n"+
		"boxes:\n  - {name: fs1, addr: %s, password: ClueCon, connect_back: %s}\n", ports[0], ports[1], fs.Addr(), ports[0])
	s, path, _ := startPlacingDaemon(t, dir, text)
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()

	var out, errb bytes.Buffer
	code := run([]string{"originate", "-config", path, "-to", "user/1000", "-app", "bye", "-status-url", st.URL}, nil, &out, &errb)
	if code != 0 || !strings.Contains(out.String(), "on box fs1") {
		t.Fatalf("originate = %d, stdout %q, stderr %q", code, out.String(), errb.String())
	}
	var got []string
	for len(got) < 4 {
		select {
		case ev := <-status:
			got = append(got, ev.Event)
			if ev.Event == outbound.EventCompleted && (ev.Status != outbound.StatusCompleted || ev.Cause != "NORMAL_CLEARING") {
				t.Errorf("call.completed = %+v", ev)
			}
		case <-ctx.Done():
			t.Fatalf("status events so far: %v", got)
		}
	}
	if want := "call.initiated call.ringing call.answered call.completed"; strings.Join(got, " ") != want {
		t.Errorf("status events = %v, want %s", got, want)
	}

	// Not allowed by the app's allow_to: refused, nothing placed.
	n := fs.Originated()
	out.Reset()
	errb.Reset()
	if code := run([]string{"originate", "-config", path, "-to", "user/2000", "-app", "bye"}, nil, &out, &errb); code != 1 || !strings.Contains(errb.String(), "403") {
		t.Errorf("originate to user/2000 = %d, stderr %q, want 1 and a 403", code, errb.String())
	}
	if fs.Originated() != n {
		t.Error("a refused request reached the box")
	}
	// GET /boxes shows the box up; /readyz does not depend on it.
	req, _ := http.NewRequest("GET", "http://"+s.ops.addr()+"/boxes", nil)
	req.Header.Set("Authorization", "Bearer tok")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), `"state": "up"`) {
		t.Errorf("GET /boxes = %s", body)
	}
}

// TestSimulateOriginate places calls with simulate -originate against the
// root config.yaml's demo app: answered (the flow runs and the call ends
// completed), busy, refused by allow_to.
func TestSimulateOriginate(t *testing.T) {
	code, out, errOut := simulate(t, "-config", "../../config.yaml", "-originate", "-to", "1000", "-app", "demo", "-digits", "-")
	for _, want := range []string{"placed call: call.initiated", "placed call: call.ringing", "placed call: call.answered",
		"play ivr/ivr-welcome.wav", "placed call: call.completed, completed (NORMAL_CLEARING)"} {
		if !strings.Contains(out, want) {
			t.Errorf("answered: output lacks %q:\n%s\n%s", want, out, errOut)
		}
	}
	if code != 0 {
		t.Errorf("answered: exit %d", code)
	}
	code, out, _ = simulate(t, "-config", "../../config.yaml", "-originate", "-to", "1000", "-app", "demo", "-outcome", "busy")
	if code != 0 || !strings.Contains(out, "placed call: call.completed, busy (USER_BUSY)") || strings.Contains(out, "call.answered") {
		t.Errorf("busy: exit %d:\n%s", code, out)
	}
	code, out, _ = simulate(t, "-config", "../../config.yaml", "-originate", "-to", "2000", "-app", "demo")
	if code != 1 || !strings.Contains(out, "allow_to") {
		t.Errorf("not allowed: exit %d:\n%s", code, out)
	}
	if code, _, errOut := simulate(t, "-originate", "-to", "1000"); code != 2 || !strings.Contains(errOut, "-app") {
		t.Errorf("without -app: exit %d, %s", code, errOut)
	}
	// -outcome means nothing to a call taken in: a bad flag, not a call
	// that quietly answers.
	if code, _, errOut := simulate(t, "-config", "../../config.yaml", "-app", "demo", "-outcome", "busy", "-digits", "-"); code != 2 || !strings.Contains(errOut, "-originate") {
		t.Errorf("-outcome without -originate: exit %d, %s", code, errOut)
	}
}
