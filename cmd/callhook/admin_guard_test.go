//go:build unix

package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/callhook/callhook/apphttp"
	"github.com/callhook/callhook/esl/esltest"
	"github.com/callhook/callhook/internal/config"
	"github.com/callhook/callhook/internal/testlog"
)

// Apps must never reach the admin API (issue: a reply's redirect to
// /drain stopped the daemon). These tests run the serve code path in
// process with the default config's admin: on loopback, without a token.
// Web apps are httptest servers, FreeSWITCH is esltest, and every test
// checks the daemon's state afterwards (no drain requested, /readyz 200,
// the call ended the way its app's failure path says), not only an error.

// guardDaemon is an in-process daemon started by server.start, as serve
// starts one, with its admin API on a loopback port.
type guardDaemon struct {
	s     *server
	esl   string // the event socket's address
	admin string // the admin API's host:port
	port  string // its port
	logs  *testlog.Buffer
}

// startGuardDaemon starts a daemon on a config of body plus the listen,
// admin and log keys.
func startGuardDaemon(t *testing.T, body string) *guardDaemon {
	t.Helper()
	return startGuardDaemonFor(t, func(string) string { return body })
}

// call places one simulated call and waits for its end.
func (d *guardDaemon) call(t *testing.T, o esltest.Options) (*esltest.Call, *esltest.Result) {
	t.Helper()
	if o.Speed == 0 {
		o.Speed = 1000
	}
	ctx, cancel := context.WithTimeout(t.Context(), opsGuard)
	defer cancel()
	c, err := esltest.Dial(ctx, d.esl, o)
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	res, err := c.Wait(ctx)
	if err != nil {
		t.Fatalf("the call did not end: %v", err)
	}
	return c, res
}

// idle waits until the daemon has finished every call, call.end included.
func (d *guardDaemon) idle(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), opsGuard)
	defer cancel()
	if err := d.s.proxy.WaitIdle(ctx); err != nil {
		t.Fatalf("calls still running: %v", err)
	}
}

// undisturbed checks that the admin API was never acted on: no drain was
// requested or started, and /readyz still says ready to an operator.
func (d *guardDaemon) undisturbed(t *testing.T) {
	t.Helper()
	select {
	case <-d.s.ops.drainRequested():
		t.Error("a drain was requested through the admin API")
	default:
	}
	if d.s.proxy.Draining() {
		t.Error("the proxy is draining")
	}
	resp, err := http.Get("http://" + d.admin + "/readyz")
	if err != nil {
		t.Fatalf("GET /readyz: %v", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || string(body) != "ready\n" {
		t.Errorf("GET /readyz = %d %q, want 200 ready", resp.StatusCode, body)
	}
	if strings.Contains(d.logs.String(), "admin: drain requested") || strings.Contains(d.logs.String(), "admin: call hung up") {
		t.Errorf("the admin API acted on an app's request; log:\n%s", d.logs)
	}
}

// guardApp is a web app: /ivr answers with ivr, /sorry (the fallback)
// records the error it is told and plays sorry.wav, and the rest of the
// paths are what a test adds.
type guardApp struct {
	*httptest.Server
	mux *http.ServeMux

	mu        sync.Mutex
	fallbacks []map[string]any // the error objects /sorry was told
	marks     []string         // X-Callhook-Call-Id of requests to /ivr
}

func newGuardApp(t *testing.T, ivr http.HandlerFunc) *guardApp {
	t.Helper()
	a := &guardApp{mux: http.NewServeMux()}
	a.mux.HandleFunc("POST /ivr", func(w http.ResponseWriter, r *http.Request) {
		a.mu.Lock()
		a.marks = append(a.marks, r.Header.Get(apphttp.CallIDHeader))
		a.mu.Unlock()
		ivr(w, r)
	})
	a.mux.HandleFunc("POST /sorry", func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			Error map[string]any `json:"error"`
		}
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			t.Errorf("fallback request: %v", err)
		}
		a.mu.Lock()
		a.fallbacks = append(a.fallbacks, body.Error)
		a.mu.Unlock()
		io.WriteString(w, "[{play: sorry.wav}, {hangup: CALL_REJECTED}]")
	})
	a.Server = httptest.NewServer(a.mux)
	t.Cleanup(a.Close)
	return a
}

