package statemachine_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/callhook/callhook/esl/esltest"
	"github.com/callhook/callhook/internal/calltest"
	"github.com/callhook/callhook/proxy"
	"github.com/callhook/callhook/statemachine"
	"github.com/callhook/callhook/webhook"
)

// These tests run whole calls: the real session engine (proxy.Proxy on an
// esl.Server) driving the FreeSWITCH simulator (esltest), with a flow app.

// serve runs the engine (calltest) with the given apps (the first is the
// default) and returns its address.
func serve(t *testing.T, apps ...*proxy.App) string {
	t.Helper()
	return calltest.Start(t, calltest.Apps(apps...), calltest.Options{Linger: 5 * time.Second}).Addr
}

func flowApp(t *testing.T, name, path string) *proxy.App {
	t.Helper()
	f, err := statemachine.ParseFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return &proxy.App{Name: name, Backend: &statemachine.Backend{Flow: f}}
}

// call dials addr and waits for the call to end; media runs 1000x faster.
func call(t *testing.T, addr string, o esltest.Options) (*esltest.Call, *esltest.Result) {
	t.Helper()
	o.Speed = 1000
	c := calltest.Dial(t, addr, o, 1000)
	return c, calltest.Wait(t, c)
}

// ran lists the applications the simulator ran, "app arg" each, cut to n
// characters so that per-call variable names do not matter.
func ran(c *esltest.Call) string {
	var out []string
	for _, r := range c.Apps() {
		if r.App == "socket" || r.App == "set" {
			continue
		}
		s := strings.TrimSpace(r.App + " " + r.Arg)
		if r.App == "play_and_get_digits" {
			s = r.App
		}
		out = append(out, s)
	}
	return strings.Join(out, "\n")
}

func TestDemoFlowCalls(t *testing.T) {
	app := flowApp(t, "demo", "../examples/flows/demo.yaml")
	const (
		welcome = "answer\nplayback ivr/ivr-welcome.wav\n"
		menu    = "play_and_get_digits\n"
		goodbye = "playback voicemail/vm-goodbye.wav"
	)
	tests := []struct {
		name    string
		presses []string // digits for each gather in turn; "" times out
		want    string
	}{
		{"3 leaves a message", []string{"3"}, welcome + menu +
			"playback voicemail/vm-record_message.wav\n" +
			"playback tone_stream://%(500,0,800)\n" + // record's beep
			"mkdir /var/lib/freeswitch/recordings\n" +
			"record /var/lib/freeswitch/recordings/callhook-UUID.wav 60 200 3\n" +
			"playback ivr/ivr-thank_you_for_calling.wav\n" + goodbye},
		{"2 then silence", []string{"2", "", "", ""}, welcome + menu +
			"log INFO caller 1000 pressed 2: support\nplayback ivr/ivr-please_hold.wav\nplayback silence_stream://1000\n" +
			menu + menu + menu + goodbye},
		{"invalid three times", []string{"9", "8", "7"}, welcome +
			menu + "playback ivr/ivr-that_was_an_invalid_entry.wav\n" +
			menu + "playback ivr/ivr-that_was_an_invalid_entry.wav\n" +
			menu + goodbye},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			// A proxy per call: every call has the Unique-ID UUID, and the
			// proxy refuses a second call with the ID of a live one (the
			// simulator can see a call end before its session has).
			addr := serve(t, app)
			presses := tc.presses
			c, res := call(t, addr, esltest.Options{
				UUID: "UUID",
				OnApp: func(c *esltest.Call, run esltest.AppRun) {
					if run.App != "play_and_get_digits" || len(presses) == 0 {
						return
					}
					if presses[0] != "" {
						c.Digits(presses[0])
					}
					presses = presses[1:]
				},
			})
			if res.Outcome != esltest.HungUp || res.By != esltest.ByDaemon || res.Cause != "NORMAL_CLEARING" {
				t.Errorf("call ended %v, want hung up NORMAL_CLEARING by the daemon", res)
			}
			if got := ran(c); got != tc.want {
				t.Errorf("apps run:\n%s\nwant:\n%s", got, tc.want)
			}
		})
	}
}

