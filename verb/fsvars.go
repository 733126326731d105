package verb

import "strings"

// This file is the one place that knows which FreeSWITCH channel variables
// are dangerous: those whose value FreeSWITCH 1.10.12 later runs as a
// dialplan application, an API command (which includes "system", a shell
// command on the host), a transfer (into any dialplan, inline included), or
// an expansion. Every name, value and dial string that comes from an app, a
// flow or a fetch answer is checked against it (policy.go); only an app's
// allow_vars can let one through.
//
// FreeSWITCH compares variable names case-insensitively (channel variables
// live in a switch_event_t, whose lookups use strcasecmp, src/switch_event.c),
// so every comparison here folds case. The execute_on and api_on families
// are read by switch_channel_execute_on and switch_channel_api_on
// (src/switch_channel.c), which run every variable whose name starts with
// the given prefix, compared with strncasecmp: execute_on_answer_7 and
// Execute_On_Answer_Foo run just as execute_on_answer does. Entries marked
// prefix are matched that way.

// fsVar is one dangerous variable, or one family of them.
type fsVar struct {
	name   string // lower case
	prefix bool   // every name starting with name is meant
	file   string // where FreeSWITCH 1.10.12 reads it
	runs   string // what FreeSWITCH does with its value
}

// dangerousVars are the variables an app may not set (set, export,
// per-leg [...] blocks, ...), unless its allow_vars names them.
var dangerousVars = []fsVar{
	// The execute_on and api_on families: SWITCH_CHANNEL_EXECUTE_ON_*_VARIABLE
	// and SWITCH_CHANNEL_API_ON_*_VARIABLE (src/include/switch_types.h:
	// answer, pre_answer, media, ring, tone_detect, originate,
	// post_originate, pre_originate, pre_bridge, post_bridge), plus the
	// literal prefixes passed by src/switch_ivr.c (execute_on_blind_transfer),
	// src/switch_ivr_async.c and src/switch_ivr_play_say.c
	// (execute_on_record_start/stop, api_on_record_start/stop),
	// src/switch_ivr_originate.c (execute_on_pickup, execute_on_orphaned_bleg),
	// src/switch_core_media.c and src/switch_rtp.c (execute_on_audio_change,
	// execute_on_media_timeout), src/mod/endpoints/mod_sofia/sofia_glue.c
	// (execute_on_sip_extra_headers), mod_conference (api_on_conference_create),
	// mod_spandsp (execute_on_fax_*, api_on_fax_*), mod_avmd, mod_cv.
	{name: "execute_on_", prefix: true, file: "src/switch_channel.c", runs: "an application"},
	{name: "api_on_", prefix: true, file: "src/switch_channel.c", runs: "an API command"},
	{name: "sip_execute_on_image", prefix: true, file: "src/switch_core_media.c", runs: "an application"},
	{name: "sip_api_on_image", prefix: true, file: "src/switch_core_media.c", runs: "an API command"},
	{name: "opal_execute_on_t38", prefix: true, file: "src/mod/endpoints/mod_opal/mod_opal.cpp", runs: "an application"},
	{name: "opal_api_on_t38", prefix: true, file: "src/mod/endpoints/mod_opal/mod_opal.cpp", runs: "an API command"},
	// SWITCH_API_BRIDGE_START_VARIABLE, SWITCH_API_BRIDGE_END_VARIABLE: read
	// with switch_channel_api_on, so they are prefixes too.
	{name: "api_before_bridge", prefix: true, file: "src/switch_ivr_bridge.c", runs: "an API command"},
	{name: "api_after_bridge", prefix: true, file: "src/switch_ivr_bridge.c", runs: "an API command"},
	// SWITCH_API_HANGUP_HOOK_VARIABLE, SWITCH_API_REPORTING_HOOK_VARIABLE.
	{name: "api_hangup_hook", file: "src/switch_core_state_machine.c", runs: "an API command"},
	{name: "api_reporting_hook", file: "src/switch_core_state_machine.c", runs: "an API command"},
	// SWITCH_EXEC_AFTER_BRIDGE_APP_VARIABLE and its argument.
	{name: "exec_after_bridge_app", file: "src/switch_ivr_bridge.c", runs: "an application"},
	{name: "exec_after_bridge_arg", file: "src/switch_ivr_bridge.c", runs: "an application's argument"},
	{name: "bridge_pre_execute_app", file: "src/switch_ivr_bridge.c", runs: "an application"},
	{name: "bridge_pre_execute_data", file: "src/switch_ivr_bridge.c", runs: "an application's argument"},
	{name: "bridge_pre_execute_aleg_app", file: "src/switch_ivr_bridge.c", runs: "an application"},
	{name: "bridge_pre_execute_aleg_data", file: "src/switch_ivr_bridge.c", runs: "an application's argument"},
	{name: "bridge_pre_execute_bleg_app", file: "src/switch_ivr_bridge.c", runs: "an application"},
	{name: "bridge_pre_execute_bleg_data", file: "src/switch_ivr_bridge.c", runs: "an application's argument"},
	// SWITCH_RECORD_POST_PROCESS_EXEC_APP_VARIABLE is read with
	// switch_channel_execute_on, so it is a prefix.
	{name: "record_post_process_exec_app", prefix: true, file: "src/switch_ivr_async.c", runs: "an application"},
	{name: "record_post_process_exec_api", file: "src/switch_ivr_async.c, src/switch_ivr_play_say.c", runs: "an API command"},
	// Transfers: "ext[:dialplan[:context]]" or "ext dialplan context",
	// with any dialplan, inline (which runs applications) included.
	{name: "transfer_after_bridge", file: "src/switch_ivr_bridge.c", runs: "a transfer"},
	{name: "transfer_after_early_bridge", file: "src/switch_ivr_bridge.c", runs: "a transfer"},
	{name: "transfer_on_fail", file: "src/switch_channel.c", runs: "a transfer"},
	{name: "force_transfer_dialplan", file: "src/switch_ivr.c", runs: "the dialplan of every later transfer"},
	{name: "force_transfer_context", file: "src/switch_ivr.c", runs: "the context of every later transfer"},
	{name: "hold_hangup_xfer_exten", file: "src/switch_ivr_bridge.c", runs: "a transfer"},
	{name: "campon_fallback_exten", file: "src/mod/applications/mod_dptools/mod_dptools.c", runs: "a transfer"},
	{name: "campon_fallback_dialplan", file: "src/mod/applications/mod_dptools/mod_dptools.c", runs: "the dialplan of a transfer"},
	{name: "campon_fallback_context", file: "src/mod/applications/mod_dptools/mod_dptools.c", runs: "the context of a transfer"},
	{name: "mutex_orbit_exten", file: "src/mod/applications/mod_dptools/mod_dptools.c", runs: "a transfer"},
	{name: "mutex_orbit_dialplan", file: "src/mod/applications/mod_dptools/mod_dptools.c", runs: "the dialplan of a transfer"},
	{name: "mutex_orbit_context", file: "src/mod/applications/mod_dptools/mod_dptools.c", runs: "the context of a transfer"},
	{name: "fifo_orbit_exten", file: "src/mod/applications/mod_fifo/mod_fifo.c", runs: "a transfer"},
	{name: "fifo_orbit_dialplan", file: "src/mod/applications/mod_fifo/mod_fifo.c", runs: "the dialplan of a transfer"},
	{name: "fifo_orbit_context", file: "src/mod/applications/mod_fifo/mod_fifo.c", runs: "the context of a transfer"},
	{name: "valet_parking_orbit_exten", file: "src/mod/applications/mod_valet_parking/mod_valet_parking.c", runs: "a transfer"},
	{name: "valet_parking_orbit_dialplan", file: "src/mod/applications/mod_valet_parking/mod_valet_parking.c", runs: "the dialplan of a transfer"},
	{name: "valet_parking_orbit_context", file: "src/mod/applications/mod_valet_parking/mod_valet_parking.c", runs: "the context of a transfer"},
	{name: "vm_operator_extension", file: "src/mod/applications/mod_voicemail/mod_voicemail.c", runs: "a transfer (EXT DIALPLAN CONTEXT)"},
	{name: "voicemail_callback_dialplan", file: "src/mod/applications/mod_voicemail/mod_voicemail.c", runs: "the dialplan of a transfer"},
	{name: "voicemail_callback_context", file: "src/mod/applications/mod_voicemail/mod_voicemail.c", runs: "the context of a transfer"},
	{name: "sip_redirect_dialplan", file: "src/mod/endpoints/mod_sofia/sofia.c", runs: "the dialplan of a transfer"},
	{name: "sip_redirect_context", file: "src/mod/endpoints/mod_sofia/sofia.c", runs: "the context of a transfer"},
	// group_confirm_key "exec" makes group_confirm_file an application.
	{name: "group_confirm_key", file: "src/switch_ivr_originate.c", runs: "an application (with group_confirm_file)"},
	{name: "group_confirm_file", file: "src/switch_ivr_originate.c", runs: "an application (with group_confirm_key exec)"},
	// mod_loopback runs loopback_app on its channel (what loopback/app=
	// sets).
	{name: "loopback_app", file: "src/mod/endpoints/mod_loopback/mod_loopback.c", runs: "an application"},
	{name: "loopback_app_arg", file: "src/mod/endpoints/mod_loopback/mod_loopback.c", runs: "an application's argument"},
	// att_xfer's hangup hook runs the API command "uuid_bridge <value>":
	// two other calls' uuids bridge them together.
	{name: "xfer_uuids", file: "src/mod/applications/mod_dptools/mod_dptools.c", runs: "an API command's argument (uuid_bridge)"},
	// Turns off the check that keeps ${...} out of a new leg's variables,
	// so their values are expanded (and ${api(...)} runs).
	{name: "origination_nested_vars", file: "src/switch_ivr_originate.c", runs: "an expansion"},
}

