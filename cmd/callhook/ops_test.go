//go:build unix

package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/callhook/callhook/esl/esltest"
	"github.com/callhook/callhook/internal/leakcheck"
)

// Process-level tests of drain and limits: the real callhook binary runs
// `serve` as a child process, FreeSWITCH is the esltest simulator dialling
// its event socket, and the web app is an httptest server in this process.

// opsBinDir holds the callhook binary the ops tests build (once, on first
// use, so that other tests of this package do not pay for it); TestMain
// removes it when the tests are done.
var (
	opsBinDir   string
	opsBuild    sync.Once
	opsBin      string
	opsBuildErr error
)

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "callhook-ops-test-")
	if err != nil {
		fmt.Fprintf(os.Stderr, "ops tests: temp dir: %v\n", err)
		os.Exit(1)
	}
	opsBinDir = dir
	// Leaks are goroutines of this program or of the packages it wires
	// (a server, a session, a reload, the admin API).
	code := leakcheck.Check(m.Run(), leakcheck.Module, "main")
	os.RemoveAll(dir)
	os.Exit(code)
}

// opsBinary builds the daemon once for every ops test.
func opsBinary(t *testing.T) string {
	t.Helper()
	opsBuild.Do(func() {
		goTool, err := exec.LookPath("go")
		if err != nil {
			opsBuildErr = fmt.Errorf("the go tool is not on PATH: %w", err)
			return
		}
		bin := filepath.Join(opsBinDir, "callhook")
		out, err := exec.Command(goTool, "build", "-o", bin, ".").CombinedOutput()
		if err != nil {
			opsBuildErr = fmt.Errorf("go build: %w\n%s", err, out)
			return
		}
		opsBin = bin
	})
	if opsBuildErr != nil {
		t.Fatal(opsBuildErr)
	}
	return opsBin
}

// opsGuard is the failure guard of every wait: things happen in
// milliseconds, and only a broken daemon makes a wait run out.
const opsGuard = 20 * time.Second

// opsLog collects the daemon's JSON log lines as they come, so that a test
// can wait for one.
type opsLog struct {
	mu      sync.Mutex
	entries []map[string]any
	raw     strings.Builder
	changed chan struct{} // closed and replaced on each new line
	closed  bool          // stderr reached EOF
	eof     chan struct{} // closed with closed
}

func newOpsLog() *opsLog { return &opsLog{changed: make(chan struct{}), eof: make(chan struct{})} }

func (l *opsLog) read(r io.Reader) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		var e map[string]any
		if json.Unmarshal([]byte(line), &e) != nil {
			e = map[string]any{"msg": line} // not JSON: a panic or a Go runtime message
		}
		l.mu.Lock()
		l.entries = append(l.entries, e)
		l.raw.WriteString(line + "\n")
		close(l.changed)
		l.changed = make(chan struct{})
		l.mu.Unlock()
	}
	l.mu.Lock()
	l.closed = true
	close(l.changed)
	l.changed = make(chan struct{})
	l.mu.Unlock()
	close(l.eof)
}

func (l *opsLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.raw.String()
}

// wait returns the first log entry, from the start of the log, that has
// every field of want (compared as text).
func (l *opsLog) wait(t *testing.T, want map[string]string) map[string]any {
	t.Helper()
	guard := time.After(opsGuard)
	for seen := 0; ; {
		l.mu.Lock()
		for ; seen < len(l.entries); seen++ {
			if opsMatch(l.entries[seen], want) {
				e := l.entries[seen]
				l.mu.Unlock()
				return e
			}
		}
		ch, closed := l.changed, l.closed
		l.mu.Unlock()
		if closed {
			t.Fatalf("the daemon's log ended without a line %v; log:\n%s", want, l)
		}
		select {
		case <-ch:
		case <-guard:
			t.Fatalf("no log line %v within %v; log:\n%s", want, opsGuard, l)
		}
	}
}

func opsMatch(e map[string]any, want map[string]string) bool {
	for k, v := range want {
		if fmt.Sprint(e[k]) != v {
			return false
		}
	}
	return true
}

// opsDaemon is one `callhook serve` child process.
type opsDaemon struct {
	listen, admin string
	configPath    string
	token         string
	cmd           *exec.Cmd
	log           *opsLog
	exited        chan struct{} // closed when the process is gone; then err is set
	err           error
}

