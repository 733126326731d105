package proxy_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/callhook/callhook/esl"
	"github.com/callhook/callhook/esl/esltest"
	"github.com/callhook/callhook/internal/calltest"
	"github.com/callhook/callhook/internal/testlog"
	"github.com/callhook/callhook/liverpie"
	"github.com/callhook/callhook/proxy"
	"github.com/callhook/callhook/webhook"
	"github.com/sirupsen/logrus"
)

// TestSetupSendsNixeventWithMyevents: a webhook call's set-up writes
// linger, myevents and nixevent together, without waiting for a reply in
// between (the fake FreeSWITCH reads all three before it answers any: a
// daemon that waited for the myevents reply first would never send the
// third), and takes the replies in order: the -ERR that answers nixevent
// (a refusal, which the call goes on without, as before) is not taken for
// the answer to myevents, and the call runs to its end as an ordinary
// hangup.
func TestSetupSendsNixeventWithMyevents(t *testing.T) {
	app := newWebapp(t, func(r request) (int, string) {
		if r.Path == "/ivr" {
			return 200, "[hangup]"
		}
		return 200, ""
	})
	h := startProxy(t, webhookRuntime(&webhook.App{Name: "a", URL: app.URL + "/ivr"}))
	const uuid = "5d3ad3b4-setup-nix"
	f := dialFakeFS(t, h.Addr, uuid)
	f.expect("linger")
	f.expect("myevents")
	nix := f.expect("nixevent")
	if want := "nixevent " + strings.Join(proxy.IgnoredEvents(), " "); nix.Line != want {
		t.Errorf("nixevent line %q, want %q", nix.Line, want)
	}
	f.reply("+OK will linger 30 seconds")
	f.reply("+OK Events Enabled")
	f.reply("-ERR no keywords supplied")

	app.waitRequest(t, "/ivr")
	if hangup := f.expectAnsweringProbes("sendmsg"); hangup.Headers.Get("call-command") != "hangup" {
		t.Fatalf("the daemon sent %q %v, want the hangup verb's sendmsg", hangup.Line, hangup.Headers)
	}
	f.reply("+OK")
	f.write(event(uuid, "CHANNEL_HANGUP_COMPLETE", "Answer-State", "hangup", "Hangup-Cause", "NORMAL_CLEARING"))
	f.expectAnsweringProbes("exit")
	f.reply("+OK bye")
	f.nc.Close()
	h.Idle()

	if e := endLine(t, h.Log); e.Data["outcome"] != proxy.OutcomeHangup || e.Data["cause"] != "NORMAL_CLEARING" {
		t.Errorf("end line = %s %v, want outcome hangup, cause NORMAL_CLEARING", e.Message, e.Data)
	}
	if h.Log.Count(func(e *logrus.Entry) bool { return strings.Contains(e.Message, "nixevent refused") }) != 1 {
		t.Errorf("the refused nixevent is not logged once:\n%s", h.Log)
	}
}

// TestLiverpieCallGetsEveryEvent: a Liverpie app is sent every event's
// headers, so its call nixes nothing: the app's first answer waits for
// CHANNEL_PARK, a type webhook and flow calls nix, and it comes.
func TestLiverpieCallGetsEveryEvent(t *testing.T) {
	var mu sync.Mutex
	var posts []url.Values
	web := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			return // the reset
		}
		r.ParseForm()
		mu.Lock()
		posts = append(posts, r.PostForm)
		n := len(posts)
		mu.Unlock()
		switch n {
		case 1:
			io.WriteString(w, "msg: \"sendmsg\\ncall-command: execute\\nexecute-app-name: answer\\n\"\n"+
				"expected_key: event_name\nexpected_value: CHANNEL_PARK\n")
		case 2:
			io.WriteString(w, "msg: \"sendmsg\\ncall-command: hangup\\nhangup-cause: NORMAL_CLEARING\\n\"\n"+
				"expected_key: event_name\nexpected_value: CHANNEL_HANGUP_COMPLETE\n")
		}
	}))
	t.Cleanup(web.Close)
	u, _ := url.Parse(web.URL)
	host, port, _ := net.SplitHostPort(u.Host)
	p, _ := strconv.Atoi(port)
	lp := &liverpie.App{Name: "lp", IP: host, Port: p, StateMachineURI: "/sm", ResetURI: "/reset"}
	h := startProxy(t, &proxy.Runtime{DefaultApp: "lp", Apps: map[string]*proxy.App{"lp": {Name: "lp", Backend: lp}}})
	c := h.Dial(esltest.Options{Speed: 1000})
	res := calltest.Wait(t, c)
	if res.By != esltest.ByDaemon {
		t.Errorf("call ended %v, want hung up by the daemon", res)
	}
	for _, cmd := range c.Received() {
		if strings.HasPrefix(cmd.Line, "nixevent") {
			t.Errorf("a Liverpie call sent %q", cmd.Line)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if len(posts) < 2 || posts[1].Get("event_name") != "CHANNEL_PARK" {
		var names []string
		for _, f := range posts {
			names = append(names, f.Get("event_name"))
		}
		t.Errorf("state-machine requests by event_name %q, want the second fired by CHANNEL_PARK", names)
	}
}

// rawAnyway is a backend that says its dialogs skip events but makes a
// raw dialog, which reads every event.
type rawAnyway struct{}

func (rawAnyway) ReadsEveryEvent() bool { return false }

func (rawAnyway) Start(context.Context, *proxy.Call) (proxy.Dialog, error) {
	return proxy.Raw(idleRaw{}), nil
}

type idleRaw struct{}

func (idleRaw) Begin(context.Context, *esl.Frame) ([]esl.Command, error) { return nil, nil }
func (idleRaw) Event(context.Context, *esl.Event) ([]esl.Command, error) { return nil, nil }
func (idleRaw) Reply(context.Context, esl.Command, *esl.Frame) ([]esl.Command, error) {
	return nil, nil
}
func (idleRaw) End(context.Context, *proxy.CallEnd) {}

// TestRawDialogOfANixingBackendFails: a backend whose calls nixed events
// at set-up (it said its dialogs skip them) and that then makes a raw
// dialog would leave that dialog without events it reads: the call fails,
// hung up, with the reason in its end line, rather than run short.
func TestRawDialogOfANixingBackendFails(t *testing.T) {
	rec := &failureRecorder{}
	h := startProxy(t, &proxy.Runtime{DefaultApp: "x", Apps: map[string]*proxy.App{"x": {Name: "x", Backend: rawAnyway{}}}}, rec)
	c := h.Dial(esltest.Options{Speed: 1000})
	res := calltest.Wait(t, c)
	if res.By != esltest.ByDaemon {
		t.Errorf("call ended %v, want hung up by the daemon", res)
	}
	h.Idle()
	if _, outcomes := rec.get(); len(outcomes) != 1 || outcomes[0] != proxy.OutcomeFailed {
		t.Errorf("observers were told %q, want [failed]", outcomes)
	}
	if e := endLine(t, h.Log); e.Data["outcome"] != proxy.OutcomeFailed || !strings.Contains(fmt.Sprint(testlog.Err(e)), "raw dialog") {
		t.Errorf("end line = %s %v, want outcome failed for the raw dialog", e.Message, e.Data)
	}
}
