package esltest

import (
	"strconv"
	"strings"
	"time"

	"github.com/callhook/callhook/esl"
)

// hangup is switch_channel_perform_hangup: the state number moves to
// CS_HANGUP before CHANNEL_HANGUP fires, a running app stops (its COMPLETE
// follows CHANNEL_HANGUP), queued messages are dropped; the rest of the
// tail runs from pump once nothing executes (tail).
func (c *Call) hangup(cause string, by HangupBy) {
	ch := &c.ch
	if !ch.up {
		return
	}
	c.mu.Lock()
	ch.up = false
	ch.answerState = "hangup"
	ch.stateNum = stateNumbers[csHangup]
	ch.cause = cause
	c.mu.Unlock()
	c.hungUpBy = by
	c.queue = nil
	c.digits = nil
	if !c.async || !c.connected {
		// Static mode: the session thread sits in the listener, so nothing
		// of the hangup reaches the socket (sync-mode capture).
		if c.act != nil {
			c.act.stop(c, stopHangup)
		}
		return
	}
	if b, ok := c.act.(*bridgeAct); ok {
		b.beforeHangup(c)
	}
	if c.lingering && c.o.LingerNotice == LingerNoticeFirst {
		c.queueFrame(lingerFrame(ch.uuid, ch.name, c.lingerSecs))
	}
	c.queueEvent(channelEvent(ch, "CHANNEL_HANGUP", c.now(), nil, nil))
	if c.lingering && c.o.LingerNotice == LingerNoticeAfterHangup {
		c.queueFrame(lingerFrame(ch.uuid, ch.name, c.lingerSecs))
	}
	if c.act != nil {
		c.act.stop(c, stopHangup)
	}
}

// tail is the rest of the hangup as captured in async mode: CHANNEL_UNPARK,
// the socket app's EXECUTE_COMPLETE (its response copied from the last
// app), CHANNEL_STATE CS_HANGUP and CS_REPORTING, CHANNEL_HANGUP_COMPLETE
// (Hangup-Cause twice, the CDR variables); never CHANNEL_DESTROY. Then the
// linger notice and the linger time, or the disconnect at once.
func (c *Call) tail() {
	c.tailDone = true
	c.endExec()
	ch := &c.ch
	if c.async && c.connected {
		c.endPark()
		ch.state = csHangup
		c.queueEvent(channelEvent(ch, "CHANNEL_STATE", c.now(), nil, nil))
		// CS_HANGUP removes the media bugs: running record_sessions
		// close (recording.go).
		c.closeSessionRecs()
		now := c.now()
		c.mu.Lock()
		ch.state, ch.stateNum, ch.callState = csReporting, stateNumbers[csReporting], "HANGUP"
		ch.prof.hangup = now.UnixMicro()
		c.mu.Unlock()
		c.queueEvent(channelEvent(ch, "CHANNEL_STATE", now, nil, nil))
		c.setCDRVars(now)
		c.queueEvent(channelEvent(ch, "CHANNEL_HANGUP_COMPLETE", now, []header{{"Hangup-Cause", ch.cause}}, nil))
	}
	if !c.connected || !c.lingering {
		c.closing = true
		c.closeWithNotice()
		return
	}
	if c.o.LingerNotice == LingerNoticeLast {
		c.queueFrame(lingerFrame(ch.uuid, ch.name, c.lingerSecs))
	}
	if c.lingerSecs >= 0 {
		c.setTimer(time.Duration(c.lingerSecs)*time.Second, c.closeWithNotice)
	}
}

// endPark ends the park: CHANNEL_UNPARK and the socket application's
// CHANNEL_EXECUTE_COMPLETE (once: after a transfer the socket app has
// already returned when the channel hangs up).
func (c *Call) endPark() {
	ch := &c.ch
	if c.parked {
		c.parked = false
		c.queueEvent(channelEvent(ch, "CHANNEL_UNPARK", c.now(), nil, nil))
	}
	if c.socketDone {
		return
	}
	c.socketDone = true
	c.queueEvent(channelEvent(ch, "CHANNEL_EXECUTE_COMPLETE", c.now(), nil, []header{
		{"Application", "socket"},
		{"Application-Data", c.socketData},
		{"Application-Response", c.appResponse()},
		{"Application-UUID", esl.NewUUID()},
	}))
}

