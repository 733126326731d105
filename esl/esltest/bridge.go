package esltest

import (
	"fmt"
	"strings"
	"time"

	"github.com/callhook/callhook/esl"
)

// BridgeOutcome is what a bridge target does when the bridge app calls it
// (Options.BridgeTargets).
type BridgeOutcome string

const (
	// BridgeAnswer: the callee answers; the legs are bridged (CHANNEL_BRIDGE)
	// until the callee hangs up after Options.BridgeDuration
	// (CHANNEL_UNBRIDGE), and our channel goes on (bridge_ok_far_hangup).
	BridgeAnswer BridgeOutcome = "answer"
	// BridgeBusy: the callee is busy: the originate fails at once with
	// USER_BUSY (DIALSTATUS BUSY), no CHANNEL_BRIDGE or UNBRIDGE
	// (bridge_busy_continue_on_fail).
	BridgeBusy BridgeOutcome = "busy"
	// BridgeNoAnswer: the callee rings out: the originate fails with
	// NO_ANSWER (DIALSTATUS NOANSWER) when originate_timeout runs out (60 s
	// when the dial string sets none), no CHANNEL_BRIDGE or UNBRIDGE
	// (bridge_noanswer_and_error_user_busy).
	BridgeNoAnswer BridgeOutcome = "noanswer"
)

// BridgeFail is a callee whose leg fails with cause (a hangup cause name,
// such as CALL_REJECTED or NORMAL_TEMPORARY_FAILURE): like BridgeBusy with
// that cause.
func BridgeFail(cause string) BridgeOutcome { return BridgeOutcome("fail:" + cause) }

// ParseBridgeOutcome reads "answer", "busy", "noanswer" or "fail:CAUSE"
// (the cause a name or a Q.850 number, as switch_channel_str2cause reads
// them).
func ParseBridgeOutcome(s string) (BridgeOutcome, error) {
	switch o := BridgeOutcome(strings.ToLower(strings.TrimSpace(s))); o {
	case BridgeAnswer, BridgeBusy, BridgeNoAnswer:
		return o, nil
	}
	if cause, ok := strings.CutPrefix(strings.TrimSpace(s), "fail:"); ok {
		name, known := lookupCause(cause)
		if !known {
			return "", fmt.Errorf("esltest: bridge outcome %q: unknown hangup cause %q", s, cause)
		}
		return BridgeFail(name), nil
	}
	return "", fmt.Errorf("esltest: bridge outcome %q: want answer, busy, noanswer or fail:CAUSE", s)
}

// ParseBridgeTarget reads "TARGET=OUTCOME" (the -bridge flag of callhook
// simulate): a dial string as the bridge app gets it without its {..} and
// [..] variables, such as user/1001 or sofia/gateway/gw/123, and its
// outcome.
func ParseBridgeTarget(s string) (target string, o BridgeOutcome, err error) {
	i := strings.LastIndexByte(s, '=')
	if i <= 0 {
		return "", "", fmt.Errorf("esltest: bridge target %q: want TARGET=answer|busy|noanswer|fail:CAUSE", s)
	}
	o, err = ParseBridgeOutcome(s[i+1:])
	return strings.TrimSpace(s[:i]), o, err
}

// failCause is the hangup cause of a failing outcome ("" for answer).
func (o BridgeOutcome) failCause() string {
	switch o {
	case BridgeBusy:
		return "USER_BUSY"
	case BridgeNoAnswer:
		return "NO_ANSWER"
	}
	cause, _ := strings.CutPrefix(string(o), "fail:")
	return cause
}

