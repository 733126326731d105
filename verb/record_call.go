package verb

import (
	"github.com/callhook/callhook/esl"
)

// RecordCallSpec is the record_call verb: start or stop recording the
// whole call, both sides, while other verbs run (FreeSWITCH's
// record_session and stop_record_session, src/mod/applications/
// mod_dptools/mod_dptools.c; the recording is a media bug,
// src/switch_ivr_async.c switch_ivr_record_session).
//
// record_session returns at once; the file is whole only when the bug
// closes: at stop_record_session, or at the hangup (the bugs are removed
// in the channel's CS_HANGUP state, src/switch_core_state_machine.c
// switch_core_session_hangup_state, after CHANNEL_HANGUP and before
// CHANNEL_HANGUP_COMPLETE). Either way FreeSWITCH fires RECORD_STOP, with
// Record-File-Path and the channel's variables, record_ms among them
// (send_record_stop_event), after closing the file. The session waits for
// it (myevents does not subscribe to it: the session adds it) and
// delivers the recording then.
type RecordCallSpec struct {
	Mode  string     // start or stop
	Path  string     // start: the recording's file name (record's rules)
	Files *FileRules // the app's folders
	Delivery
}

// record_call modes.
const (
	RecordCallStart = "start"
	RecordCallStop  = "stop"
)

func parseRecordCall(a *args) Spec {
	if !a.has("mode") {
		a.failf(nil, "mode", "is required (start or stop)")
	}
	s := &RecordCallSpec{Mode: a.str("mode", ""), Path: a.str("path", ""), Files: a.o.Files, Delivery: a.delivery()}
	if s.Mode == RecordCallStart && !a.has("path") {
		a.failf(nil, "path", "is required to start a recording")
	}
	if s.Mode == RecordCallStop && (a.has("path") || a.has("upload") || a.has("recording_status_url")) {
		a.failf(nil, "", "stop takes no options: the recording keeps those it started with")
	}
	return s
}

func (s *RecordCallSpec) check() error {
	switch s.Mode {
	case RecordCallStart:
		if err := checkRecordName(s.Path); err != nil {
			return &optError{Opt: "path", Msg: err.Error()}
		}
	case RecordCallStop:
	default:
		return optErrorf("mode", "%s: want start or stop", Quote(s.Mode))
	}
	return nil
}

// RecordingName implements Recorder: start writes one; stop ends the one
// the call started (the session knows which).
func (s *RecordCallSpec) RecordingName(PlanContext) string {
	if s.Mode == RecordCallStart {
		return s.Path
	}
	return ""
}

// RecordingPath implements Recorder.
func (s *RecordCallSpec) RecordingPath(PlanContext) string { return s.Files.RecordPath(s.Path) }

// RecordingDelivery implements Recorder.
func (s *RecordCallSpec) RecordingDelivery() Delivery { return s.Delivery }

// Execs: start is [mkdir <folder>,] record_session <target>; stop is
// stop_record_session <target>, the target the session planned at start
// (pc.RecordTo; stop_record_session finds the bug by its file,
// switch_ivr_stop_record_session).
func (s *RecordCallSpec) Execs(pc PlanContext) []Exec {
	if s.Mode == RecordCallStop {
		return []Exec{{App: "stop_record_session", Arg: pc.RecordTo}}
	}
	target := recordTarget(pc, s.Files, s.Path)
	var out []Exec
	if !isURLTarget(target) {
		out = append(out, Exec{App: "mkdir", Arg: dirOf(target)})
	}
	return append(out, Exec{App: "record_session", Arg: target})
}

// Result: start reports ok (the recording runs); stop reports the
// recording, read from the completion, which carries the variables
// send_record_stop_event set before stop_record_session returned.
func (s *RecordCallSpec) Result(pc PlanContext, complete *esl.Event, hungUp bool) *Result {
	app := "record_session"
	if s.Mode == RecordCallStop {
		app = "stop_record_session"
	}
	c := completionOf(complete, app)
	r := baseResult("record_call", c, hungUp)
	return r
}

// MapText applies f to the path.
func (s *RecordCallSpec) MapText(f func(string) (string, error)) (Spec, error) {
	c := *s
	return mapped("record_call", &c, mapStrings(f, &c.Path))
}

// Args implements Spec.
func (s *RecordCallSpec) Args() []Arg {
	a := []Arg{{"mode", s.Mode}}
	if s.Path != "" {
		a = append(a, Arg{"path", s.Path})
	}
	return append(a, deliveryArgs(s.Delivery)...)
}