// dangerousVar returns the entry that makes name dangerous. Beyond the
// list, a name with "exec" in it or "api" as a word of it is refused too:
// modules outside the list (and future ones) name their hooks that way.
func dangerousVar(name string) (fsVar, bool) {
	l := strings.ToLower(name)
	for _, v := range dangerousVars {
		if l == v.name || v.prefix && strings.HasPrefix(l, v.name) {
			return v, true
		}
	}
	if strings.Contains(l, "exec") {
		return fsVar{name: l, file: "a module's hook", runs: "an application (its name has \"exec\")"}, true
	}
	for _, w := range strings.FieldsFunc(l, isWordSep) {
		if w == "api" {
			return fsVar{name: l, file: "a module's hook", runs: "an API command (its name has the word \"api\")"}, true
		}
	}
	return fsVar{}, false
}

// isWordSep splits a variable name into words.
func isWordSep(r rune) bool { return r == '_' || r == '.' || r == '-' }

// legVars are the variables an app may give one leg of a bridge in a
// [...] block (or a whole bridge in {...} or <...>) without allow_vars.
// Each only shapes the new leg; none is ever run:
//   - leg_timeout, leg_progress_timeout, leg_delay_start, originate_timeout:
//     how long to ring and when to start (src/switch_ivr_originate.c);
//   - origination_caller_id_*, origination_callee_id_*,
//     effective_caller_id_*: the caller id the leg shows and sends
//     (src/switch_ivr_originate.c, src/switch_channel.c);
//   - ignore_early_media: whether early media counts as an answer;
//   - absolute_codec_string: the codecs offered on the leg
//     (src/switch_core_media.c);
//   - sip_h_X-*: custom X- headers on the INVITE (mod_sofia copies
//     sip_h_<name> to a header <name>; X- headers carry data, not routing).
//
// Left out on purpose (allow_vars can add them): sip_invite_* (they rewrite
// where the INVITE goes), sip_auto_answer (makes a phone pick up by
// itself), ringback and other file variables (which files an app may
// touch is decided elsewhere), and everything in dangerousVars.
var legVars = []fsVar{
	{name: "leg_timeout"},
	{name: "leg_progress_timeout"},
	{name: "leg_delay_start"},
	{name: "originate_timeout"},
	{name: "origination_caller_id_name"},
	{name: "origination_caller_id_number"},
	{name: "origination_callee_id_name"},
	{name: "origination_callee_id_number"},
	{name: "effective_caller_id_name"},
	{name: "effective_caller_id_number"},
	{name: "ignore_early_media"},
	{name: "absolute_codec_string"},
	{name: "sip_h_x-", prefix: true},
}