// bridgeAct is bridge: the targets are called in turn ('|' failover; ','
// rings them at once, taken here as in turn: not captured) until one
// answers, each as Options.BridgeTargets says (default: answer). A target
// error/<cause> fails at once with that cause and creates no leg
// (bridge-fail capture); other failures create a leg that fails. Variables
// and events follow the captures bridge-ok, bridge-fail and the real
// traces bridge_*.
type bridgeAct struct {
	targets []string
	next    int
	timeout time.Duration // originate_timeout
	legs    []failedLeg   // legs that failed so far
	noLeg   string        // the cause of an error/<cause> target, the last one tried
	other   *profile
	target  string
	ext     string
	bridged bool
	// From the dial string's {...}: time_limit's sched_hangup seconds
	// (execute_on_answer), confirm's key and prompt (group_confirm_*).
	limit          time.Duration
	confirmKey     string
	confirmFile    string
	terminateKey   string // bridge_terminate_key, from the %[...] scope or the channel
	ringback       string // ringback / transfer_ringback in effect
	parallel       bool   // targets split at ','
	confirmsPlayed int
}

// failedLeg is a callee leg that was created and failed.
type failedLeg struct{ uuid, ext, cause string }

// bridgeSetupDelay is the captured gap between CHANNEL_EXECUTE and
// CHANNEL_BRIDGE (the callee answering), or the busy leg's failure.
const bridgeSetupDelay = 20 * time.Millisecond

// defaultOriginateTimeout is FreeSWITCH's originate timeout when the dial
// string sets no originate_timeout (src/switch_ivr_originate.c).
const defaultOriginateTimeout = 60 * time.Second

func appBridge(c *Call, arg string) {
	t := strings.TrimSpace(arg)
	b := &bridgeAct{timeout: defaultOriginateTimeout}
	// A leading %[...] or %X[...] sets variables for this run of the
	// application only (scope variables, src/switch_core_session.c): the
	// ones the originate and the bridge read from our channel. Not
	// captured.
	scope := map[string]string{}
	if strings.HasPrefix(t, "%") && len(t) > 2 {
		sep, rest := ",", t[1:]
		if rest[0] != '[' {
			sep, rest = rest[:1], rest[1:]
		}
		if body, after, ok := strings.Cut(strings.TrimPrefix(rest, "["), "]"); ok && strings.HasPrefix(rest, "[") {
			for _, kv := range strings.Split(body, sep) {
				k, v, _ := strings.Cut(kv, "=")
				scope[strings.TrimSpace(k)] = v
			}
			t = after
		}
	}
	chanVar := func(name string) string {
		if v, ok := scope[name]; ok {
			return v
		}
		v, _ := c.ch.vars.get(name)
		return v
	}
	b.terminateKey = chanVar("bridge_terminate_key")
	// The originate plays transfer_ringback to an answered caller, else
	// ringback (src/switch_ivr_originate.c).
	if c.ch.answerState == "answered" {
		b.ringback = chanVar("transfer_ringback")
	}
	if b.ringback == "" {
		b.ringback = chanVar("ringback")
	}
	for strings.HasPrefix(t, "{") || strings.HasPrefix(t, "<") {
		end := strings.IndexAny(t, "}>")
		if end < 0 {
			break
		}
		for _, kv := range strings.Split(t[1:end], ",") {
			k, v, _ := strings.Cut(strings.TrimSpace(kv), "=")
			switch k {
			case "originate_timeout":
				if atoi(v) > 0 {
					b.timeout = time.Duration(atoi(v)) * time.Second
				}
			case "execute_on_answer":
				// sched_hangup +<seconds> [cause] on the callee's leg.
				if f := strings.Fields(v); len(f) >= 2 && f[0] == "sched_hangup" && atoi(strings.TrimPrefix(f[1], "+")) > 0 {
					b.limit = time.Duration(atoi(strings.TrimPrefix(f[1], "+"))) * time.Second
				}
			case "group_confirm_key":
				b.confirmKey = v
			case "group_confirm_file":
				b.confirmFile = v
			}
		}
		t = t[end+1:]
	}
	b.parallel = strings.Contains(t, ",") && !strings.Contains(t, "|")
	for _, x := range strings.FieldsFunc(t, func(r rune) bool { return r == '|' || r == ',' }) {
		if x = strings.TrimSpace(x); x != "" {
			b.targets = append(b.targets, x)
		}
	}
	c.act = b
	b.tryNext(c)
}

