package verb

import (
	"strconv"

	"github.com/callhook/callhook/esl"
)

// RejectSpec is the reject verb: refuse a call that is not answered yet.
//
// busy and rejected run the hangup application with USER_BUSY or
// CALL_REJECTED; mod_sofia answers the unanswered INVITE with the SIP code
// hangup_cause_to_sip maps the cause to, 486 and 603
// (src/mod/endpoints/mod_sofia/mod_sofia.c, sofia_on_hangup). A custom
// code runs respond <code> (src/mod/applications/mod_dptools/mod_dptools.c,
// respond_function), which on an unanswered sofia channel sends that final
// response and hangs up with sofia_glue_sip_cause_to_freeswitch(code)
// (mod_sofia.c, SWITCH_MESSAGE_INDICATE_RESPOND; sofia_glue.c). Other
// endpoints ignore respond, so a hangup with that same cause follows it:
// the call ends either way.
//
// An answered call can no longer be refused: the session treats a reject
// reached after answer as an invalid reply (RejectAfterAnswer), and
// ParseVerbs refuses a reject that follows an answer in the same list.
type RejectSpec struct {
	Reason string // busy or rejected ("" with Code)
	Code   int    // a SIP final response code, 0 for none
}

// rejectReasons maps the reject verb's reasons to hangup causes.
var rejectReasons = map[string]string{"busy": "USER_BUSY", "rejected": "CALL_REJECTED"}

func parseReject(a *args) Spec {
	s := &RejectSpec{Code: a.integer("code", 0)}
	switch {
	case a.has("code") && a.has("reason"):
		a.failf(a.node("code"), "code", "give reason or code, not both")
	case !a.has("code"):
		s.Reason = a.str("reason", "busy")
	}
	return s
}

func (s *RejectSpec) check() error {
	if s.Code == 0 {
		if _, ok := rejectReasons[s.Reason]; !ok {
			return optErrorf("reason", "%s: want busy (SIP 486) or rejected (SIP 603), or give a code", Quote(s.Reason))
		}
		return nil
	}
	// respond hangs up only for codes over 399; 401 and 407 make mod_sofia
	// send an authentication challenge instead of refusing.
	if s.Code < 400 || s.Code > 699 || s.Code == 401 || s.Code == 407 {
		return optErrorf("code", "%d: want a SIP final response code 400 to 699 (not 401 or 407, which challenge)", s.Code)
	}
	return nil
}

// Cause is the hangup cause the reject ends the call with: the reason's,
// or, for a code, the one mod_sofia gives that code.
func (s *RejectSpec) Cause() string {
	if s.Code != 0 {
		return sipCodeCause(s.Code)
	}
	return rejectReasons[s.Reason]
}

// Execs runs hangup <cause>, after respond <code> for a custom code.
func (s *RejectSpec) Execs(PlanContext) []Exec {
	hangup := Exec{App: "hangup", Arg: s.Cause()}
	if s.Code == 0 {
		return []Exec{hangup}
	}
	return []Exec{{App: "respond", Arg: strconv.Itoa(s.Code)}, hangup}
}

// Result reports hangup: the verb ends the call.
func (s *RejectSpec) Result(_ PlanContext, complete *esl.Event, hungUp bool) *Result {
	r := baseResult("reject", complete, hungUp)
	if complete != nil {
		r.Reason = ReasonHangup // the hangup application's completion
	}
	return r
}

// MapText returns a copy: a reason and a code are not templates.
func (s *RejectSpec) MapText(func(string) (string, error)) (Spec, error) {
	c := *s
	return &c, nil
}

// Args implements Spec.
func (s *RejectSpec) Args() []Arg {
	if s.Code != 0 {
		return []Arg{{"code", s.Code}}
	}
	return []Arg{{"reason", s.Reason}}
}

// RejectAfterAnswer is the error the session returns for a reject verb it
// reaches when the call is answered already: the app's instructions are
// invalid for the call's state, as a reply that fails to parse is.
func RejectAfterAnswer(v Verb) error {
	return &InvalidReplyError{Line: v.Line, Msg: "reject: the call is answered already; reject refuses a call before answer (use hangup)"}
}

// checkRejectOrder refuses a reject that follows an answer in the same
// list: the call would be answered when it runs.
func checkRejectOrder(verbs []Verb) error {
	answered := false
	for _, v := range verbs {
		switch v.Name {
		case "answer":
			answered = true
		case "reject":
			if answered {
				return &InvalidReplyError{Line: v.Line, Msg: "reject: follows answer in the same list; reject refuses a call before answer (use hangup)"}
			}
		}
	}
	return nil
}

// sipCodeCause is sofia_glue_sip_cause_to_freeswitch
// (src/mod/endpoints/mod_sofia/sofia_glue.c) for final response codes.
func sipCodeCause(code int) string {
	switch code {
	case 402, 403, 603, 608:
		return "CALL_REJECTED"
	case 607:
		return "UNWANTED"
	case 404:
		return "UNALLOCATED_NUMBER"
	case 485, 604:
		return "NO_ROUTE_DESTINATION"
	case 408, 504:
		return "RECOVERY_ON_TIMER_EXPIRE"
	case 410:
		return "NUMBER_CHANGED"
	case 413, 414, 416, 420, 421, 423, 505, 513:
		return "INTERWORKING"
	case 480:
		return "NO_USER_RESPONSE"
	case 400, 481, 500, 503:
		return "NORMAL_TEMPORARY_FAILURE"
	case 486, 600:
		return "USER_BUSY"
	case 484:
		return "INVALID_NUMBER_FORMAT"
	case 488, 606:
		return "INCOMPATIBLE_DESTINATION"
	case 502:
		return "NETWORK_OUT_OF_ORDER"
	case 405:
		return "SERVICE_UNAVAILABLE"
	case 406, 415, 501:
		return "SERVICE_NOT_IMPLEMENTED"
	case 482, 483:
		return "EXCHANGE_ROUTING_ERROR"
	case 487:
		return "ORIGINATOR_CANCEL"
	case 428:
		return "NO_IDENTITY"
	case 429:
		return "BAD_IDENTITY_INFO"
	case 437:
		return "UNSUPPORTED_CERTIFICATE"
	case 438:
		return "INVALID_IDENTITY"
	}
	return "NORMAL_UNSPECIFIED"
}
