package verb

import (
	"fmt"
	"strings"
	"testing"
)

// dangerousVariants returns every dangerous variable name of fsvars.go in
// the spellings FreeSWITCH also honours: as listed, upper case, mixed case,
// and for the prefix families with a suffix (execute_on_answer_7 runs, as
// does Execute_On_Answer_Foo).
func dangerousVariants() []string {
	var out []string
	for _, v := range dangerousVars {
		base := v.name
		if v.prefix {
			base += "x"
			if strings.HasSuffix(v.name, "_") {
				base = v.name + "answer"
			}
			out = append(out, base+"_7", mixedCase(base)+"_Foo")
		}
		out = append(out, base, strings.ToUpper(base), mixedCase(base))
	}
	return out
}

// mixedCase upper-cases the first letter of each word: Execute_On_Answer.
func mixedCase(s string) string {
	b := []byte(s)
	for i := range b {
		if (i == 0 || b[i-1] == '_') && b[i] >= 'a' && b[i] <= 'z' {
			b[i] -= 'a' - 'A'
		}
	}
	return string(b)
}

// dangerousEntryPoints are the ways a webhook reply can name a variable,
// each as a reply document for one name, with the options it needs.
var dangerousEntryPoints = []struct {
	name  string
	doc   string // %[1]s is the variable's name
	allow []string
}{
	{"set", "- set: {%[1]s: 'system touch /tmp/x'}", nil},
	{"bridge block", "- bridge: '[%[1]s=system touch /tmp/x]user/1001'", nil},
	{"bridge block second", "- bridge: '[leg_timeout=5,%[1]s=system]user/1001'", nil},
	{"bridge block ^^", "- bridge: '[^^:%[1]s=system touch /tmp/x:origination_caller_id_number=666]user/1001'", nil},
	{"bridge block ^^ after", "- bridge: '[^^;origination_caller_id_number=666;%[1]s=system]user/1001'", nil},
	{"bridge second target", "- bridge: {to: [user/1000, '[%[1]s=x]sofia/gateway/gw/1']}", nil},
	{"unset", "- unset: %[1]s", nil},
	{"execute unset", "- execute: {app: unset, arg: '%[1]s'}", []string{"unset"}},
	{"execute multiunset", "- execute: {app: multiunset, arg: '^^,a,%[1]s'}", []string{"multiunset"}},
	{"execute set", "- execute: {app: set, arg: '%[1]s=system touch /tmp/x'}", []string{"set"}},
	{"execute SET", "- execute: {app: SET, arg: '%[1]s=x'}", []string{"set"}},
	{"execute set comma", "- execute: {app: set, arg: '%[1]s,x'}", []string{"set"}},
	{"execute export", "- execute: {app: export, arg: '%[1]s=x'}", []string{"export"}},
	{"execute export nolocal", "- execute: {app: export, arg: 'nolocal:%[1]s=x'}", []string{"export"}},
	{"execute export _nolocal_", "- execute: {app: Export, arg: '_NOLOCAL_%[1]s=x'}", []string{"export"}},
	{"execute bridge_export", "- execute: {app: bridge_export, arg: '%[1]s=x'}", []string{"bridge_export"}},
	{"execute multiset", "- execute: {app: multiset, arg: 'a=1 %[1]s=x'}", []string{"multiset"}},
	{"execute multiset ^^", "- execute: {app: multiset, arg: '^^;a=1 2;%[1]s=x y'}", []string{"multiset"}},
	{"execute push", "- execute: {app: push, arg: '%[1]s=x'}", []string{"push"}},
	{"execute unshift", "- execute: {app: unshift, arg: '%[1]s=x'}", []string{"unshift"}},
	{"execute set_global", "- execute: {app: set_global, arg: '%[1]s=x'}", []string{"set_global"}},
	{"execute capture", "- execute: {app: capture, arg: '%[1]s|abc|^(a)'}", []string{"capture"}},
	{"execute read", "- execute: {app: read, arg: '1 1 x.wav %[1]s 1000 #'}", []string{"read"}},
	{"execute play_and_get_digits", "- execute: {app: play_and_get_digits, arg: '1 1 1 1000 # x.wav y.wav %[1]s \\d'}", []string{"play_and_get_digits"}},
	{"execute bridge", "- execute: {app: bridge, arg: '[%[1]s=x]user/1001'}", []string{"bridge"}},
	{"execute bridge {}", "- execute: {app: bridge, arg: '{%[1]s=x}user/1001'}", []string{"bridge"}},
	{"execute bridge <>", "- execute: {app: bridge, arg: '<%[1]s=x>user/1001'}", []string{"bridge"}},
	{"execute bridge ^^ {}", "- execute: {app: bridge, arg: '{^^:leg_timeout=5:%[1]s=x}user/1001,user/1002'}", []string{"bridge"}},
	{"execute bridge second leg", "- execute: {app: bridge, arg: 'user/1000,[%[1]s=x]user/1001'}", []string{"bridge"}},
	{"execute bridge failover leg", "- execute: {app: bridge, arg: 'user/1000|[%[1]s=x]user/1001'}", []string{"bridge"}},
	{"execute att_xfer", "- execute: {app: att_xfer, arg: '[%[1]s=x]user/1001'}", []string{"att_xfer"}},
}