// opsFreePorts returns n loopback addresses with ports that were free a
// moment ago: the daemon's config cannot ask for port 0, so the test picks
// ports itself, holding all n at once so that they differ. Another process
// may take one between Close and the daemon's bind; startOpsDaemon then
// starts over with new ports.
func opsFreePorts(t *testing.T, n int) []string {
	t.Helper()
	var addrs []string
	for range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		addrs = append(addrs, ln.Addr().String())
	}
	return addrs
}

// startOpsDaemon writes a config (the listen, admin and admin_token keys
// are added to body) and runs callhook serve on it until it says it
// serves.
func startOpsDaemon(t *testing.T, body string) *opsDaemon {
	t.Helper()
	bin := opsBinary(t)
	for attempt := 1; ; attempt++ {
		ports := opsFreePorts(t, 2)
		d := &opsDaemon{listen: ports[0], admin: ports[1], token: "ops-test-token",
			log: newOpsLog(), exited: make(chan struct{})}
		cfg := fmt.Sprintf("listen: %s\nadmin: %s\nadmin_token: %s\nlog: {level: debug, format: json}\n%s",
			d.listen, d.admin, d.token, body)
		path := filepath.Join(t.TempDir(), "config.yaml")
		if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
			t.Fatal(err)
		}
		d.configPath = path
		d.cmd = exec.Command(bin, "serve", "-config", path)
		stderr, err := d.cmd.StderrPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := d.cmd.Start(); err != nil {
			t.Fatalf("start callhook serve: %v", err)
		}
		go d.log.read(stderr)
		go func() {
			// Wait after stderr is read to its end (the os/exec rule
			// for StderrPipe), so no log line is lost.
			<-d.log.eof
			d.err = d.cmd.Wait()
			close(d.exited)
		}()
		t.Cleanup(func() {
			select {
			case <-d.exited:
			default:
				d.cmd.Process.Kill() // only when a test failed before the daemon exited
				<-d.exited
			}
			if t.Failed() {
				t.Logf("callhook serve log:\n%s", d.log)
			}
		})
		if d.serving(t) {
			return d
		}
		if attempt == 3 {
			t.Fatalf("callhook serve could not bind its ports three times; log:\n%s", d.log)
		}
	}
}

// serving waits until the daemon logs that it serves (true), or exits
// because a port it was given was taken meanwhile (false).
func (d *opsDaemon) serving(t *testing.T) bool {
	t.Helper()
	guard := time.After(opsGuard)
	for seen := 0; ; {
		d.log.mu.Lock()
		for ; seen < len(d.log.entries); seen++ {
			e := d.log.entries[seen]
			if e["msg"] == "callhook serving" {
				d.log.mu.Unlock()
				return true
			}
			if s := fmt.Sprint(e["error"], e["msg"]); strings.Contains(s, "address already in use") {
				d.log.mu.Unlock()
				<-d.exited
				return false
			}
		}
		ch := d.log.changed
		d.log.mu.Unlock()
		select {
		case <-ch:
		case <-d.exited:
			t.Fatalf("callhook serve exited before serving (%v); log:\n%s", d.err, d.log)
		case <-guard:
			t.Fatalf("callhook serve did not say it serves within %v; log:\n%s", opsGuard, d.log)
		}
	}
}

