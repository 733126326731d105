package esltest

import (
	"strconv"
	"time"

	"github.com/callhook/callhook/esl"
)

// header is one event header while an event is being built; values are
// decoded (plain text), encoding happens once when the frame is written.
type header struct{ name, value string }

// event is a fired event: its headers in FreeSWITCH's order and its body.
type event struct {
	name     string
	subclass string
	h        []header
	body     []byte
}

// get returns the first header named name (case-sensitive: the simulator
// only looks up headers it wrote itself).
func (e *event) get(name string) (string, bool) {
	for _, x := range e.h {
		if x.name == name {
			return x.value, true
		}
	}
	return "", false
}

// toESL converts e for esl's serialisers, reusing *scratch (which may be
// nil) for the headers: the event is serialised at once, never kept.
func (e *event) toESL(scratch *[]esl.EventHeader) *esl.Event {
	var hs []esl.EventHeader
	if scratch != nil {
		hs = (*scratch)[:0]
	}
	for _, x := range e.h {
		hs = append(hs, esl.EventHeader{Name: x.name, Value: x.value}) // the encoders ignore Raw
	}
	if scratch != nil {
		*scratch = hs[:0]
	}
	var body []byte
	if len(e.body) > 0 {
		body = e.body
	}
	return &esl.Event{Headers: hs, Body: body}
}

// The simulated switch's identity: the captures' values.
const (
	fsHostname = "vm"
	fsIPv4     = "192.0.2.2"
	fsIPv6     = "fd00::2"
	fsVersion  = "FreeSWITCH Version 1.10.12-release~64bit ( 64bit)"
)

// callSite is where FreeSWITCH 1.10.12 fires an event
// (Event-Calling-File/-Function/-Line-Number), as captured.
type callSite struct{ file, fn, line string }

var callSites = map[string]callSite{
	"CHANNEL_DATA":             {"mod_event_socket.c", "parse_command", "2021"},
	"CHANNEL_PARK":             {"switch_ivr.c", "switch_ivr_park", "1002"},
	"CHANNEL_UNPARK":           {"switch_ivr.c", "switch_ivr_park", "1213"},
	"CHANNEL_EXECUTE":          {"switch_core_session.c", "switch_core_session_exec", "2944"},
	"CHANNEL_EXECUTE_COMPLETE": {"switch_core_session.c", "switch_core_session_exec", "2967"},
	"CHANNEL_ANSWER":           {"switch_channel.c", "switch_channel_perform_mark_answered", "3846"},
	"CHANNEL_HANGUP":           {"switch_channel.c", "switch_channel_perform_hangup", "3445"},
	"CHANNEL_STATE":            {"switch_channel.c", "switch_channel_perform_set_running_state", "2408"},
	"CHANNEL_HANGUP_COMPLETE":  {"switch_core_state_machine.c", "switch_core_session_reporting_state", "943"},
	"CHANNEL_BRIDGE":           {"switch_ivr_bridge.c", "switch_ivr_multi_threaded_bridge", "1689"},
	"CHANNEL_UNBRIDGE":         {"switch_ivr_bridge.c", "switch_ivr_multi_threaded_bridge", "1879"},
	"DTMF":                     {"switch_channel.c", "switch_channel_dequeue_dtmf", "677"},
	"BACKGROUND_JOB":           {"mod_event_socket.c", "api_exec", "1572"},
	"CUSTOM":                   {"mod_event_socket.c", "parse_command", "2275"},
	// not captured: the lines below are from the 1.10.12 source, not a wire.
	"CHANNEL_PROGRESS":       {"switch_channel.c", "switch_channel_perform_mark_ring_ready_value", "3578"},
	"CHANNEL_PROGRESS_MEDIA": {"switch_channel.c", "switch_channel_perform_mark_pre_answered", "3697"},
	"RECORD_START":           {"switch_ivr_async.c", "record_callback", "1481"},
	"RECORD_STOP":            {"switch_ivr_async.c", "send_record_stop_event", "1240"},
}

