package esl

import "strings"

// allVarEvents are the events FreeSWITCH 1.10.12 gives the channel's
// extended data, every channel variable as a variable_<name> header
// (src/switch_channel.c, switch_channel_event_set_extended_data). CUSTOM is
// in FreeSWITCH's list too, but a CUSTOM event carries channel data only
// when the code firing it adds it, so it is judged by its headers.
var allVarEvents = map[string]bool{
	"CHANNEL_CREATE": true, "CHANNEL_ORIGINATE": true, "CHANNEL_UUID": true,
	"CHANNEL_ANSWER": true, "CHANNEL_PARK": true, "CHANNEL_UNPARK": true,
	"CHANNEL_BRIDGE": true, "CHANNEL_UNBRIDGE": true,
	"CHANNEL_PROGRESS": true, "CHANNEL_PROGRESS_MEDIA": true,
	"CHANNEL_HANGUP": true, "CHANNEL_HANGUP_COMPLETE": true,
	"CHANNEL_DATA": true, "CHANNEL_EXECUTE": true, "CHANNEL_EXECUTE_COMPLETE": true,
	"CHANNEL_DESTROY": true, "SESSION_HEARTBEAT": true,
	"RECORD_START": true, "RECORD_STOP": true, "PLAYBACK_START": true, "PLAYBACK_STOP": true,
	"CALL_UPDATE": true, "MEDIA_BUG_START": true, "MEDIA_BUG_STOP": true,
	"CHANNEL_HOLD": true, "CHANNEL_UNHOLD": true,
}

// CarriesAllVars reports whether e holds its channel's whole variable set,
// so that a variable absent from it is not set on the channel (it was
// unset, or never set): the connect reply's channel data and the events
// FreeSWITCH gives extended data (CHANNEL_EXECUTE(_COMPLETE), ANSWER, PARK,
// BRIDGE, HANGUP(_COMPLETE), ...). DTMF, CHANNEL_STATE and CHANNEL_CALLSTATE
// carry no variables and say nothing about them, unless FreeSWITCH runs
// with verbose_events, which gives every channel event all of them: an
// event with any variable_ header has them all.
func (e *Event) CarriesAllVars() bool {
	if e == nil || e.IsDisconnectNotice() {
		return false
	}
	if allVarEvents[e.Name()] {
		return true
	}
	if e.Headers == nil && e.lazy != nil {
		return strings.Contains(e.lazy.block, "\nvariable_") || strings.HasPrefix(e.lazy.block, "variable_")
	}
	for i := len(e.Headers) - 1; i >= 0; i-- {
		if strings.HasPrefix(e.Headers[i].Name, "variable_") {
			return true
		}
	}
	return false
}
