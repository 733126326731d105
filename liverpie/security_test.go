package liverpie

import (
	"strings"
	"testing"

	"github.com/callhook/callhook/verb"
)

// TestLiverpieAttacks: the msg commands the attack pass got through the
// default allow_commands [sendmsg], each refused now with a reason.
func TestLiverpieAttacks(t *testing.T) {
	const other = "9d0f3c2a-1111-4a4b-9c1e-6a0f8f7f0c99"
	tests := []struct {
		name, msg, want string
	}{
		{"expansion in arg", "sendmsg\ncall-command: execute\nexecute-app-name: log\nexecute-app-arg: INFO ${uuid_kill(" + other + ")}", `header "execute-app-arg" has "${"`},
		{"global expansion", "sendmsg\ncall-command: execute\nexecute-app-name: log\nexecute-app-arg: INFO $${hostname}", `has "${"`},
		{"expansion in body", "sendmsg\ncall-command: execute\nexecute-app-name: speak\ncontent-type: text/plain\ncontent-length: 19\n\nflite|kal|${system}", `its body has "${"`},
		{"expansion in a header name", "sendmsg\ncall-command: hangup\nx${system(x)}: 1", `has "${"`},
		{"nomedia of another call", "sendmsg\ncall-command: nomedia\nnomedia-uuid: " + other, `call-command "nomedia" is not allowed`},
		{"eavesdrop", "sendmsg\ncall-command: execute\nexecute-app-name: eavesdrop\nexecute-app-arg: " + other, `application "eavesdrop" is not allowed`},
		{"system", "sendmsg\ncall-command: execute\nexecute-app-name: system\nexecute-app-arg: touch /tmp/x", `"system" is not allowed`},
		{"SYSTEM", "sendmsg\ncall-command: execute\nexecute-app-name: SYSTEM\nexecute-app-arg: touch /tmp/x", `"SYSTEM" is not allowed`},
		{"xferext", "sendmsg\ncall-command: xferext\napplication: system touch /tmp/x", `call-command "xferext" is not allowed`},
		{"unicast", "sendmsg\ncall-command: unicast\nremote-ip: 203.0.113.1\nremote-port: 9999", `call-command "unicast" is not allowed`},
		{"executeX", "sendmsg\ncall-command: executeX\nexecute-app-name: system\nexecute-app-arg: touch /tmp/x", `"system" is not allowed`},
		{"executeX eavesdrop", "sendmsg\ncall-command: executeXYZ\nexecute-app-name: Eavesdrop\nexecute-app-arg: " + other, `"Eavesdrop" is not allowed`},
		{"lua inline", "sendmsg\ncall-command: execute\nexecute-app-name: lua\nexecute-app-arg: ~os.execute('touch /tmp/x')", `"lua" is not allowed`},
		{"bind_digit_action api", "sendmsg\ncall-command: execute\nexecute-app-name: bind_digit_action\nexecute-app-arg: x,1,api:system,touch /tmp/x", `"bind_digit_action" is not allowed`},
		{"unknown call-command", "sendmsg\ncall-command: EXECUTE\nexecute-app-name: answer", `call-command "EXECUTE" is not one FreeSWITCH runs`},
		{"hangup prefix is not hangup", "sendmsg\ncall-command: hangupX", `is not one FreeSWITCH runs`},
		{"no call-command", "sendmsg\nexecute-app-name: answer", `call-command "" is not one FreeSWITCH runs`},
		{"duplicate header", "sendmsg\ncall-command: execute\nexecute-app-name: answer\nExecute-App-Name: system", `given twice`},
		{"array header", "sendmsg\ncall-command: execute\nexecute-app-name[1]: system", `header name`},
		{"set hook", "sendmsg\ncall-command: execute\nexecute-app-name: set\nexecute-app-arg: api_hangup_hook=system touch /tmp/x", `"api_hangup_hook" cannot be set by an app`},
		{"set transfer", "sendmsg\ncall-command: execute\nexecute-app-name: SET\nexecute-app-arg: transfer_after_bridge=system:x:inline", `"transfer_after_bridge" cannot be set by an app`},
		{"set by body", "sendmsg\ncall-command: execute\nexecute-app-name: set\ncontent-type: text/plain\ncontent-length: 26\n\nexecute_on_answer=system x", `"execute_on_answer" cannot be set by an app`},
		{"bridge loopback app", "sendmsg\ncall-command: execute\nexecute-app-name: bridge\nexecute-app-arg: loopback/app=system:x", `loopback/app= is not allowed`},
		{"bridge leg hook", "sendmsg\ncall-command: execute\nexecute-app-name: bridge\nexecute-app-arg: [^^:api_on_answer=system x:leg_timeout=5]user/1001", `"api_on_answer" cannot be set by an app`},
		{"transfer inline", "sendmsg\ncall-command: execute\nexecute-app-name: transfer\nexecute-app-arg: system:x inline", `dialplan "inline" is not allowed`},
		{"pagd transfer on failure", "sendmsg\ncall-command: execute\nexecute-app-name: play_and_get_digits\nexecute-app-arg: 1 1 1 1000 # a.wav b.wav v \\d 1000 system:x inline", "at most 10 arguments"},
		{"system allow-listed anyway", "sendmsg\ncall-command: execute\nexecute-app-name: system\nexecute-app-arg: x", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := lpTestDialog()
			if tc.want == "" {
				// Even an app whose config lists system cannot run it.
				d.app.AllowExecute = []string{"system"}
				tc.want = "it runs a shell command"
			}
			cmds, err := d.commands(tc.msg)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("commands(%q) = %v, %v; want an error with %q", tc.msg, cmds, err, tc.want)
			}
		})
	}
}

