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
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/callhook/callhook/esl"
	"github.com/callhook/callhook/esl/esltest"
	"github.com/callhook/callhook/internal/calltest"
	"github.com/callhook/callhook/internal/testlog"
	"github.com/callhook/callhook/proxy"
	"github.com/callhook/callhook/verb"
	"github.com/callhook/callhook/webhook"
	"github.com/sirupsen/logrus"
)

// guard bounds every wait of these tests; a passing test never reaches it.
const guard = 20 * time.Second

// startProxyConn is startProxy with the event socket options o, for the
// bounds tests.
func startProxyConn(t *testing.T, rt *proxy.Runtime, o esl.ConnOptions, obs ...proxy.Observer) *calltest.Engine {
	return calltest.Start(t, rt, calltest.Options{Conn: o, Observer: proxy.Observers(obs)})
}

// fakeFS plays a FreeSWITCH that answers connect and then only what the
// test makes it answer: a peer that falls silent.
type fakeFS struct {
	t  *testing.T
	nc net.Conn
	r  *esl.Reader
}

// dialFakeFS connects to the daemon and answers its connect with a
// channel whose Unique-ID is uuid.
func dialFakeFS(t *testing.T, addr, uuid string) *fakeFS {
	t.Helper()
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	f := &fakeFS{t: t, nc: nc, r: esl.NewReader(nc, esl.Limits{})}
	f.expect("connect")
	f.write("Event-Name: CHANNEL_DATA\nUnique-ID: " + uuid + "\nCaller-Caller-ID-Number: 1000\n" +
		"Caller-Destination-Number: 7000\nChannel-Name: loopback/7000-b\nAnswer-State: ringing\n" +
		"Content-Type: command/reply\nReply-Text: %2BOK%0A\nSocket-Mode: async\nControl: full\n\n")
	return f
}

// expect reads the next command and checks that its line starts with want.
func (f *fakeFS) expect(want string) esl.Command {
	f.t.Helper()
	_ = f.nc.SetReadDeadline(time.Now().Add(guard))
	cmd, _, err := f.r.ReadCommand()
	if err != nil {
		f.t.Fatalf("fake FreeSWITCH: reading a command, want %q: %v", want, err)
	}
	if !strings.HasPrefix(cmd.Line, want) {
		f.t.Fatalf("fake FreeSWITCH read %q, want %q", cmd.Line, want)
	}
	return cmd
}

// expectAnsweringProbes is expect, answering silence probes before want.
func (f *fakeFS) expectAnsweringProbes(want string) esl.Command {
	f.t.Helper()
	for {
		cmd := f.expect("")
		if cmd.Line != "getvar callhook_probe" {
			if !strings.HasPrefix(cmd.Line, want) {
				f.t.Fatalf("fake FreeSWITCH read %q, want %q", cmd.Line, want)
			}
			return cmd
		}
		f.reply("-ERR command not found")
	}
}

func (f *fakeFS) write(frames ...string) {
	f.t.Helper()
	_ = f.nc.SetWriteDeadline(time.Now().Add(guard))
	for _, fr := range frames {
		if _, err := io.WriteString(f.nc, fr); err != nil {
			f.t.Fatalf("fake FreeSWITCH: write: %v", err)
		}
	}
}

// flood writes frames until the daemon closes the connection (a write then
// fails: the flood did what it was meant to) or all are written.
func (f *fakeFS) flood(frames ...string) {
	_ = f.nc.SetWriteDeadline(time.Now().Add(guard))
	for _, fr := range frames {
		if _, err := io.WriteString(f.nc, fr); err != nil {
			return
		}
	}
}

func (f *fakeFS) reply(text string) {
	f.t.Helper()
	f.write("Content-Type: command/reply\nReply-Text: " + text + "\n\n")
}

// waitClosed reads until the daemon closes the connection and returns the
// command lines it sent meanwhile.
func (f *fakeFS) waitClosed() []string {
	f.t.Helper()
	_ = f.nc.SetReadDeadline(time.Now().Add(guard))
	var lines []string
	for {
		cmd, _, err := f.r.ReadCommand()
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				f.t.Fatalf("fake FreeSWITCH: the daemon kept the silent connection open for %v (sent %q)", guard, lines)
			}
			return lines
		}
		lines = append(lines, cmd.Line)
	}
}

