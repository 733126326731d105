package proxy_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/callhook/callhook/esl/esltest"
	"github.com/callhook/callhook/internal/calltest"
	"github.com/callhook/callhook/internal/leakcheck"
	"github.com/callhook/callhook/proxy"
	"github.com/callhook/callhook/verb"
	"github.com/callhook/callhook/webhook"
)

// startProxy serves rt on a loopback port (calltest), telling obs about
// every call.
func startProxy(t testing.TB, rt *proxy.Runtime, obs ...proxy.Observer) *calltest.Engine {
	return calltest.Start(t, rt, calltest.Options{Observer: proxy.Observers(obs)})
}

// request is what a test web app received.
type request struct {
	Path    string
	Header  http.Header
	Body    map[string]any
	RawBody string
}

// webapp is a test web app: reply decides the answer to each request.
type webapp struct {
	*httptest.Server
	mu   sync.Mutex
	reqs []request
	got  chan request
}

func newWebapp(t testing.TB, reply func(r request) (int, string)) *webapp {
	t.Helper()
	w := &webapp{got: make(chan request, 100)}
	w.Server = httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		req := request{Path: r.URL.Path, Header: r.Header.Clone(), RawBody: string(body)}
		_ = json.Unmarshal(body, &req.Body)
		w.mu.Lock()
		w.reqs = append(w.reqs, req)
		w.mu.Unlock()
		status, text := reply(req)
		rw.Header().Set("Content-Type", "application/yaml")
		rw.WriteHeader(status)
		io.WriteString(rw, text)
		select {
		case w.got <- req:
		default:
		}
	}))
	t.Cleanup(w.Close)
	return w
}

func (w *webapp) requests() []request {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]request(nil), w.reqs...)
}

// waitRequest waits for a request to path.
func (w *webapp) waitRequest(t *testing.T, path string) request {
	t.Helper()
	deadline := time.After(20 * time.Second)
	for {
		select {
		case r := <-w.got:
			if r.Path == path {
				return r
			}
		case <-deadline:
			t.Fatalf("no request to %s; got %v", path, paths(w.requests()))
		}
	}
}

func paths(rs []request) []string {
	var ps []string
	for _, r := range rs {
		ps = append(ps, r.Path+":"+fmt.Sprint(r.Body["event"]))
	}
	return ps
}

func webhookRuntime(apps ...*webhook.App) *proxy.Runtime {
	rt := &proxy.Runtime{Apps: map[string]*proxy.App{}}
	for i, a := range apps {
		if a.Timeout == 0 {
			a.Timeout = 2 * time.Second
		}
		rt.Apps[a.Name] = &proxy.App{Name: a.Name, Backend: a}
		if i == 0 {
			rt.DefaultApp = a.Name
		}
	}
	return rt
}

// apps lists the applications the simulator ran, "app arg" each.
func apps(c *esltest.Call) []string {
	var out []string
	for _, r := range c.Apps() {
		if r.App == "socket" {
			continue
		}
		out = append(out, strings.TrimSpace(r.App+" "+r.Arg))
	}
	return out
}

// menu answers a three-step menu: call.start → answer, play, gather (action
// /menu); /menu → play what was pressed, hang up.
func menu(r request) (int, string) {
	switch r.Path {
	case "/ivr":
		return 200, `
session: {step: 1}
verbs:
  - answer
  - play: ivr/welcome.wav
  - gather: {play: ivr/menu.wav, max: 1, timeout: 3s, action: /menu}
  - play: never-reached.wav
`
	case "/menu":
		res, _ := r.Body["result"].(map[string]any)
		return 200, fmt.Sprintf("[{play: 'ivr/option-%v.wav'}, {hangup: NORMAL_CLEARING}]", res["digits"])
	case "/status":
		return 200, ""
	}
	return 404, ""
}

// TestVersionInUserAgent: the Proxy's Version reaches every request of
// the call's app as User-Agent (no process-wide variable carries it).
func TestVersionInUserAgent(t *testing.T) {
	app := newWebapp(t, menu)
	h := calltest.Start(t, webhookRuntime(&webhook.App{Name: "menu", URL: app.URL + "/ivr", StatusURL: app.URL + "/status"}),
		calltest.Options{Version: "v9.8.7"})
	calltest.Wait(t, h.Dial(esltest.Options{}))
	h.Idle()
	reqs := app.requests()
	if len(reqs) == 0 {
		t.Fatal("the app got no request")
	}
	for _, r := range reqs {
		if ua := r.Header.Get("User-Agent"); ua != "callhook/v9.8.7" {
			t.Errorf("%s: User-Agent = %q, want callhook/v9.8.7", r.Path, ua)
		}
	}
}