// tryNext calls the next target, or ends the bridge as failed when none is
// left.
func (b *bridgeAct) tryNext(c *Call) {
	if b.next >= len(b.targets) {
		b.fail(c)
		return
	}
	target := b.targets[b.next]
	b.next++
	// A [..] prefix sets this leg's variables; it is not part of the name.
	for strings.HasPrefix(target, "[") {
		end := strings.IndexByte(target, ']')
		if end < 0 {
			break
		}
		target = target[end+1:]
	}
	if cause, ok := strings.CutPrefix(target, "error/"); ok {
		b.noLeg = causeName(strings.ToUpper(cause))
		b.tryNext(c)
		return
	}
	ext := target
	if i := strings.LastIndexByte(ext, '/'); i >= 0 {
		ext = ext[i+1:]
	}
	ext, _, _ = strings.Cut(ext, "@")
	b.target, b.ext = target, ext
	outcome, ok := c.o.BridgeTargets[target]
	if !ok {
		outcome = BridgeAnswer
	}
	switch outcome {
	case BridgeAnswer:
		delay := bridgeSetupDelay
		if b.confirmKey != "" {
			// The callee hears the confirm prompt and presses the key
			// before the legs are bridged (not captured).
			d, _ := c.mediaDuration(b.confirmFile)
			delay += d
			b.confirmsPlayed++
		}
		c.setTimer(delay, func() { b.answer(c) })
	case BridgeNoAnswer:
		c.setTimer(b.timeout, func() { b.legFailed(c, ext, "NO_ANSWER") })
	default:
		c.setTimer(bridgeSetupDelay, func() { b.legFailed(c, ext, outcome.failCause()) })
	}
}

// legFailed records a callee leg that failed and goes on with the next
// target.
func (b *bridgeAct) legFailed(c *Call, ext, cause string) {
	b.legs = append(b.legs, failedLeg{uuid: esl.NewUUID(), ext: ext, cause: cause})
	b.noLeg = ""
	b.tryNext(c)
}

// fail ends a bridge no target answered. Legs that were created leave the
// originate variables in the order of the real traces (a second failed
// bridge on the same call adds to originated_legs and originate_causes in
// place, as arrays); an error/<cause> target leaves only the last three
// (bridge-fail). Then bridgeFail decides whether our channel hangs up.
func (b *bridgeAct) fail(c *Call) {
	// Over: a hangup bridgeFail causes must not stop it again.
	c.act = nil
	if len(b.legs) == 0 || b.noLeg != "" {
		if len(b.legs) > 0 {
			b.leaveLegVars(c)
		}
		cause := b.noLeg
		if cause == "" {
			cause = "NORMAL_CLEARING"
		}
		bridgeFail(c, cause)
		return
	}
	b.leaveLegVars(c)
	bridgeEnd(c, b.legs[len(b.legs)-1].cause)
}

// leaveLegVars sets the variables the failed legs leave, in the captured
// order.
func (b *bridgeAct) leaveLegVars(c *Call) {
	last := b.legs[len(b.legs)-1]
	c.setVar("originate_signal_bond", last.uuid)
	for _, l := range b.legs {
		c.pushVar("originated_legs", l.uuid+";Outbound Call;"+l.ext)
	}
	c.setVar("last_bridge_hangup_cause", last.cause)
	c.setVar("originate_disposition", last.cause)
	c.setVar("DIALSTATUS", dialStatus(last.cause))
	for _, l := range b.legs {
		c.pushVar("originate_causes", l.uuid+";"+l.cause)
	}
	c.setVar("originate_failed_cause", last.cause)
}

// bridgeFail leaves the variables of an error/<cause> target and ends the
// bridge (bridge-fail).
func bridgeFail(c *Call, cause string) {
	c.setVar("originate_disposition", cause)
	c.setVar("DIALSTATUS", dialStatus(cause))
	c.setVar("originate_failed_cause", cause)
	bridgeEnd(c, cause)
}

