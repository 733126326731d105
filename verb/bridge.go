package verb

import (
	"fmt"
	"github.com/callhook/callhook/internal/yamlx"
	"strconv"
	"strings"
	"time"

	"github.com/callhook/callhook/esl"
	"gopkg.in/yaml.v3"
)

// BridgeSpec is the bridge verb: call To (each target in turn until one
// answers, or all at once) and connect the caller to it.
type BridgeSpec struct {
	To         []string // FreeSWITCH dial strings: user/1000, sofia/gateway/gw/123, ...
	Mode       string   // sequential ('|' between targets: failover) or parallel (',': ring all, first answer wins)
	Timeout    time.Duration
	CallerID   string // origination_caller_id_number, "" to keep the caller's
	CallerName string // origination_caller_id_name, "" to keep the caller's
	// TimeLimit hangs the callee up this long after it answers (0: no
	// limit): execute_on_answer=sched_hangup +<s> ALLOTTED_TIMEOUT on the
	// callee's leg (sched_hangup, src/mod/applications/mod_dptools/
	// mod_dptools.c; execute_on_answer runs on answer, src/switch_channel.c).
	TimeLimit time.Duration
	// Ringback is what the caller hears while the callee rings: a file
	// (the play rules), or a name of namedTones. "" keeps FreeSWITCH's
	// (the callee's early media).
	Ringback string
	// HangupOnStar lets the caller end the bridged call with * and go on
	// with the app's next verb (bridge_terminate_key, read from the
	// caller's channel while bridged, mod_dptools.c audio_bridge).
	HangupOnStar bool
	// ConfirmPlay and ConfirmKey screen the callee: it hears ConfirmPlay
	// and must press ConfirmKey, or its leg is dropped (group_confirm_file,
	// group_confirm_key, src/switch_ivr_originate.c). "" for no screening.
	ConfirmPlay, ConfirmKey string
	// Record records the bridged conversation, both sides, while the two
	// are bridged: "" no, recordAuto (record: true) a name callhook makes,
	// else the recording's file name (record's rules).
	Record string
	// RecordDelivery is record's upload and recording_status_url (the
	// map form: record: {path, upload, recording_status_url, stereo}).
	RecordDelivery Delivery
	// RecordStereo records each side in a channel of its own (the map
	// form's stereo: true): RECORD_STEREO, src/switch_ivr_async.c.
	RecordStereo bool
	Files        *FileRules // the app's folders, for ringback and confirm's prompt
	policy       *Policy    // the app's allow lists; nil for the defaults
}

// Bridge modes.
const (
	BridgeSequential = "sequential"
	BridgeParallel   = "parallel"
)

// maxBridgeTargets bounds the failover list.
const maxBridgeTargets = 32

func parseBridge(a *args) Spec {
	if !a.has("to") {
		a.failf(nil, "to", "is required")
	}
	s := &BridgeSpec{
		To:           a.list("to"),
		Mode:         a.str("mode", BridgeSequential),
		Timeout:      a.duration("timeout", 30*time.Second),
		CallerID:     a.str("caller_id", ""),
		CallerName:   a.str("caller_name", ""),
		TimeLimit:    a.duration("time_limit", 0),
		Ringback:     a.str("ringback", ""),
		HangupOnStar: a.boolean("hangup_on_star", false),
		Files:        a.o.Files,
		policy:       a.o.policy(),
	}
	s.Record, s.RecordDelivery, s.RecordStereo = a.recordOption()
	if n := yamlx.Deref(a.node("confirm")); n != nil && !yamlx.IsNull(n) {
		if n.Kind == yaml.MappingNode || n.Kind == yaml.ScalarNode {
			sub := newArgs(a.verb+": confirm", n.Line, a.o)
			if err := sub.collect(&verbDef{name: "bridge: confirm", main: "play", opts: []string{"play", "key"}}, n); err != nil {
				a.fail(err)
			}
			if sub.err == nil && !sub.has("play") {
				sub.failf(n, "play", "is required")
			}
			s.ConfirmPlay, s.ConfirmKey = sub.str("play", ""), sub.str("key", "1")
			a.adopt(sub)
		} else {
			a.failf(n, "confirm", "want a prompt, or a map with play and key, got %s", kindName(n))
		}
	}
	return s
}

// recordAuto is bridge's record: true: callhook names the file.
const recordAuto = "true"