// event is a text/event-plain frame of the channel uuid.
func event(uuid, name string, extra ...string) string {
	body := "Event-Name: " + name + "\nUnique-ID: " + uuid + "\n"
	for i := 0; i+1 < len(extra); i += 2 {
		body += extra[i] + ": " + extra[i+1] + "\n"
	}
	body += "\n"
	return fmt.Sprintf("Content-Length: %d\nContent-Type: text/event-plain\n\n%s", len(body), body)
}

// endLine returns the call-end log line of a call, checking there is one.
func endLine(t *testing.T, log *testlog.Log) *logrus.Entry {
	t.Helper()
	found := log.Find("call ended")
	if len(found) != 1 {
		t.Fatalf("%d call-end lines, want 1:\n%s", len(found), log)
	}
	return found[0]
}

// failedEnd says whether a call-end entry is a warning with outcome failed
// and an error that is want (errors.Is) and says what.
func failedEnd(e *logrus.Entry, want error, what string) bool {
	err := testlog.Err(e)
	return e.Level == logrus.WarnLevel && e.Data["outcome"] == proxy.OutcomeFailed &&
		errors.Is(err, want) && strings.Contains(err.Error(), what)
}

// TestSilentFreeSWITCHFreesItsSlot: peers that answered connect and then
// nothing held their call slots until they closed (with max_calls 20, 20
// of them refused every real call). The linger command's reply is due
// within ReplyTimeout: the connection is closed, the call ends failed with
// the reason in its end line, and the slot is free for a real call.
func TestSilentFreeSWITCHFreesItsSlot(t *testing.T) {
	rec := &failureRecorder{}
	app := newWebapp(t, func(r request) (int, string) { return 200, "[answer, {play: 'silence_stream://600000'}]" })
	rt := webhookRuntime(&webhook.App{Name: "a", URL: app.URL + "/ivr"})
	rt.MaxCalls = 2
	// Short enough for a test, long enough for the real call below on a
	// loaded machine.
	h := startProxyConn(t, rt, esl.ConnOptions{ReplyTimeout: 2 * time.Second, ProbeAfter: -1}, rec)

	for i := range 2 {
		f := dialFakeFS(t, h.Addr, fmt.Sprintf("silent-%d", i))
		f.expect("linger")
		f.waitClosed()
	}
	h.Idle()
	if _, outcomes := rec.get(); len(outcomes) != 2 || outcomes[0] != proxy.OutcomeFailed || outcomes[1] != proxy.OutcomeFailed {
		t.Errorf("silent calls ended %q, want [failed failed]", outcomes)
	}
	noReply := h.Log.Count(func(e *logrus.Entry) bool {
		err := testlog.Err(e)
		return errors.Is(err, esl.ErrNoReply) && strings.Contains(err.Error(), "linger")
	})
	if noReply != 2 {
		t.Errorf("%d log lines say the linger reply did not come, want one per call:\n%s", noReply, h.Log)
	}

	c := h.Dial(esltest.Options{Speed: 1, OnApp: func(c *esltest.Call, run esltest.AppRun) {
		if run.App == "playback" {
			c.Hangup("NORMAL_CLEARING")
		}
	}})
	if res := calltest.Wait(t, c); res.By != esltest.ByCaller {
		t.Errorf("real call after the silent ones: %v, want served (hung up by the caller)", res)
	}
}