// get sends a GET to the admin API with the token.
func (d *opsDaemon) get(t *testing.T, path string) (int, string) {
	t.Helper()
	r, err := http.NewRequestWithContext(t.Context(), http.MethodGet, "http://"+d.admin+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	r.Header.Set("Authorization", "Bearer "+d.token)
	resp, err := http.DefaultClient.Do(r)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	return resp.StatusCode, string(b)
}

// post sends a POST without a body to the admin API with the token.
func (d *opsDaemon) post(t *testing.T, path string) (int, string) {
	t.Helper()
	r, err := http.NewRequestWithContext(t.Context(), http.MethodPost, "http://"+d.admin+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	r.Header.Set("Authorization", "Bearer "+d.token)
	resp, err := http.DefaultClient.Do(r)
	if err != nil {
		t.Fatalf("POST %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("POST %s: %v", path, err)
	}
	return resp.StatusCode, string(b)
}

// until asks cond again and again until it holds. It is for a state the
// daemon reaches just after the last thing the test can wait on (a log
// line, a call's end); each ask is an HTTP round trip, and the guard only
// ends a wait that a broken daemon would make endless.
func (d *opsDaemon) until(t *testing.T, what string, cond func() bool) {
	t.Helper()
	guard := time.Now().Add(opsGuard)
	for !cond() {
		if time.Now().After(guard) {
			t.Fatalf("%s: not within %v; log:\n%s", what, opsGuard, d.log)
		}
	}
}

// active returns GET /calls's count of calls held against the limits.
func (d *opsDaemon) active(t *testing.T) int {
	t.Helper()
	code, body := d.get(t, "/calls")
	var list struct {
		Active *int `json:"active"`
	}
	if err := json.Unmarshal([]byte(body), &list); code != http.StatusOK || err != nil || list.Active == nil {
		t.Fatalf("GET /calls = %d %s (%v), want a list with active", code, body, err)
	}
	return *list.Active
}

// metric returns one sample's value from /metrics, by its name and
// labels as written (labels sorted by name).
func (d *opsDaemon) metric(t *testing.T, sample string) string {
	t.Helper()
	code, body := d.get(t, "/metrics")
	if code != http.StatusOK {
		t.Fatalf("GET /metrics = %d", code)
	}
	for _, line := range strings.Split(body, "\n") {
		if v, ok := strings.CutPrefix(line, sample+" "); ok {
			return v
		}
	}
	return "absent"
}

func (d *opsDaemon) dial(t *testing.T, o esltest.Options) *esltest.Call {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), opsGuard)
	defer cancel()
	c, err := esltest.Dial(ctx, d.listen, o)
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// waitExit waits for the daemon to exit and returns its exit status.
func (d *opsDaemon) waitExit(t *testing.T) int {
	t.Helper()
	select {
	case <-d.exited:
	case <-time.After(opsGuard):
		t.Fatalf("callhook serve did not exit within %v; log:\n%s", opsGuard, d.log)
	}
	var ee *exec.ExitError
	if errors.As(d.err, &ee) {
		return ee.ExitCode()
	}
	if d.err != nil {
		t.Fatalf("callhook serve: %v", d.err)
	}
	return 0
}

func opsWaitResult(t *testing.T, c *esltest.Call) *esltest.Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), opsGuard)
	defer cancel()
	r, err := c.Wait(ctx)
	if err != nil {
		t.Fatalf("Wait: %v", err)
	}
	return r
}

func opsWaitApp(t *testing.T, c *esltest.Call, app string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), opsGuard)
	defer cancel()
	if _, err := c.WaitApp(ctx, app); err != nil {
		t.Fatalf("WaitApp(%s): %v", app, err)
	}
}

// opsLongPlayApp is a web app whose calls sit in a ten-minute playback (at
// the simulator's real speed) until the caller hangs up.
func opsLongPlayApp(t *testing.T) string {
	t.Helper()
	web := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/yaml")
		io.WriteString(w, "[answer, {play: 'silence_stream://600000'}]")
	}))
	t.Cleanup(web.Close)
	return web.URL
}

func opsAppConfig(webURL string) string {
	return fmt.Sprintf("default_app: ivr\napps:\n  ivr:\n    url: %s/ivr\n    retries: 0\n", webURL)
}