// recordOption reads bridge's record: true, false, a file name, or a map
// with path (default: a name callhook makes), upload and
// recording_status_url, as record takes them, and stereo.
func (a *args) recordOption() (string, Delivery, bool) {
	n := yamlx.Deref(a.node("record"))
	if n == nil || yamlx.IsNull(n) {
		return "", Delivery{}, false
	}
	if n.Kind == yaml.MappingNode {
		sub := newArgs(a.verb+": record", n.Line, a.o)
		if err := sub.collect(&verbDef{name: a.verb + ": record", main: "path", opts: []string{"path", "upload", "recording_status_url", "stereo"}}, n); err != nil {
			a.fail(err)
			return "", Delivery{}, false
		}
		name, d, stereo := sub.str("path", recordAuto), sub.delivery(), sub.boolean("stereo", false)
		a.adopt(sub)
		return name, d, stereo
	}
	v := a.scalar("record", "true, false, a file name or a map with path, upload, recording_status_url and stereo")
	if v == nil {
		return "", Delivery{}, false
	}
	if v.ShortTag() == "!!bool" {
		if a.boolean("record", false) {
			return recordAuto, Delivery{}, false
		}
		return "", Delivery{}, false
	}
	return v.Value, Delivery{}, false
}

// RecordingName implements Recorder: the bridge's recording, when it
// records: bridge-<call id>-<verb seq>.wav for record: true.
func (s *BridgeSpec) RecordingName(pc PlanContext) string {
	switch s.Record {
	case "":
		return ""
	case recordAuto:
		return "bridge-" + pc.CallID + "-" + strconv.Itoa(pc.Seq) + ".wav"
	}
	return s.Record
}

// RecordingPath implements Recorder.
func (s *BridgeSpec) RecordingPath(pc PlanContext) string {
	return s.Files.RecordPath(s.RecordingName(pc))
}