// TestLiverpieAllowed: what stays allowed, by default and by config.
func TestLiverpieAllowed(t *testing.T) {
	tests := []struct {
		name  string
		msg   string
		setup func(a *App)
	}{
		{"playback", "sendmsg\ncall-command: execute\nexecute-app-name: PlayBack\nexecute-app-arg: ivr/welcome.wav", nil},
		{"hangup", "sendmsg\ncall-command: hangup\nhangup-cause: USER_BUSY", nil},
		{"set", "sendmsg\ncall-command: execute\nexecute-app-name: set\nexecute-app-arg: lang=en", nil},
		{"bridge", "sendmsg\ncall-command: execute\nexecute-app-name: bridge\nexecute-app-arg: {leg_timeout=20}[origination_caller_id_number=1000]user/1001|sofia/gateway/gw/123", nil},
		{"transfer", "sendmsg\ncall-command: execute\nexecute-app-name: transfer\nexecute-app-arg: 1000 XML default", nil},
		{"allow_execute", "sendmsg\ncall-command: execute\nexecute-app-name: Conference\nexecute-app-arg: 3000@default",
			func(a *App) { a.AllowExecute = []string{"conference"} }},
		{"allow_vars", "sendmsg\ncall-command: execute\nexecute-app-name: set\nexecute-app-arg: execute_on_answer=playback beep.wav",
			func(a *App) { a.AllowVars = []string{"execute_on_*"} }},
		{"allow_call_commands", "sendmsg\ncall-command: nomedia\nnomedia-uuid: " + lpTestUUID,
			func(a *App) { a.AllowCallCommands = []string{"nomedia"} }},
		{"xferext checked", "sendmsg\ncall-command: xferext\napplication: answer\napplication: playback x.wav",
			func(a *App) { a.AllowCallCommands = []string{"xferext"} }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := lpTestDialog()
			if tc.setup != nil {
				tc.setup(d.app)
				d.calls = d.app.callCommands()
				d.policy = verb.NewPolicy(d.app.AllowVars, d.app.AllowEndpoints, d.app.AllowDialplans)
			}
			if _, err := d.commands(tc.msg); err != nil {
				t.Errorf("commands(%q) = %v, want it allowed", tc.msg, err)
			}
		})
	}
	// Allowed call-commands keep their checks.
	d := lpTestDialog()
	d.app.AllowCallCommands = []string{"nomedia", "xferext"}
	d.calls = d.app.callCommands()
	for _, msg := range []string{
		"sendmsg\ncall-command: nomedia\nnomedia-uuid: 9d0f3c2a-1111-4a4b-9c1e-6a0f8f7f0c99",
		"sendmsg\ncall-command: xferext\napplication: answer\napplication: system touch /tmp/x",
	} {
		if _, err := d.commands(msg); err == nil {
			t.Errorf("commands(%q) = nil error, want it refused", msg)
		}
	}
}

// TestLiverpieDangerousVars drives every listed variable, in its case and
// prefix variants, through a Liverpie execute of set, export, multiset,
// push, unshift and bridge (the table test's Liverpie entry point).
func TestLiverpieDangerousVars(t *testing.T) {
	args := []struct{ app, arg string }{
		{"set", "%s=x"}, {"Set", "%s,x"}, {"export", "nolocal:%s=x"}, {"multiset", "^^;a=1;%s=x"},
		{"push", "%s=x"}, {"unshift", "%s=x"}, {"bridge", "[%s=x]user/1001"}, {"bridge", "[^^:leg_timeout=5:%s=x]user/1001"},
	}
	for _, name := range dangerousVariants() {
		for _, a := range args {
			d := lpTestDialog()
			arg := strings.ReplaceAll(a.arg, "%s", name)
			msg := "sendmsg\ncall-command: execute\nexecute-app-name: " + a.app + "\nexecute-app-arg: " + arg
			if _, err := d.commands(msg); err == nil || !strings.Contains(err.Error(), verb.Quote(name)+" cannot be set by an app") {
				t.Errorf("commands(%q) = %v, want it refused for %s", msg, err, name)
			}
		}
	}
}

func TestFSCallCommand(t *testing.T) {
	for in, want := range map[string]string{
		"execute": "execute", "executeX": "execute", "execute ": "execute", "hangup": "hangup",
		"hangupX": "", "hangu": "", "HANGUP": "", "Execute": "", "xferext": "xferext", "nomediaZ": "nomedia",
		"unicast": "unicast", "": "", "exit": "",
	} {
		if got := fsCallCommand(in); got != want {
			t.Errorf("fsCallCommand(%q) = %q, want %q", in, got, want)
		}
	}
}

// dangerousVariants spells each of verb.DangerousVars the ways FreeSWITCH
// honours: as listed, upper case, mixed case (Execute_On_Answer), and the
// prefix families with a suffix (execute_on_answer_7, Execute_On_Answer_Foo).
func dangerousVariants() []string {
	mixedCase := func(s string) string {
		b := []byte(s)
		for i := range b {
			if (i == 0 || b[i-1] == '_') && b[i] >= 'a' && b[i] <= 'z' {
				b[i] -= 'a' - 'A'
			}
		}
		return string(b)
	}
	var out []string
	for _, n := range verb.DangerousVars() {
		if name, prefix := strings.CutSuffix(n, "*"); prefix {
			n = name + "x"
			if strings.HasSuffix(name, "_") {
				n = name + "answer"
			}
			out = append(out, n+"_7", mixedCase(n)+"_Foo")
		}
		out = append(out, n, strings.ToUpper(n), mixedCase(n))
	}
	return out
}