// webhookConfig is the config of one webhook app at a's /ivr with a's
// fallback.
func (a *guardApp) webhookConfig() string {
	return fmt.Sprintf("default_app: app\napps:\n  app: {url: %s/ivr, fallback_url: %s/sorry, timeout: 5s}\n", a.URL, a.URL)
}

// refusedFallback checks that the app's fallback was told exactly one
// failure: a connection refused because it was the admin API's.
func (a *guardApp) refusedFallback(t *testing.T) {
	t.Helper()
	a.mu.Lock()
	defer a.mu.Unlock()
	if len(a.fallbacks) != 1 {
		t.Fatalf("the fallback got %d requests (%v), want 1", len(a.fallbacks), a.fallbacks)
	}
	e := a.fallbacks[0]
	if msg, _ := e["message"].(string); e["code"] != "connect" || !strings.Contains(msg, "callhook's admin API") {
		t.Errorf("fallback told %v, want code connect and a message naming callhook's admin API", e)
	}
}

// played lists the files the call played.
func played(c *esltest.Call) []string {
	var out []string
	for _, r := range c.Apps() {
		if r.App == "playback" {
			out = append(out, r.Arg)
		}
	}
	return out
}

// endedByFallback checks that a call went the way its app's fallback
// says: sorry.wav, then hung up with CALL_REJECTED.
func endedByFallback(t *testing.T, c *esltest.Call, res *esltest.Result) {
	t.Helper()
	if !slices.Contains(played(c), "sorry.wav") || res.Outcome != esltest.HungUp || res.Cause != "CALL_REJECTED" {
		t.Errorf("call played %q and ended %v, want sorry.wav and CALL_REJECTED from the fallback", played(c), res)
	}
}

// adminAddr holds the admin's host:port for web apps made before the
// daemon that they point at.
type adminAddr struct {
	mu   sync.Mutex
	addr string
}

func (a *adminAddr) set(s string) { a.mu.Lock(); a.addr = s; a.mu.Unlock() }
func (a *adminAddr) get() string  { a.mu.Lock(); defer a.mu.Unlock(); return a.addr }

// TestReplyRedirectToAdmin: a reply's redirect verb to /drain, spelt every
// way that reaches a listener on 127.0.0.1, is refused at connect time;
// the fallback is told why, and the daemon goes on serving.
func TestReplyRedirectToAdmin(t *testing.T) {
	hosts := []string{
		"127.0.0.1", "localhost", "0.0.0.0", "[::]", "[::ffff:127.0.0.1]", "[0:0:0:0:0:ffff:7f00:1]", "",
		// Go's own resolver does not read this as 127.0.0.1 (the C
		// library's does): guarded either way.
		"2130706433",
	}
	for _, host := range hosts {
		t.Run("host="+host, func(t *testing.T) {
			var admin adminAddr
			app := newGuardApp(t, func(w http.ResponseWriter, _ *http.Request) {
				fmt.Fprintf(w, "[answer, {redirect: 'http://%s:%s/drain'}]", host, portOf(admin.get()))
			})
			d := startGuardDaemon(t, app.webhookConfig())
			admin.set(d.admin)
			c, res := d.call(t, esltest.Options{})
			endedByFallback(t, c, res)
			d.undisturbed(t)
			if host == "2130706433" {
				return // refused by the resolver before any connect
			}
			app.refusedFallback(t)
		})
	}
}

func portOf(hostPort string) string {
	_, port, _ := net.SplitHostPort(hostPort)
	return port
}

