package statemachine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/callhook/callhook/apphttp"
	"github.com/callhook/callhook/esl"
	"github.com/callhook/callhook/internal/calltest"
	"github.com/callhook/callhook/proxy"
	"github.com/callhook/callhook/verb"
)

// requests records what a test web service received.
type requests struct {
	mu   sync.Mutex
	reqs []recorded
}

type recorded struct {
	Method, Path, Query, UserAgent string
	CallID                         string // apphttp.CallIDHeader, the mark the admin API refuses
	Body                           map[string]any
}

func (rs *requests) add(r *http.Request) recorded {
	rec := recorded{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, UserAgent: r.UserAgent(), CallID: r.Header.Get(apphttp.CallIDHeader)}
	if b, _ := io.ReadAll(r.Body); len(b) > 0 {
		_ = json.Unmarshal(b, &rec.Body)
	}
	rs.mu.Lock()
	defer rs.mu.Unlock()
	rs.reqs = append(rs.reqs, rec)
	return rec
}

func (rs *requests) all() []recorded {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	return append([]recorded(nil), rs.reqs...)
}

func testCall(obs proxy.Observer) *proxy.Call {
	return &proxy.Call{
		ID: "uuid-1", App: "flowapp", From: "1000", FromName: "Ann", To: "7000", Direction: "inbound",
		ChannelName: "loopback/7000-b", Observer: obs,
		Channel: &esl.Event{Headers: []esl.EventHeader{{Name: "variable_sip_user_agent", Value: "Polycom/5"}}},
	}
}

// last returns the verb whose result the flow waits for.
func last(t *testing.T, in *proxy.Instructions) verb.Verb {
	t.Helper()
	if in == nil || len(in.Verbs) == 0 {
		t.Fatalf("instructions %+v have no verbs", in)
	}
	v := in.Verbs[len(in.Verbs)-1]
	if v.Action == "" {
		t.Fatalf("last verb %s has no action: the flow would not hear its result", v.Name)
	}
	return v
}

func TestBackendDemoCall(t *testing.T) {
	ctx := t.Context()
	d := calltest.StartDialog(t, &Backend{Flow: loadDemo(t)}, testCall(nil))
	in, err := d.Begin(ctx)
	if err != nil {
		t.Fatalf("Begin = %v", err)
	}
	script := []struct {
		r    verb.Result
		want string
	}{
		{verb.Result{Verb: "play", Reason: verb.ReasonOK}, "gather->menu"},
		{verb.Result{Verb: "gather", Reason: verb.ReasonTimeout}, "gather->menu"},
		{verb.Result{Verb: "gather", Reason: verb.ReasonOK, Digits: "3"}, "play,record->leave_message"},
		{verb.Result{Verb: "record", Reason: verb.ReasonOK, Recording: &verb.Recording{Path: "/tmp/x.wav"}}, "play->thanks"},
		{verb.Result{Verb: "play", Reason: verb.ReasonOK}, "play,hangup"},
	}
	for i, s := range script {
		v := last(t, in)
		if in, err = d.Result(ctx, v, &s.r); err != nil {
			t.Fatalf("step %d: Result(%s) = %v", i, v.Name, err)
		}
		if got := names(in.Verbs); got != s.want || in.Handoff != "" {
			t.Fatalf("step %d: Result(%s, %s) = %q handoff %q, want %q", i, v.Name, s.r.Reason, got, in.Handoff, s.want)
		}
	}
	if got := texts(t, in.Verbs[0]); len(got) != 1 || got[0] != "voicemail/vm-goodbye.wav" {
		t.Errorf("goodbye play = %q", got)
	}
	d.End(ctx, &proxy.CallEnd{Outcome: proxy.OutcomeHangup, Cause: "NORMAL_CLEARING"})
}