func TestMenuCall(t *testing.T) {
	app := newWebapp(t, menu)
	h := startProxy(t, webhookRuntime(&webhook.App{Name: "menu", URL: app.URL + "/ivr", StatusURL: app.URL + "/status"}))
	c := h.Dial(esltest.Options{
		CallerIDNumber: "1000", DestinationNumber: "5000",
		OnApp: func(c *esltest.Call, run esltest.AppRun) {
			if run.App == "play_and_get_digits" {
				c.Digits("2")
			}
		},
	})
	res := calltest.Wait(t, c)
	if res.Outcome != esltest.HungUp || res.By != esltest.ByDaemon || res.Cause != "NORMAL_CLEARING" {
		t.Errorf("call ended %v, want hung up NORMAL_CLEARING by the daemon", res)
	}
	end := app.waitRequest(t, "/status")

	got := apps(c)
	want := []string{"answer", "playback ivr/welcome.wav", "play_and_get_digits", "playback ivr/option-2.wav"}
	if len(got) != len(want) {
		t.Fatalf("apps run = %q, want %q", got, want)
	}
	for i := range want {
		if !strings.HasPrefix(got[i], want[i]) {
			t.Errorf("app %d = %q, want %q...", i, got[i], want[i])
		}
	}

	reqs := app.requests()
	if p := paths(reqs); len(p) != 3 || p[0] != "/ivr:call.start" || p[1] != "/menu:verb.result" || p[2] != "/status:call.end" {
		t.Fatalf("requests = %v, want call.start, verb.result, call.end", p)
	}
	start := reqs[0].Body
	call := start["call"].(map[string]any)
	if call["from"] != "1000" || call["to"] != "5000" || start["call_id"] != c.UUID() || start["seq"] != 1.0 {
		t.Errorf("call.start = %v", start)
	}
	result := reqs[1].Body["result"].(map[string]any)
	if result["verb"] != "gather" || result["reason"] != "ok" || result["digits"] != "2" {
		t.Errorf("verb.result result = %v, want gather ok 2", result)
	}
	if s := reqs[1].Body["session"].(map[string]any); s["step"] != 1.0 {
		t.Errorf("session not echoed: %v", reqs[1].Body["session"])
	}
	if end.Body["outcome"] != "hangup" {
		t.Errorf("call.end outcome = %v, want hangup", end.Body["outcome"])
	}
	hangup, _ := end.Body["hangup"].(map[string]any)
	if hangup["cause"] != "NORMAL_CLEARING" {
		t.Errorf("call.end hangup = %v", end.Body["hangup"])
	}

	// The wire: connect, linger, myevents, then executes with event-lock and
	// a fresh Event-UUID each, then hangup and exit.
	cmds := c.Received()
	if cmds[0].Line != "connect" || !strings.HasPrefix(cmds[1].Line, "linger ") || cmds[2].Line != "myevents" {
		t.Errorf("first commands = %q %q %q", cmds[0].Line, cmds[1].Line, cmds[2].Line)
	}
	seen := map[string]bool{}
	for _, cmd := range cmds {
		if cmd.Headers.Get("call-command") != "execute" {
			continue
		}
		id := cmd.Headers.Get("Event-UUID")
		if cmd.Headers.Get("event-lock") != "true" || id == "" || seen[id] {
			t.Errorf("execute %v: want event-lock and a fresh Event-UUID", cmd.Headers)
		}
		seen[id] = true
	}
	if last := cmds[len(cmds)-1]; last.Line != "exit" {
		t.Errorf("last command = %q, want exit", last.Line)
	}
	h.Idle()
	if ends := h.Log.Find("call ended"); len(ends) != 1 || ends[0].Data["outcome"] != proxy.OutcomeHangup {
		t.Errorf("call-end log lines = %d, want one with outcome hangup:\n%s", len(ends), h.Log)
	}
}