// leaveSocket is a transfer: the park ends and the socket application
// returns (CHANNEL_UNPARK, its EXECUTE_COMPLETE), the channel routes the new
// extension (CHANNEL_STATE CS_ROUTING, then CS_EXECUTE) and runs its
// actions (Options.Extensions). In async mode the listener stays: the
// socket carries the new extension's events until the daemon sends exit
// (transfer.txt), or the channel hangs up and the linger runs out.
func (c *Call) leaveSocket() {
	c.leftSocket = true
	c.queue = nil
	if !c.async || !c.connected {
		// not captured: a static socket is taken to end with the transfer.
		c.tailDone = true
		c.closing = true
		c.closeWithNotice()
		return
	}
	c.endPark()
	ch := &c.ch
	call := ch.callState
	ch.state, ch.stateNum, ch.callState = csRouting, stateNumbers[csRouting], "RINGING"
	c.queueEvent(channelEvent(ch, "CHANNEL_STATE", c.now(), nil, nil))
	c.setVar("call_uuid", ch.uuid)
	ch.state, ch.stateNum, ch.callState = csExecute, stateNumbers[csExecute], call
	c.queueEvent(channelEvent(ch, "CHANNEL_STATE", c.now(), nil, nil))
	actions, ok := c.o.Extensions[c.transferTo]
	if !ok {
		actions = []string{"park"} // not captured: see Options.Extensions
	}
	for _, a := range actions {
		app, arg, _ := strings.Cut(strings.TrimSpace(a), " ")
		h := esl.Headers{{Name: "call-command", Value: "execute"}, {Name: "execute-app-name", Value: app},
			{Name: "event-lock", Value: "true"}}
		if arg != "" {
			h = append(h, esl.Header{Name: "execute-app-arg", Value: arg})
		}
		c.queue = append(c.queue, &message{cmd: esl.Command{Line: "sendmsg", Headers: h}})
	}
}