// TestDangerousVarsEveryEntryPoint drives every listed variable, in its
// case and prefix variants, through every way a webhook reply can set a
// variable (or remove it: unset): each reply must be refused with a
// message naming the variable. The flow and Liverpie entry points have their own tables
// (statemachine and TestLiverpieDangerousVars).
func TestDangerousVarsEveryEntryPoint(t *testing.T) {
	for _, ep := range dangerousEntryPoints {
		t.Run(ep.name, func(t *testing.T) {
			o := ParseOptions{AllowExecute: ep.allow}
			for _, name := range dangerousVariants() {
				doc := fmt.Sprintf(ep.doc, name)
				_, err := ParseReply([]byte(doc), o)
				if err == nil || !strings.Contains(err.Error(), Quote(name)+" cannot be ") {
					t.Errorf("ParseReply(%q) = %v, want it refused for %s", doc, err, name)
				}
				// allow_vars lets the operator take the risk, by name or prefix.
				for _, allow := range []string{name, strings.ToLower(name[:len(name)-1]) + "*"} {
					o := o
					o.AllowVars = []string{allow}
					if _, err := ParseReply([]byte(doc), o); err != nil && !strings.Contains(ep.name, "second") {
						// The "second" cases also hold leg variables allow_vars does not need.
						t.Errorf("ParseReply(%q) with allow_vars [%s] = %v, want it allowed", doc, allow, err)
					}
				}
			}
		})
	}
}

// TestSafeVarsPass: names FreeSWITCH does not run pass set, and the
// harmless leg variables pass a bridge's blocks in any case. A name with
// "api" as a word passes only once allow_vars names it: the catch-all for
// module hooks cannot tell it from one.
func TestSafeVarsPass(t *testing.T) {
	for _, doc := range []string{
		"- set: {hangup_after_bridge: 'true', effective_caller_id_name: Support, sip_h_X-Ticket: '42', rapid_fire: x}",
		"- bridge: '[leg_timeout=10,Origination_Caller_ID_Number=5551234,sip_h_X-Ticket=42]user/1001'",
		"- bridge: '[^^:effective_caller_id_name=Doe, John:ignore_early_media=true]sofia/gateway/gw/123'",
		"- bridge: 'loopback/1000/default/XML'",
		"- bridge: 'error/USER_BUSY'",
		"- transfer: {extension: '1000', dialplan: XML}",
	} {
		if _, err := ParseReply([]byte(doc), ParseOptions{}); err != nil {
			t.Errorf("ParseReply(%q) = %v, want it accepted", doc, err)
		}
	}
	// A flow's templates stand for digits while the literal text is
	// checked; the filled-in text is checked by MapText.
	for _, doc := range []string{"- bridge: '{{flow.dest}}'", "- bridge: '{{flow.type}}/{{flow.num}}'",
		"- bridge: '[origination_caller_id_number={{call.from}}]sofia/gateway/{{flow.gw}}/{{digits}}'"} {
		r, err := ParseReply([]byte(doc), ParseOptions{Templates: true})
		if err != nil {
			t.Errorf("ParseReply(%q) with templates = %v, want it accepted", doc, err)
			continue
		}
		fill := strings.NewReplacer("{{flow.dest}}", "[api_on_answer=x]user/1", "{{flow.type}}", "loopback", "{{flow.num}}", "app=system:x",
			"{{call.from}}", "1,api_on_answer=x", "{{flow.gw}}", "gw", "{{digits}}", "1")
		if _, err := r.Verbs[0].Spec.MapText(func(s string) (string, error) { return fill.Replace(s), nil }); err == nil {
			t.Errorf("ParseReply(%q) filled with hostile values: MapText = nil error, want it refused", doc)
		}
	}
	const doc = "- set: {api_key_hint: x}"
	if _, err := ParseReply([]byte(doc), ParseOptions{}); err == nil {
		t.Errorf("ParseReply(%q) = nil error, want the catch-all to refuse it", doc)
	}
	if _, err := ParseReply([]byte(doc), ParseOptions{AllowVars: []string{"API_KEY_HINT"}}); err != nil {
		t.Errorf("ParseReply(%q) with allow_vars = %v, want it accepted", doc, err)
	}
}