func TestBackendRejects(t *testing.T) {
	ctx := t.Context()
	if _, err := (&Backend{}).Start(ctx, testCall(nil)); err == nil {
		t.Errorf("Start without a Flow = nil error, want one")
	}
	d := calltest.StartDialog(t, &Backend{Flow: loadDemo(t)}, testCall(nil))
	in, err := d.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Redirect(ctx, "http://x/"); !errors.Is(err, proxy.ErrNoRedirect) {
		t.Errorf("Redirect = %v, want proxy.ErrNoRedirect", err)
	}
	stale := last(t, in)
	stale.Action = "menu"
	if _, err := d.Result(ctx, stale, &verb.Result{Reason: verb.ReasonOK}); err == nil || !strings.Contains(err.Error(), `result for state "menu", but the call is in state "welcome"`) {
		t.Errorf("Result for another state = %v, want a stale-result error", err)
	}
	// An unknown reason is an error outcome; the demo's welcome goes on by next:.
	in, err = d.Result(ctx, last(t, in), &verb.Result{Reason: "weird"})
	if err != nil || names(in.Verbs) != "gather->menu" {
		t.Errorf("Result(weird reason) = %v, %v; want the menu", in, err)
	}
}

func TestBackendHandoff(t *testing.T) {
	f, err := ParseFile("../examples/flows/handoff.yaml")
	if err != nil {
		t.Fatal(err)
	}
	d := calltest.StartDialog(t, &Backend{Flow: f}, testCall(nil))
	in, err := d.Begin(t.Context())
	if err != nil {
		t.Fatalf("Begin = %v", err)
	}
	if got := names(in.Verbs); got != "answer,play,play" || in.Handoff != "support" {
		t.Errorf("Begin = %q handoff %q, want answer,play,play then support", got, in.Handoff)
	}
	if got := f.Handoffs(); len(got) != 1 || got[0] != "support" {
		t.Errorf("Handoffs() = %q, want [support]", got)
	}
}

func TestBackendClock(t *testing.T) {
	f, err := ParseFile("../examples/flows/business-hours.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		now  time.Time
		want string
	}{
		{time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC), "answer,gather->open"},
		{time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC), "answer,play,play->closed"},
	} {
		d := calltest.StartDialog(t, &Backend{Flow: f, Now: func() time.Time { return tc.now }}, testCall(nil))
		in, err := d.Begin(t.Context())
		if err != nil || names(in.Verbs) != tc.want {
			t.Errorf("Begin at %v = %v, %v; want %q", tc.now, in, err, tc.want)
		}
	}
}

// crmFlow fetches an account by the caller's number and branches on it;
// on hangup it reports the call.
const crmFlow = `
start: lookup
states:
  lookup:
    fetch:
      url: "CRM/accounts?from={{call.from}}&ua={{vars.sip_user_agent}}"
      timeout: 5s
      save: {name: customer.name}
    switch:
      field: account.status
      cases: {active: greet, blocked: blocked}
      default: sorry
    on: {error: sorry}
  greet:
    verbs: [play: "greetings/{{flow.name}}.wav"]
    on: {ok: report_menu, hangup: report}
  report_menu:
    fetch: {url: "CRM/menu", method: POST}
    on: {ok: bye, error: sorry}
  report:
    fetch: {url: "CRM/hangup", method: POST}
    next: done
  done: {hangup: true}
  blocked: {hangup: CALL_REJECTED}
  bye: {hangup: true}
  sorry:
    verbs: [play: ivr/ivr-not_available.wav]
    hangup: true
`

