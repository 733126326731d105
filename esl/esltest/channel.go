package esltest

import (
	"strconv"
	"strings"
)

// profile is a caller profile (switch_caller_profile_t): the Caller-* block
// of every channel event, the Channel-* block of the connect reply, and the
// Other-Leg-* block once a bridge has given the channel an originatee.
type profile struct {
	direction, logicalDirection   string
	cidName, cidNumber            string
	origCIDName, origCIDNumber    string
	calleeName, calleeNumber      string
	ani, destination, uuid        string
	source, context, channelName  string
	created, answered, progress   int64 // µs since the epoch, 0 = never
	progressMedia, hangup, bridge int64
	withIndex                     bool // Profile-Index is written (not for Other-Leg)
	// A transfer gives the channel a new profile: the new destination,
	// Transfer-Source and RDNIS (the old destination), Profile-Index 2
	// (transfer.txt).
	transferSource, rdnis string
	index                 int // Profile-Index, 0 meaning 1
}

// appendTo appends the profile's headers with prefix ("Caller-",
// "Channel-", "Other-Leg-"), in switch_caller_profile_event_set_data order.
func (p *profile) appendTo(h []header, prefix string) []header {
	t := func(v int64) string { return strconv.FormatInt(v, 10) }
	h = append(h,
		header{prefix + "Direction", p.direction},
		header{prefix + "Logical-Direction", p.logicalDirection},
		header{prefix + "Dialplan", "xml"},
		header{prefix + "Caller-ID-Name", p.cidName},
		header{prefix + "Caller-ID-Number", p.cidNumber},
		header{prefix + "Orig-Caller-ID-Name", p.origCIDName},
		header{prefix + "Orig-Caller-ID-Number", p.origCIDNumber},
		header{prefix + "Callee-ID-Name", p.calleeName},
		header{prefix + "Callee-ID-Number", p.calleeNumber},
		header{prefix + "ANI", p.ani},
		header{prefix + "Destination-Number", p.destination},
		header{prefix + "Unique-ID", p.uuid},
		header{prefix + "Source", p.source},
	)
	if p.transferSource != "" {
		h = append(h, header{prefix + "Transfer-Source", p.transferSource})
	}
	h = append(h, header{prefix + "Context", p.context})
	if p.rdnis != "" {
		h = append(h, header{prefix + "RDNIS", p.rdnis})
	}
	h = append(h, header{prefix + "Channel-Name", p.channelName})
	if p.withIndex {
		h = append(h, header{prefix + "Profile-Index", strconv.Itoa(max(p.index, 1))})
	}
	return append(h,
		header{prefix + "Profile-Created-Time", t(p.created)},
		header{prefix + "Channel-Created-Time", t(p.created)},
		header{prefix + "Channel-Answered-Time", t(p.answered)},
		header{prefix + "Channel-Progress-Time", t(p.progress)},
		header{prefix + "Channel-Progress-Media-Time", t(p.progressMedia)},
		header{prefix + "Channel-Hangup-Time", t(p.hangup)},
		header{prefix + "Channel-Transfer-Time", "0"},
		header{prefix + "Channel-Resurrect-Time", "0"},
		header{prefix + "Channel-Bridged-Time", t(p.bridge)},
		header{prefix + "Channel-Last-Hold", "0"},
		header{prefix + "Channel-Hold-Accum", "0"},
		header{prefix + "Screen-Bit", "true"},
		header{prefix + "Privacy-Hide-Name", "false"},
		header{prefix + "Privacy-Hide-Number", "false"},
	)
}

// Channel running states and their numbers (switch_channel_state_t).
const (
	csRouting      = "CS_ROUTING"
	csExecute      = "CS_EXECUTE"
	csConsumeMedia = "CS_CONSUME_MEDIA"
	csHangup       = "CS_HANGUP"
	csReporting    = "CS_REPORTING"
)

var stateNumbers = map[string]string{
	csRouting: "2", csExecute: "4", csConsumeMedia: "7", csHangup: "10", csReporting: "11",
}

// channel is one simulated FreeSWITCH channel: the controlled leg, or the
// caller's loopback A leg.
type channel struct {
	sw          *Switch // the switch the channel is on
	prof        profile
	other       *profile // originatee after a bridge (Other-Type: originatee)
	name        string
	uuid        string
	direction   string // Call-Direction
	hitDialplan bool
	state       string // running state name (Channel-State)
	stateNum    string // Channel-State-Number (moves to 10 at hangup before the name does)
	callState   string // Channel-Call-State: DOWN, RINGING, EARLY, ACTIVE, HANGUP
	answerState string // Answer-State: ringing, early, answered, hangup
	cause       string // Hangup-Cause once down
	vars        varList
	up          bool
}

// appendBasic appends switch_channel_event_set_basic_data's headers.
func (ch *channel) appendBasic(h []header) []header {
	h = append(h,
		header{"Channel-State", ch.state},
		header{"Channel-Call-State", ch.callState},
		header{"Channel-State-Number", ch.stateNum},
		header{"Channel-Name", ch.name},
		header{"Unique-ID", ch.uuid},
		header{"Call-Direction", ch.direction},
		header{"Presence-Call-Direction", ch.direction},
		header{"Channel-HIT-Dialplan", strconv.FormatBool(ch.hitDialplan)},
		header{"Channel-Call-UUID", ch.uuid},
		header{"Answer-State", ch.answerState},
	)
	if ch.cause != "" {
		h = append(h, header{"Hangup-Cause", ch.cause})
	}
	h = append(h,
		header{"Channel-Read-Codec-Name", "L16"},
		header{"Channel-Read-Codec-Rate", "8000"},
		header{"Channel-Read-Codec-Bit-Rate", "128000"},
		header{"Channel-Write-Codec-Name", "L16"},
		header{"Channel-Write-Codec-Rate", "8000"},
		header{"Channel-Write-Codec-Bit-Rate", "128000"},
	)
	h = ch.prof.appendTo(h, "Caller-")
	if ch.other != nil {
		h = append(h, header{"Other-Type", "originatee"})
		h = ch.other.appendTo(h, "Other-Leg-")
	}
	return h
}

// appendVars appends the extended data: variable_<name> for every channel
// variable, in order.
func (ch *channel) appendVars(h []header) []header {
	for _, v := range ch.vars {
		h = append(h, header{"variable_" + v.name, v.value})
	}
	return h
}

// profileVar returns the caller-profile fields switch_channel_get_variable
// falls back to when no variable of that name exists (getvar
// caller_id_number answers 1000 in full-commands).
func (ch *channel) profileVar(name string) (string, bool) {
	p := &ch.prof
	switch strings.ToLower(name) {
	case "caller_id_name":
		return p.cidName, true
	case "caller_id_number":
		return p.cidNumber, true
	case "orig_caller_id_name":
		return p.origCIDName, true
	case "orig_caller_id_number":
		return p.origCIDNumber, true
	case "callee_id_name":
		return p.calleeName, true
	case "callee_id_number":
		return p.calleeNumber, true
	case "ani":
		return p.ani, true
	case "destination_number":
		return p.destination, true
	case "unique_id":
		return p.uuid, true
	case "source":
		return p.source, true
	case "context":
		return p.context, true
	case "dialplan":
		return "xml", true
	case "chan_name":
		return p.channelName, true
	}
	return "", false
}

// lookupVar is switch_channel_get_variable: the variable, else the
// caller-profile field.
func (ch *channel) lookupVar(name string) (string, bool) {
	if v, ok := ch.vars.get(name); ok {
		return v, true
	}
	return ch.profileVar(name)
}