// setCDRVars adds the variables switch_core_session_reporting_state and
// the CDR code set before CHANNEL_HANGUP_COMPLETE, in the captured order.
func (c *Call) setCDRVars(end time.Time) {
	ch := &c.ch
	p := &ch.prof
	stamp := func(us int64) string { return time.UnixMicro(us).Local().Format(time.DateTime) }
	sec := func(us int64) string { return strconv.FormatInt(us/1e6, 10) }
	us := func(v int64) string { return strconv.FormatInt(v, 10) }
	endUS := end.UnixMicro()
	dialed := string(c.dialed)
	if dialed == "" {
		dialed = "none"
	}
	set := c.setVar
	set("hangup_cause", ch.cause)
	set("hangup_cause_q850", strconv.Itoa(q850(ch.cause)))
	set("digits_dialed", dialed)
	set("start_stamp", stamp(p.created))
	set("profile_start_stamp", stamp(p.created))
	if p.answered != 0 {
		set("answer_stamp", stamp(p.answered))
	}
	if p.bridge != 0 {
		set("bridge_stamp", stamp(p.bridge))
	}
	set("end_stamp", stamp(endUS))
	set("start_epoch", sec(p.created))
	set("start_uepoch", us(p.created))
	set("profile_start_epoch", sec(p.created))
	set("profile_start_uepoch", us(p.created))
	set("answer_epoch", sec(p.answered))
	set("answer_uepoch", us(p.answered))
	set("bridge_epoch", sec(p.bridge))
	set("bridge_uepoch", us(p.bridge))
	for _, n := range []string{"last_hold_epoch", "last_hold_uepoch", "hold_accum_seconds",
		"hold_accum_usec", "hold_accum_ms", "resurrect_epoch", "resurrect_uepoch"} {
		set(n, "0")
	}
	set("progress_epoch", sec(p.progress))
	set("progress_uepoch", us(p.progress))
	set("progress_media_epoch", sec(p.progressMedia))
	set("progress_media_uepoch", us(p.progressMedia))
	set("end_epoch", sec(endUS))
	set("end_uepoch", us(endUS))
	app, _ := ch.vars.get("current_application")
	set("last_app", app)
	if arg, ok := ch.vars.get("current_application_data"); ok {
		set("last_arg", arg)
	}
	set("caller_id", `"`+p.cidName+`" <`+p.cidNumber+`>`)
	since := func(from int64) int64 {
		if from == 0 {
			return 0
		}
		return endUS - from
	}
	wait := func(at int64) int64 {
		if at == 0 {
			return 0
		}
		return at - p.created
	}
	dur, bill := endUS-p.created, since(p.answered)
	prog, ans, media := wait(p.progress), wait(p.answered), wait(p.progressMedia)
	for _, u := range []struct {
		suffix string
		div    int64
	}{{"sec", 1e6}, {"msec", 1e3}, {"usec", 1}} {
		d := func(v int64) string { return strconv.FormatInt(v/u.div, 10) }
		durName := map[string]string{"sec": "duration", "msec": "mduration", "usec": "uduration"}[u.suffix]
		set(durName, d(dur))
		set("bill"+u.suffix, d(bill))
		set("progress"+u.suffix, d(prog))
		set("answer"+u.suffix, d(ans))
		set("wait"+u.suffix, d(ans))
		set("progress_media"+u.suffix, d(media))
		set("flow_bill"+u.suffix, d(dur))
	}
	if c.aleg != nil {
		set("is_loopback", "1")
	}
}

// outcome says how the call ended for the caller when the socket closed.
// An app still running then (FreeSWITCH #1258: it keeps the call up until
// it returns) is taken to end with the socket. not captured.
func (c *Call) outcome() *Result {
	// The channel variable socket_resume=true (set by resume, or by the
	// dialplan) is what FreeSWITCH checks.
	resumed := c.resumed
	if v, _ := c.ch.vars.get("socket_resume"); v == "true" {
		resumed = true
	}
	r := &Result{Resumed: c.resumed}
	switch {
	case c.abort, c.userClosed.Load():
		r.Outcome = Aborted
	case c.transferred:
		// The call left the socket; what the new extension did with it
		// later is not the daemon's doing.
		r.Outcome = Transferred
	case !c.ch.up:
		r.Outcome, r.Cause, r.By = HungUp, c.ch.cause, c.hungUpBy
	case !c.connected && c.async:
		r.Outcome = Parked
	case resumed && !c.async:
		// mod_event_socket.c: listener_run's static-mode resume path sets
		// CS_RESET with no step back to CS_EXECUTE (the async path has
		// one, after park); measured on 1.10.12, the call stays there.
		r.Outcome = Stranded
	case resumed || c.o.ContinueDialplan:
		r.Outcome = DialplanContinued
	default:
		r.Outcome, r.Cause, r.By = HungUp, "NORMAL_CLEARING", ByDialplan
	}
	return r
}