// TestDialStringsRefused: bridge targets and transfers that run things
// with no variable at all, and legs whose variables are not harmless.
func TestDialStringsRefused(t *testing.T) {
	tests := []struct {
		doc, want string
		o         ParseOptions
	}{
		{"- bridge: 'loopback/app=system:touch /tmp/x'", "loopback/app= is not allowed", ParseOptions{}},
		{"- bridge: 'LoopBack/APP=system:x'", "loopback/app= is not allowed", ParseOptions{}},
		{"- bridge: '[leg_timeout=5]loopback/App=lua:x'", "loopback/app= is not allowed", ParseOptions{AllowEndpoints: []string{"loopback"}}},
		{"- bridge: 'loopback/system:x/default/inline'", `dialplan "inline" is not allowed`, ParseOptions{}},
		{"- bridge: 'loopback/x/default/LUA'", `dialplan "LUA" is not allowed`, ParseOptions{}},
		{"- bridge: 'freetdm/1/a/100'", `endpoint "freetdm" is not allowed`, ParseOptions{}},
		{"- bridge: 'group/sales'", `endpoint "group" is not allowed`, ParseOptions{}},
		{"- bridge: 'user/1001[x=y]'", "which would split it or set variables", ParseOptions{}},
		{"- bridge: '[leg_timeout=5][api_on_answer=x]user/1001'", "which would split it or set variables", ParseOptions{}},
		{"- bridge: '[leg_timeout=5,user/1002'", "[ without ]", ParseOptions{}},
		{"- bridge: '[sip_invite_req_uri=sip:x@evil]user/1001'", "is not a variable a bridge leg may set", ParseOptions{}},
		{"- bridge: '[loopback_app=system]loopback/1000'", `"loopback_app" cannot be set by an app`, ParseOptions{}},
		{"- bridge: '[leg_timeout]user/1001'", "is not name=value", ParseOptions{}},
		{"- bridge: '[^^aleg_timeout=5]user/1001'", "separator 'a' is not allowed", ParseOptions{}},
		{"- bridge: \"[origination_caller_id_name='a,api_on_answer=x']user/1001\"", "which would split it or set variables", ParseOptions{}},
		{"- bridge: 'user/origination_nested_vars=true'", "origination_nested_vars", ParseOptions{}},
		{"- transfer: {extension: 'x', dialplan: LUA}", `dialplan "LUA" is not allowed`, ParseOptions{}},
		{"- transfer: {extension: 'x', dialplan: enum}", `dialplan "enum" is not allowed`, ParseOptions{AllowDialplans: []string{"lua"}}},
		{"- execute: {app: transfer, arg: 'system:x inline'}", `dialplan "inline" is not allowed`, ParseOptions{AllowExecute: []string{"transfer"}}},
		{"- execute: {app: transfer, arg: '-bleg x LUA default'}", `dialplan "LUA" is not allowed`, ParseOptions{AllowExecute: []string{"transfer"}}},
		{"- execute: {app: execute_extension, arg: 'x inline'}", `dialplan "inline" is not allowed`, ParseOptions{AllowExecute: []string{"execute_extension"}}},
		{"- execute: {app: sched_transfer, arg: '+5 x Inline'}", `dialplan "Inline" is not allowed`, ParseOptions{AllowExecute: []string{"sched_transfer"}}},
		{"- execute: {app: bridge, arg: 'loopback/app=system:x'}", "loopback/app= is not allowed", ParseOptions{AllowExecute: []string{"bridge"}}},
		{"- execute: {app: att_xfer, arg: 'loopback/app=system:x'}", "loopback/app= is not allowed", ParseOptions{AllowExecute: []string{"att_xfer"}}},
		{"- execute: {app: bridge, arg: 'user/1:_:loopback/app=system:x'}", `":_:"`, ParseOptions{AllowExecute: []string{"bridge"}}},
		{"- execute: {app: play_and_get_digits, arg: '1 1 1 1000 # a.wav b.wav v \\d 1000 system:x inline'}", "at most 10 arguments", ParseOptions{AllowExecute: []string{"play_and_get_digits"}}},
		{"- execute: {app: System, arg: 'touch /tmp/x'}", "it runs a shell command", ParseOptions{AllowExecute: []string{"system"}}},
		{"- execute: {app: bind_digit_action, arg: 'x,1,api:system'}", "refused", ParseOptions{AllowExecute: []string{"bind_digit_action"}}},
		{"- execute: {app: lua, arg: '~os.execute(\"x\")'}", "inline code", ParseOptions{AllowExecute: []string{"lua"}}},
	}
	for _, tc := range tests {
		_, err := ParseReply([]byte(tc.doc), tc.o)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParseReply(%q) = %v, want an error with %q", tc.doc, err, tc.want)
		}
	}
}