// withVars lists the events switch_channel_event_set_data gives extended
// data (variables) by default; DTMF and CHANNEL_STATE carry none.
var withVars = map[string]bool{
	"CHANNEL_DATA": true, "CHANNEL_PARK": true, "CHANNEL_UNPARK": true,
	"CHANNEL_EXECUTE": true, "CHANNEL_EXECUTE_COMPLETE": true,
	"CHANNEL_ANSWER": true, "CHANNEL_HANGUP": true, "CHANNEL_HANGUP_COMPLETE": true,
	"CHANNEL_BRIDGE": true, "CHANNEL_UNBRIDGE": true,
	"CHANNEL_PROGRESS": true, "CHANNEL_PROGRESS_MEDIA": true,
	"RECORD_START": true, "RECORD_STOP": true,
}

// channelEvent builds a channel event: prep headers, pre (event-specific
// headers FreeSWITCH adds before the channel data), basic data, variables
// where FreeSWITCH adds them, then post.
func channelEvent(ch *channel, name string, now time.Time, pre, post []header) *event {
	h := make([]header, 0, 64+len(ch.vars)+len(pre)+len(post))
	h = ch.sw.prep(h, name, now)
	h = append(h, pre...)
	h = ch.appendBasic(h)
	if withVars[name] {
		h = ch.appendVars(h)
	}
	h = append(h, post...)
	return &event{name: name, h: h}
}

// eventFrame serialises e in format f and frames it as read_packet does:
// Content-Length first, then Content-Type.
func eventFrame(e *event, f esl.Format, scratch *[]esl.EventHeader) *esl.Frame {
	ev := e.toESL(scratch)
	var body []byte
	ct := esl.TypeEventPlain
	switch f {
	case esl.FormatJSON:
		body, ct = ev.EncodeJSON(), esl.TypeEventJSON
	case esl.FormatXML:
		body, ct = ev.EncodeXML(), esl.TypeEventXML
	default:
		body = ev.EncodePlain()
	}
	return &esl.Frame{
		Headers: esl.Headers{
			{Name: "Content-Length", Value: strconv.Itoa(len(body))},
			{Name: "Content-Type", Value: ct},
		},
		Body: body,
	}
}

// replyFrame is a plain command/reply; FreeSWITCH's reply buffer is 512
// bytes, so the text is cut at 511.
func replyFrame(text string) *esl.Frame {
	if len(text) > 511 {
		text = text[:511]
	}
	return &esl.Frame{Headers: esl.Headers{
		{Name: "Content-Type", Value: esl.TypeCommandReply},
		{Name: "Reply-Text", Value: text},
	}}
}

// apiFrame is an api/response with body.
func apiFrame(body string) *esl.Frame {
	return &esl.Frame{
		Headers: esl.Headers{
			{Name: "Content-Type", Value: esl.TypeAPIResponse},
			{Name: "Content-Length", Value: strconv.Itoa(len(body))},
		},
		Body: []byte(body),
	}
}

// goodbye is the final disconnect notice's body (67 bytes).
const goodbye = "Disconnected, goodbye.\nSee you at ClueCon! http://www.cluecon.com/\n"

// disconnectFrame is the final notice of an outbound listener.
func disconnectFrame(uuid string) *esl.Frame {
	return &esl.Frame{
		Headers: esl.Headers{
			{Name: "Content-Type", Value: esl.TypeDisconnectNotice},
			{Name: "Controlled-Session-UUID", Value: uuid},
			{Name: "Content-Disposition", Value: "disconnect"},
			{Name: "Content-Length", Value: strconv.Itoa(len(goodbye))},
		},
		Body: []byte(goodbye),
	}
}

// shortDisconnectFrame is the final notice of an inbound listener (no
// session, so no Controlled-Session-UUID or disposition; inbound-auth).
func shortDisconnectFrame() *esl.Frame {
	return &esl.Frame{
		Headers: esl.Headers{
			{Name: "Content-Type", Value: esl.TypeDisconnectNotice},
			{Name: "Content-Length", Value: strconv.Itoa(len(goodbye))},
		},
		Body: []byte(goodbye),
	}
}

// lingerFrame is the notice sent when the channel goes down while linger
// is on; Channel-Name is raw, not URL-encoded.
func lingerFrame(uuid, chanName string, secs int) *esl.Frame {
	return &esl.Frame{Headers: esl.Headers{
		{Name: "Content-Type", Value: esl.TypeDisconnectNotice},
		{Name: "Controlled-Session-UUID", Value: uuid},
		{Name: "Content-Disposition", Value: "linger"},
		{Name: "Channel-Name", Value: chanName},
		{Name: "Linger-Time", Value: strconv.Itoa(secs)},
		{Name: "Content-Length", Value: "0"},
	}}
}
