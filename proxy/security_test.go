package proxy_test

import (
	"strings"
	"testing"

	"github.com/callhook/callhook/esl/esltest"
	"github.com/callhook/callhook/internal/calltest"
	"github.com/callhook/callhook/webhook"
)

// TestSecurityWebhookCalls runs whole calls (a web app as an httptest
// server, FreeSWITCH as esltest) whose replies try to make FreeSWITCH run
// something through each entry point: set, a bridge's per-leg block (with
// FreeSWITCH's ^^ separator), a loopback/app= dial string, a transfer into
// a script dialplan, and an allow-listed execute of set and bridge. Each
// reply is refused as a whole: none of its verbs reaches the switch, the
// call ends with the app's on_failure, and the log says why.
func TestSecurityWebhookCalls(t *testing.T) {
	tests := []refusedReply{
		{"set hook", `[answer, {set: {api_hangup_hook: "system touch /tmp/x"}}]`, `\"api_hangup_hook\" cannot be set by an app`, nil},
		{"set transfer", `[answer, {set: {Transfer_After_Bridge: "'system:touch /tmp/x':inline"}}]`, `\"Transfer_After_Bridge\" cannot be set by an app`, nil},
		{"set prefix family", `[answer, {set: {Execute_On_Answer_7: "system touch /tmp/x"}}]`, `\"Execute_On_Answer_7\" cannot be set by an app`, nil},
		{"set group_confirm", `[answer, {set: {group_confirm_key: exec, group_confirm_file: "system touch /tmp/x"}}]`, `\"group_confirm_key\" cannot be set by an app`, nil},
		{"bridge leg block", `[answer, {bridge: {to: "[api_on_answer=system touch /tmp/x]user/1001"}}]`, `\"api_on_answer\" cannot be set by an app`, nil},
		{"bridge leg block ^^", `[answer, {bridge: "[^^:api_on_answer=system touch /tmp/x:origination_caller_id_number=666]user/1001"}]`, `\"api_on_answer\" cannot be set by an app`, nil},
		{"loopback app", `[answer, {bridge: "loopback/app=system:touch /tmp/x"}]`, "loopback/app= is not allowed", nil},
		{"transfer LUA", `[answer, {transfer: {extension: x, dialplan: LUA, context: "os.execute"}}]`, `dialplan \"LUA\" is not allowed`, nil},
		{"execute set", `[answer, {execute: {app: set, arg: "execute_on_answer=system touch /tmp/x"}}]`, `\"execute_on_answer\" cannot be set by an app`, []string{"set"}},
		{"execute bridge", `[answer, {execute: {app: Bridge, arg: "loopback/app=system:x"}}]`, "loopback/app= is not allowed", []string{"bridge"}},
		{"execute transfer", `[answer, {execute: {app: transfer, arg: "system:x inline"}}]`, `dialplan \"inline\" is not allowed`, []string{"transfer"}},
	}
	refusedReplies(t, tests)
}

// TestSecurityWebhookAllowed: what the app's config allows reaches the
// switch as written.
func TestSecurityWebhookAllowed(t *testing.T) {
	reply := `[answer, {set: {execute_on_answer: "playback beep.wav"}}, {bridge: "[sip_h_X-Ticket=42,leg_timeout=5]freetdm/1/a/100"}, hangup]`
	app := newWebapp(t, func(request) (int, string) { return 200, reply })
	wa := &webhook.App{Name: "a", URL: app.URL + "/ivr", AllowVars: []string{"execute_on_answer"}, AllowEndpoints: []string{"FreeTDM"}}
	h := startProxy(t, webhookRuntime(wa))
	c := h.Dial(esltest.Options{})
	calltest.Wait(t, c)
	got := strings.Join(apps(c), "\n")
	for _, want := range []string{"set execute_on_answer=playback beep.wav", "[sip_h_X-Ticket=42,leg_timeout=5]freetdm/1/a/100"} {
		if !strings.Contains(got, want) {
			t.Errorf("apps =\n%s\nwant one with %q", got, want)
		}
	}
}

// refusedReply is a web app reply that must be refused as a whole, what
// the log says, and the app's allow_execute.
type refusedReply struct {
	name, reply, log string
	allow            []string
}

// refusedReplies runs a call per case whose app answers the case's reply:
// none of its verbs reaches the switch, the call ends with the default
// on_failure, and the log says why.
func refusedReplies(t *testing.T, tests []refusedReply) {
	t.Helper()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			app := newWebapp(t, func(request) (int, string) { return 200, tc.reply })
			h := startProxy(t, webhookRuntime(&webhook.App{Name: "a", URL: app.URL + "/ivr", AllowExecute: tc.allow}))
			c := h.Dial(esltest.Options{})
			res := calltest.Wait(t, c)
			if res.Outcome != esltest.HungUp || res.Cause != "NORMAL_TEMPORARY_FAILURE" {
				t.Errorf("call ended %v, want hung up NORMAL_TEMPORARY_FAILURE (the default on_failure)", res)
			}
			if got := apps(c); len(got) != 0 {
				t.Errorf("FreeSWITCH ran %q, want nothing of the refused reply", got)
			}
			h.Idle()
			if logs := h.Log.String(); !strings.Contains(logs, tc.log) {
				t.Errorf("log lacks %q:\n%s", tc.log, logs)
			}
		})
	}
}