// bridgeEnd ends a failed bridge: our channel hangs up with the cause
// (bridge-fail), unless continue_on_fail allows the cause and
// hangup_after_bridge is not true: then the call goes on.
func bridgeEnd(c *Call, cause string) {
	if hab, _ := c.ch.vars.get("hangup_after_bridge"); !continueOnFail(c, cause) || hab == "true" {
		c.hangup(cause, ByApp)
	}
	c.finishApp()
}

// continueOnFail reads continue_on_fail: true, or a list of causes.
func continueOnFail(c *Call, cause string) bool {
	v, _ := c.ch.vars.get("continue_on_fail")
	if v == "true" {
		return true
	}
	for _, x := range strings.Split(v, ",") {
		if strings.EqualFold(strings.TrimSpace(x), cause) {
			return true
		}
	}
	return false
}

// answer is the callee answering: CHANNEL_BRIDGE, our profile gets the
// originatee (Other-Leg-*) and the callee number.
func (b *bridgeAct) answer(c *Call) {
	now := c.now()
	uuid := esl.NewUUID()
	name := b.target
	if strings.HasPrefix(name, "loopback/") {
		name = "loopback/" + strings.Split(strings.TrimPrefix(name, "loopback/"), "/")[0] + "-a"
	}
	b.other = &profile{
		direction: "outbound", logicalDirection: "inbound",
		cidName: c.ch.prof.cidName, cidNumber: c.ch.prof.cidNumber,
		origCIDName: c.ch.prof.cidName, origCIDNumber: c.ch.prof.cidNumber,
		calleeName: "Outbound Call", calleeNumber: b.ext,
		ani: c.ch.prof.cidNumber, destination: b.ext, uuid: uuid,
		source: "mod_loopback", context: "default", channelName: name,
		created: now.UnixMicro(), answered: now.UnixMicro(),
	}
	b.bridged = true
	c.bridgedSince = now // record_session's RECORD_BRIDGE_REQ bugs write from now (recording.go)
	c.mu.Lock()
	c.ch.other = b.other
	c.ch.prof.calleeNumber = b.ext
	c.ch.prof.bridge = now.UnixMicro()
	c.mu.Unlock()
	for _, l := range b.legs {
		c.pushVar("originated_legs", l.uuid+";Outbound Call;"+l.ext)
	}
	c.pushVar("originated_legs", uuid+";Outbound Call;"+b.ext)
	c.setVar("originate_disposition", "SUCCESS")
	c.setVar("DIALSTATUS", "SUCCESS")
	for _, l := range b.legs {
		c.pushVar("originate_causes", l.uuid+";"+l.cause)
	}
	c.pushVar("originate_causes", uuid+";NONE")
	c.setVar("signal_bond", uuid)
	c.queueEvent(channelEvent(&c.ch, "CHANNEL_BRIDGE", now, b.ids(c), nil))
	c.mu.Lock()
	c.bridges = append(c.bridges, BridgeRun{Target: b.target, Ringback: b.ringback, Confirms: b.confirmsPlayed, Parallel: b.parallel})
	c.mu.Unlock()
	if b.limit > 0 && b.limit < c.o.BridgeDuration {
		// The callee's sched_hangup fires first: its leg hangs up
		// ALLOTTED_TIMEOUT, which ends the bridge (not captured).
		c.setTimer(b.limit, func() { b.unbridge(c, "ALLOTTED_TIMEOUT") })
		return
	}
	c.setTimer(c.o.BridgeDuration, func() { b.unbridge(c, "NORMAL_CLEARING") })
}

func (b *bridgeAct) ids(c *Call) []header {
	return []header{{"Bridge-A-Unique-ID", c.ch.uuid}, {"Bridge-B-Unique-ID", b.other.uuid}}
}

