package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/callhook/callhook/internal/calltest"
	"github.com/callhook/callhook/internal/config"
	"github.com/callhook/callhook/liverpie"
	"github.com/callhook/callhook/proxy"
	"github.com/callhook/callhook/verb"
	"github.com/callhook/callhook/webhook"
)

// TestRedirectLimit: limits.max_redirects reaches webhook apps with its
// meaning intact; 0 forbids redirects instead of meaning "the default".
func TestRedirectLimit(t *testing.T) {
	for _, tc := range []struct {
		yaml string
		want int
	}{
		{"", webhook.DefaultMaxRedirects},
		{"limits: {max_redirects: 0}\n", -1},
		{"limits: {max_redirects: 7}\n", 7},
	} {
		cfg, err := config.Parse("config.yaml", []byte(tc.yaml+"apps:\n  a: {url: 'http://127.0.0.1/'}\n"), noEnv)
		if err != nil {
			t.Fatal(err)
		}
		rt, err := buildRuntime(cfg, newDeps())
		if err != nil {
			t.Fatal(err)
		}
		if got := rt.Apps["a"].Backend.(*webhook.App).MaxRedirects; got != tc.want {
			t.Errorf("%q: MaxRedirects = %d, want %d", tc.yaml, got, tc.want)
		}
	}
}

// TestFlowFetchRetriesCounted: as serve builds it, a flow's fetch that got
// a 503 and then an answer made two requests with one X-Callhook-Seq and
// reports two attempts, so the metrics count the retry (issue 12, item 10:
// the shared client's StandardClient re-POSTed silently, Attempts said 1).
func TestFlowFetchRetriesCounted(t *testing.T) {
	var (
		mu   sync.Mutex
		seqs []string
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seqs = append(seqs, r.Header.Get("X-Callhook-Seq"))
		n := len(seqs)
		mu.Unlock()
		if n == 1 {
			http.Error(w, "busy", http.StatusServiceUnavailable)
			return
		}
		io.WriteString(w, `{"ok": true}`)
	}))
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	flow := "start: look\nstates:\n  look:\n    fetch: {url: '" + srv.URL + "/look', method: POST}\n    on: {ok: done, error: done}\n" +
		"  done:\n    verbs: [play: x.wav]\n    hangup: true\n"
	if err := os.WriteFile(filepath.Join(dir, "f.yaml"), []byte(flow), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Parse(filepath.Join(dir, "config.yaml"), []byte("apps:\n  f: {flow: f.yaml}\n"), noEnv)
	if err != nil {
		t.Fatal(err)
	}
	rt, err := buildRuntime(cfg, newDeps())
	if err != nil {
		t.Fatal(err)
	}
	obs := &calltest.Requests{}
	d, err := rt.Apps["f"].Backend.Start(t.Context(), &proxy.Call{ID: "call-1", App: "f", Observer: obs})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.(proxy.VerbDialog).Begin(t.Context()); err != nil {
		t.Fatalf("Begin = %v", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if strings.Join(seqs, " ") != "1 1" {
		t.Errorf("requests' X-Callhook-Seq = %q, want two requests with seq 1", seqs)
	}
	if infos := obs.All(); len(infos) != 1 || infos[0].Attempts != 2 || infos[0].Err != nil {
		t.Errorf("reported requests = %+v, want one fetch that succeeded in 2 attempts", infos)
	}
}

// TestAllowKeysReachBackends: an app's allow keys reach its backend, and
// on_failure verbs are checked with them.
func TestAllowKeysReachBackends(t *testing.T) {
	cfg, err := config.Parse("config.yaml", []byte(`apps:
  w:
    url: http://127.0.0.1/
    allow_execute: [Conference]
    allow_vars: [execute_on_*]
    allow_endpoints: [freetdm]
    allow_dialplans: [enum]
    on_failure: [{set: {execute_on_answer: playback x.wav}}, {bridge: freetdm/1/a/1}, {transfer: {extension: '1', dialplan: enum}}]
  l:
    liverpie: {ip: 127.0.0.1, port: 1, state_machine_uri: /s, reset_uri: /r, allow_call_commands: [xferext]}
    allow_execute: [fifo]
    allow_vars: [sip_invite_params]
`), noEnv)
	if err != nil {
		t.Fatal(err)
	}
	rt, err := buildRuntime(cfg, newDeps())
	if err != nil {
		t.Fatal(err)
	}
	w := rt.Apps["w"].Backend.(*webhook.App)
	if !slices.Equal(w.AllowExecute, []string{"Conference"}) || !slices.Equal(w.AllowVars, []string{"execute_on_*"}) ||
		!slices.Equal(w.AllowEndpoints, []string{"freetdm"}) || !slices.Equal(w.AllowDialplans, []string{"enum"}) {
		t.Errorf("webhook app = %+v, want its allow keys", w)
	}
	l := rt.Apps["l"].Backend.(*liverpie.App)
	if !slices.Equal(l.AllowCallCommands, []string{"xferext"}) || !slices.Equal(l.AllowExecute, []string{"fifo"}) ||
		!slices.Equal(l.AllowVars, []string{"sip_invite_params"}) {
		t.Errorf("liverpie app = %+v, want its allow keys", l)
	}
	if _, err := config.Parse("config.yaml", []byte("apps:\n  w:\n    url: http://127.0.0.1/\n    on_failure: [{bridge: freetdm/1/a/1}]\n"), noEnv); err == nil ||
		!strings.Contains(err.Error(), `endpoint "freetdm" is not allowed`) {
		t.Errorf("on_failure bridging to freetdm without allow_endpoints: %v, want an error", err)
	}
}

// TestLiverpieBackend: a loaded Liverpie app maps onto a working
// liverpie.App with every field carried over.
func TestLiverpieBackend(t *testing.T) {
	apps, err := config.LoadLiverpie(filepath.Join("..", "..", "internal", "config", "testdata", "liverpie.yml"))
	if err != nil {
		t.Fatal(err)
	}
	cfg := &config.Config{Limits: config.Limits{MaxReplyBytes: 4096}}
	client := &http.Client{}
	got := liverpieBackend(cfg, apps[1], client)
	want := &liverpie.App{
		Name: "conference", IP: "192.168.0.19", Port: 3003,
		StateMachineURI: "/ivr/state_machine", ResetURI: "/ivr/reset", DTMFURI: "/ivr/dtmf", HangupURI: "/ivr/hangup",
		AllowCommands: []string{"sendmsg", "api"}, AllowCallCommands: []string{"xferext"}, Timeout: 3 * time.Second,
		AllowExecute: []string{"conference"}, AllowVars: []string{"conference_member_flags"},
		MaxReplyBytes: 4096, Client: client,
		Files: &verb.FileRules{RecordingsDir: "/var/lib/freeswitch/recordings/conference"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("liverpieBackend = %+v, want %+v", got, want)
	}
}

// TestStatusEventNamesAgree: the config accepts exactly the status events
// the webhook backend sends (the config knows no backend, so it keeps the
// list of its own).
func TestStatusEventNamesAgree(t *testing.T) {
	if !slices.Equal(config.StatusEventNames, webhook.StatusEventNames) {
		t.Errorf("config.StatusEventNames = %q, webhook.StatusEventNames = %q: they must agree", config.StatusEventNames, webhook.StatusEventNames)
	}
}
