package replay

import "strings"

// eventNames are FreeSWITCH 1.10.12's event type names (EVENT_NAMES in
// src/switch_event.c), the words nixevent knows.
var eventNames = func() map[string]bool {
	m := map[string]bool{}
	for _, n := range strings.Fields(`CUSTOM CLONE CHANNEL_CREATE CHANNEL_DESTROY CHANNEL_STATE
		CHANNEL_CALLSTATE CHANNEL_ANSWER CHANNEL_HANGUP CHANNEL_HANGUP_COMPLETE CHANNEL_EXECUTE
		CHANNEL_EXECUTE_COMPLETE CHANNEL_HOLD CHANNEL_UNHOLD CHANNEL_BRIDGE CHANNEL_UNBRIDGE
		CHANNEL_PROGRESS CHANNEL_PROGRESS_MEDIA CHANNEL_OUTGOING CHANNEL_PARK CHANNEL_UNPARK
		CHANNEL_APPLICATION CHANNEL_ORIGINATE CHANNEL_UUID API LOG INBOUND_CHAN OUTBOUND_CHAN
		STARTUP SHUTDOWN PUBLISH UNPUBLISH TALK NOTALK SESSION_CRASH MODULE_LOAD MODULE_UNLOAD
		DTMF MESSAGE PRESENCE_IN NOTIFY_IN PRESENCE_OUT PRESENCE_PROBE MESSAGE_WAITING
		MESSAGE_QUERY ROSTER CODEC BACKGROUND_JOB DETECTED_SPEECH DETECTED_TONE PRIVATE_COMMAND
		HEARTBEAT TRAP ADD_SCHEDULE DEL_SCHEDULE EXE_SCHEDULE RE_SCHEDULE RELOADXML NOTIFY
		PHONE_FEATURE PHONE_FEATURE_SUBSCRIBE SEND_MESSAGE RECV_MESSAGE REQUEST_PARAMS
		CHANNEL_DATA GENERAL COMMAND SESSION_HEARTBEAT CLIENT_DISCONNECTED SERVER_DISCONNECTED
		SEND_INFO RECV_INFO RECV_RTCP_MESSAGE SEND_RTCP_MESSAGE CALL_SECURE NAT RECORD_START
		RECORD_STOP PLAYBACK_START PLAYBACK_STOP CALL_UPDATE FAILURE SOCKET_DATA
		MEDIA_BUG_START MEDIA_BUG_STOP CONFERENCE_DATA_QUERY CONFERENCE_DATA CALL_SETUP_REQ
		CALL_SETUP_RESULT CALL_DETAIL DEVICE_STATE TEXT SHUTDOWN_REQUESTED ALL`) {
		m[n] = true
	}
	return m
}()

// nixEvents applies "nixevent <words>" as FreeSWITCH's parse_command does
// (src/mod/event_handlers/mod_event_socket/mod_event_socket.c): each word
// that names an event type (case-insensitive, SWITCH_EVENT_ prefix
// allowed; switch_name_event in src/switch_event.c) stops that type, ALL
// stops every type, the words after CUSTOM are subclasses (the trace has
// no custom events), unknown words are passed over. It returns the reply:
// "+OK events nixed", or "-ERR no keywords supplied" when no word named a
// type. The caller holds c.wmu.
func (c *Call) nixEvents(words []string) string {
	known, custom := 0, false
	for _, w := range words {
		if custom {
			continue
		}
		n := strings.ToUpper(w)
		if len(n) > 13 && strings.HasPrefix(n, "SWITCH_EVENT_") {
			n = n[13:]
		}
		if !eventNames[n] {
			continue
		}
		known++
		switch n {
		case "CUSTOM":
			custom = true
		case "ALL":
			c.nixAll = true
		default:
			if c.nixed == nil {
				c.nixed = map[string]bool{}
			}
			c.nixed[n] = true
		}
	}
	if known == 0 {
		return "-ERR no keywords supplied"
	}
	return "+OK events nixed"
}

// wants reports whether the daemon still receives events named name.
func (c *Call) wants(name string) bool { return !c.nixAll && !c.nixed[name] }