// TestSilenceDuringAVerbIsProbed: a call can be silent for hours while a
// verb runs, so silence alone ends nothing; after ProbeAfter the daemon
// asks (getvar), an answer keeps the call, and no answer ends it as failed:
// call.end, the observers and the end line say so, with why.
func TestSilenceDuringAVerbIsProbed(t *testing.T) {
	rec := &failureRecorder{}
	app := newWebapp(t, func(r request) (int, string) {
		if r.Path == "/ivr" {
			return 200, "[answer, hangup]"
		}
		return 200, ""
	})
	h := startProxyConn(t, webhookRuntime(&webhook.App{Name: "a", URL: app.URL + "/ivr", StatusURL: app.URL + "/status"}),
		esl.ConnOptions{ReplyTimeout: 2 * time.Second, ProbeAfter: 300 * time.Millisecond}, rec)

	f := dialFakeFS(t, h.Addr, "probed-call")
	f.expect("linger")
	f.reply("+OK will linger 60 seconds")
	f.expect("myevents")
	f.reply("+OK Events Enabled")
	f.expect("nixevent")
	f.reply("+OK events nixed")
	// A slow web app can make the session silent long enough for a probe
	// before its first verb: those are answered.
	f.expectAnsweringProbes("sendmsg") // answer: accepted, and then it never completes
	f.reply("+OK")
	f.expect("getvar callhook_probe")
	f.reply("-ERR command not found")
	f.expect("getvar callhook_probe")
	if rest := f.waitClosed(); len(rest) != 0 {
		t.Errorf("after the unanswered probe the daemon sent %q, want the connection closed", rest)
	}

	end := app.waitRequest(t, "/status")
	if end.Body["outcome"] != proxy.OutcomeFailed {
		t.Errorf("call.end outcome = %v, want failed", end.Body["outcome"])
	}
	h.Idle()
	if _, outcomes := rec.get(); len(outcomes) != 1 || outcomes[0] != proxy.OutcomeFailed {
		t.Errorf("observers were told %q, want [failed]", outcomes)
	}
	if e := endLine(t, h.Log); !failedEnd(e, esl.ErrNoReply, "silence probe") {
		t.Errorf("end line = %s %v\nwant a warning with outcome=failed and the unanswered probe", e.Message, e.Data)
	}
}

// TestProtocolErrorMidCallFails: a protocol error mid-call was logged as
// an ordinary hangup and reported as one; it is a failure.
func TestProtocolErrorMidCallFails(t *testing.T) {
	rec := &failureRecorder{}
	app := newWebapp(t, func(r request) (int, string) {
		if r.Path == "/ivr" {
			return 200, "[answer, {play: 'silence_stream://600000'}]"
		}
		return 200, ""
	})
	h := startProxy(t, webhookRuntime(&webhook.App{Name: "a", URL: app.URL + "/ivr", StatusURL: app.URL + "/status"}), rec)
	c := h.Dial(esltest.Options{Speed: 1, GarbageAfter: 6})
	calltest.Wait(t, c)
	end := app.waitRequest(t, "/status")
	if end.Body["outcome"] != proxy.OutcomeFailed {
		t.Errorf("call.end outcome = %v, want failed", end.Body["outcome"])
	}
	h.Idle()
	if _, outcomes := rec.get(); len(outcomes) != 1 || outcomes[0] != proxy.OutcomeFailed {
		t.Errorf("observers were told %q, want [failed]", outcomes)
	}
	isProtocolError := func(e *logrus.Entry) bool {
		_, ok := errors.AsType[*esl.ProtocolError](testlog.Err(e))
		return ok
	}
	if e := endLine(t, h.Log); e.Data["outcome"] != proxy.OutcomeFailed || !isProtocolError(e) {
		t.Errorf("end line = %s %v\nwant outcome=failed and the protocol error", e.Message, e.Data)
	}
	if n := h.Log.Count(isProtocolError); n != 1 {
		t.Errorf("the protocol error is logged %d times, want once:\n%s", n, h.Log)
	}
}

