package main

// realtrace_test.go replays the wire traces of real FreeSWITCH 1.10.12 calls
// (esl/testdata/real-traces, README there) against the real engine: the config's
// runtime behind an esl.Server, as serve and simulate run it. FreeSWITCH's
// side is the trace itself (esltest.ReplayTrace): callhook must send the
// trace's commands, in order, to the frames the switch sent.

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/callhook/callhook/esl"
	"github.com/callhook/callhook/esl/esltest"
	"github.com/callhook/callhook/internal/calltest"
	"github.com/callhook/callhook/internal/config"
	"github.com/callhook/callhook/internal/testlog"
	"github.com/callhook/callhook/proxy"
)

// realTracesDir holds the traces (README there).
const realTracesDir = "../../esl/testdata/real-traces"

// realTraces lists every trace in realTracesDir.
var realTraces = []string{
	"admin_hangup_uuid_kill",
	"admin_redirect_uuid_break",
	"bridge_busy_continue_on_fail",
	"bridge_noanswer_and_error_user_busy",
	"bridge_ok_caller_hangup",
	"bridge_ok_far_hangup",
	"caller_hangup_mid_playback",
	"conference",
	"demo_full",
	"demo_hangup",
	"demo_invalid",
	"liverpie_2",
	"menu",
	"misc_say_speak_dtmf_pause_set_unset_log_execute",
	"say",
	"speak",
	"transfer",
	"unset_vars_stale",
}

// traceScripts are the web apps of the traced calls: for each app (the
// channel variable callhook_app of its trace), the reply to each path. The
// verbs are the ones the trace's commands show; actions send results where
// a real app would look at them.
var traceScripts = map[string]map[string]string{
	"menu": {
		"/menu": `[answer, {play: ivr/ivr-welcome.wav},
			{gather: {play: ivr/ivr-please_choose_from_the_following.wav, max: 1, timeout: 5s, action: /menu/choice}}]`,
		"/menu/choice": `[{play: ivr/ivr-thank_you.wav}, hangup]`,
	},
	"longplay": {
		"/longplay": `[answer, {play: "tone_stream://%(10000,0,440)"}]`,
	},
	"transfer": {
		"/transfer": `[answer, {play: ivr/ivr-one_moment_please.wav}, {transfer: "7100"}]`,
	},
	"conf": {
		"/conf": `[answer, {conference: test1}]`,
	},
	"say": {
		"/say": `[answer, {say: "42"}, hangup]`,
	},
	"speak": {
		"/speak": `[answer, {speak: {text: Hello there, engine: flite, voice: kal}}, hangup]`,
	},
	"redir": {
		"/redir":      `[answer, {play: "tone_stream://%(10000,0,440)"}]`,
		"/redir/next": `[{play: ivr/ivr-thank_you.wav}, hangup]`,
	},
	"adminhang": {
		"/adminhang": `[answer, {play: "tone_stream://%(10000,0,440)"}]`,
	},
	"bridge_busy": {
		"/bridge_busy":   `[answer, {bridge: {to: loopback/7400/default, action: /bridge_busy/1}}]`,
		"/bridge_busy/1": `[{play: ivr/ivr-thank_you.wav}, {bridge: {to: loopback/7400/default, action: /bridge_busy/2}}]`,
		"/bridge_busy/2": `[{play: ivr/ivr-thank_you.wav}, hangup]`,
	},
	"bridge_none": {
		"/bridge_none":   `[answer, {bridge: {to: loopback/7999/default, timeout: 5s, action: /bridge_none/1}}]`,
		"/bridge_none/1": `[{bridge: {to: error/user_busy, action: /bridge_none/2}}]`,
		"/bridge_none/2": `[{play: ivr/ivr-thank_you.wav}, hangup]`,
	},
	"bridge_ok": {
		"/bridge_ok":   `[answer, {bridge: {to: loopback/7300/default, timeout: 10s, action: /bridge_ok/1}}]`,
		"/bridge_ok/1": `[{play: ivr/ivr-thank_you.wav}, hangup]`,
	},
	"misc": {
		"/misc": `[answer, {say: "42"}, {speak: {text: Hello there, engine: flite, voice: kal}},
			{send_dtmf: "123"}, {pause: 1s}, {set: {fid_a: hello, fid_b: world}}, {unset: fid_b},
			{log: callhook log line}, {execute: {app: info, action: /misc/1}}]`,
		"/misc/1": `[{pause: 500ms}, {play: ivr/ivr-thank_you.wav}, hangup]`,
	},
	"unsetvar": {
		"/unsetvar":   `[answer, {unset: fid_pre}, {set: {fid_a: one}}, {set: {fid_a: two}}, {execute: {app: info, action: /unsetvar/1}}]`,
		"/unsetvar/1": `[{unset: fid_a}, {execute: {app: info, action: /unsetvar/2}}]`,
		"/unsetvar/2": `[hangup]`,
	},
}

