package statemachine

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/callhook/callhook/internal/calltest"
	"github.com/callhook/callhook/verb"
)

// dangerousVariants spells each of verb.DangerousVars the ways FreeSWITCH
// honours: as listed, upper case, mixed case, and the prefix families with
// a suffix.
func dangerousVariants() []string {
	var out []string
	for _, n := range verb.DangerousVars() {
		if base, ok := strings.CutSuffix(n, "*"); ok {
			n = base + "x"
			if strings.HasSuffix(base, "_") {
				n = base + "answer"
			}
			out = append(out, n+"_7")
		}
		out = append(out, n, strings.ToUpper(n), strings.ToUpper(n[:1])+n[1:])
	}
	return out
}

// fetchedFlow fetches its bridge target and a set argument from a CRM,
// then bridges and sets with them: what a fetch answer may not do is
// refused when the templates are filled in, and the flow goes on by its
// error outcome.
const fetchedFlow = `
start: lookup
allow_execute: [set, export]
states:
  lookup:
    fetch: {url: "CRM/route", save: {dest: dest, kv: kv}}
    on: {ok: dial, error: sorry}
  dial:
    verbs: [bridge: "{{flow.dest}}"]
    on: {ok: setit, error: setit}
  setit:
    verbs:
      - execute: {app: set, arg: "{{flow.kv}}"}
      - execute: {app: export, arg: "nolocal:{{flow.kv}}"}
    on: {ok: bye, error: sorry}
  bye: {hangup: true}
  sorry:
    verbs: [play: ivr/ivr-not_available.wav]
    hangup: true
`

// TestFlowFetchedDangerousVars drives every listed variable, in its case
// and prefix variants, through a flow's bridge (a per-leg block, with and
// without FreeSWITCH's ^^ separator) and execute of set and export, fed by
// a fetch answer.
func TestFlowFetchedDangerousVars(t *testing.T) {
	type answer struct{ Dest, KV string }
	var (
		mu  sync.Mutex
		cur answer
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		a := cur
		mu.Unlock()
		json.NewEncoder(w).Encode(map[string]string{"dest": a.Dest, "kv": a.KV})
	}))
	t.Cleanup(srv.Close)
	f := mustParse(t, strings.ReplaceAll(fetchedFlow, "CRM", srv.URL))
	run := func(a answer) string {
		t.Helper()
		mu.Lock()
		cur = a // the handler answers with it while Begin waits
		mu.Unlock()
		d := calltest.StartDialog(t, &Backend{Flow: f, HTTPClient: srv.Client()}, testCall(nil))
		in, err := d.Begin(t.Context())
		if err != nil {
			t.Fatalf("Begin = %v", err)
		}
		return names(in.Verbs)
	}
	if got := run(answer{Dest: "[leg_timeout=5]user/1001", KV: "lang=en"}); got != "bridge->dial" {
		t.Fatalf("a harmless answer: Begin = %q, want the bridge", got)
	}
	for _, name := range dangerousVariants() {
		for _, dest := range []string{"[" + name + "=system touch /tmp/x]user/1001", "[^^:" + name + "=x:origination_caller_id_number=666]user/1001"} {
			if got := run(answer{Dest: dest, KV: "lang=en"}); got != "execute,execute->setit" {
				t.Errorf("fetched dest %q: Begin = %q, want the bridge skipped by its error outcome", dest, got)
			}
		}
		if got := run(answer{Dest: "[leg_timeout=5]user/1001", KV: name + "=system touch /tmp/x"}); got != "bridge->dial" {
			t.Fatalf("Begin = %q", got)
		}
	}
	// With the bridge refused (loopback/app=), the flow enters setit, whose
	// execute of set and export cannot expand a dangerous kv either: it
	// goes on to sorry.
	for _, name := range dangerousVariants() {
		for _, kv := range []string{name + "=system touch /tmp/x", name + ",x"} {
			if got := run(answer{Dest: "loopback/app=system:x", KV: kv}); got != "play,hangup" {
				t.Errorf("fetched kv %q: Begin = %q, want the sorry state", kv, got)
			}
		}
	}
	if got := run(answer{Dest: "loopback/app=system:x", KV: "lang=en"}); got != "execute,execute->setit" {
		t.Errorf("a harmless kv: Begin = %q, want the setit state", got)
	}
}

// TestFlowSetDangerousVars: a flow's set verb (whose names are literal)
// refuses every listed variable, in its case and prefix variants, at load.
func TestFlowSetDangerousVars(t *testing.T) {
	for _, name := range dangerousVariants() {
		text := "start: a\nstates:\n  a:\n    verbs: [set: {" + name + ": x}]\n    hangup: true\n"
		_, err := Parse("t.yaml", []byte(text))
		if err == nil || !strings.Contains(err.Error(), `"`+name+`" cannot be set by an app`) {
			t.Errorf("Parse(%q) = %v, want it refused", text, err)
		}
	}
}

// TestFlowAllowKeys: a flow's own allow keys let through what they name,
// and a flow's set refuses dangerous names at load.
func TestFlowAllowKeys(t *testing.T) {
	f := mustParse(t, `
start: a
allow_vars: [execute_on_*]
allow_endpoints: [freetdm]
allow_dialplans: [enum]
states:
  a:
    verbs:
      - set: {Execute_On_Answer: playback beep.wav}
      - bridge: freetdm/1/a/100
      - transfer: {extension: "1000", dialplan: ENUM}
    hangup: true
`)
	if f == nil {
		t.Fatal("no flow")
	}
	for _, tc := range []struct{ text, want string }{
		{"start: a\nstates:\n  a:\n    verbs: [set: {api_hangup_hook: x}]\n    hangup: true\n", `"api_hangup_hook" cannot be set by an app`},
		{"start: a\nstates:\n  a:\n    verbs: [bridge: 'loopback/app=system:x']\n    hangup: true\n", "loopback/app= is not allowed"},
		{"start: a\nallow_execute: [system]\nstates:\n  a:\n    verbs: [answer]\n    hangup: true\n", "system cannot be allowed"},
		{"start: a\nallow_dialplans: [inline]\nstates:\n  a:\n    verbs: [answer]\n    hangup: true\n", "inline cannot be allowed"},
	} {
		_, err := Parse("t.yaml", []byte(tc.text))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Parse(%q) = %v, want an error with %q", tc.text, err, tc.want)
		}
	}
}