// TestReplyRedirectToEventSocket: the event socket is callhook's own
// listener too; an app's request there is refused the same way.
func TestReplyRedirectToEventSocket(t *testing.T) {
	var eslAddr adminAddr
	app := newGuardApp(t, func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintf(w, "[answer, {redirect: 'http://%s/'}]", eslAddr.get())
	})
	d := startGuardDaemon(t, app.webhookConfig())
	eslAddr.set(d.esl)
	c, res := d.call(t, esltest.Options{})
	endedByFallback(t, c, res)
	app.mu.Lock()
	defer app.mu.Unlock()
	if len(app.fallbacks) != 1 || !strings.Contains(fmt.Sprint(app.fallbacks[0]["message"]), "is callhook's event socket") {
		t.Errorf("fallback told %v, want the event socket's refusal", app.fallbacks)
	}
}

// TestActionURLToAdmin: a gather's action URL that points at the call's
// own /calls/{id}/hangup is refused; the call goes on to the fallback
// instead of being hung up by the admin API.
func TestActionURLToAdmin(t *testing.T) {
	var admin adminAddr
	app := newGuardApp(t, func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			CallID string `json:"call_id"`
		}
		json.NewDecoder(r.Body).Decode(&body)
		fmt.Fprintf(w, "[answer, {gather: {play: menu.wav, timeout: 1s, action: 'http://%s/calls/%s/hangup'}}]", admin.get(), body.CallID)
	})
	d := startGuardDaemon(t, app.webhookConfig())
	admin.set(d.admin)
	c, res := d.call(t, esltest.Options{})
	endedByFallback(t, c, res)
	app.refusedFallback(t)
	d.undisturbed(t)
	// A refusal is counted as what it looks like to the app: a connection
	// that could not be made.
	resp, err := http.Get("http://" + d.admin + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	scrape, _ := io.ReadAll(resp.Body)
	if want := `callhook_webhook_errors_total{app="app",class="connect"} 1`; !strings.Contains(string(scrape), want) {
		t.Errorf("/metrics has no %s:\n%s", want, scrape)
	}
}

// TestFallbackURLToAdmin: an app whose fallback_url is the admin's /drain
// (an app's config is often the app author's) fails to on_failure, and
// no drain starts.
func TestFallbackURLToAdmin(t *testing.T) {
	app := newGuardApp(t, func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "down", http.StatusInternalServerError)
	})
	d := startGuardDaemonFor(t, func(admin string) string {
		return fmt.Sprintf("default_app: app\napps:\n  app: {url: %s/ivr, fallback_url: http://%s/drain, timeout: 5s}\n", app.URL, admin)
	})
	_, res := d.call(t, esltest.Options{})
	if res.Outcome != esltest.HungUp || res.Cause != "NORMAL_TEMPORARY_FAILURE" {
		t.Errorf("call ended %v, want hung up NORMAL_TEMPORARY_FAILURE by on_failure", res)
	}
	d.undisturbed(t)
	if !strings.Contains(d.logs.String(), "callhook's admin API") {
		t.Errorf("no log line names the refusal; log:\n%s", d.logs)
	}
}

// TestStatusURLToAdmin: call.end to a status_url that is the admin's
// /drain is refused.
func TestStatusURLToAdmin(t *testing.T) {
	app := newGuardApp(t, func(w http.ResponseWriter, _ *http.Request) {
		io.WriteString(w, "[answer, {play: hello.wav}, hangup]")
	})
	d := startGuardDaemonFor(t, func(admin string) string {
		return fmt.Sprintf("default_app: app\napps:\n  app: {url: %s/ivr, status_url: http://%s/drain, timeout: 5s}\n", app.URL, admin)
	})
	_, res := d.call(t, esltest.Options{})
	if res.Outcome != esltest.HungUp || res.Cause != "NORMAL_CLEARING" {
		t.Errorf("call ended %v, want hung up NORMAL_CLEARING", res)
	}
	d.idle(t) // call.end has been sent (or refused)
	d.undisturbed(t)
	if !strings.Contains(d.logs.String(), "callhook's admin API") {
		t.Errorf("no log line names the refusal of call.end; log:\n%s", d.logs)
	}
}

// startGuardDaemonFor starts a daemon on the config body that config
// makes for the admin's address (a free loopback port), plus the listen,
// admin and log keys.
func startGuardDaemonFor(t *testing.T, config func(admin string) string) *guardDaemon {
	t.Helper()
	for attempt := 1; ; attempt++ {
		ports := opsFreePorts(t, 1)
		d, ok := tryGuardDaemon(t, ports[0], config(ports[0]))
		if ok {
			return d
		}
		if attempt == 3 {
			t.Fatal("the daemon could not bind its ports three times")
		}
	}
}