// liverpieScript is the Liverpie example app's (examples/liverpie-app) part
// of a call where the caller presses 2: each state-machine request gets the
// next msg, each fired by the completion of the one before. (The example
// app itself replays the same trace in examples/liverpie-app/trace_test.go.)
var liverpieScript = []string{
	execMsg("answer", ""),
	execMsg("playback", "ivr/ivr-welcome_to_freeswitch.wav"),
	execMsg("playback", "ivr/ivr-please_choose_from_the_following.wav"),
	execMsg("playback", "digits/2.wav"),
	execMsg("playback", "ivr/ivr-thank_you_for_calling.wav"),
	"---\nmsg: |\n  sendmsg\n  call-command: hangup\n  hangup-cause: NORMAL_CLEARING\nexpected_key: event_name\nexpected_value: CHANNEL_HANGUP\n",
}

func execMsg(app, arg string) string {
	msg := "---\nmsg: |\n  sendmsg\n  call-command: execute\n  execute-app-name: " + app + "\n"
	if arg != "" {
		msg += "  execute-app-arg: " + arg + "\n"
	}
	return msg + "  event-lock: true\nexpected_key: event_name\nexpected_value: CHANNEL_EXECUTE_COMPLETE\n"
}

// appRequest is one request a test app received: its path and JSON body.
type appRequest struct {
	Path string
	Body map[string]any
}

// traceApps is the web side of the traced calls: the scripted webhook apps
// and the Liverpie app, one HTTP server, recording what each app received.
type traceApps struct {
	*httptest.Server
	mu        sync.Mutex
	reqs      map[string][]appRequest // by app name
	liverpieN int
}

func newTraceApps(t *testing.T) *traceApps {
	t.Helper()
	a := &traceApps{reqs: map[string][]appRequest{}}
	a.Server = httptest.NewServer(http.HandlerFunc(a.serve))
	t.Cleanup(a.Close)
	return a
}

func (a *traceApps) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	if strings.HasPrefix(r.URL.Path, "/lp/") {
		a.serveLiverpie(w, r)
		return
	}
	var m map[string]any
	_ = json.Unmarshal(body, &m)
	name, _, _ := strings.Cut(strings.TrimPrefix(strings.TrimPrefix(r.URL.Path, "/status"), "/"), "/")
	a.mu.Lock()
	a.reqs[name] = append(a.reqs[name], appRequest{Path: r.URL.Path, Body: m})
	a.mu.Unlock()
	if strings.HasPrefix(r.URL.Path, "/status/") {
		return
	}
	reply, ok := traceScripts[name][r.URL.Path]
	if !ok {
		http.Error(w, "no script for "+r.URL.Path, http.StatusNotFound)
		return
	}
	w.Header().Set("Content-Type", "application/yaml")
	io.WriteString(w, reply)
}

func (a *traceApps) serveLiverpie(w http.ResponseWriter, r *http.Request) {
	a.mu.Lock()
	defer a.mu.Unlock()
	switch r.URL.Path {
	case "/lp/reset":
		a.liverpieN = 0
		io.WriteString(w, "OK\n")
	case "/lp/state_machine":
		if a.liverpieN < len(liverpieScript) {
			io.WriteString(w, liverpieScript[a.liverpieN])
			a.liverpieN++
		}
	}
}

// reset forgets the requests received so far.
func (a *traceApps) reset() {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.reqs = map[string][]appRequest{}
	a.liverpieN = 0
}

// requests returns what app received, in order.
func (a *traceApps) requests(app string) []appRequest {
	a.mu.Lock()
	defer a.mu.Unlock()
	return slices.Clone(a.reqs[app])
}