// TestCallerHangsUp: the caller hangs up during a playback, during a web
// request and before the first reply; each call ends cleanly, the
// interrupted verb's result reaches call.end, and no action request is made.
func TestCallerHangsUp(t *testing.T) {
	t.Run("during playback", func(t *testing.T) {
		app := newWebapp(t, func(r request) (int, string) {
			if r.Path == "/ivr" {
				return 200, `[answer, {play: 'silence_stream://600000'}, {gather: {play: x.wav, action: /next}}]`
			}
			return 200, ""
		})
		h := startProxy(t, webhookRuntime(&webhook.App{Name: "a", URL: app.URL + "/ivr", StatusURL: app.URL + "/status"}))
		c := h.Dial(esltest.Options{Speed: 1, OnApp: func(c *esltest.Call, run esltest.AppRun) {
			if run.App == "playback" {
				c.Hangup("NORMAL_CLEARING")
			}
		}})
		if res := calltest.Wait(t, c); res.By != esltest.ByCaller {
			t.Errorf("call ended %v, want by caller", res)
		}
		end := app.waitRequest(t, "/status")
		last, _ := end.Body["last_result"].(map[string]any)
		if last["verb"] != "play" || last["reason"] != "hangup" {
			t.Errorf("last_result = %v, want play / hangup", end.Body["last_result"])
		}
		for _, r := range app.requests() {
			if r.Path == "/next" {
				t.Errorf("an action request was made after the hangup")
			}
		}
		if c.Received()[len(c.Received())-1].Line != "exit" {
			t.Errorf("no exit after the hangup")
		}
	})

	for _, when := range []string{"first request", "later request"} {
		t.Run("during "+when, func(t *testing.T) {
			release := make(chan struct{})
			inRequest := make(chan struct{}, 1)
			app := newWebapp(t, func(r request) (int, string) {
				if (when == "first request" && r.Path == "/ivr") || r.Path == "/slow" {
					inRequest <- struct{}{}
					<-release
					return 200, "[hangup]"
				}
				if r.Path == "/ivr" {
					return 200, `[answer, {redirect: /slow}]`
				}
				return 200, ""
			})
			defer close(release)
			h := startProxy(t, webhookRuntime(&webhook.App{Name: "a", URL: app.URL + "/ivr", Timeout: time.Minute}))
			// Real-time linger, so the simulator is still there for exit.
			c := h.Dial(esltest.Options{Speed: 1})
			select {
			case <-inRequest:
			case <-time.After(20 * time.Second):
				t.Fatal("the web app was not asked")
			}
			c.Hangup("NORMAL_CLEARING")
			if res := calltest.Wait(t, c); res.By != esltest.ByCaller {
				t.Errorf("call ended %v, want by caller", res)
			}
			got := c.Received()
			if got[len(got)-1].Line != "exit" {
				t.Errorf("last command %q, want exit", got[len(got)-1].Line)
			}
			for _, cmd := range got {
				if cmd.Headers.Get("call-command") == "hangup" {
					t.Errorf("sent a hangup for a channel the caller had already hung up")
				}
			}
		})
	}
}

// TestAppFailures: every way a web app can fail ends the call in a defined
// way, and the log says why.
func TestAppFailures(t *testing.T) {
	cases := []struct {
		name     string
		reply    func(r request) (int, string)
		down     bool
		fallback bool
		// onFailure is the App's on_failure reply document ("": none, so
		// the session hangs up NORMAL_TEMPORARY_FAILURE).
		onFailure string
		wantApps  []string // what runs on the call
		wantCause string   // "": NORMAL_TEMPORARY_FAILURE, or NORMAL_CLEARING when apps ran
		wantLog   string
	}{
		{name: "500", reply: func(request) (int, string) { return 500, "oops" },
			wantApps: nil, wantLog: "http_500"},
		{name: "invalid yaml", reply: func(request) (int, string) { return 200, "verbs: [answer" },
			wantLog: "invalid_reply"},
		{name: "unknown verb", reply: func(request) (int, string) { return 200, "[dance]" },
			wantLog: "invalid_reply"},
		{name: "CR LF in an argument", reply: func(request) (int, string) {
			return 200, `[{play: "a.wav\r\nsendmsg\r\ncall-command: hangup"}]`
		}, wantLog: "invalid_reply"},
		{name: "down", down: true, wantLog: "connect"},
		{name: "500 with a working fallback", fallback: true,
			reply: func(r request) (int, string) {
				if r.Path == "/sorry" {
					return 200, "[{play: sorry.wav}]"
				}
				return 500, ""
			}, wantApps: []string{"playback sorry.wav"}, wantLog: "http_500"},
		{name: "fallback fails too", fallback: true,
			reply: func(r request) (int, string) { return 503, "" }, wantLog: "http_503"},
		{name: "fallback fails too, on_failure configured", fallback: true,
			reply:     func(r request) (int, string) { return 503, "" },
			onFailure: "[{play: ivr/sorry.wav}, {hangup: CALL_REJECTED}]",
			wantApps:  []string{"playback ivr/sorry.wav"}, wantCause: "CALL_REJECTED", wantLog: "http_503"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			reply := tc.reply
			if reply == nil {
				reply = func(request) (int, string) { return 200, "" }
			}
			app := newWebapp(t, reply)
			wa := &webhook.App{Name: "a", URL: app.URL + "/ivr"}
			if tc.fallback {
				wa.FallbackURL = app.URL + "/sorry"
			}
			if tc.down {
				ln, _ := net.Listen("tcp", "127.0.0.1:0")
				wa.URL = "http://" + ln.Addr().String() + "/ivr"
				ln.Close()
			}
			rt := webhookRuntime(wa)
			if tc.onFailure != "" {
				r, err := verb.ParseReply([]byte(tc.onFailure), verb.ParseOptions{})
				if err != nil {
					t.Fatalf("ParseReply(%q) = %v", tc.onFailure, err)
				}
				rt.Apps[wa.Name].OnFailure = r.Verbs
			}
			obs := &failureRecorder{}
			h := startProxy(t, rt, obs)
			c := h.Dial(esltest.Options{})
			res := calltest.Wait(t, c)
			wantCause := tc.wantCause
			switch {
			case wantCause != "":
			case tc.wantApps != nil:
				wantCause = "NORMAL_CLEARING" // the fallback's list ran out
			default:
				wantCause = "NORMAL_TEMPORARY_FAILURE"
			}
			if res.Outcome != esltest.HungUp || res.Cause != wantCause {
				t.Errorf("call ended %v, want hung up %s", res, wantCause)
			}
			if got := apps(c); strings.Join(got, ",") != strings.Join(tc.wantApps, ",") {
				t.Errorf("apps = %q, want %q", got, tc.wantApps)
			}
			for _, cmd := range c.Received() {
				if strings.Contains(cmd.Line, "sendmsg") && strings.Contains(cmd.Headers.Get("execute-app-arg"), "\n") {
					t.Errorf("CR/LF reached the wire: %v", cmd)
				}
			}
			h.Idle()
			if logs := h.Log.String(); !strings.Contains(logs, tc.wantLog) {
				t.Errorf("log does not say %q:\n%s", tc.wantLog, logs)
			}
			if tc.onFailure != "" {
				// The session ran on_failure: observers were told, and the
				// call ended as failed.
				fs, ends := obs.get()
				if len(fs) != 1 || !fs[0].OnFailure || fs[0].Fallback || !strings.Contains(fmt.Sprint(fs[0].Err), tc.wantLog) {
					t.Errorf("observer saw failures %+v, want one OnFailure saying %s", fs, tc.wantLog)
				}
				if len(ends) != 1 || ends[0] != proxy.OutcomeFailed {
					t.Errorf("call ended with outcomes %q, want [%s]", ends, proxy.OutcomeFailed)
				}
			}
		})
	}
}

