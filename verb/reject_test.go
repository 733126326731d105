package verb

import (
	"reflect"
	"testing"
)

func TestRejectExecs(t *testing.T) {
	tests := []struct {
		doc       string
		wantSpec  *RejectSpec
		wantExecs []Exec
		wantArgs  []Arg
	}{
		{"- reject", &RejectSpec{Reason: "busy"}, []Exec{{App: "hangup", Arg: "USER_BUSY"}}, []Arg{{"reason", "busy"}}},
		{"- reject: rejected", &RejectSpec{Reason: "rejected"}, []Exec{{App: "hangup", Arg: "CALL_REJECTED"}}, []Arg{{"reason", "rejected"}}},
		{"- reject: {code: 480}", &RejectSpec{Code: 480},
			[]Exec{{App: "respond", Arg: "480"}, {App: "hangup", Arg: "NO_USER_RESPONSE"}}, []Arg{{"code", 480}}},
		{"- reject: {code: 699}", &RejectSpec{Code: 699},
			[]Exec{{App: "respond", Arg: "699"}, {App: "hangup", Arg: "NORMAL_UNSPECIFIED"}}, []Arg{{"code", 699}}},
	}
	for _, tc := range tests {
		v := parseOne(t, tc.doc, webOpts)
		if !reflect.DeepEqual(v.Spec, tc.wantSpec) {
			t.Errorf("%q: spec = %#v, want %#v", tc.doc, v.Spec, tc.wantSpec)
		}
		if got := v.Spec.Execs(PlanContext{Seq: 1}); !reflect.DeepEqual(got, tc.wantExecs) {
			t.Errorf("%q: Execs = %+v, want %+v", tc.doc, got, tc.wantExecs)
		}
		if got := v.Spec.Args(); !reflect.DeepEqual(got, tc.wantArgs) {
			t.Errorf("%q: Args = %+v, want %+v", tc.doc, got, tc.wantArgs)
		}
	}
}

func TestRejectParseErrors(t *testing.T) {
	tests := []struct{ doc, want string }{
		{"- reject: maybe", `line 1: reject: reason: "maybe": want busy (SIP 486) or rejected (SIP 603), or give a code`},
		{"- reject:\n    reason: busy\n    code: 486", `line 3: reject: code: give reason or code, not both`},
		{"- reject: {code: 302}", `line 1: reject: code: 302: want a SIP final response code 400 to 699 (not 401 or 407, which challenge)`},
		{"- reject: {code: 407}", `line 1: reject: code: 407: want a SIP final response code 400 to 699 (not 401 or 407, which challenge)`},
		{"- reject: {code: '486'}", `line 1: reject: code: want an integer, got "486"`},
		{"- answer\n- play: x.wav\n- reject", `line 3: reject: follows answer in the same list; reject refuses a call before answer (use hangup)`},
	}
	for _, tc := range tests {
		_, err := ParseReply([]byte(tc.doc), webOpts)
		if err == nil || err.Error() != tc.want {
			t.Errorf("ParseReply(%q) = %v, want %s", tc.doc, err, tc.want)
		}
	}
}
