package esltest

import (
	"strings"
	"time"

	"github.com/callhook/callhook/esl"
)

// bridgeAct is bridge. A target error/<cause> fails with that cause;
// anything else (loopback/…, user/…, sofia/…) answers and, after
// Options.BridgeDuration, hangs up NORMAL_CLEARING, leaving our channel up
// and back in park (bridge-ok). Variables and events follow bridge-ok and
// bridge-fail.
type bridgeAct struct {
	other   *profile
	target  string
	ext     string
	bridged bool
}

// bridgeSetupDelay is the captured gap between CHANNEL_EXECUTE and
// CHANNEL_BRIDGE (the callee answering).
const bridgeSetupDelay = 20 * time.Millisecond

func appBridge(c *Call, arg string) {
	t := strings.TrimSpace(arg)
	for strings.HasPrefix(t, "{") || strings.HasPrefix(t, "[") {
		end := strings.IndexAny(t, "}]")
		if end < 0 {
			break
		}
		t = t[end+1:]
	}
	if i := strings.IndexAny(t, ",|"); i >= 0 {
		t = t[:i]
	}
	if cause, ok := strings.CutPrefix(t, "error/"); ok {
		bridgeFail(c, causeName(strings.ToUpper(cause)))
		return
	}
	ext := t
	if i := strings.LastIndexByte(ext, '/'); i >= 0 {
		ext = ext[i+1:]
	}
	ext, _, _ = strings.Cut(ext, "@")
	b := &bridgeAct{target: t, ext: ext}
	c.act = b
	c.setTimer(bridgeSetupDelay, func() { b.answer(c) })
}

// bridgeFail leaves the originate variables and hangs our channel up with
// the cause (bridge-fail), unless continue_on_fail allows the cause and
// hangup_after_bridge is not true: then the call goes on.
func bridgeFail(c *Call, cause string) {
	c.setVar("originate_disposition", cause)
	c.setVar("DIALSTATUS", dialStatus(cause))
	c.setVar("originate_failed_cause", cause)
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
		name += "-a"
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
	c.mu.Lock()
	c.ch.other = b.other
	c.ch.prof.calleeNumber = b.ext
	c.ch.prof.bridge = now.UnixMicro()
	c.mu.Unlock()
	c.setVar("originated_legs", uuid+";Outbound Call;"+b.ext)
	c.setVar("originate_disposition", "SUCCESS")
	c.setVar("DIALSTATUS", "SUCCESS")
	c.setVar("originate_causes", uuid+";NONE")
	c.setVar("signal_bond", uuid)
	c.queueEvent(channelEvent(&c.ch, "CHANNEL_BRIDGE", now, b.ids(c), nil))
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
	c.finishApp()
	if v, _ := c.ch.vars.get("hangup_after_bridge"); v == "true" {
		c.hangup("NORMAL_CLEARING", ByApp)
	}
}

func (b *bridgeAct) digit(*Call, byte) {}
func (b *bridgeAct) talk(*Call)        {}

// nestable: once bridged (not captured: FreeSWITCH unbridges, runs the
// message and re-bridges; the simulator only nests it).
func (b *bridgeAct) nestable() bool { return b.bridged }

// stop ends the bridge early (uuid_break or our hangup).
func (b *bridgeAct) stop(c *Call, why stopReason) {
	// not captured: before the callee answers the originate is cancelled
	// (ORIGINATOR_CANCEL); once bridged, the bridge ends as if the callee
	// hung up, with our channel's cause when we are the one going down.
	if !b.bridged {
		c.setVar("originate_disposition", "ORIGINATOR_CANCEL")
		c.setVar("DIALSTATUS", "CANCEL")
		c.finishApp()
		return
	}
	cause := "NORMAL_CLEARING"
	if why == stopHangup && c.ch.cause != "" {
		cause = c.ch.cause
	}
	b.unbridge(c, cause)
}