// failureRecorder records the Failed and CallEnded reports.
type failureRecorder struct {
	proxy.NopObserver
	mu       sync.Mutex
	failures []proxy.Failure
	outcomes []string
}

func (r *failureRecorder) Failed(_ *proxy.Call, f *proxy.Failure) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.failures = append(r.failures, *f)
}

func (r *failureRecorder) CallEnded(_ *proxy.Call, end *proxy.CallEnd, _ *proxy.CallStats) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.outcomes = append(r.outcomes, end.Outcome)
}

func (r *failureRecorder) get() ([]proxy.Failure, []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]proxy.Failure(nil), r.failures...), append([]string(nil), r.outcomes...)
}

// TestRefusalBySocketMode: a refused call is handed back to the dialplan
// by the socket's mode. A static (sync) socket gets connect and exit with
// no resume: resumed, real FreeSWITCH 1.10.12 leaves it in CS_RESET and the
// caller in silence. Async sockets get connect, resume, exit.
func TestRefusalBySocketMode(t *testing.T) {
	app := newWebapp(t, func(request) (int, string) { return 200, "[hangup]" })
	rt := webhookRuntime(&webhook.App{Name: "a", URL: app.URL})
	tests := []struct {
		mode string
		want []string
		res  esltest.Outcome
	}{
		{esltest.ModeStatic, []string{"connect", "exit"}, esltest.DialplanContinued},
		{esltest.ModeStaticFull, []string{"connect", "exit"}, esltest.DialplanContinued},
		{esltest.ModeAsync, []string{"connect", "resume", "exit"}, esltest.DialplanContinued},
	}
	for _, tc := range tests {
		t.Run(tc.mode, func(t *testing.T) {
			h := startProxy(t, rt)
			c := h.Dial(esltest.Options{Mode: tc.mode, ContinueDialplan: true})
			if res := calltest.Wait(t, c); res.Outcome != tc.res {
				t.Errorf("call ended %v, want %v", res, tc.res)
			}
			var got []string
			for _, cmd := range c.Received() {
				got = append(got, cmd.Line)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("commands = %q, want %q", got, tc.want)
			}
		})
	}
}