// TestDrain: SIGTERM (or POST /drain) with a call in progress. The daemon
// stops being ready and hands new calls back to the dialplan, lets the
// call go on until the caller hangs up, and then exits 0.
func TestDrain(t *testing.T) {
	tests := []struct {
		name    string
		drain   func(t *testing.T, d *opsDaemon)
		wantLog map[string]string
	}{
		{"SIGTERM", func(t *testing.T, d *opsDaemon) {
			if err := d.cmd.Process.Signal(syscall.SIGTERM); err != nil {
				t.Fatal(err)
			}
		}, map[string]string{"msg": "draining", "signal": "terminated"}},
		{"POST /drain", func(t *testing.T, d *opsDaemon) {
			if code, body := d.post(t, "/drain"); code != http.StatusAccepted {
				t.Fatalf("POST /drain = %d %s, want 202", code, body)
			}
		}, map[string]string{"msg": "draining", "by": "admin"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := startOpsDaemon(t, "drain_timeout: 10m\n"+opsAppConfig(opsLongPlayApp(t)))

			if code, body := d.get(t, "/readyz"); code != http.StatusOK {
				t.Fatalf("GET /readyz before the drain = %d %q, want 200", code, body)
			}
			first := d.dial(t, esltest.Options{Speed: 1})
			opsWaitApp(t, first, "playback")

			tc.drain(t, d)
			d.log.wait(t, tc.wantLog)
			// The daemon logs that it drains just before the proxy stops
			// taking calls, and nothing after it, so /readyz is asked until
			// it says so.
			d.until(t, "/readyz answers 503 once draining", func() bool {
				code, _ := d.get(t, "/readyz")
				return code == http.StatusServiceUnavailable
			})

			// A call placed now is refused: connect, resume, exit, so the
			// dialplan goes on.
			second := d.dial(t, esltest.Options{Speed: 1})
			if res := opsWaitResult(t, second); res.Outcome != esltest.DialplanContinued || !res.Resumed {
				t.Errorf("call placed while draining ended %v, want resumed to the dialplan", res)
			}
			if v := d.metric(t, `callhook_calls_refused_total{reason="draining"}`); v != "1" {
				t.Errorf("calls_refused_total{reason=draining} = %s, want 1", v)
			}
			if v := d.metric(t, `callhook_calls_active{app="ivr"}`); v != "1" {
				t.Errorf("calls_active{app=ivr} while draining = %s, want 1 (the call in progress)", v)
			}

			// The call in progress is untouched, and the daemon waits for it.
			select {
			case <-d.exited:
				t.Fatalf("callhook serve exited (%v) with a call in progress", d.err)
			default:
			}
			first.Hangup("NORMAL_CLEARING")
			if res := opsWaitResult(t, first); res.Outcome != esltest.HungUp || res.By != esltest.ByCaller {
				t.Errorf("call in progress ended %v, want hung up by the caller", res)
			}
			if code := d.waitExit(t); code != 0 {
				t.Errorf("callhook serve exited %d after draining, want 0", code)
			}
			end := d.log.wait(t, map[string]string{"msg": "call ended", "call_id": first.UUID()})
			if end["outcome"] != "hangup" || end["cause"] != "NORMAL_CLEARING" {
				t.Errorf("call-end log line = %v, want outcome hangup, cause NORMAL_CLEARING", end)
			}
		})
	}
}

// TestDrainTimeout: a call still up when drain_timeout runs out is hung up
// with SYSTEM_SHUTDOWN, the log says so, and the daemon exits 0.
func TestDrainTimeout(t *testing.T) {
	d := startOpsDaemon(t, "drain_timeout: 1s\n"+opsAppConfig(opsLongPlayApp(t)))
	c := d.dial(t, esltest.Options{Speed: 1})
	opsWaitApp(t, c, "playback")
	if err := d.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if res := opsWaitResult(t, c); res.Outcome != esltest.HungUp || res.By != esltest.ByDaemon || res.Cause != "SYSTEM_SHUTDOWN" {
		t.Errorf("call up at the drain deadline ended %v, want hung up SYSTEM_SHUTDOWN by the daemon", res)
	}
	if code := d.waitExit(t); code != 0 {
		t.Errorf("callhook serve exited %d after the drain deadline, want 0", code)
	}
	e := d.log.wait(t, map[string]string{"level": "warning", "cause": "SYSTEM_SHUTDOWN"})
	if fmt.Sprint(e["calls"]) != "1" {
		t.Errorf("drain deadline log line = %v, want calls=1", e)
	}
	d.log.wait(t, map[string]string{"msg": "call ended", "call_id": c.UUID(), "cause": "SYSTEM_SHUTDOWN"})
}