// legOnlyVars are harmless on the caller's own channel but not on a new
// leg, which is why legVars leaves them out: sip_auto_answer makes the
// called phone pick up by itself, sip_invite_* rewrite where the INVITE
// goes (mod_sofia/sofia_glue.c). An app may set them on its channel, but
// not hand them to a leg another way: export and bridge_export, or a name
// in export_vars or bridge_export_vars, whose variables
// src/switch_ivr_originate.c copies onto every new leg
// (switch_channel_process_export).
var legOnlyVars = []fsVar{
	{name: "sip_auto_answer"},
	{name: "sip_invite_", prefix: true},
}

// exportListVars name, in their value, variables copied onto new legs.
var exportListVars = []string{"export_vars", "bridge_export_vars"}

// isLegOnlyVar reports whether name is one of legOnlyVars.
func isLegOnlyVar(name string) bool {
	l := strings.ToLower(name)
	for _, v := range legOnlyVars {
		if l == v.name || v.prefix && strings.HasPrefix(l, v.name) {
			return true
		}
	}
	return false
}

// isLegVar reports whether name is one of legVars.
func isLegVar(name string) bool {
	l := strings.ToLower(name)
	for _, v := range legVars {
		if l == v.name || v.prefix && strings.HasPrefix(l, v.name) {
			return true
		}
	}
	return false
}