// TestRefusals: a socket that is not async full, a call with no app and a
// call over the limit are all handed back to the dialplan (resume, exit).
func TestRefusals(t *testing.T) {
	app := newWebapp(t, func(request) (int, string) { return 200, "[hangup]" })
	rt := webhookRuntime(&webhook.App{Name: "a", URL: app.URL})
	t.Run("not async full", func(t *testing.T) {
		h := startProxy(t, rt)
		c := h.Dial(esltest.Options{Mode: esltest.ModeAsync})
		res := calltest.Wait(t, c)
		if res.Outcome != esltest.DialplanContinued || !res.Resumed {
			t.Errorf("call ended %v, want the dialplan to continue after resume", res)
		}
		h.Idle()
		if !strings.Contains(h.Log.String(), "async full") {
			t.Errorf("log does not say how to fix the dialplan:\n%s", h.Log)
		}
	})
	t.Run("no app", func(t *testing.T) {
		h := startProxy(t, &proxy.Runtime{Apps: rt.Apps})
		c := h.Dial(esltest.Options{})
		if res := calltest.Wait(t, c); res.Outcome != esltest.DialplanContinued || !res.Resumed {
			t.Errorf("call ended %v, want the dialplan to continue", res)
		}
	})
	t.Run("unknown callhook_app", func(t *testing.T) {
		h := startProxy(t, rt)
		c := h.Dial(esltest.Options{Vars: map[string]string{"callhook_app": "nope"}})
		if res := calltest.Wait(t, c); res.Outcome != esltest.DialplanContinued {
			t.Errorf("call ended %v, want the dialplan to continue", res)
		}
		h.Idle()
		if !strings.Contains(h.Log.String(), "callhook_app") {
			t.Errorf("log does not name the variable:\n%s", h.Log)
		}
	})
}

// TestAppSelection: callhook_app, liverpie_webapp_id, routes, default.
func TestAppSelection(t *testing.T) {
	var mu sync.Mutex
	var hits []string
	mk := func(name string) *webhook.App {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			hits = append(hits, name)
			mu.Unlock()
			io.WriteString(w, "[hangup]")
		}))
		t.Cleanup(srv.Close)
		return &webhook.App{Name: name, URL: srv.URL}
	}
	rt := webhookRuntime(mk("default"), mk("byvar"), mk("liverpie"), mk("route"))
	rt.Routes = []proxy.Route{{Destination: regexp.MustCompile(`^5\d{3}$`), App: "route"}}
	h := startProxy(t, rt)
	for _, tc := range []struct {
		o    esltest.Options
		want string
	}{
		{esltest.Options{DestinationNumber: "5001", Vars: map[string]string{"callhook_app": "byvar"}}, "byvar"},
		{esltest.Options{DestinationNumber: "5001", Vars: map[string]string{"liverpie_webapp_id": "liverpie"}}, "liverpie"},
		{esltest.Options{DestinationNumber: "5001"}, "route"},
		{esltest.Options{DestinationNumber: "7000"}, "default"},
	} {
		mu.Lock()
		hits = nil
		mu.Unlock()
		calltest.Wait(t, h.Dial(tc.o))
		mu.Lock()
		if len(hits) != 1 || hits[0] != tc.want {
			t.Errorf("%+v went to %v, want %s", tc.o.Vars, hits, tc.want)
		}
		mu.Unlock()
	}
}

// TestLimits: a call over the app's limit is refused, and accepted again
// once one ends.
func TestLimits(t *testing.T) {
	hold := make(chan struct{})
	app := newWebapp(t, func(r request) (int, string) {
		if r.Path == "/ivr" {
			return 200, "[answer, {play: 'silence_stream://600000'}]"
		}
		return 200, ""
	})
	defer close(hold)
	rt := webhookRuntime(&webhook.App{Name: "a", URL: app.URL + "/ivr"})
	rt.Apps["a"].MaxCalls = 1
	h := startProxy(t, rt)
	first := h.Dial(esltest.Options{Speed: 1})
	if _, err := first.WaitApp(t.Context(), "playback"); err != nil {
		t.Fatal(err)
	}
	second := h.Dial(esltest.Options{})
	if res := calltest.Wait(t, second); res.Outcome != esltest.DialplanContinued || !res.Resumed {
		t.Errorf("call over the limit ended %v, want refused to the dialplan", res)
	}
	first.Hangup("NORMAL_CLEARING")
	calltest.Wait(t, first)
	h.Idle()
	third := h.Dial(esltest.Options{Speed: 1, OnApp: func(c *esltest.Call, run esltest.AppRun) {
		if run.App == "playback" {
			c.Hangup("NORMAL_CLEARING")
		}
	}})
	if res := calltest.Wait(t, third); res.By != esltest.ByCaller {
		t.Errorf("call after one ended: %v, want served (hung up by the caller)", res)
	}
}