// tryGuardDaemon is startGuardDaemon with the admin address given; false
// when a port was taken meanwhile.
func tryGuardDaemon(t *testing.T, admin, body string) (*guardDaemon, bool) {
	t.Helper()
	listen := opsFreePorts(t, 1)[0]
	text := fmt.Sprintf("listen: %s\nadmin: %s\nlog: {level: debug, format: json}\n%s", listen, admin, body)
	path := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.LoadWithLiverpie(path, "", os.LookupEnv)
	if err != nil {
		t.Fatalf("config:\n%s\n%v", text, err)
	}
	logs := &testlog.Buffer{}
	s, err := newServer(cfg, newLogger(cfg.Log, logs))
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		if strings.Contains(err.Error(), "address already in use") {
			return nil, false
		}
		t.Fatal(err)
	}
	served, err := s.serve(ln)
	if err != nil {
		if strings.Contains(err.Error(), "address already in use") {
			return nil, false
		}
		t.Fatalf("the daemon did not start: %v", err)
	}
	t.Cleanup(func() {
		s.ops.stop()
		s.esl.Close()
		<-served
		s.deps.client.CloseIdleConnections()
		if t.Failed() {
			t.Logf("daemon log:\n%s", logs)
		}
	})
	return &guardDaemon{s: s, esl: listen, admin: s.ops.addr(), port: portOf(s.ops.addr()), logs: logs}, true
}

// TestHTTPRedirectToAdmin: the app's URL answers with a 301, 302, 303, 307
// or 308 to the admin's /drain. Go's client follows them all (307 and 308
// keep the POST); the hop to the admin is refused at connect time.
func TestHTTPRedirectToAdmin(t *testing.T) {
	for _, code := range []int{301, 302, 303, 307, 308} {
		t.Run(fmt.Sprint(code), func(t *testing.T) {
			var admin adminAddr
			app := newGuardApp(t, func(w http.ResponseWriter, r *http.Request) {
				http.Redirect(w, r, "http://"+admin.get()+"/drain", code)
			})
			d := startGuardDaemon(t, app.webhookConfig())
			admin.set(d.admin)
			c, res := d.call(t, esltest.Options{})
			endedByFallback(t, c, res)
			app.refusedFallback(t)
			d.undisturbed(t)
		})
	}
}

// TestFlowFetchRedirectToAdmin: a flow's fetch answered by a 307 to the
// admin's /drain takes the fetch's error route; no drain starts.
func TestFlowFetchRedirectToAdmin(t *testing.T) {
	var admin adminAddr
	web := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://"+admin.get()+"/drain", http.StatusTemporaryRedirect)
	}))
	t.Cleanup(web.Close)
	d := startGuardDaemon(t, "default_app: flow\napps:\n  flow: {flow: "+fetchFlow(t, web.URL+"/lookup")+"}\n")
	admin.set(d.admin)
	c, res := d.call(t, esltest.Options{})
	if got := played(c); !slices.Equal(got, []string{"failed.wav"}) || res.Outcome != esltest.HungUp {
		t.Errorf("call played %q and ended %v, want failed.wav (the fetch's error route), then a hangup", got, res)
	}
	d.undisturbed(t)
	if !strings.Contains(d.logs.String(), "callhook's admin API") {
		t.Errorf("no log line names the refused fetch; log:\n%s", d.logs)
	}
}

// fetchFlow writes a flow that POSTs a fetch to target and plays fine.wav
// on success, failed.wav on its error route; it returns the file's path.
func fetchFlow(t *testing.T, target string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "fetch.yaml")
	err := os.WriteFile(path, []byte(`start: ask
states:
  ask:
    fetch: {url: "`+target+`", method: POST}
    on: {ok: fine, error: failed}
  fine: {verbs: [{play: fine.wav}], hangup: true}
  failed: {verbs: [{play: failed.wav}], hangup: true}
`), 0o600)
	if err != nil {
		t.Fatal(err)
	}
	return path
}