// config writes the config of the traced calls: every scripted app, the
// demo flow and the Liverpie app.
func (a *traceApps) config(t *testing.T) string {
	t.Helper()
	demo, err := filepath.Abs("../../examples/flows/demo.yaml")
	if err != nil {
		t.Fatal(err)
	}
	port := a.Listener.Addr().(*net.TCPAddr).Port
	var b strings.Builder
	fmt.Fprintf(&b, "default_app: demo\napps:\n  demo:\n    flow: %s\n    recordings_dir: %s\n", demo, demoRecordings)
	fmt.Fprintf(&b, "  liverpie_app:\n    liverpie: {ip: 127.0.0.1, port: %d, state_machine_uri: /lp/state_machine, reset_uri: /lp/reset, dtmf_uri: /lp/dtmf}\n", port)
	names := make([]string, 0, len(traceScripts))
	for name := range traceScripts {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		fmt.Fprintf(&b, "  %s:\n    url: %s/%s\n    status_url: %s/status/%s\n    timeout: 10s\n", name, a.URL, name, a.URL, name)
		switch name {
		case "misc":
			b.WriteString("    vars: [fid_a, fid_b]\n    allow_execute: [info]\n")
		case "unsetvar":
			b.WriteString("    vars: [fid_a, fid_pre]\n    allow_execute: [info]\n")
		}
	}
	return writeConfig(t, b.String())
}

// startEngine runs callhook's engine (calltest) on the apps of the config
// at configPath, as serve builds them.
func startEngine(t *testing.T, configPath string, obs proxy.Observer) *calltest.Engine {
	t.Helper()
	cfg, err := config.Load(configPath, os.LookupEnv)
	if err != nil {
		t.Fatalf("config.Load: %v", err)
	}
	d := newDeps()
	t.Cleanup(d.client.CloseIdleConnections)
	rt, err := buildRuntime(cfg, d)
	if err != nil {
		t.Fatalf("buildRuntime: %v", err)
	}
	return calltest.Start(t, rt, calltest.Options{Observer: obs, Linger: cfg.Linger, EndTimeout: 10 * time.Second,
		RedirectBackend: redirectBackend(cfg, d)})
}

// demoRecordings is the demo app's recordings folder in these tests. The
// traced demo calls recorded into /tmp (callhook at 4f5080a took the
// flow's path as the folder), so with this folder callhook's record
// command is the trace's.
const demoRecordings = "/tmp"

// isRecord matches the execute of record.
func isRecord(c esl.Command) bool { return c.Headers.Get("execute-app-name") == "record" }