// TestTransfer: after transfer the call has left callhook: exit, no more
// requests, call.end says transferred.
func TestTransfer(t *testing.T) {
	app := newWebapp(t, func(r request) (int, string) {
		if r.Path == "/ivr" {
			return 200, "[answer, {transfer: '1234'}, {play: never.wav}]"
		}
		return 200, ""
	})
	h := startProxy(t, webhookRuntime(&webhook.App{Name: "a", URL: app.URL + "/ivr", StatusURL: app.URL + "/status"}))
	c := h.Dial(esltest.Options{})
	if res := calltest.Wait(t, c); res.Outcome != esltest.Transferred {
		t.Errorf("call ended %v, want transferred", res)
	}
	end := app.waitRequest(t, "/status")
	if end.Body["outcome"] != "transferred" {
		t.Errorf("call.end outcome = %v, want transferred", end.Body["outcome"])
	}
	// It has not hung up: no hangup object, the time callhook held it.
	if h, ok := end.Body["hangup"]; ok {
		t.Errorf("call.end of a transferred call has hangup %v, want none", h)
	}
	if held, ok := end.Body["held_ms"].(float64); !ok || held < 0 {
		t.Errorf("call.end held_ms = %v, want a number of milliseconds", end.Body["held_ms"])
	}
	if cmds := c.Received(); len(cmds) == 0 || cmds[len(cmds)-1].Line != "exit" {
		t.Errorf("last command = %v, want exit", cmds)
	}
	for _, a := range apps(c) {
		if strings.Contains(a, "never.wav") {
			t.Errorf("a verb ran after transfer")
		}
	}
}

// TestTransferCallEndForm: the form encoding of a transferred call's
// call.end has held_ms and no hangup.* keys.
func TestTransferCallEndForm(t *testing.T) {
	app := newWebapp(t, func(r request) (int, string) {
		if r.Path == "/ivr" {
			return 200, "[answer, {transfer: '1234'}]"
		}
		return 200, ""
	})
	h := startProxy(t, webhookRuntime(&webhook.App{Name: "a", URL: app.URL + "/ivr", StatusURL: app.URL + "/status", Form: true}))
	calltest.Wait(t, h.Dial(esltest.Options{}))
	end := app.waitRequest(t, "/status")
	form, err := url.ParseQuery(end.RawBody)
	if err != nil {
		t.Fatalf("call.end body %q: %v", end.RawBody, err)
	}
	if form.Get("outcome") != "transferred" || form.Get("held_ms") == "" || form.Has("hangup.cause") {
		t.Errorf("call.end form = %v, want outcome=transferred, held_ms and no hangup.*", form)
	}
}

// TestLiveHangupAndRedirect: the admin operations act at once in the middle
// of a ten-minute playback.
func TestLiveHangupAndRedirect(t *testing.T) {
	app := newWebapp(t, func(r request) (int, string) {
		switch r.Path {
		case "/ivr":
			return 200, "[answer, {play: 'silence_stream://600000'}]"
		case "/elsewhere":
			return 200, "[{play: moved.wav}, hangup]"
		}
		return 200, ""
	})
	h := startProxy(t, webhookRuntime(&webhook.App{Name: "a", URL: app.URL + "/ivr"}))

	c := h.Dial(esltest.Options{Speed: 1})
	if _, err := c.WaitApp(t.Context(), "playback"); err != nil {
		t.Fatal(err)
	}
	if calls := h.Proxy.Calls(); len(calls) != 1 || calls[0].ID != c.UUID() || calls[0].CurrentVerb != "play" {
		t.Errorf("Calls() = %+v, want the call in play", calls)
	}
	if err := h.Proxy.Redirect(t.Context(), c.UUID(), app.URL+"/elsewhere"); err != nil {
		t.Fatal(err)
	}
	r := app.waitRequest(t, "/elsewhere")
	if r.Body["event"] != "redirect" {
		t.Errorf("redirect request event = %v", r.Body["event"])
	}
	if res := calltest.Wait(t, c); res.By != esltest.ByDaemon {
		t.Errorf("redirected call ended %v, want hung up by the daemon after moved.wav", res)
	}
	if got := apps(c); got[len(got)-1] != "playback moved.wav" {
		t.Errorf("apps = %q, want moved.wav last", got)
	}

	c2 := h.Dial(esltest.Options{Speed: 1})
	if _, err := c2.WaitApp(t.Context(), "playback"); err != nil {
		t.Fatal(err)
	}
	if err := h.Proxy.Hangup(t.Context(), c2.UUID(), "CALL_REJECTED"); err != nil {
		t.Fatal(err)
	}
	if res := calltest.Wait(t, c2); res.Cause != "CALL_REJECTED" {
		t.Errorf("killed call ended %v, want CALL_REJECTED", res)
	}
	if err := h.Proxy.Hangup(t.Context(), "no-such-call", ""); !errors.Is(err, proxy.ErrNoSuchCall) {
		t.Errorf("Hangup(unknown) = %v, want ErrNoSuchCall", err)
	}
}