// TestLiveRedirectToAdmin: an operator's live redirect to a URL whose
// answer is a 307 to the admin's /drain: the app's answer is refused, the
// call goes to its fallback.
func TestLiveRedirectToAdmin(t *testing.T) {
	var admin adminAddr
	app := newGuardApp(t, func(w http.ResponseWriter, _ *http.Request) {
		io.WriteString(w, "[answer, {play: 'silence_stream://600000'}]")
	})
	app.mux.HandleFunc("POST /moved", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://"+admin.get()+"/drain", http.StatusTemporaryRedirect)
	})
	d := startGuardDaemon(t, app.webhookConfig())
	admin.set(d.admin)

	ctx, cancel := context.WithTimeout(t.Context(), opsGuard)
	defer cancel()
	c, err := esltest.Dial(ctx, d.esl, esltest.Options{Speed: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if _, err := c.WaitApp(ctx, "playback"); err != nil {
		t.Fatal(err)
	}
	resp, err := http.PostForm("http://"+d.admin+"/calls/"+c.UUID()+"/redirect", url.Values{"url": {app.URL + "/moved"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("POST redirect = %d, want 200", resp.StatusCode)
	}
	res, err := c.Wait(ctx)
	if err != nil {
		t.Fatal(err)
	}
	endedByFallback(t, c, res)
	app.refusedFallback(t)
	d.undisturbed(t)
}

// TestAdminOnEveryAddress: with the admin bound to every address, every
// local address on its port is the admin's. Tests may only use loopback,
// so the daemon's admin listens on 127.0.0.1 as configured and, on the
// same port, on 127.0.0.2 and [::1] too, and the guard is told what
// operations.start tells it of a [::] bind; the addresses of the host's
// other interfaces are checked without a connection in proxy's tests.
func TestAdminOnEveryAddress(t *testing.T) {
	for _, host := range []string{"127.0.0.2", "[::1]", "127.0.0.1", "0.0.0.0", "localhost", "127.255.255.254"} {
		t.Run("host="+host, func(t *testing.T) {
			var admin adminAddr
			app := newGuardApp(t, func(w http.ResponseWriter, _ *http.Request) {
				fmt.Fprintf(w, "[answer, {redirect: 'http://%s:%s/drain'}]", host, portOf(admin.get()))
			})
			d := startGuardDaemon(t, app.webhookConfig())
			port := d.port
			for _, extra := range []string{"127.0.0.2", "[::1]", "127.255.255.254"} {
				ln, err := net.Listen("tcp", extra+":"+port)
				if err != nil {
					t.Skipf("cannot listen on %s:%s as well: %v", extra, port, err)
				}
				go d.s.ops.admin.Serve(ln)
			}
			ap := netip.MustParseAddrPort("[::]:" + port)
			d.s.deps.guard.Refuse(ap, adminWhat)
			admin.set(d.admin)
			c, res := d.call(t, esltest.Options{})
			endedByFallback(t, c, res)
			app.refusedFallback(t)
			d.undisturbed(t)
		})
	}
}

// forwarder is a port forward to the admin API (as an HTTP proxy or a NAT
// would be): a path to the admin that the connect-time guard cannot see.
// It records the X-Callhook-Call-Id of each request it forwards.
type forwarder struct {
	*httptest.Server
	mu    sync.Mutex
	marks []string
}

func newForwarder(t *testing.T, admin *adminAddr) *forwarder {
	f := &forwarder{}
	f.Server = httptest.NewServer(&httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			f.mu.Lock()
			f.marks = append(f.marks, r.In.Header.Get(apphttp.CallIDHeader))
			f.mu.Unlock()
			r.SetURL(&url.URL{Scheme: "http", Host: admin.get()})
		},
	})
	t.Cleanup(f.Close)
	return f
}

// sawOnly checks that the forwarder forwarded one request, marked with id.
func (f *forwarder) sawOnly(t *testing.T, id string) {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	if !slices.Equal(f.marks, []string{id}) {
		t.Errorf("the forwarder saw %s %q, want the call's id %s once", apphttp.CallIDHeader, f.marks, id)
	}
}

// refusedByAdmin checks the admin API's log line of a refused app request.
func (d *guardDaemon) refusedByAdmin(t *testing.T) {
	t.Helper()
	if !strings.Contains(d.logs.String(), "admin: refused a request an app made callhook send") {
		t.Errorf("the admin API logged no refusal; log:\n%s", d.logs)
	}
}

// TestAdminRefusesAppRequests: the admin API's own defence, for a path the
// connect-time guard cannot see: a redirect chain from the app's URL
// through a second hop to a forward to the admin keeps X-Callhook-Call-Id
// on every hop, and the admin API refuses the request with 403 and a log
// line.
func TestAdminRefusesAppRequests(t *testing.T) {
	var admin adminAddr
	fwd := newForwarder(t, &admin)
	app := newGuardApp(t, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/hop", http.StatusTemporaryRedirect)
	})
	app.mux.HandleFunc("POST /hop", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, fwd.URL+"/drain", http.StatusPermanentRedirect)
	})
	d := startGuardDaemon(t, app.webhookConfig())
	admin.set(d.admin)
	c, res := d.call(t, esltest.Options{})
	endedByFallback(t, c, res)
	d.undisturbed(t)
	fwd.sawOnly(t, c.UUID())
	d.refusedByAdmin(t)
	app.mu.Lock()
	fb := slices.Clone(app.fallbacks)
	app.mu.Unlock()
	if len(fb) != 1 || fb[0]["code"] != "http_403" {
		t.Errorf("fallback told %v, want code http_403 (the admin's refusal)", fb)
	}
}

