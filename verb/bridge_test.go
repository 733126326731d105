package verb

import (
	"reflect"
	"testing"
)

func TestBridgeOptionsExecs(t *testing.T) {
	sets := []Exec{{App: "set", Arg: "continue_on_fail=true"}, {App: "set", Arg: "hangup_after_bridge=false"}}
	tests := []struct{ doc, want string }{
		{"- bridge: {to: [user/1001, user/1002], mode: parallel}", "{originate_timeout=30}user/1001,user/1002"},
		{"- bridge: {to: [user/1001, user/1002], mode: sequential}", "{originate_timeout=30}user/1001|user/1002"},
		{"- bridge: {to: user/1001, time_limit: 90s}", "{originate_timeout=30,execute_on_answer=sched_hangup +90 ALLOTTED_TIMEOUT}user/1001"},
		{"- bridge: {to: user/1001, ringback: uk-ring}",
			"%^[ringback=tone_stream://%(400,200,400,450);%(400,2000,400,450)^transfer_ringback=tone_stream://%(400,200,400,450);%(400,2000,400,450)]{originate_timeout=30}user/1001"},
		{"- bridge: {to: user/1001, ringback: music/hold.wav}",
			"%^[ringback=file_string://music/hold.wav^transfer_ringback=file_string://music/hold.wav]{originate_timeout=30}user/1001"},
		{"- bridge: {to: user/1001, ringback: /sounds/ring.wav, hangup_on_star: true}",
			"%^[ringback=/sounds/ring.wav^transfer_ringback=/sounds/ring.wav^bridge_terminate_key=*]{originate_timeout=30}user/1001"},
		{"- bridge: {to: user/1001, confirm: ivr/press-1.wav}", "{originate_timeout=30,group_confirm_key=1,group_confirm_file=ivr/press-1.wav}user/1001"},
		{"- bridge: {to: user/1001, confirm: {play: ivr/press-5.wav, key: '5'}}", "{originate_timeout=30,group_confirm_key=5,group_confirm_file=ivr/press-5.wav}user/1001"},
	}
	for _, tc := range tests {
		v := parseOne(t, tc.doc, webOpts)
		want := append(append([]Exec(nil), sets...), Exec{App: "bridge", Arg: tc.want})
		if got := v.Spec.Execs(PlanContext{Seq: 1}); !reflect.DeepEqual(got, want) {
			t.Errorf("%s: Execs = %q\nwant %q", tc.doc, got[len(got)-1].Arg, tc.want)
		}
	}
}

func TestBridgeOptionsErrors(t *testing.T) {
	tests := []struct{ doc, want string }{
		{"- bridge: {to: user/1, mode: all}", `line 1: bridge: mode: "all": want sequential (one target after another) or parallel (all at once)`},
		{"- bridge: {to: user/1, time_limit: 500ms}", `line 1: bridge: time_limit: must be a whole number of seconds, got 500ms`},
		{"- bridge: {to: user/1, time_limit: 48h}", `line 1: bridge: time_limit: must be at most 24h0m0s, got 48h0m0s`},
		{"- bridge: {to: user/1, ringback: 'say:ring'}", `line 1: bridge: ringback: "say:ring": ":" is not allowed`},
		{"- bridge: {to: user/1, ringback: /etc/passwd}", `line 1: bridge: ringback: "/etc/passwd" is outside the app's media folders`},
		{"- bridge: {to: user/1, hangup_on_star: yes please}", `line 1: bridge: hangup_on_star: want true or false, got "yes please"`},
		{"- bridge: {to: user/1, confirm: {play: a.wav, key: exec}}", `line 1: bridge: confirm: key: "exec": want one key, 0-9 * or #`},
		{"- bridge:\n    to: user/1\n    confirm: {key: '1'}", `line 3: bridge: confirm: play: is required`},
		{"- bridge: {to: user/1, confirm: {play: a.wav, beep: x}}", `line 1: bridge: confirm: unknown option "beep" (options: play, key)`},
		{"- bridge: {to: user/1, confirm: 'tone_stream://%(100,0,440)'}", `line 1: bridge: confirm: play: "tone_stream://%(100,0,440)" has ','`},
	}
	for _, tc := range tests {
		_, err := ParseReply([]byte(tc.doc), webOpts)
		if err == nil || !startsWith(err.Error(), tc.want) {
			t.Errorf("ParseReply(%q) = %v\nwant %s...", tc.doc, err, tc.want)
		}
	}
}

func startsWith(s, prefix string) bool { return len(s) >= len(prefix) && s[:len(prefix)] == prefix }