// TestQueueOverflowFails: events that overflow a call's queue ended the
// call as an ordinary hangup. The peer floods while the session waits for
// the app's first answer, so nothing reads the queue; the call ends failed,
// and call.end, the observers and the end line say so, once.
func TestQueueOverflowFails(t *testing.T) {
	rec := &failureRecorder{}
	asked := make(chan struct{})
	statuses := make(chan string, 1)
	web := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if r.URL.Path == "/status" {
			var end struct{ Outcome string }
			_ = json.Unmarshal(body, &end)
			statuses <- end.Outcome
			return
		}
		close(asked)
		<-r.Context().Done() // held until the daemon gives up on the call
	}))
	t.Cleanup(web.Close)
	h := startProxyConn(t, webhookRuntime(&webhook.App{Name: "a", URL: web.URL + "/ivr", StatusURL: web.URL + "/status"}),
		esl.ConnOptions{MaxQueuedEvents: 5}, rec)

	f := dialFakeFS(t, h.Addr, "flooded-call")
	f.expect("linger")
	f.reply("+OK will linger 60 seconds")
	f.expect("myevents")
	f.reply("+OK Events Enabled")
	f.expect("nixevent")
	f.reply("+OK events nixed")
	select {
	case <-asked:
	case <-time.After(guard):
		t.Fatal("the app was not asked")
	}
	for range 10 {
		f.flood(event("flooded-call", "CUSTOM"))
	}
	f.waitClosed()
	select {
	case got := <-statuses:
		if got != proxy.OutcomeFailed {
			t.Errorf("call.end outcome = %q, want failed", got)
		}
	case <-time.After(guard):
		t.Fatal("no call.end")
	}
	h.Idle()
	if _, outcomes := rec.get(); len(outcomes) != 1 || outcomes[0] != proxy.OutcomeFailed {
		t.Errorf("observers were told %q, want [failed]", outcomes)
	}
	if e := endLine(t, h.Log); !failedEnd(e, esl.ErrQueueOverflow, "") {
		t.Errorf("end line = %s %v\nwant a warning with outcome=failed and the overflow", e.Message, e.Data)
	}
	overflows := h.Log.Count(func(e *logrus.Entry) bool { return errors.Is(testlog.Err(e), esl.ErrQueueOverflow) })
	if overflows != 1 {
		t.Errorf("the overflow is logged %d times, want once:\n%s", overflows, h.Log)
	}
}

// TestDuplicateUniqueID: a second connection with a live call's Unique-ID
// replaced the first in the live-call registry (a 404 in the admin API,
// missed by drain). It is refused, handed back to the dialplan and
// counted; the first call stays reachable.
func TestDuplicateUniqueID(t *testing.T) {
	refused := &refusalRecorder{}
	app := newWebapp(t, func(r request) (int, string) { return 200, "[answer, {play: 'silence_stream://600000'}]" })
	h := startProxy(t, webhookRuntime(&webhook.App{Name: "a", URL: app.URL + "/ivr"}), refused)
	const id = "0a0a0a0a-0000-4000-8000-00000000d0b1"
	first := h.Dial(esltest.Options{Speed: 1, UUID: id, CallerIDNumber: "1001"})
	if _, err := first.WaitApp(t.Context(), "playback"); err != nil {
		t.Fatal(err)
	}
	second := h.Dial(esltest.Options{Speed: 1, UUID: id, CallerIDNumber: "2002"})
	if res := calltest.Wait(t, second); res.Outcome != esltest.DialplanContinued || !res.Resumed {
		t.Errorf("second call with the same Unique-ID ended %v, want refused to the dialplan", res)
	}
	if got := refused.get(); len(got) != 1 || got[0] != proxy.RefusedDuplicateID {
		t.Errorf("refusals = %q, want [%s]", got, proxy.RefusedDuplicateID)
	}
	if info, ok := h.Proxy.Call(id); !ok || info.From != "1001" {
		t.Errorf("Call(%s) = %+v, %v; want the first call (from 1001)", id, info, ok)
	}
	if err := h.Proxy.Hangup(t.Context(), id, "NORMAL_CLEARING"); err != nil {
		t.Fatalf("Hangup(first) = %v", err)
	}
	if res := calltest.Wait(t, first); res.By != esltest.ByDaemon {
		t.Errorf("first call ended %v, want hung up by the daemon's uuid_kill", res)
	}
	h.Idle()
}

// refusalRecorder records CallRefused reasons.
type refusalRecorder struct {
	proxy.NopObserver
	mu      sync.Mutex
	reasons []string
}

func (r *refusalRecorder) CallRefused(_ *esl.Event, _, reason string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.reasons = append(r.reasons, reason)
}

func (r *refusalRecorder) get() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.reasons...)
}