// TestWebhookVarsFollowTheCall: an app's vars carry each variable's latest
// value (the session keeps only the variables the app listed).
func TestWebhookVarsFollowTheCall(t *testing.T) {
	app := newWebapp(t, func(r request) (int, string) {
		switch r.Path {
		case "/ivr":
			return 200, "[answer, {set: {callhook_color: blue}}, {gather: {play: x.wav, action: /next}}]"
		case "/next":
			return 200, "[hangup]"
		}
		return 200, ""
	})
	h := startProxy(t, webhookRuntime(&webhook.App{Name: "a", URL: app.URL + "/ivr", Vars: []string{"callhook_color", "callhook_unset"}}))
	calltest.Wait(t, h.Dial(esltest.Options{Vars: map[string]string{"callhook_color": "red"}}))
	reqs := app.requests()
	if len(reqs) < 2 {
		t.Fatalf("requests = %v", paths(reqs))
	}
	for i, want := range []string{"red", "blue"} {
		vars, _ := reqs[i].Body["vars"].(map[string]any)
		if vars["callhook_color"] != want {
			t.Errorf("request %d vars = %v, want callhook_color=%s", i+1, reqs[i].Body["vars"], want)
		}
		if _, ok := vars["callhook_unset"]; ok {
			t.Errorf("request %d vars has callhook_unset, which the call never had", i+1)
		}
	}
}

// TestWebhookVarsForgetUnsetVariables: a variable unset on the channel
// (one the dialplan set before socket, one the app set) is gone from every
// later request. The completion after unset no longer carries it; each
// event with the whole variable set replaces the view, and DTMF and
// CHANNEL_STATE, which carry none, change nothing.
func TestWebhookVarsForgetUnsetVariables(t *testing.T) {
	app := newWebapp(t, func(r request) (int, string) {
		switch r.Path {
		case "/ivr":
			return 200, "[answer, {set: {fid_b: world}}, {gather: {play: x.wav, action: /set}}]"
		case "/set":
			return 200, "[{unset: fid_b}, {unset: fid_a}, {gather: {play: x.wav, action: /unset}}]"
		case "/unset":
			return 200, "[hangup]"
		}
		return 200, ""
	})
	h := startProxy(t, webhookRuntime(&webhook.App{Name: "a", URL: app.URL + "/ivr", Vars: []string{"fid_a", "fid_b"}}))
	c := h.Dial(esltest.Options{
		Vars: map[string]string{"fid_a": "hello"},
		// Digits while each gather runs: DTMF events, which carry no
		// variables, come between the completions.
		OnApp: func(c *esltest.Call, run esltest.AppRun) {
			if run.App == "play_and_get_digits" {
				c.Digits("1")
			}
		},
	})
	calltest.Wait(t, c)
	reqs := app.requests()
	if len(reqs) != 3 {
		t.Fatalf("requests = %v, want /ivr, /set, /unset", paths(reqs))
	}
	want := []map[string]any{
		{"fid_a": "hello"},
		{"fid_a": "hello", "fid_b": "world"},
		nil,
	}
	for i, w := range want {
		got, _ := reqs[i].Body["vars"].(map[string]any)
		if len(got) != len(w) || (w != nil && (got["fid_a"] != w["fid_a"] || got["fid_b"] != w["fid_b"])) {
			t.Errorf("request %d (%s) vars = %v, want %v", i+1, reqs[i].Path, got, w)
		}
	}
}

// TestWireTraceOnDemand: a call whose dialplan sets callhook_trace=true has
// its frames in the log at Debug; another call has none.
func TestWireTraceOnDemand(t *testing.T) {
	app := newWebapp(t, func(request) (int, string) { return 200, "[answer, hangup]" })
	h := startProxy(t, webhookRuntime(&webhook.App{Name: "a", URL: app.URL}))
	traced := h.Dial(esltest.Options{Vars: map[string]string{"callhook_trace": "true"}})
	calltest.Wait(t, traced)
	h.Idle()
	quiet := h.Dial(esltest.Options{})
	calltest.Wait(t, quiet)
	h.Idle()
	var tracedLines, quietLines int
	for _, l := range strings.Split(h.Log.String(), "\n") {
		if !strings.Contains(l, `msg="esl frame"`) {
			continue
		}
		switch {
		case strings.Contains(l, traced.UUID()):
			tracedLines++
		case strings.Contains(l, quiet.UUID()):
			quietLines++
		}
	}
	if tracedLines == 0 || quietLines != 0 {
		t.Errorf("traced call logged %d frames, untraced call %d; want some and none", tracedLines, quietLines)
	}
}

// TestWireTraceStartsWithConnect: the per-call wire trace starts with the
// connect command and the channel data reply, though the server sent
// connect before the session turned the trace on.
func TestWireTraceStartsWithConnect(t *testing.T) {
	app := newWebapp(t, func(request) (int, string) { return 200, "[answer, hangup]" })
	h := startProxy(t, webhookRuntime(&webhook.App{Name: "a", URL: app.URL}))
	traced := h.Dial(esltest.Options{Vars: map[string]string{"callhook_trace": "true"}})
	calltest.Wait(t, traced)
	h.Idle()
	var frames []string
	for _, l := range strings.Split(h.Log.String(), "\n") {
		if strings.Contains(l, `msg="esl frame"`) && strings.Contains(l, traced.UUID()) {
			frames = append(frames, l)
		}
	}
	// The text log quotes the wire field: a newline reads \n.
	if len(frames) < 3 || !strings.Contains(frames[0], `C>\nconnect\n\n`) ||
		!strings.Contains(frames[1], `F>\n`) || !strings.Contains(frames[1], `Socket-Mode: async\nControl: full\n\n`) ||
		!strings.Contains(frames[2], `C>\nlinger`) {
		t.Errorf("first traced frames = %q, want connect, the channel data reply, then linger", frames[:min(len(frames), 3)])
	}
}

