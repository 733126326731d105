package proxy_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/callhook/callhook/esl/esltest"
	"github.com/callhook/callhook/internal/calltest"
	"github.com/callhook/callhook/webhook"
)

// TestRedteamWebhookRefused: replies a second attack pass got through,
// each refused as a whole now: set's NAME,VALUE form of sound_prefix
// through an allow-listed execute, conference_auto_record (a file the
// conference writes; {spool_path=...} in it makes FreeSWITCH run /bin/mv
// through the shell, src/switch_core_file.c) and conference_enter_sound
// set before a conference, sip_auto_answer handed to the bridge's leg
// through export_vars (legVars leaves it out: the called phone would pick
// up by itself), xfer_uuids (att_xfer's hangup hook runs
// "uuid_bridge <value>", bridging two other calls), a bridge caller id holding ":_:" (FreeSWITCH
// splits the whole dial string there, braces or not, and dials
// loopback/app=system:... as a leg of its own), a transfer extension
// starting with
// "%[" (variables FreeSWITCH sets for the transfer's run,
// src/switch_core_session.c), and read of another app's file.
func TestRedteamWebhookRefused(t *testing.T) {
	tests := []refusedReply{
		{"execute set NAME,VALUE", `[answer, {execute: {app: set, arg: "sound_prefix,/var/lib/freeswitch/recordings/other"}}]`, `\"sound_prefix\" cannot be set by an app`, []string{"set"}},
		{"execute multiset", `[answer, {execute: {app: multiset, arg: "^^;a=b;playback_delimiter=!"}}]`, `\"playback_delimiter\" cannot be set by an app`, []string{"multiset"}},
		{"execute read", `[answer, {execute: {app: read, arg: "1 1 /etc/ssl/private/key.pem v 5000 #"}}]`, `read: `, []string{"read"}},
		{"conference_auto_record spool_path", `[answer, {set: {conference_auto_record: "{spool_path=/tmp/x;touch /tmp/pwn;}/tmp/r.wav"}}, {conference: {name: room}}]`, `\"conference_auto_record\" cannot be set by an app`, nil},
		{"conference_enter_sound", `[answer, {set: {Conference_Enter_Sound: /etc/passwd}}, {conference: {name: room}}]`, `Conference_Enter_Sound is played as a file`, nil},
		{"bridge caller_id :_:", `[answer, {bridge: {to: user/1001, caller_id: "1:_:loopback/app=system:touch /tmp/pwn;"}}]`, `would split the dial string`, nil},
		{"bridge caller_name :_:", `[answer, {bridge: {to: user/1001, caller_name: "a:_:loopback/app=bgsystem:id"}}]`, `would split the dial string`, nil},
		{"set xfer_uuids", `[answer, {set: {Xfer_UUIDs: "9d0f3c2a-1111-4a4b-9c1e-6a0f8f7f0c99 9d0f3c2a-2222-4a4b-9c1e-6a0f8f7f0c99"}}]`, `\"Xfer_UUIDs\" cannot be set by an app`, nil},
		{"export_vars sip_auto_answer", `[answer, {set: {sip_auto_answer: "true", export_vars: "domain_name, SIP_AUTO_ANSWER"}}, {bridge: user/1001}]`, `\"SIP_AUTO_ANSWER\" cannot be handed to a bridge leg`, nil},
		{"transfer %[", `[answer, {transfer: {extension: "%[max_forwards=1]1000"}}]`, `must not start with \"%\"`, nil},
	}
	refusedReplies(t, tests)
}

// TestRedteamExecuteArrayArg: an allow-listed execute whose argument
// starts with "ARRAY::" reaches the switch as written: in the body, which
// FreeSWITCH keeps as is, not in an execute-app-arg header, which it would
// store as an array and strip (src/switch_event.c): an allow-listed
// transfer got "%[force_transfer_dialplan=inline]bgsystem:id" that way,
// and log here would get variables set for its run.
func TestRedteamExecuteArrayArg(t *testing.T) {
	const arg = "ARRAY::%[force_transfer_dialplan=inline]INFO hi"
	app := newWebapp(t, func(request) (int, string) {
		return 200, fmt.Sprintf(`[answer, {execute: {app: log, arg: %q}}, hangup]`, arg)
	})
	h := startProxy(t, webhookRuntime(&webhook.App{Name: "a", URL: app.URL + "/ivr", AllowExecute: []string{"log"}}))
	c := h.Dial(esltest.Options{})
	calltest.Wait(t, c)
	h.Idle()
	found := false
	for _, cmd := range c.Received() {
		if cmd.Headers.Get("execute-app-name") != "log" {
			continue
		}
		found = true
		if v := cmd.Headers.Get("execute-app-arg"); strings.HasPrefix(v, "ARRAY::") {
			t.Errorf("execute-app-arg = %q: FreeSWITCH reads it as an array", v)
		}
		if string(cmd.Body) != arg {
			t.Errorf("body = %q, want the argument %q", cmd.Body, arg)
		}
	}
	if !found {
		t.Errorf("the log never reached the switch; received %v", c.Received())
	}
}