// unbridge ends the bridge (the callee hung up with cause): CHANNEL_UNBRIDGE,
// then the app completes; hangup_after_bridge=true then hangs us up too.
func (b *bridgeAct) unbridge(c *Call, cause string) {
	u := b.other.uuid
	c.setVar("last_bridge_to", u)
	c.setVar("bridge_channel", b.other.channelName)
	c.setVar("bridge_uuid", u)
	c.setVar("signal_bond", u)
	c.setVar("last_sent_callee_id_name", "Outbound Call")
	c.setVar("last_sent_callee_id_number", b.ext)
	c.setVar("last_bridge_hangup_cause", cause)
	c.setVar("bridge_hangup_cause", cause)
	c.queueEvent(channelEvent(&c.ch, "CHANNEL_UNBRIDGE", c.now(), b.ids(c), nil))
	c.endBridged()
	c.finishApp()
	if v, _ := c.ch.vars.get("hangup_after_bridge"); v == "true" {
		c.hangup("NORMAL_CLEARING", ByApp)
	}
}

// beforeHangup runs when our channel hangs up while bridged, before
// CHANNEL_HANGUP fires: the bridge variables are already set then
// (bridge_ok_caller_hangup).
func (b *bridgeAct) beforeHangup(c *Call) {
	if !b.bridged {
		return
	}
	c.endBridged()
	u := b.other.uuid
	c.setVar("bridge_to", u)
	c.setVar("last_bridge_to", u)
	c.setVar("bridge_channel", b.other.channelName)
	c.setVar("bridge_uuid", u)
	c.setVar("signal_bond", u)
	c.setVar("last_sent_callee_id_name", "Outbound Call")
	c.setVar("last_sent_callee_id_number", b.ext)
	c.setVar("last_bridge_role", "originator")
}

// digit: our caller pressing bridge_terminate_key ends the bridge, the
// callee's leg hung up, and our channel goes on (mod_dptools.c
// bridge_on_dtmf; not captured).
func (b *bridgeAct) digit(c *Call, d byte) {
	if b.bridged && b.terminateKey != "" && strings.IndexByte(b.terminateKey, d) >= 0 {
		c.stopTimer()
		b.unbridge(c, "NORMAL_CLEARING")
	}
}
func (b *bridgeAct) talk(*Call) {}

// nestable: once bridged (not captured: FreeSWITCH unbridges, runs the
// message and re-bridges; the simulator only nests it).
func (b *bridgeAct) nestable() bool { return b.bridged }

// stop ends the bridge early (uuid_break or our hangup).
func (b *bridgeAct) stop(c *Call, why stopReason) {
	// not captured: before the callee answers the originate is cancelled
	// (ORIGINATOR_CANCEL); a break once bridged ends the bridge as if the
	// callee hung up.
	if !b.bridged {
		c.setVar("originate_disposition", "ORIGINATOR_CANCEL")
		c.setVar("DIALSTATUS", "CANCEL")
		c.finishApp()
		return
	}
	if why == stopHangup && c.ch.cause != "" {
		// Our side hung up (bridge_ok_caller_hangup): CHANNEL_UNBRIDGE
		// with bridge_hangup_cause, bridge_to gone, then the completion.
		c.delVar("bridge_to")
		c.setVar("bridge_hangup_cause", c.ch.cause)
		c.queueEvent(channelEvent(&c.ch, "CHANNEL_UNBRIDGE", c.now(), b.ids(c), nil))
		c.finishApp()
		return
	}
	b.unbridge(c, "NORMAL_CLEARING")
}

// BridgeRun is one bridge that connected, as the simulator saw it.
type BridgeRun struct {
	Target   string // the target that answered, without its [...] block
	Ringback string // the ringback the caller heard ("" for none)
	Confirms int    // confirm prompts played to callees
	Parallel bool   // the targets rang at once (',')
}

// Bridges returns the bridges of the call that connected.
func (c *Call) Bridges() []BridgeRun {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]BridgeRun(nil), c.bridges...)
}