// OwnVars are the channel variables callhook itself writes to implement a
// verb (bridge, gather, record). They are exempt from the rules above
// because no app text ever names them: callhook writes them with fixed
// names and values it computed (a duration, a checked caller id), never
// through the set verb. A test checks that every variable a verb's execs
// write is listed here.
var OwnVars = []string{
	"continue_on_fail",             // bridge: a failed bridge must not hang the caller up
	"hangup_after_bridge",          // bridge: the app decides what follows a bridge
	"originate_timeout",            // bridge: timeout
	"origination_caller_id_number", // bridge: caller_id
	"origination_caller_id_name",   // bridge: caller_name
	"playback_terminators",         // record: terminators
	// bridge's newer options, in its {...} and %^[...] blocks: values
	// callhook builds from checked options, never app text as such.
	"execute_on_answer",    // bridge: time_limit, always "sched_hangup +<seconds> ALLOTTED_TIMEOUT"
	"group_confirm_key",    // bridge: confirm's key, one DTMF digit (never "exec")
	"group_confirm_file",   // bridge: confirm's prompt, under the play rules
	"ringback",             // bridge: ringback, a named tone or a file under the play rules
	"transfer_ringback",    // bridge: the same, for an answered caller
	"bridge_terminate_key", // bridge: hangup_on_star, always "*"
	"RECORD_BRIDGE_REQ",    // bridge: record, a scope variable of record_session, always "true"
	"callhook_digits_",     // gather: the per-verb digits variable, callhook_digits_<seq>
}

// DangerousVars returns the names of dangerousVars, in lower case, the
// prefix families with a trailing * (allow_vars' own syntax): for
// documentation and for tests of the packages that feed verbs.
func DangerousVars() []string {
	out := make([]string, len(dangerousVars))
	for i, v := range dangerousVars {
		out[i] = v.name
		if v.prefix {
			out[i] += "*"
		}
	}
	return out
}
