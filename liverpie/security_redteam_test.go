package liverpie_test

import (
	"fmt"
	"testing"
)

// TestRedteamLiverpieCall: msg commands a second attack pass got past the
// Liverpie checks, each through a whole call. FreeSWITCH stores a header
// value starting with "ARRAY::" as an array (src/switch_event.c), so the
// application got "%[force_transfer_dialplan=inline]bgsystem:id" (a
// transfer into the inline dialplan, which runs bgsystem) while callhook
// checked "ARRAY::..."; "ARRAY::" alone is dropped, so FreeSWITCH ran the
// body callhook had not checked. set's NAME,VALUE form and multiset moved
// sound_prefix (every later sound name then opens another app's files),
// export and export_vars handed new legs sip_auto_answer and
// sip_invite_* (which per-leg blocks refuse), read played any file, and
// so did phrase (stock macro screen_confirm
// plays its data, conf/vanilla/lang/en/ivr/sounds.xml).
func TestRedteamLiverpieCall(t *testing.T) {
	// transfer with this argument would enter the inline dialplan and run
	// bgsystem; log stands for it here (esltest's transfer keeps the call).
	const inline = "%[force_transfer_dialplan=inline]INFO hi"
	tests := []refusedMsg{
		{"array arg", "sendmsg\ncall-command: execute\nexecute-app-name: log\nexecute-app-arg: ARRAY::" + inline,
			`header \"execute-app-arg\" starts with \"ARRAY::\"`},
		{"empty array arg, body runs", fmt.Sprintf("sendmsg\ncall-command: execute\nexecute-app-name: log\nexecute-app-arg: ARRAY::\ncontent-type: text/plain\ncontent-length: %d\n\n%s", len(inline), inline),
			`header \"execute-app-arg\" starts with \"ARRAY::\"`},
		{"set NAME,VALUE sound_prefix", "sendmsg\ncall-command: execute\nexecute-app-name: set\nexecute-app-arg: sound_prefix,/var/lib/freeswitch/recordings/other",
			`\"sound_prefix\" cannot be set by an app`},
		{"multiset sound_prefix", "sendmsg\ncall-command: execute\nexecute-app-name: multiset\nexecute-app-arg: lang=en Sound_Prefix=/var/lib/freeswitch/recordings/other",
			`\"Sound_Prefix\" cannot be set by an app`},
		{"push hold_music", "sendmsg\ncall-command: execute\nexecute-app-name: push\nexecute-app-arg: hold_music=/etc/passwd",
			`hold_music is played as a file`},
		{"export sip_auto_answer", "sendmsg\ncall-command: execute\nexecute-app-name: export\nexecute-app-arg: sip_auto_answer=true",
			`\"sip_auto_answer\" cannot be handed to a bridge leg`},
		{"multiset export_vars", "sendmsg\ncall-command: execute\nexecute-app-name: multiset\nexecute-app-arg: ^^;sip_invite_req_uri=sip:1900@203.0.113.9;export_vars=sip_invite_req_uri",
			`\"sip_invite_req_uri\" cannot be handed to a bridge leg`},
		{"phrase plays its data", "sendmsg\ncall-command: execute\nexecute-app-name: phrase\nexecute-app-arg: screen_confirm,/etc/passwd",
			`application \"phrase\" is not allowed`},
		{"read another app's file", "sendmsg\ncall-command: execute\nexecute-app-name: read\nexecute-app-arg: 1 1 /etc/passwd v 5000 #",
			`read: `},
	}
	refusedMsgs(t, tests)
}