// TestAdminRefusesFlowFetch: the same for a flow's fetch, answered by a
// 307 to a forward to the admin's /drain.
func TestAdminRefusesFlowFetch(t *testing.T) {
	var admin adminAddr
	fwd := newForwarder(t, &admin)
	web := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, fwd.URL+"/drain", http.StatusTemporaryRedirect)
	}))
	t.Cleanup(web.Close)
	d := startGuardDaemon(t, "default_app: flow\napps:\n  flow: {flow: "+fetchFlow(t, web.URL+"/lookup")+"}\n")
	admin.set(d.admin)
	c, res := d.call(t, esltest.Options{})
	if got := played(c); !slices.Equal(got, []string{"failed.wav"}) || res.Outcome != esltest.HungUp {
		t.Errorf("call played %q and ended %v, want failed.wav (the fetch's error route), then a hangup", got, res)
	}
	d.undisturbed(t)
	fwd.sawOnly(t, c.UUID())
	d.refusedByAdmin(t)
}

// TestSimulateGuardsTheConfiguredAdmin: simulate runs no admin API, but a
// daemon on the same config may (make run): a simulated call's app cannot
// reach the config's admin address either.
func TestSimulateGuardsTheConfiguredAdmin(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var got []string
	daemon := &httptest.Server{Listener: ln, Config: &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got = append(got, r.Method+" "+r.URL.Path)
		mu.Unlock()
	})}}
	daemon.Start()
	t.Cleanup(daemon.Close)
	port := portOf(ln.Addr().String())
	app := newGuardApp(t, func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintf(w, "[answer, {redirect: 'http://localhost:%s/drain'}]", port)
	})
	cfg := writeConfig(t, fmt.Sprintf("admin: %s\ndefault_app: app\napps:\n  app: {url: %s/ivr, fallback_url: %s/sorry}\n",
		ln.Addr(), app.URL, app.URL))
	code, out, errOut := simulate(t, "-config", cfg)
	if code != simFailed || !strings.Contains(out, "refused by callhook: 127.0.0.1:"+port+" is callhook's admin API") {
		t.Errorf("simulate = %d, want %d (the app failed) and the refusal in its transcript:\n%s\n%s", code, simFailed, out, errOut)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 0 {
		t.Errorf("the daemon's admin API got %q, want nothing", got)
	}
	app.refusedFallback(t)
}