func TestHandoffFlowCall(t *testing.T) {
	web := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "[{play: support/hello.wav}, hangup]")
	}))
	t.Cleanup(web.Close)
	support := &webhook.App{Name: "support", URL: web.URL + "/ivr", Timeout: 5 * time.Second}
	addr := serve(t, flowApp(t, "handoff", "../examples/flows/handoff.yaml"), &proxy.App{Name: "support", Backend: support})
	c, res := call(t, addr, esltest.Options{})
	if res.Outcome != esltest.HungUp || res.By != esltest.ByDaemon {
		t.Errorf("call ended %v, want hung up by the daemon", res)
	}
	want := "answer\nplayback ivr/ivr-welcome.wav\nplayback ivr/ivr-one_moment_please.wav\nplayback support/hello.wav"
	if got := ran(c); got != want {
		t.Errorf("apps run:\n%s\nwant:\n%s", got, want)
	}
}

func TestFlowCallerHangsUp(t *testing.T) {
	got := make(chan map[string]any, 1)
	web := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body map[string]any
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			t.Errorf("hangup report body: %v", err)
		}
		got <- body
		io.WriteString(w, "{}")
	}))
	t.Cleanup(web.Close)
	f, err := statemachine.Parse("hangup.yaml", []byte(`
start: greet
states:
  greet:
    verbs: [answer, play: "tone_stream://%(10000,0,440)"]
    on: {ok: bye, hangup: report}
  report:
    fetch: {url: "`+web.URL+`/hangup", method: POST}
    next: done
  done: {hangup: true}
  bye: {hangup: true}
`))
	if err != nil {
		t.Fatal(err)
	}
	addr := serve(t, &proxy.App{Name: "flow", Backend: &statemachine.Backend{Flow: f, HTTPClient: web.Client()}})
	_, res := call(t, addr, esltest.Options{
		OnApp: func(c *esltest.Call, run esltest.AppRun) {
			if run.App == "playback" {
				c.Hangup("NORMAL_CLEARING")
			}
		},
	})
	if res.Outcome != esltest.HungUp || res.By != esltest.ByCaller {
		t.Errorf("call ended %v, want hung up by the caller", res)
	}
	select {
	case body := <-got:
		h, _ := body["hangup"].(map[string]any)
		if body["event"] != "hangup" || body["state"] != "report" || h["cause"] != "NORMAL_CLEARING" {
			t.Errorf("hangup report = %v, want event hangup from report with the cause", body)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("no hangup report")
	}
}

// TestFlowVarsForgetUnsetVariables: a flow's when: conditions and
// templates read the session's variable view, so a variable unset on the
// channel (here one the dialplan set before socket) is gone for them too.
func TestFlowVarsForgetUnsetVariables(t *testing.T) {
	f, err := statemachine.Parse("unset.yaml", []byte(strings.Join([]string{
		"start: first",
		"states:",
		"  first:",
		"    verbs: [answer, {unset: fid_a}]",
		"    next: check",
		"  check:",
		"    when:",
		"      - {var: vars.fid_a, equals: hello, goto: stale}",
		"    else: gone",
		"  stale:",
		"    verbs: [{log: 'stale a={{vars.fid_a}}'}]",
		"    hangup: true",
		"  gone:",
		"    verbs: [{log: 'gone a={{vars.fid_a}}'}]",
		"    hangup: true",
	}, "\n")+"\n"))
	if err != nil {
		t.Fatal(err)
	}
	addr := serve(t, &proxy.App{Name: "f", Backend: &statemachine.Backend{Flow: f}})
	c, _ := call(t, addr, esltest.Options{Vars: map[string]string{"fid_a": "hello"}})
	var logs []string
	for _, r := range c.Apps() {
		if r.App == "log" {
			logs = append(logs, r.Arg)
		}
	}
	if len(logs) != 1 || !strings.HasSuffix(logs[0], "gone a=") {
		t.Errorf("log apps = %q, want one ending \"gone a=\" (fid_a was unset)", logs)
	}
}