// TestCallLimit: with limits.max_calls: 2, a third call is refused and
// counted, and a call is accepted again once one has ended.
func TestCallLimit(t *testing.T) {
	d := startOpsDaemon(t, "limits: {max_calls: 2}\n"+opsAppConfig(opsLongPlayApp(t)))

	calls := []*esltest.Call{d.dial(t, esltest.Options{Speed: 1}), d.dial(t, esltest.Options{Speed: 1})}
	for _, c := range calls {
		opsWaitApp(t, c, "playback")
	}
	over := d.dial(t, esltest.Options{Speed: 1})
	if res := opsWaitResult(t, over); res.Outcome != esltest.DialplanContinued || !res.Resumed {
		t.Errorf("call over the limit ended %v, want resumed to the dialplan", res)
	}
	if v := d.metric(t, `callhook_calls_refused_total{reason="limit"}`); v != "1" {
		t.Errorf("calls_refused_total{reason=limit} = %s, want 1", v)
	}
	if v := d.metric(t, `callhook_calls_active{app="ivr"}`); v != "2" {
		t.Errorf("calls_active{app=ivr} = %s, want 2", v)
	}

	// One call ends. The proxy gives its place back just after the
	// call-end log line, and nothing follows that the test could wait on,
	// so /calls is asked until its active count (calls held against the
	// limit) has come down.
	calls[0].Hangup("NORMAL_CLEARING")
	opsWaitResult(t, calls[0])
	d.log.wait(t, map[string]string{"msg": "call ended", "call_id": calls[0].UUID()})
	d.until(t, "GET /calls says one call is held after one of two ended", func() bool { return d.active(t) == 1 })
	if v := d.metric(t, `callhook_calls_active{app="ivr"}`); v != "1" {
		t.Errorf("calls_active{app=ivr} after one ended = %s, want 1", v)
	}
	again := d.dial(t, esltest.Options{Speed: 1})
	opsWaitApp(t, again, "playback")
	if v := d.metric(t, `callhook_calls_refused_total{reason="limit"}`); v != "1" {
		t.Errorf("calls_refused_total{reason=limit} after a place came free = %s, want still 1", v)
	}

	for _, c := range []*esltest.Call{calls[1], again} {
		c.Hangup("NORMAL_CLEARING")
		opsWaitResult(t, c)
	}
	if err := d.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if code := d.waitExit(t); code != 0 {
		t.Errorf("callhook serve exited %d, want 0", code)
	}
}

// TestACLRefusalsLogOnce: 500 connections from outside the acl made 1,000
// log lines in 10 ms (the event socket server's and this daemon's own, one
// each per connection). Now the first refusal is logged, the rest are
// counted into lines that say how many, and the metric still counts each.
func TestACLRefusalsLogOnce(t *testing.T) {
	d := startOpsDaemon(t, "acl: [192.0.2.0/24]\n"+opsAppConfig(opsLongPlayApp(t)))
	const peers = 50
	for range peers {
		nc, err := net.Dial("tcp", d.listen)
		if err != nil {
			t.Fatal(err)
		}
		_ = nc.SetReadDeadline(time.Now().Add(opsGuard))
		if n, err := nc.Read(make([]byte, 1)); err == nil || n != 0 {
			t.Fatalf("a peer outside the acl read %d bytes, %v; want the connection closed", n, err)
		}
		nc.Close()
	}
	d.until(t, "every refusal is counted", func() bool {
		return d.metric(t, `callhook_calls_refused_total{reason="acl"}`) == fmt.Sprint(peers)
	})
	if err := d.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if code := d.waitExit(t); code != 0 {
		t.Errorf("callhook serve exited %d, want 0", code)
	}
	single, counted, other := 0, 0, 0
	d.log.mu.Lock()
	for _, e := range d.log.entries {
		msg := fmt.Sprint(e["msg"])
		var n int
		switch {
		case strings.HasSuffix(msg, ": not in the ACL"):
			single++
		case strings.Contains(msg, "more connections not in the ACL"):
			if _, err := fmt.Sscanf(msg, "esl: refused %d more", &n); err != nil {
				t.Errorf("count line %q: %v", msg, err)
			}
			counted += n
		case strings.Contains(msg, "refused"):
			other++
		}
	}
	d.log.mu.Unlock()
	if single != 1 || counted != peers-1 || other != 0 {
		t.Errorf("%d refusals: %d single lines, %d counted in count lines, %d other refusal lines; want 1, %d, 0; log:\n%s",
			peers, single, counted, other, peers-1, d.log)
	}
}