// loadRealTrace loads a trace. After myevents, in a webhook or flow call,
// it inserts the nixevent callhook now sends and drops the nixed events
// (esltest's WithNixEvent). Before each record it inserts the
// "mkdir <folder>" callhook now sends first (an app's recordings folder,
// verb/record.go), which the captures predate: the command and the
// frames of an app that completes at once, synthesised by
// esltest's WithInstantApp (README of the traces).
func loadRealTrace(t *testing.T, name string) *esltest.Trace {
	t.Helper()
	tr, err := esltest.LoadTrace(filepath.Join(realTracesDir, name+".txt"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(name, "liverpie") {
		// Webhook and flow calls nix the event types they never read
		// (proxy/session_events.go), which the captures predate.
		if tr, err = tr.WithNixEvent(proxy.IgnoredEvents()...); err != nil {
			t.Fatal(err)
		}
	}
	cmds, err := tr.Commands()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(cmds, isRecord) {
		return tr
	}
	for _, c := range cmds {
		if isRecord(c) && !strings.HasPrefix(c.Headers.Get("execute-app-arg"), demoRecordings+"/") {
			t.Fatalf("%s records outside %s: %q", name, demoRecordings, c.Headers.Get("execute-app-arg"))
		}
	}
	tr, err = tr.WithInstantApp(isRecord, "mkdir", demoRecordings)
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

// replayRealTrace replays a trace against e, triggering the admin actions
// its api commands show, and waits for the engine to finish the call.
func replayRealTrace(t *testing.T, e *calltest.Engine, apps *traceApps, tr *esltest.Trace) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	admin := make(chan error, 4)
	admins := 0
	err := esltest.ReplayTrace(ctx, e.Addr, tr, esltest.ReplayOptions{
		BeforeCommand: func(want esl.Command) {
			f := strings.Fields(want.Line)
			if len(f) < 3 || f[0] != "api" {
				return
			}
			admins++
			switch f[1] {
			case "uuid_kill": // admin hangup: DELETE /calls/{id}?cause=
				cause := ""
				if len(f) > 3 {
					cause = f[3]
				}
				go func() { admin <- e.Proxy.Hangup(ctx, f[2], cause) }()
			case "uuid_break": // admin redirect: POST /calls/{id}/redirect
				go func() { admin <- e.Proxy.Redirect(ctx, f[2], apps.URL+"/redir/next") }()
			default:
				admin <- fmt.Errorf("no admin action sends %q", want.Line)
			}
		},
	})
	if err != nil {
		t.Errorf("replaying %s: %v\nthe call's engine log:\n%s", tr.Name, err, callLog(e.Log.String(), tr))
	}
	for range admins {
		if err := <-admin; err != nil {
			t.Errorf("admin action: %v", err)
		}
	}
	wctx, wcancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer wcancel()
	if err := e.Proxy.WaitIdle(wctx); err != nil {
		t.Fatalf("the engine did not finish the call: %v", err)
	}
}

// callLog returns the engine's log lines of the trace's call, frames
// shortened.
func callLog(logs string, tr *esltest.Trace) string {
	first, err := tr.FirstEvent()
	if err != nil {
		return err.Error()
	}
	var out []string
	for _, l := range strings.Split(logs, "\n") {
		if !strings.Contains(l, first.UniqueID()) {
			continue
		}
		if i := strings.Index(l, `wire="`); i >= 0 && len(l) > i+200 {
			l = l[:i+200] + "…"
		}
		out = append(out, l)
	}
	return strings.Join(out, "\n")
}

// TestRealTracesReplay replays every real trace against callhook: its
// commands must be the trace's, in order, to the very exit.
func TestRealTracesReplay(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(realTracesDir, "*.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != len(realTraces) {
		t.Errorf("%s has %d traces, realTraces lists %d", realTracesDir, len(files), len(realTraces))
	}
	apps := newTraceApps(t)
	e := startEngine(t, apps.config(t), nil)
	for _, name := range realTraces {
		t.Run(name, func(t *testing.T) {
			tr := loadRealTrace(t, name)
			cmds, err := tr.Commands()
			if err != nil {
				t.Fatal(err)
			}
			if len(cmds) < 4 {
				t.Fatalf("%s has %d commands; a whole call has more", name, len(cmds))
			}
			replayRealTrace(t, e, apps, tr)
		})
	}
}

// The app-visible request sequence of a call is what its app can see of it,
// minus what no two runs share:
//
//   - a webhook app: the body of every request it receives (call.start,
//     verb.result, redirect, and call.end to its status_url), in order;
//   - a flow: the verbs it runs and each verb's result, in order (a flow
//     makes no requests; it moves on by these results).
//
// Left out or masked, because they identify a run or measure its time:
// call_id (and the call's UUID wherever a value contains it, as in a
// recording path), call.started_at, call.channel (the simulator's channel
// name is not the loopback one), call.from_name (a scenario input: the
// traced calls had none, simulate's caller is named "test"),
// hangup.duration, hangup.billsec and held_ms,
// recording.duration_ms and recording.size, bridge.duration_ms, and the printer's t and
// took_ms. Everything else counts: event, seq, app, call.from, to,
// direction, answered, vars, session, result.verb, reason, digits,
// response, recording.name and recording.path, bridge, outcome,
// last_result. The recording's name and path are the app's: the flow's
// name in the app's recordings folder, which both sides take from the same
// config (requireRecording checks the replay shows them, so the comparison
// of a recording call is not an empty one).
type appVisible []string

// requireRecording fails t unless a call whose trace records reported the
// recording callhook made FreeSWITCH write: the flow's name, in
// demoRecordings.
func requireRecording(t *testing.T, tr *esltest.Trace, real appVisible) {
	t.Helper()
	cmds, err := tr.Commands()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(cmds, isRecord) {
		return
	}
	want := `"recording":{"format":"wav","name":"callhook-<call_id>.wav","path":"` + demoRecordings + `/callhook-<call_id>.wav"}`
	if !slices.ContainsFunc(real, func(l string) bool { return strings.Contains(l, want) }) {
		t.Errorf("the replay of %s reported no recording %s:\n%s", tr.Name, want, strings.Join(real, "\n"))
	}
}

// webhookVisible is the app-visible sequence of a webhook app's requests.
func webhookVisible(reqs []appRequest) appVisible {
	var out appVisible
	for _, r := range reqs {
		b := maps.Clone(r.Body)
		id, _ := b["call_id"].(string)
		delete(b, "call_id")
		delete(b, "held_ms") // a transferred call's call.end
		if c, ok := b["call"].(map[string]any); ok {
			c = maps.Clone(c)
			delete(c, "started_at")
			delete(c, "channel")
			// The traced calls' originate set no caller name; simulate's
			// caller always has one, and no flag to change it.
			delete(c, "from_name")
			b["call"] = c
		}
		if h, ok := b["hangup"].(map[string]any); ok {
			h = maps.Clone(h)
			delete(h, "duration")
			delete(h, "billsec")
			b["hangup"] = h
		}
		for _, k := range []string{"result", "last_result"} {
			if res, ok := b[k].(map[string]any); ok {
				b[k] = maskResult(res)
			}
		}
		out = append(out, r.Path+" "+maskID(canonical(b), id))
	}
	return out
}

func maskResult(res map[string]any) map[string]any {
	res = maps.Clone(res)
	if rec, ok := res["recording"].(map[string]any); ok {
		rec = maps.Clone(rec)
		delete(rec, "duration_ms")
		delete(rec, "size")
		res["recording"] = rec
	}
	if br, ok := res["bridge"].(map[string]any); ok {
		// How long the callee talked is the scenario's (simulate's callee
		// hangs up after -bridge's default second).
		br = maps.Clone(br)
		delete(br, "duration_ms")
		res["bridge"] = br
	}
	return res
}

// flowVisible is the app-visible sequence of a flow: the verb and result
// lines of simulate's JSON output (the engine's observer in a replay).
func flowVisible(t *testing.T, jsonLines string) appVisible {
	t.Helper()
	var out appVisible
	id := ""
	for _, line := range strings.Split(jsonLines, "\n") {
		if line == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("simulate -json line %q: %v", line, err)
		}
		switch m["type"] {
		case "call":
			id, _ = m["call_id"].(string)
		case "verb", "result":
			delete(m, "t_s")
			delete(m, "took_ms")
			// The try a flow's state is on comes from the flow's own
			// account (statemachine.Backend.OnMove), which a replay
			// through the bare engine does not have.
			delete(m, "try")
			delete(m, "of")
			if res, ok := m["result"].(map[string]any); ok {
				m["result"] = maskResult(res)
			}
			out = append(out, maskID(canonical(m), id))
		}
	}
	return out
}

// canonical is v as JSON with sorted keys.
func canonical(v any) string {
	b, err := json.Marshal(v) // maps marshal with sorted keys
	if err != nil {
		return fmt.Sprintf("%v", v)
	}
	return string(b)
}

func maskID(s, id string) string {
	if id == "" {
		return s
	}
	return strings.ReplaceAll(s, id, "<call_id>")
}

// diffVisible shows two app-visible sequences side by side, marking where
// they differ; the labels name them (of equal length, for alignment).
func diffVisible(a, b appVisible, labelA, labelB string) string {
	var out strings.Builder
	for i := range max(len(a), len(b)) {
		x, y := "(none)", "(none)"
		if i < len(a) {
			x = a[i]
		}
		if i < len(b) {
			y = b[i]
		}
		mark := "  "
		if x != y {
			mark = "≠ "
		}
		fmt.Fprintf(&out, "%s%d %s: %s\n%s%d %s: %s\n", mark, i+1, labelA, x, mark, i+1, labelB, y)
	}
	return out.String()
}

// simulateCases are the traces whose app-visible sequence simulate must
// reproduce, with the simulate flags that play the trace's caller.
var simulateCases = []struct {
	trace string
	args  []string // after -config, -app, -to and -json
}{
	{trace: "menu", args: []string{"-digits", "1"}},
	{trace: "demo_full", args: []string{"-digits", "1 2 3 -"}},
	{trace: "demo_invalid", args: []string{"-digits", "9 - -"}},
	{trace: "say"},
	{trace: "speak", args: []string{"-load", "mod_flite"}}, // the traced switch had loaded it
	// The conference lasts until the caller hangs up: any time will do.
	{trace: "conference", args: []string{"-hangup-after", "30s"}},
	{trace: "transfer"},
	{trace: "bridge_ok_far_hangup"},
	{trace: "bridge_busy_continue_on_fail", args: []string{"-bridge", "loopback/7400/default=busy"}},
	{trace: "bridge_noanswer_and_error_user_busy", args: []string{"-bridge", "loopback/7999/default=noanswer"}},
}

// replayedVisible replays tr against the engine on cfg and returns what
// app saw (webhookVisible, or flowVisible for the demo flow), checking that
// a recording the trace made reached it; apps is reset for the next run.
func replayedVisible(t *testing.T, tr *esltest.Trace, apps *traceApps, cfg, app string) appVisible {
	t.Helper()
	var replayed testlog.Buffer
	e := startEngine(t, cfg, newSimPrinter(&replayed, true))
	replayRealTrace(t, e, apps, tr)
	real := webhookVisible(apps.requests(app))
	if app == "demo" {
		real = flowVisible(t, replayed.String())
	}
	requireRecording(t, tr, real)
	apps.reset()
	return real
}

// TestSimulateMatchesRealTraces: for each case, `callhook simulate` (in
// process, against the same config and web apps) must make the app see
// what callhook made it see when the real call's trace is replayed.
func TestSimulateMatchesRealTraces(t *testing.T) {
	for _, c := range simulateCases {
		t.Run(c.trace, func(t *testing.T) {
			tr := loadRealTrace(t, c.trace)
			first, err := tr.FirstEvent()
			if err != nil {
				t.Fatal(err)
			}
			app := first.Var("callhook_app")
			apps := newTraceApps(t)
			cfg := apps.config(t)
			real := replayedVisible(t, tr, apps, cfg, app)

			args := append([]string{"-config", cfg, "-app", app, "-to", first.Get("Caller-Destination-Number"), "-json"}, c.args...)
			code, out, errOut := simulate(t, args...)
			if code != simOK {
				t.Fatalf("simulate %s: exit status %d\nstderr: %s\nstdout: %s", strings.Join(args, " "), code, errOut, out)
			}
			sim := webhookVisible(apps.requests(app))
			if app == "demo" {
				sim = flowVisible(t, out)
			}
			if len(real) == 0 {
				t.Fatalf("the replay made %s see nothing", app)
			}
			if !slices.Equal(sim, real) {
				t.Errorf("what %s sees differs between simulate and the real trace:\n%s", app, diffVisible(sim, real, "simulate", "real    "))
			}
		})
	}
}

// TestSimulatorMatchesRealTracesHangups covers the traced calls whose caller
// hangs up in the middle of a verb: simulate's flags cannot place a hangup
// in a given verb (-hangup-after counts call time, which the simulator's
// speed and the machine's load stretch), so the test drives the engine and
// the simulator as simulate does (the config's runtime behind an
// esl.Server, simulate's printer as observer, esltest at simulate's speed
// for a scripted caller) and hangs up as the trace's verb starts.
func TestSimulatorMatchesRealTracesHangups(t *testing.T) {
	cases := []struct {
		trace  string
		digits []string // pressed at each gather, in turn
		hangAt string   // the caller hangs up as this application starts
	}{
		{trace: "demo_hangup", digits: []string{"1", "2", "3"}, hangAt: "record"},
		{trace: "caller_hangup_mid_playback", hangAt: "playback"},
	}
	for _, c := range cases {
		t.Run(c.trace, func(t *testing.T) {
			tr := loadRealTrace(t, c.trace)
			first, err := tr.FirstEvent()
			if err != nil {
				t.Fatal(err)
			}
			app := first.Var("callhook_app")
			apps := newTraceApps(t)
			cfg := apps.config(t)
			real := replayedVisible(t, tr, apps, cfg, app)

			var simulated testlog.Buffer
			se := startEngine(t, cfg, newSimPrinter(&simulated, true))
			digits := slices.Clone(c.digits)
			ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
			defer cancel()
			call, err := esltest.Dial(ctx, se.Addr, esltest.Options{
				CallerIDNumber:    "1000",
				DestinationNumber: first.Get("Caller-Destination-Number"),
				Vars:              map[string]string{"callhook_app": app},
				Speed:             scriptedSpeed,
				OnApp: func(call *esltest.Call, run esltest.AppRun) {
					switch {
					case run.App == c.hangAt:
						call.Hangup("NORMAL_CLEARING")
					case run.App == appGather && len(digits) > 0:
						call.Digits(digits[0])
						digits = digits[1:]
					}
				},
			})
			if err != nil {
				t.Fatalf("Dial: %v", err)
			}
			defer call.Close()
			if _, err := call.Wait(ctx); err != nil {
				t.Fatalf("simulated call: %v", err)
			}
			if err := se.Proxy.WaitIdle(ctx); err != nil {
				t.Fatalf("the engine did not finish the simulated call: %v", err)
			}
			sim := webhookVisible(apps.requests(app))
			if app == "demo" {
				sim = flowVisible(t, simulated.String())
			}
			if len(real) == 0 {
				t.Fatalf("the replay made %s see nothing", app)
			}
			if !slices.Equal(sim, real) {
				t.Errorf("what %s sees differs between the simulator and the real trace:\n%s", app, diffVisible(sim, real, "simulate", "real    "))
			}
		})
	}
}

// TestRealTracesAppSees states what the web app must see when callhook
// drives the traced calls: the outcomes the real switch gave (bridges, live
// hangup and redirect), and facts the engine gets wrong today:
//
//   - variables: the completion after unset no longer carries the variable,
//     and an event with the channel's full variable set replaces the call's
//     view (switch_channel_event_set_extended_data in
//     src/switch_channel.c), so an unset variable leaves vars, a variable
//     set in the dialplan and unset included;
//   - a transferred call has not hung up: call.end has no hangup object,
//     and held_ms says how long callhook held it (connect to exit).
func TestRealTracesAppSees(t *testing.T) {
	const (
		started  = `"call":{"answered":false,"direction":"inbound","from":"1000","to":"7600"}`
		answered = `"call":{"answered":true,"direction":"inbound","from":"1000","to":"7600"}`
		info     = `"result":{"reason":"ok","response":"","verb":"execute"}`
	)
	end := func(app, cause, last string, seq int) string {
		return fmt.Sprintf(`/status/%s {"app":%q,%s,"event":"call.end","hangup":{"cause":%q},"last_result":%s,"outcome":"hangup","seq":%d}`,
			app, app, answered, cause, last, seq)
	}
	const played = `{"reason":"ok","response":"FILE PLAYED","verb":"play"}`
	cases := []struct {
		trace string
		want  appVisible
	}{
		// The bridge outcomes as the real switch gave them: busy and
		// unanswered targets fail with their status and cause, the call
		// goes on.
		{trace: "bridge_busy_continue_on_fail", want: appVisible{
			`/bridge_busy {"app":"bridge_busy",` + started + `,"event":"call.start","seq":1}`,
			`/bridge_busy/1 {"app":"bridge_busy",` + answered + `,"event":"verb.result","result":{"bridge":{"cause":"USER_BUSY","status":"BUSY"},"reason":"error","response":"","verb":"bridge"},"seq":2}`,
			`/bridge_busy/2 {"app":"bridge_busy",` + answered + `,"event":"verb.result","result":{"bridge":{"cause":"USER_BUSY","status":"BUSY"},"reason":"error","response":"","verb":"bridge"},"seq":3}`,
			end("bridge_busy", "NORMAL_CLEARING", played, 4),
		}},
		{trace: "bridge_noanswer_and_error_user_busy", want: appVisible{
			`/bridge_none {"app":"bridge_none",` + started + `,"event":"call.start","seq":1}`,
			`/bridge_none/1 {"app":"bridge_none",` + answered + `,"event":"verb.result","result":{"bridge":{"cause":"NO_ANSWER","status":"NOANSWER"},"reason":"error","response":"","verb":"bridge"},"seq":2}`,
			`/bridge_none/2 {"app":"bridge_none",` + answered + `,"event":"verb.result","result":{"bridge":{"cause":"USER_BUSY","status":"BUSY"},"reason":"error","response":"","verb":"bridge"},"seq":3}`,
			end("bridge_none", "NORMAL_CLEARING", played, 4),
		}},
		// An answered bridge the caller ends: no action request, the
		// bridge's outcome reaches call.end.
		{trace: "bridge_ok_caller_hangup", want: appVisible{
			`/bridge_ok {"app":"bridge_ok",` + started + `,"event":"call.start","seq":1}`,
			// answered_by as the real switch's bridge_channel gives it.
			end("bridge_ok", "NORMAL_CLEARING", `{"bridge":{"answered_by":"loopback/7300-a","cause":"NORMAL_CLEARING","status":"SUCCESS"},"reason":"hangup","response":"","verb":"bridge"}`, 2),
		}},
		// A live hangup: the interrupted playback completes with PLAYBACK
		// ERROR after CHANNEL_HANGUP, and says hangup; the cause is the
		// admin's.
		{trace: "admin_hangup_uuid_kill", want: appVisible{
			`/adminhang {"app":"adminhang",` + started + `,"event":"call.start","seq":1}`,
			end("adminhang", "CALL_REJECTED", `{"reason":"hangup","response":"PLAYBACK ERROR","verb":"play"}`, 2),
		}},
		// A live redirect: the broken tone is not reported; the app is
		// asked for the new document.
		{trace: "admin_redirect_uuid_break", want: appVisible{
			`/redir {"app":"redir",` + started + `,"event":"call.start","seq":1}`,
			`/redir/next {"app":"redir",` + answered + `,"event":"redirect","seq":2}`,
			end("redir", "NORMAL_CLEARING", played, 3),
		}},
		{trace: "unset_vars_stale", want: appVisible{
			`/unsetvar {"app":"unsetvar",` + started + `,"event":"call.start","seq":1,"vars":{"fid_pre":"fromdialplan"}}`,
			`/unsetvar/1 {"app":"unsetvar",` + answered + `,"event":"verb.result",` + info + `,"seq":2,"vars":{"fid_a":"two"}}`,
			`/unsetvar/2 {"app":"unsetvar",` + answered + `,"event":"verb.result",` + info + `,"seq":3}`,
			`/status/unsetvar {"app":"unsetvar",` + answered + `,"event":"call.end","hangup":{"cause":"NORMAL_CLEARING"},"last_result":` +
				`{"reason":"ok","response":"","verb":"execute"},"outcome":"hangup","seq":4}`,
		}},
		{trace: "misc_say_speak_dtmf_pause_set_unset_log_execute", want: appVisible{
			`/misc {"app":"misc",` + started + `,"event":"call.start","seq":1}`,
			`/misc/1 {"app":"misc",` + answered + `,"event":"verb.result",` + info + `,"seq":2,"vars":{"fid_a":"hello"}}`,
			`/status/misc {"app":"misc",` + answered + `,"event":"call.end","hangup":{"cause":"NORMAL_CLEARING"},"last_result":` +
				`{"reason":"ok","response":"FILE PLAYED","verb":"play"},"outcome":"hangup","seq":3,"vars":{"fid_a":"hello"}}`,
		}},
		{trace: "transfer", want: appVisible{
			`/transfer {"app":"transfer",` + started + `,"event":"call.start","seq":1}`,
			`/status/transfer {"app":"transfer",` + answered + `,"event":"call.end","last_result":` +
				`{"reason":"ok","response":"","verb":"transfer"},"outcome":"transferred","seq":2}`,
		}},
	}
	for _, c := range cases {
		t.Run(c.trace, func(t *testing.T) {
			tr := loadRealTrace(t, c.trace)
			first, err := tr.FirstEvent()
			if err != nil {
				t.Fatal(err)
			}
			app := first.Var("callhook_app")
			apps := newTraceApps(t)
			e := startEngine(t, apps.config(t), nil)
			replayRealTrace(t, e, apps, tr)
			reqs := apps.requests(app)
			if got := webhookVisible(reqs); !slices.Equal(got, c.want) {
				t.Errorf("what %s sees differs from the real call's facts:\n%s", app, diffVisible(got, c.want, "got ", "want"))
			}
			if c.trace == "transfer" && len(reqs) > 0 {
				end := reqs[len(reqs)-1].Body
				if held, ok := end["held_ms"].(float64); !ok || held <= 0 {
					t.Errorf("call.end of the transferred call: held_ms = %v, want the time callhook held the call", end["held_ms"])
				}
			}
		})
	}
}

// TestLiveRedirectWhileAppQueued: a live redirect that comes after the
// verb's execute was accepted but before its application started (the
// admin_redirect_uuid_break call, with the redirect moved to just after the
// playback's +OK). A break that reaches FreeSWITCH while the app is still
// queued is lost, so it must be sent once the app's CHANNEL_EXECUTE has
// come, and only then: exactly the trace's one uuid_break. Sending it at
// once as well (callhook before this test) made two.
func TestLiveRedirectWhileAppQueued(t *testing.T) {
	tr := loadRealTrace(t, "admin_redirect_uuid_break")
	queued := -1 // the +OK of the tone's playback
	for i, e := range tr.Entries {
		if e.Dir == "C>" && strings.Contains(string(e.Raw), "tone_stream://") {
			queued = i + 1
			break
		}
	}
	if queued < 0 || tr.Entries[queued].Dir != "F>" || !strings.Contains(string(tr.Entries[queued].Raw), "Reply-Text: +OK") {
		t.Fatalf("no +OK after the tone's playback in %s", tr.Name)
	}
	first, err := tr.FirstEvent()
	if err != nil {
		t.Fatal(err)
	}
	apps := newTraceApps(t)
	e := startEngine(t, apps.config(t), nil)
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	err = esltest.ReplayTrace(ctx, e.Addr, tr, esltest.ReplayOptions{
		AfterFrame: func(i int) {
			if i != queued {
				return
			}
			// In line, so the redirect is in before the CHANNEL_EXECUTE is
			// written: Redirect only records it and wakes the session. (It
			// must not wait for FreeSWITCH: nothing answers here until it
			// returns, so the bound only ends the wait of a Redirect that
			// does.)
			rctx, rcancel := context.WithTimeout(ctx, 10*time.Second)
			defer rcancel()
			if err := e.Proxy.Redirect(rctx, first.UniqueID(), apps.URL+"/redir/next"); err != nil {
				t.Errorf("Redirect: %v", err)
			}
		},
	})
	if err != nil {
		t.Errorf("replay with the redirect while the playback is queued: %v\nthe call's engine log:\n%s", err, callLog(e.Log.String(), tr))
	}
	if err := e.Proxy.WaitIdle(ctx); err != nil {
		t.Fatalf("the engine did not finish the call: %v", err)
	}
	if got := apps.requests("redir"); len(got) < 2 || got[1].Body["event"] != "redirect" {
		t.Errorf("the app's requests = %v, want call.start then the redirect", got)
	}
}