// causes maps hangup cause names to Q.850 codes (switch_channel_str2cause).
var causes = map[string]int{
	"UNSPECIFIED": 0, "UNALLOCATED_NUMBER": 1, "NO_ROUTE_TRANSIT_NET": 2,
	"NO_ROUTE_DESTINATION": 3, "CHANNEL_UNACCEPTABLE": 6, "CALL_AWARDED_DELIVERED": 7,
	"NORMAL_CLEARING": 16, "USER_BUSY": 17, "NO_USER_RESPONSE": 18, "NO_ANSWER": 19,
	"SUBSCRIBER_ABSENT": 20, "CALL_REJECTED": 21, "NUMBER_CHANGED": 22,
	"REDIRECTION_TO_NEW_DESTINATION": 23, "EXCHANGE_ROUTING_ERROR": 25,
	"DESTINATION_OUT_OF_ORDER": 27, "INVALID_NUMBER_FORMAT": 28, "FACILITY_REJECTED": 29,
	"RESPONSE_TO_STATUS_ENQUIRY": 30, "NORMAL_UNSPECIFIED": 31, "NORMAL_CIRCUIT_CONGESTION": 34,
	"NETWORK_OUT_OF_ORDER": 38, "NORMAL_TEMPORARY_FAILURE": 41, "SWITCH_CONGESTION": 42,
	"ACCESS_INFO_DISCARDED": 43, "REQUESTED_CHAN_UNAVAIL": 44, "FACILITY_NOT_SUBSCRIBED": 50,
	"OUTGOING_CALL_BARRED": 52, "INCOMING_CALL_BARRED": 54, "BEARERCAPABILITY_NOTAUTH": 57,
	"BEARERCAPABILITY_NOTAVAIL": 58, "SERVICE_UNAVAILABLE": 63, "BEARERCAPABILITY_NOTIMPL": 65,
	"CHAN_NOT_IMPLEMENTED": 66, "FACILITY_NOT_IMPLEMENTED": 69, "SERVICE_NOT_IMPLEMENTED": 79,
	"INVALID_CALL_REFERENCE": 81, "INCOMPATIBLE_DESTINATION": 88, "INVALID_MSG_UNSPECIFIED": 95,
	"MANDATORY_IE_MISSING": 96, "MESSAGE_TYPE_NONEXIST": 97, "WRONG_MESSAGE": 98,
	"IE_NONEXIST": 99, "INVALID_IE_CONTENTS": 100, "WRONG_CALL_STATE": 101,
	"RECOVERY_ON_TIMER_EXPIRE": 102, "MANDATORY_IE_LENGTH_ERROR": 103, "PROTOCOL_ERROR": 111,
	"INTERWORKING": 127, "SUCCESS": 142, "ORIGINATOR_CANCEL": 487, "CRASH": 700,
	"SYSTEM_SHUTDOWN": 701, "LOSE_RACE": 702, "MANAGER_REQUEST": 703, "BLIND_TRANSFER": 800,
	"ATTENDED_TRANSFER": 801, "ALLOTTED_TIMEOUT": 802, "USER_CHALLENGE": 803,
	"MEDIA_TIMEOUT": 804, "PICKED_OFF": 805, "USER_NOT_REGISTERED": 806,
	"PROGRESS_TIMEOUT": 807, "GATEWAY_DOWN": 809,
}

// causeName normalises a hangup cause as switch_channel_str2cause: a name
// (any case) or a Q.850 number; anything else is NORMAL_CLEARING.
func causeName(s string) string {
	if name, ok := lookupCause(s); ok {
		return name
	}
	return "NORMAL_CLEARING"
}

// lookupCause is causeName without the fallback: ok is false for a name or
// number FreeSWITCH does not know.
func lookupCause(s string) (string, bool) {
	s = strings.TrimSpace(s)
	if _, ok := causes[strings.ToUpper(s)]; ok {
		return strings.ToUpper(s), true
	}
	if n, err := strconv.Atoi(s); err == nil {
		for name, code := range causes {
			if code == n {
				return name, true
			}
		}
	}
	return "", false
}

// q850 is the cause's code.
func q850(cause string) int { return causes[cause] }

// dialStatus is the DIALSTATUS a failed originate leaves
// (src/switch_ivr_originate.c, switch_ivr_originate): a few causes have
// their own word, every other cause is its name.
func dialStatus(cause string) string {
	switch cause {
	case "ORIGINATOR_CANCEL":
		return "CANCEL"
	case "USER_BUSY":
		return "BUSY"
	case "NO_ANSWER":
		return "NOANSWER"
	case "DESTINATION_OUT_OF_ORDER", "INVALID_PROFILE":
		return "INVALIDARGS"
	case "CALL_REJECTED":
		return "DONTCALL"
	}
	return cause
}