// RecordingDelivery implements Recorder.
func (s *BridgeSpec) RecordingDelivery() Delivery { return s.RecordDelivery }

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
	if s.Mode != BridgeSequential && s.Mode != BridgeParallel {
		return optErrorf("mode", "%s: want sequential (one target after another) or parallel (all at once)", Quote(s.Mode))
	}
	if s.TimeLimit != 0 {
		if err := checkDuration("time_limit", s.TimeLimit, time.Second); err != nil {
			return err
		}
	}
	if s.Ringback != "" {
		if err := checkRingback(s.Ringback, s.Files); err != nil {
			return &optError{Opt: "ringback", Msg: err.Error()}
		}
	}
	if s.ConfirmPlay != "" || s.ConfirmKey != "" {
		if err := checkPlayFile(s.ConfirmPlay, s.Files); err != nil {
			return &optError{Opt: "confirm", Msg: "play: " + err.Error()}
		}
		if err := checkBlockValue(s.ConfirmPlay); err != nil {
			return &optError{Opt: "confirm", Msg: "play: " + err.Error()}
		}
		// One DTMF digit: group_confirm_key "exec" would run
		// group_confirm_file as an application.
		if len(s.ConfirmKey) != 1 || !strings.Contains("0123456789*#", s.ConfirmKey) {
			return optErrorf("confirm", "key: %s: want one key, 0-9 * or #", Quote(s.ConfirmKey))
		}
	}
	if s.Record != "" && s.Record != recordAuto {
		if err := checkRecordName(s.Record); err != nil {
			return &optError{Opt: "record", Msg: err.Error()}
		}
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
// bridge [%^[caller's vars]]{originate_timeout=N[,...]}t1|t2 (t1,t2 in
// parallel mode).
//
// What the originate reads from the callee legs' variables goes in {...}:
// the caller id, time_limit's execute_on_answer, confirm's
// group_confirm_key and group_confirm_file. What it reads from the
// caller's channel (ringback, and transfer_ringback, which FreeSWITCH
// uses instead once the caller is answered; bridge_terminate_key) goes in
// a leading %^[...]: FreeSWITCH sets those as scope variables for this
// run of bridge only (src/switch_core_session.c,
// switch_channel_set_scope_variables), so a later bridge does not inherit
// them. '^' separates them because a tone has commas.
func (s *BridgeSpec) Execs(pc PlanContext) []Exec {
	vars := []string{"originate_timeout=" + strconv.FormatInt(int64(s.Timeout/time.Second), 10)}
	if s.CallerID != "" {
		vars = append(vars, "origination_caller_id_number="+s.CallerID)
	}
	if s.CallerName != "" {
		vars = append(vars, "origination_caller_id_name="+s.CallerName)
	}
	if s.TimeLimit > 0 {
		vars = append(vars, "execute_on_answer=sched_hangup +"+strconv.FormatInt(int64(s.TimeLimit/time.Second), 10)+" ALLOTTED_TIMEOUT")
	}
	if s.ConfirmPlay != "" {
		vars = append(vars, "group_confirm_key="+s.ConfirmKey, "group_confirm_file="+s.ConfirmPlay)
	}
	var scope []string
	if s.Ringback != "" {
		rb := ringbackValue(s.Ringback)
		scope = append(scope, "ringback="+rb, "transfer_ringback="+rb)
	}
	if s.HangupOnStar {
		scope = append(scope, "bridge_terminate_key=*")
	}
	sep := "|"
	if s.Mode == BridgeParallel {
		sep = ","
	}
	arg := "{" + strings.Join(vars, ",") + "}" + strings.Join(s.To, sep)
	if len(scope) > 0 {
		arg = "%^[" + strings.Join(scope, "^") + "]" + arg
	}
	execs := []Exec{
		{App: "set", Arg: "continue_on_fail=true"},
		{App: "set", Arg: "hangup_after_bridge=false"},
	}
	if name := s.RecordingName(pc); name != "" {
		// record: the caller's channel records both sides while bridged
		// (recordSession), from before the bridge to stop_record_session
		// after it, or the hangup; built from callhook's own values only.
		target := recordTarget(pc, s.Files, name)
		if !isURLTarget(target) {
			execs = append(execs, Exec{App: "mkdir", Arg: dirOf(target)})
		}
		return append(execs,
			Exec{App: "record_session", Arg: recordSession(target, true, s.RecordStereo)},
			Exec{App: "bridge", Arg: arg},
			Exec{App: "stop_record_session", Arg: target, After: true})
	}
	return append(execs, Exec{App: "bridge", Arg: arg})
}

// checkRingback checks a ringback: a named tone, or a file under the play
// rules that also fits the %^[...] block.
func checkRingback(v string, r *FileRules) error {
	if _, ok := namedTones[v]; ok {
		return nil
	}
	if err := checkPlayFile(v, r); err != nil {
		return fmt.Errorf("%w (or name a tone: %s)", err, strings.Join(toneNames(), ", "))
	}
	if strings.ContainsAny(v, "^[]") {
		return fmt.Errorf("%s has '^', '[' or ']', which would break bridge's variables", Quote(v))
	}
	return nil
}

// ringbackValue is what the ringback variables get. The originate plays
// a value that is a path or has "://" as a file, and takes anything else
// for a tone script (src/switch_ivr_originate.c, switch_is_file_path), so
// a named tone becomes its tone_stream://, and a sound name relative to
// the sound prefix becomes file_string://name, which mod_dptools opens
// relative to the sound prefix.
func ringbackValue(v string) string {
	if t, ok := namedTones[v]; ok {
		return "tone_stream://" + t
	}
	if strings.HasPrefix(v, "/") || strings.Contains(v, "://") {
		return v
	}
	return "file_string://" + v
}

// checkBlockValue checks a value placed in bridge's {...} block, as
// checkCallerID does, for a file.
func checkBlockValue(v string) error { return checkCallerID(v) }

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
		// The callee's channel, and how long the two talked: from the
		// caller's profile's bridged time (Caller-Channel-Bridged-Time, µs,
		// set at each bridge) to the completion (Event-Date-Timestamp).
		b.AnsweredBy = c.Var("bridge_channel")
		from, _ := strconv.ParseInt(c.Get("Caller-Channel-Bridged-Time"), 10, 64)
		to, _ := strconv.ParseInt(c.Get("Event-Date-Timestamp"), 10, 64)
		if from > 0 && to > from {
			b.DurationMS = (to - from) / 1000
		}
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
	ps := []*string{&c.CallerID, &c.CallerName, &c.Ringback, &c.ConfirmPlay}
	if c.Record != recordAuto {
		ps = append(ps, &c.Record)
	}
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
	if s.Mode != BridgeSequential {
		a = append(a, Arg{"mode", s.Mode})
	}
	if s.TimeLimit > 0 {
		a = append(a, Arg{"time_limit", s.TimeLimit})
	}
	if s.Ringback != "" {
		a = append(a, Arg{"ringback", s.Ringback})
	}
	if s.HangupOnStar {
		a = append(a, Arg{"hangup_on_star", true})
	}
	if s.ConfirmPlay != "" {
		a = append(a, Arg{"confirm", []string{s.ConfirmPlay, "key " + s.ConfirmKey}})
	}
	switch d := s.RecordDelivery; {
	case s.Record == "":
	case d.Upload != nil || d.StatusURL != "" || s.RecordStereo:
		v := []string{"path " + s.Record}
		if s.RecordStereo {
			v = append(v, "stereo")
		}
		if d.Upload != nil {
			v = append(v, "upload "+d.Upload.Method+" "+d.Upload.URL)
		}
		if d.StatusURL != "" {
			v = append(v, "recording_status_url "+d.StatusURL)
		}
		a = append(a, Arg{"record", v})
	case s.Record == recordAuto:
		a = append(a, Arg{"record", true})
	default:
		a = append(a, Arg{"record", s.Record})
	}
	return a
}