// TestUnsafeCallIDNeverReachesAnAPICommand: a Unique-ID (set through
// origination_uuid, which FreeSWITCH takes as it is) went into "api
// uuid_kill <id> <cause>" unchecked; "<victim> x" would have killed
// the victim. Live hangups and redirects of such a call are refused.
func TestUnsafeCallIDNeverReachesAnAPICommand(t *testing.T) {
	app := newWebapp(t, func(r request) (int, string) {
		if r.Path == "/ivr" {
			return 200, "[answer, {play: 'silence_stream://600000'}]"
		}
		return 200, "[hangup]"
	})
	h := startProxy(t, webhookRuntime(&webhook.App{Name: "a", URL: app.URL + "/ivr"}))
	const id = "victim NORMAL_CLEARING"
	c := h.Dial(esltest.Options{Speed: 1, UUID: id})
	if _, err := c.WaitApp(t.Context(), "playback"); err != nil {
		t.Fatal(err)
	}
	if err := h.Proxy.Hangup(t.Context(), id, "CALL_REJECTED"); !errors.Is(err, proxy.ErrBadCallID) {
		t.Errorf("Hangup(%q) = %v, want ErrBadCallID", id, err)
	}
	if err := h.Proxy.Redirect(t.Context(), id, app.URL+"/elsewhere"); !errors.Is(err, proxy.ErrBadCallID) {
		t.Errorf("Redirect(%q) = %v, want ErrBadCallID", id, err)
	}
	c.Hangup("NORMAL_CLEARING")
	calltest.Wait(t, c)
	h.Idle()
	for _, cmd := range c.Received() {
		if strings.HasPrefix(cmd.Line, "api ") {
			t.Errorf("the simulator received %q: the unsafe id reached an api command", cmd.Line)
		}
	}
}

// TestConnectReplyNotKeptForTheCall: the connect reply was kept for the
// call's life (20 calls with a 16 MiB reply used 343 MB). Once the call's
// dialog has started, the call keeps the headers it reads and the
// variables its apps read, and the connection keeps nothing of it.
func TestConnectReplyNotKeptForTheCall(t *testing.T) {
	app := newWebapp(t, func(r request) (int, string) {
		if r.Path == "/ivr" {
			return 200, "[answer, {play: 'silence_stream://600000'}]"
		}
		return 200, ""
	})
	conns := make(chan *esl.Conn, 1)
	w := &channelWatcher{}
	h := calltest.Start(t, webhookRuntime(&webhook.App{Name: "a", URL: app.URL + "/ivr", Vars: []string{"wanted"}}),
		calltest.Options{Wrap: func(_ context.Context, c *esl.Conn) { conns <- c }, Observer: w})
	big := strings.Repeat("x", 256<<10)
	c := h.Dial(esltest.Options{Speed: 1, Vars: map[string]string{"big": big, "wanted": "yes"}})
	conn := <-conns
	if _, err := c.WaitApp(t.Context(), "playback"); err != nil {
		t.Fatal(err)
	}
	if ch := conn.Channel(); ch != nil {
		t.Errorf("the connection still holds the connect reply (%d headers) while the call runs", len(ch.Headers))
	}
	c.Hangup("NORMAL_CLEARING")
	calltest.Wait(t, c)
	h.Idle()
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.checked || w.keepsBig || w.wanted != "yes" || w.id != c.UUID() {
		t.Errorf("at the play verb: checked %v, call keeps variable_big %v, Var(wanted) = %q, Channel Unique-ID %q; want true, false, yes, %q",
			w.checked, w.keepsBig, w.wanted, w.id, c.UUID())
	}
	start := app.waitRequest(t, "/ivr")
	if vars, _ := start.Body["vars"].(map[string]any); vars["wanted"] != "yes" {
		t.Errorf("call.start vars = %v, want wanted=yes", start.Body["vars"])
	}
}

// channelWatcher looks, on the session's goroutine (VerbStarted), at what
// the call holds of its connect reply when its play verb starts.
type channelWatcher struct {
	proxy.NopObserver
	mu       sync.Mutex
	checked  bool
	keepsBig bool
	wanted   string
	id       string
}

func (w *channelWatcher) VerbStarted(c *proxy.Call, v verb.Verb) {
	if v.Name != "play" {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.checked = true
	_, w.keepsBig = c.Channel.LookupVar("big")
	w.wanted, _ = c.Var("wanted")
	w.id = c.Channel.UniqueID()
}