// TestDangerousSetNames: set of names without "exec" or "api" in them
// that FreeSWITCH still runs, transfers or expands.
func TestDangerousSetNames(t *testing.T) {
	for _, doc := range []string{
		`- set: {transfer_after_bridge: "'system:touch /tmp/x':inline"}`,
		`- set: {transfer_after_early_bridge: "x:inline"}`,
		`- set: {transfer_on_fail: "x inline default"}`,
		`- set: {force_transfer_dialplan: inline}`,
		`- set: {Force_Transfer_Context: x}`,
		`- set: {group_confirm_key: exec, group_confirm_file: "system touch /tmp/x"}`,
		`- set: {hold_hangup_xfer_exten: "x:inline"}`,
		`- set: {origination_nested_vars: "true"}`,
	} {
		if _, err := ParseReply([]byte(doc), ParseOptions{}); err == nil || !strings.Contains(err.Error(), "cannot be set by an app") {
			t.Errorf("ParseReply(%q) = %v, want it refused", doc, err)
		}
	}
}

// TestOwnVarsListed: every variable a verb's execs write is in OwnVars,
// the one list of variables callhook writes itself.
func TestOwnVarsListed(t *testing.T) {
	doc := `
- bridge: {to: user/1001, caller_id: '1000', caller_name: Support}
- bridge: {to: [user/1001, user/1002], mode: parallel, time_limit: 1m, ringback: us-ring, hangup_on_star: true, confirm: {play: ivr/accept.wav, key: "1"}}
- record: {path: x.wav, terminators: '#'}
- gather: {play: x.wav}
`
	r, err := ParseReply([]byte(doc), ParseOptions{})
	if err != nil {
		t.Fatal(err)
	}
	own := func(name string) bool {
		for _, o := range OwnVars {
			if name == o || strings.HasSuffix(o, "_") && strings.HasPrefix(name, o) {
				return true
			}
		}
		return false
	}
	seen := 0
	for i, v := range r.Verbs {
		pc := PlanContext{Seq: i + 1}
		if g, ok := v.Spec.(*GatherSpec); ok {
			seen++
			if !own(g.DigitsVar(pc)) {
				t.Errorf("gather's variable %s is not in OwnVars", g.DigitsVar(pc))
			}
		}
		for _, e := range v.Spec.Execs(pc) {
			var names []string
			switch e.App {
			case "set":
				names = []string{setArgName(e.Arg)}
			case "bridge":
				arg := e.Arg
				if rest, ok := strings.CutPrefix(arg, "%^["); ok {
					scope, after, _ := strings.Cut(rest, "]")
					for kv := range strings.SplitSeq(scope, "^") {
						n, _, _ := strings.Cut(kv, "=")
						names = append(names, n)
					}
					arg = after
				}
				block, _, _ := strings.Cut(strings.TrimPrefix(arg, "{"), "}")
				for kv := range strings.SplitSeq(block, ",") {
					n, _, _ := strings.Cut(kv, "=")
					names = append(names, n)
				}
			}
			for _, n := range names {
				seen++
				if !own(n) {
					t.Errorf("%s writes %s, which is not in OwnVars", v.Name, n)
				}
			}
		}
	}
	if seen < 16 {
		t.Errorf("checked %d variables, want the bridges' 14, record's and gather's", seen)
	}
}