func crmServer(t *testing.T, rs *requests) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := rs.add(r)
		switch {
		case rec.Path == "/accounts" && strings.HasPrefix(rec.Query, "from=1000&"):
			io.WriteString(w, `{"account": {"status": "active"}, "customer": {"name": "ann"}}`)
		case rec.Path == "/accounts" && strings.HasPrefix(rec.Query, "from=2000&"):
			io.WriteString(w, `{"account": {"status": "blocked"}}`)
		case rec.Path == "/accounts" && strings.HasPrefix(rec.Query, "from=3000&"):
			http.Error(w, "down", http.StatusInternalServerError)
		case rec.Path == "/accounts" && strings.HasPrefix(rec.Query, "from=4000&"):
			io.WriteString(w, `<html>not json</html>`)
		case rec.Path == "/accounts" && strings.HasPrefix(rec.Query, "from=5000&"):
			<-r.Context().Done() // never answers: the fetch's timeout ends it
		case rec.Path == "/menu", rec.Path == "/hangup":
			io.WriteString(w, `{}`)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestBackendFetch(t *testing.T) {
	rs := &requests{}
	srv := crmServer(t, rs)
	f := mustParse(t, strings.ReplaceAll(crmFlow, "CRM", srv.URL))
	tests := []struct {
		from string
		want string // names of Begin's verbs
		code string // the observed failure's RequestError code, "" when it succeeded
	}{
		{"1000", "play->greet", ""},
		{"2000", "hangup", ""},
		{"3000", "play,hangup", "http_500"},
		{"4000", "play,hangup", apphttp.CodeInvalidReply},
	}
	for _, tc := range tests {
		t.Run(tc.from, func(t *testing.T) {
			obs := &calltest.Requests{}
			call := testCall(obs)
			call.UserAgent = proxy.UserAgent("v1.2.3")
			call.From = tc.from
			d := calltest.StartDialog(t, &Backend{Flow: f, HTTPClient: srv.Client()}, call)
			in, err := d.Begin(t.Context())
			if err != nil {
				t.Fatalf("Begin = %v", err)
			}
			if got := names(in.Verbs); got != tc.want {
				t.Errorf("Begin = %q, want %q", got, tc.want)
			}
			infos := obs.All()
			if len(infos) != 1 || infos[0].Event != "fetch" || (infos[0].Err == nil) != (tc.from <= "2000") {
				t.Errorf("observed requests = %+v, want one fetch, failed unless 1000 or 2000", infos)
			}
			if len(infos) == 1 && infos[0].Err != nil {
				if be, ok := errors.AsType[*apphttp.RequestError](infos[0].Err); !ok || be.Code != tc.code {
					t.Errorf("observed error = %v, want a RequestError with code %q", infos[0].Err, tc.code)
				}
			}
		})
	}
	for _, r := range rs.all() {
		if r.Method != "GET" || r.Query != "from="+r.Query[5:9]+"&ua=Polycom%2F5" || r.UserAgent != "callhook/v1.2.3" {
			t.Errorf("request %+v, want GET with the caller and the escaped user agent", r)
		}
		if r.CallID != "uuid-1" {
			t.Errorf("request %+v: %s %q, want the call's id uuid-1", r, apphttp.CallIDHeader, r.CallID)
		}
	}
	got := texts(t, func() verb.Verb {
		call := testCall(nil)
		in, err := calltest.StartDialog(t, &Backend{Flow: f, HTTPClient: srv.Client()}, call).Begin(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		return in.Verbs[0]
	}())
	if len(got) != 1 || got[0] != "greetings/ann.wav" {
		t.Errorf("greet play = %q, want the saved name", got)
	}
}

func TestBackendFetchTimeout(t *testing.T) {
	rs := &requests{}
	srv := crmServer(t, rs)
	f := mustParse(t, strings.ReplaceAll(strings.Replace(crmFlow, "timeout: 5s", "timeout: 10ms", 1), "CRM", srv.URL))
	call := testCall(nil)
	call.From = "5000"
	in, err := calltest.StartDialog(t, &Backend{Flow: f, HTTPClient: srv.Client()}, call).Begin(t.Context())
	if err != nil || names(in.Verbs) != "play,hangup" {
		t.Errorf("Begin with a stalled service = %v, %v; want sorry's verbs", in, err)
	}
}

func TestBackendPostAndHangup(t *testing.T) {
	ctx := t.Context()
	rs := &requests{}
	srv := crmServer(t, rs)
	f := mustParse(t, strings.ReplaceAll(crmFlow, "CRM", srv.URL))
	newDialog := func() (proxy.VerbDialog, *proxy.Instructions) {
		call := testCall(nil)
		d := calltest.StartDialog(t, &Backend{Flow: f, HTTPClient: srv.Client()}, call)
		in, err := d.Begin(ctx)
		if err != nil || names(in.Verbs) != "play->greet" {
			t.Fatalf("Begin = %v, %v; want greet", in, err)
		}
		return d, in
	}

	// The play finishes: a POST reports it, then the call says bye.
	d, in := newDialog()
	in, err := d.Result(ctx, last(t, in), &verb.Result{Verb: "play", Reason: verb.ReasonOK})
	if err != nil || names(in.Verbs) != "hangup" {
		t.Fatalf("Result(play ok) = %v, %v; want bye", in, err)
	}
	d.End(ctx, &proxy.CallEnd{Outcome: proxy.OutcomeHangup, Cause: "NORMAL_CLEARING"})
	post := rs.all()[1]
	if post.Method != "POST" || post.Path != "/menu" || post.Body["call_id"] != "uuid-1" || post.Body["event"] != "fetch" || post.Body["state"] != "report_menu" {
		t.Errorf("POST = %+v, want the call's fields for report_menu", post)
	}
	if call, _ := post.Body["call"].(map[string]any); call["from"] != "1000" || call["from_name"] != "Ann" || call["channel"] != "loopback/7000-b" {
		t.Errorf("POST call = %v, want the call's fields", post.Body["call"])
	}
	if vars, _ := post.Body["vars"].(map[string]any); vars["name"] != "ann" {
		t.Errorf("POST vars = %v, want the flow's variables", post.Body["vars"])
	}

	// The caller hangs up during greet: End runs on.hangup's POST, once.
	for _, end := range []func(d proxy.VerbDialog, v verb.Verb){
		func(d proxy.VerbDialog, v verb.Verb) {
			d.End(ctx, &proxy.CallEnd{Outcome: proxy.OutcomeHangup, Cause: "NORMAL_CLEARING"})
		},
		func(d proxy.VerbDialog, v verb.Verb) {
			in, err := d.Result(ctx, v, &verb.Result{Verb: "play", Reason: verb.ReasonHangup})
			if err != nil || len(in.Verbs) != 0 {
				t.Errorf("Result(hangup) = %v, %v; want no verbs", in, err)
			}
			d.End(ctx, &proxy.CallEnd{Outcome: proxy.OutcomeHangup, Cause: "NORMAL_CLEARING"})
		},
	} {
		n := len(rs.all())
		d, in := newDialog()
		end(d, last(t, in))
		d.End(ctx, &proxy.CallEnd{Outcome: proxy.OutcomeHangup})
		got := rs.all()[n:]
		if len(got) != 2 || got[1].Path != "/hangup" || got[1].Body["event"] != "hangup" {
			t.Fatalf("requests after a hangup = %+v, want the lookup then one /hangup POST", got)
		}
		if h, _ := got[1].Body["hangup"].(map[string]any); h["cause"] != "NORMAL_CLEARING" || h["outcome"] != "hangup" {
			t.Errorf("hangup POST hangup = %v, want the call's end", got[1].Body["hangup"])
		}
	}
}

func TestBackendEndWithoutBegin(t *testing.T) {
	d := calltest.StartDialog(t, &Backend{Flow: loadDemo(t)}, testCall(nil))
	d.End(context.Background(), &proxy.CallEnd{Outcome: proxy.OutcomeFailed})
}

// TestBackendConcurrentCalls: one Flow serves many calls at once; each
// call's memory is its own (run with -race).
func TestBackendConcurrentCalls(t *testing.T) {
	b := &Backend{Flow: loadDemo(t)}
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for i := range 20 {
		wg.Go(func() {
			ctx := context.Background()
			call := testCall(nil)
			call.From = fmt.Sprint(1000 + i)
			d, err := b.Start(ctx, call)
			if err != nil {
				errs <- err
				return
			}
			vd := d.(proxy.VerbDialog)
			in, err := vd.Begin(ctx)
			for _, r := range []verb.Result{{Reason: verb.ReasonOK}, {Reason: verb.ReasonOK, Digits: "2"}} {
				if err != nil {
					break
				}
				v := in.Verbs[len(in.Verbs)-1]
				in, err = vd.Result(ctx, v, &r)
			}
			if err != nil {
				errs <- err
				return
			}
			var got string
			if _, err := in.Verbs[0].Spec.MapText(func(s string) (string, error) { got = s; return s, nil }); err != nil {
				errs <- err
				return
			}
			if want := fmt.Sprintf("caller %d pressed 2: support", 1000+i); got != want {
				errs <- fmt.Errorf("call %d: log text %q, want %q", i, got, want)
			}
			vd.End(ctx, &proxy.CallEnd{Outcome: proxy.OutcomeHangup})
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
