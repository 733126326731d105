package esltest

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/callhook/callhook/esl"
)

// varTail returns the names of the last n variable_ headers of e, in order.
func varTail(e *esl.Event, n int) []string {
	var names []string
	for _, h := range e.Headers {
		if v, ok := strings.CutPrefix(h.Name, "variable_"); ok {
			names = append(names, v)
		}
	}
	return names[max(len(names)-n, 0):]
}

// TestBridgeOutcomes: a target that is busy, rings out or fails gives the
// originate variables and events of the real traces (no CHANNEL_BRIDGE or
// UNBRIDGE); with continue_on_fail the call goes on.
func TestBridgeOutcomes(t *testing.T) {
	cof := map[string]string{"continue_on_fail": "true", "hangup_after_bridge": "false"}
	tests := []struct {
		name    string
		outcome BridgeOutcome
		arg     string
		cause   string
		status  string
		took    time.Duration
	}{
		{"busy", BridgeBusy, "{originate_timeout=30}loopback/7400/default", "USER_BUSY", "BUSY", bridgeSetupDelay},
		{"noanswer", BridgeNoAnswer, "{originate_timeout=5}loopback/7400/default", "NO_ANSWER", "NOANSWER", 5 * time.Second},
		{"fail", BridgeFail("CALL_REJECTED"), "loopback/7400/default", "CALL_REJECTED", "DONTCALL", bridgeSetupDelay},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := Options{Vars: cof, BridgeTargets: map[string]BridgeOutcome{"loopback/7400/default": tc.outcome}}
			c, d, frames := runApp(t, o, "bridge", tc.arg)
			wantNames(t, "bridge", frames, "CHANNEL_EXECUTE(bridge) CHANNEL_EXECUTE_COMPLETE(bridge)")
			e := complete(t, frames)
			want := []string{"originate_signal_bond", "originated_legs", "last_bridge_hangup_cause",
				"originate_disposition", "DIALSTATUS", "originate_causes", "originate_failed_cause"}
			if got := varTail(e, len(want)); !slices.Equal(got, want) {
				t.Errorf("last variables = %q, want %q", got, want)
			}
			leg := e.Var("originate_signal_bond")
			for name, w := range map[string]string{
				"originated_legs": leg + ";Outbound Call;default", "last_bridge_hangup_cause": tc.cause,
				"originate_disposition": tc.cause, "DIALSTATUS": tc.status,
				"originate_causes": leg + ";" + tc.cause, "originate_failed_cause": tc.cause,
			} {
				if got := e.Var(name); got != w {
					t.Errorf("variable_%s = %q, want %q", name, got, w)
				}
			}
			run := c.Apps()[1]
			if took := run.End.Sub(run.Start); took != tc.took {
				t.Errorf("bridge took %v of simulated time, want %v", took, tc.took)
			}
			d.cmd(hangupCmd)
			if r, _ := c.Wait(t.Context()); r.By != ByDaemon {
				t.Errorf("result = %v, want the call to go on until the daemon hangs up", r)
			}
		})
	}
}

// TestBridgeBusyTwice: a second failed bridge adds to originated_legs and
// originate_causes in place, as arrays (bridge_busy_continue_on_fail).
func TestBridgeBusyTwice(t *testing.T) {
	o := Options{Park: ParkImmediately, Vars: map[string]string{"continue_on_fail": "true", "hangup_after_bridge": "false"},
		BridgeTargets: map[string]BridgeOutcome{"user/1001": BridgeBusy}}
	_, d := connected(t, o, "linger 1")
	d.cmd(execute("bridge", "user/1001"))
	first, _ := d.until("CHANNEL_EXECUTE_COMPLETE(bridge)")
	d.cmd(execute("bridge", "user/1001"))
	second, _ := d.until("CHANNEL_EXECUTE_COMPLETE(bridge)")
	e1, e2 := ev(t, first), ev(t, second)
	if got, want := e2.Var("originate_causes"), "ARRAY::"+e1.Var("originate_causes")+"|:"+e2.Var("originate_signal_bond")+";USER_BUSY"; got != want {
		t.Errorf("originate_causes = %q, want %q", got, want)
	}
	want := []string{"originated_legs", "originate_causes", "originate_signal_bond", "last_bridge_hangup_cause",
		"originate_disposition", "DIALSTATUS", "originate_failed_cause"}
	var got []string
	for _, n := range varTail(e2, 20) {
		if slices.Contains(want, n) {
			got = append(got, n)
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("variable order = %q, want %q (the arrays keep their place)", got, want)
	}
}

// TestBridgeCallerHangsUp: our side hangs up while bridged: CHANNEL_HANGUP
// already carries the bridge variables, then CHANNEL_UNBRIDGE with
// bridge_hangup_cause (bridge_ok_caller_hangup).
func TestBridgeCallerHangsUp(t *testing.T) {
	c, d := connected(t, Options{Park: ParkImmediately, BridgeDuration: time.Hour}, "linger 1")
	d.cmd(execute("bridge", "loopback/7300/default"))
	d.until("CHANNEL_BRIDGE")
	c.Hangup("")
	_, frames := d.until("CHANNEL_UNPARK")
	wantNames(t, "hangup", frames, "CHANNEL_HANGUP CHANNEL_UNBRIDGE CHANNEL_EXECUTE_COMPLETE(bridge)")
	h, u := ev(t, frames[0]), ev(t, frames[1])
	if h.Var("bridge_to") == "" || h.Var("last_bridge_role") != "originator" || h.Var("bridge_channel") != "loopback/7300-a" {
		t.Errorf("CHANNEL_HANGUP: bridge_to %q, last_bridge_role %q, bridge_channel %q", h.Var("bridge_to"), h.Var("last_bridge_role"), h.Var("bridge_channel"))
	}
	if _, ok := u.LookupVar("bridge_to"); ok || u.Var("bridge_hangup_cause") != "NORMAL_CLEARING" {
		t.Errorf("CHANNEL_UNBRIDGE: bridge_to present %v, bridge_hangup_cause %q", ok, u.Var("bridge_hangup_cause"))
	}
}

func TestParseBridgeTarget(t *testing.T) {
	tests := []struct {
		in      string
		target  string
		outcome BridgeOutcome
		err     bool
	}{
		{"user/1001=busy", "user/1001", BridgeBusy, false},
		{"sofia/gateway/gw/123=noanswer", "sofia/gateway/gw/123", BridgeNoAnswer, false},
		{"user/1002=answer", "user/1002", BridgeAnswer, false},
		{"user/1003=fail:call_rejected", "user/1003", BridgeFail("CALL_REJECTED"), false},
		{"user/1003=fail:21", "user/1003", BridgeFail("CALL_REJECTED"), false},
		{"user/1003=fail:NO_SUCH_CAUSE", "", "", true},
		{"user/1004=maybe", "", "", true},
		{"user/1004=fail:", "", "", true},
		{"=busy", "", "", true},
		{"user/1004", "", "", true},
	}
	for _, tc := range tests {
		target, o, err := ParseBridgeTarget(tc.in)
		if (err != nil) != tc.err || (!tc.err && (target != tc.target || o != tc.outcome)) {
			t.Errorf("ParseBridgeTarget(%q) = %q, %q, %v; want %q, %q, error %v", tc.in, target, o, err, tc.target, tc.outcome, tc.err)
		}
	}
}