// TestConcurrentCalls: 200 calls at once, each a whole menu.
func TestConcurrentCalls(t *testing.T) {
	app := newWebapp(t, menu)
	// A generous per-request timeout: this test is about 200 calls at once
	// being correct under -race on a busy machine, not about latency.
	h := startProxy(t, webhookRuntime(&webhook.App{Name: "menu", URL: app.URL + "/ivr", Timeout: time.Minute}))
	const n = 200
	var wg sync.WaitGroup
	errs := make(chan string, n)
	for range n {
		wg.Go(func() {
			c, err := esltest.Dial(t.Context(), h.Addr, esltest.Options{Speed: 1000, DiscardHistory: true,
				OnApp: func(c *esltest.Call, run esltest.AppRun) {
					if run.App == "play_and_get_digits" {
						c.Digits("1")
					}
				}})
			if err != nil {
				errs <- err.Error()
				return
			}
			defer c.Close()
			ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
			defer cancel()
			res, err := c.Wait(ctx)
			if err != nil {
				errs <- err.Error()
				return
			}
			if res.By != esltest.ByDaemon || res.Cause != "NORMAL_CLEARING" {
				errs <- res.String()
			}
		})
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	if t.Failed() {
		h.Idle()
		for _, l := range strings.Split(h.Log.String(), "\n") {
			if strings.Contains(l, "level=warn") || strings.Contains(l, "level=error") {
				t.Log(l)
				break
			}
		}
	}
	if n2 := len(app.requests()); n2 != 2*n {
		t.Errorf("web app got %d requests, want %d", n2, 2*n)
	}
}

// TestGoroutinesPerCall: a call costs its session goroutine and nothing
// more of the session's, held in a verb or waiting on its app (the hangup
// cancels requests through an AfterFunc, not a watcher goroutine).
func TestGoroutinesPerCall(t *testing.T) {
	const calls = 5
	arrived := make(chan struct{}, calls)
	release := make(chan struct{})
	app := newWebapp(t, func(r request) (int, string) {
		switch r.Path {
		case "/held":
			return 200, "[answer, {play: 'silence_stream://600000'}]"
		case "/slow":
			arrived <- struct{}{}
			<-release
			return 200, "[hangup]"
		}
		return 200, ""
	})
	t.Cleanup(func() { close(release) }) // before the server closes
	rt := webhookRuntime(
		&webhook.App{Name: "held", URL: app.URL + "/held"},
		&webhook.App{Name: "slow", URL: app.URL + "/slow", Timeout: time.Minute},
	)
	h := startProxy(t, rt)
	base := sessionGoroutines()

	held := make([]*esltest.Call, calls)
	for i := range held {
		held[i] = h.Dial(esltest.Options{Speed: 1})
		if _, err := held[i].WaitApp(t.Context(), "playback"); err != nil {
			t.Fatalf("WaitApp(playback): %v", err)
		}
	}
	idle := sessionGoroutines() - base
	t.Logf("%d calls in a verb: %d session goroutines", calls, idle)
	if idle != calls {
		t.Errorf("%d calls in a verb run %d session goroutines, want %d (one each)", calls, idle, calls)
	}
	for _, c := range held {
		c.Hangup("NORMAL_CLEARING")
		calltest.Wait(t, c)
	}
	h.Idle()

	slow := make([]*esltest.Call, calls)
	for i := range slow {
		slow[i] = h.Dial(esltest.Options{Vars: map[string]string{"callhook_app": "slow"}})
		select {
		case <-arrived:
		case <-time.After(20 * time.Second):
			t.Fatalf("call %d: no request reached the app", i+1)
		}
	}
	asking := sessionGoroutines() - base
	t.Logf("%d calls waiting on their app: %d session goroutines", calls, asking)
	if asking != idle {
		t.Errorf("%d calls waiting on their app run %d session goroutines, want %d as in a verb (no goroutine per request)", calls, asking, idle)
	}
	for _, c := range slow {
		c.Hangup("NORMAL_CLEARING")
		calltest.Wait(t, c)
	}
	h.Idle()
}

// sessionGoroutines counts the goroutines running a method of a call's
// session (by their stacks' function names).
func sessionGoroutines() int {
	return leakcheck.Count(func(fn string) bool {
		return strings.HasPrefix(fn, "github.com/callhook/callhook/proxy.(*session).")
	})
}
