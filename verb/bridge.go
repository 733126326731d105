package verb

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/callhook/callhook/esl"
)

// BridgeSpec is the bridge verb: call To (each target in turn until one
// answers) and connect the caller to it.
type BridgeSpec struct {
	To         []string // FreeSWITCH dial strings: user/1000, sofia/gateway/gw/123, ...
	Timeout    time.Duration
	CallerID   string  // origination_caller_id_number, "" to keep the caller's
	CallerName string  // origination_caller_id_name, "" to keep the caller's
	policy     *Policy // the app's allow lists; nil for the defaults
}

// maxBridgeTargets bounds the failover list.
const maxBridgeTargets = 32

func parseBridge(a *args) Spec {
	if !a.has("to") {
		a.failf(nil, "to", "is required")
	}
	return &BridgeSpec{
		To:         a.list("to"),
		Timeout:    a.duration("timeout", 30*time.Second),
		CallerID:   a.str("caller_id", ""),
		CallerName: a.str("caller_name", ""),
		policy:     a.o.policy(),
	}
}

func (s *BridgeSpec) check() error {
	if len(s.To) == 0 || len(s.To) > maxBridgeTargets {
		return optErrorf("to", "want 1 to %d targets, got %d", maxBridgeTargets, len(s.To))
	}
	for _, t := range s.To {
		if err := s.policy.checkTarget(t); err != nil {
			return &optError{Opt: "to", Msg: err.Error()}
		}
	}
	if err := checkDuration("timeout", s.Timeout, time.Second); err != nil {
		return err
	}
	if err := checkCallerID(s.CallerID); err != nil {
		return &optError{Opt: "caller_id", Msg: err.Error()}
	}
	if err := checkCallerID(s.CallerName); err != nil {
		return &optError{Opt: "caller_name", Msg: err.Error()}
	}
	return nil
}

// checkCallerID checks a value placed inside bridge's {...} variables:
// ',' ends a variable there, braces end the block, a single quote starts a
// quoted value, and '|' splits legs. ":_:" anywhere in a dial string, even
// inside {...}, makes FreeSWITCH split the whole string into separate
// originates first (src/switch_ivr_originate.c, strstr before any block is
// read): a caller id "1:_:loopback/app=system:..." dialed a leg of its own
// that ran system.
func checkCallerID(v string) error {
	if err := checkLine(v); err != nil {
		return err
	}
	if i := strings.IndexAny(v, "{}[],'|"); i >= 0 {
		return fmt.Errorf("%s has %q, which would break bridge's {...} variables", Quote(v), v[i])
	}
	if strings.Contains(v, ":_:") {
		return fmt.Errorf(`%s has ":_:", which would split the dial string into separate originates`, Quote(v))
	}
	return nil
}

// Execs sets continue_on_fail and hangup_after_bridge first: without them a
// failed bridge hangs up the caller (the bridge-fail capture), and a
// finished one too, and the app would never learn the outcome. Then
// bridge {originate_timeout=N[,origination_caller_id_number=..][,origination_caller_id_name=..]}t1|t2.
func (s *BridgeSpec) Execs(PlanContext) []Exec {
	vars := []string{"originate_timeout=" + strconv.FormatInt(int64(s.Timeout/time.Second), 10)}
	if s.CallerID != "" {
		vars = append(vars, "origination_caller_id_number="+s.CallerID)
	}
	if s.CallerName != "" {
		vars = append(vars, "origination_caller_id_name="+s.CallerName)
	}
	return []Exec{
		{App: "set", Arg: "continue_on_fail=true"},
		{App: "set", Arg: "hangup_after_bridge=false"},
		{App: "bridge", Arg: "{" + strings.Join(vars, ",") + "}" + strings.Join(s.To, "|")},
	}
}

// Result reports the bridge's outcome: status is DIALSTATUS (SUCCESS, BUSY,
// NOANSWER, ...), else originate_disposition; cause is bridge_hangup_cause
// after a bridge that connected, originate_failed_cause after one that did
// not (both stay on the channel, so the status picks the one that belongs
// to this bridge). Reason ok when it connected, error when not, hangup when
// the caller hung up.
func (s *BridgeSpec) Result(_ PlanContext, complete *esl.Event, hungUp bool) *Result {
	c := completionOf(complete, "bridge")
	r := baseResult("bridge", c, hungUp)
	if c == nil {
		return r
	}
	b := &Bridged{Status: c.Var("DIALSTATUS")}
	if b.Status == "" {
		b.Status = c.Var("originate_disposition")
	}
	if b.Status == "SUCCESS" {
		b.Cause = c.Var("bridge_hangup_cause")
	} else {
		b.Cause = c.Var("originate_failed_cause")
		if r.Reason == ReasonOK {
			r.Reason = ReasonError
		}
	}
	r.Bridge = b
	return r
}

// MapText applies f to the targets and the caller id.
func (s *BridgeSpec) MapText(f func(string) (string, error)) (Spec, error) {
	c := *s
	c.To = append([]string(nil), s.To...)
	ps := []*string{&c.CallerID, &c.CallerName}
	for i := range c.To {
		ps = append(ps, &c.To[i])
	}
	return mapped("bridge", &c, mapStrings(f, ps...))
}

// Args implements Spec.
func (s *BridgeSpec) Args() []Arg {
	a := []Arg{{"to", s.To}, {"timeout", s.Timeout}}
	if s.CallerID != "" {
		a = append(a, Arg{"caller_id", s.CallerID})
	}
	if s.CallerName != "" {
		a = append(a, Arg{"caller_name", s.CallerName})
	}
	return a
}
