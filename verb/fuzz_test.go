package verb

import (
	"encoding/json"
	"errors"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// fuzzApps are the applications a parsed reply may run (besides the ones
// allow_execute lists).
var fuzzApps = []string{"answer", "pre_answer", "ring_ready", "park", "playback", "say", "speak",
	"play_and_get_digits", "set", "record", "bridge", "transfer", "conference", "sleep", "send_dtmf",
	"unset", "log", "mkdir"}

var appName = regexp.MustCompile(`^[a-z_]+$`)

// FuzzParseReply checks that no reply makes ParseReply panic or return
// anything but an *InvalidReplyError, and that whatever it accepts is safe
// to send: known applications only, no CR, LF or NUL in any argument but
// speak's text, no "${" anywhere, a session encoding/json can marshal.
func FuzzParseReply(f *testing.F) {
	seeds := []string{
		"",
		"- answer\n- play: x.wav\n- hangup",
		"session: {lang: en}\nverbs:\n  - gather: {play: m.wav, max: 4, timeout: 3s, action: /menu}\n",
		`{"session": {"n": 1}, "verbs": ["answer", {"record": {"path": "r.wav", "beep": false}}]}`,
		"- bridge: {to: [user/1000, user/1001], caller_id: '100', caller_name: Desk}",
		"- speak: \"line one\\nline two\"\n- say: {text: 1 2 3, gender: feminine}",
		"- set: {a: 1, b: two}\n- unset: a\n- send_dtmf: '1w2@100'\n- pause: 1s",
		"- transfer: {extension: 1000, context: public}\n- conference: {name: r, flags: [mute]}",
		"- execute: {app: info, arg: x}\n- log: {text: hi, level: debug}\n- redirect: ../next",
		"- play: \"a\\nb\"",
		"- set: {api_hangup_hook: x}",
		"session:\n  a: &a [x, x]\n  b: [*a, *a]\n",
		"- gather: {regex: '(\\d'}",
		"- bridge: 'user/{{vars.ext}}'",
		"- play: file_string://a.wav!/etc/passwd",
		"- record: ../x.wav",
		"- bridge: '[^^:leg_timeout=5:origination_caller_id_name=a,b]user/1001'",
		"- bridge: '[leg_timeout=5,sip_h_X-A=1]loopback/1000/default/xml'",
		"- bridge: 'loopback/app=system:x'",
		"- set: {Execute_On_Answer_7: x}",
		"- transfer: {extension: x, dialplan: LUA}",
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	o := ParseOptions{MaxVerbs: 50, AllowExecute: []string{"info"}, Base: testBase}
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := ParseReply(data, o)
		if err != nil {
			var ire *InvalidReplyError
			if !errors.As(err, &ire) {
				t.Fatalf("ParseReply(%q) = %T %v, want an *InvalidReplyError", data, err, err)
			}
			return
		}
		if r.HasSession {
			if _, err := json.Marshal(r.Session); err != nil {
				t.Fatalf("ParseReply(%q) session = %#v, json.Marshal = %v", data, r.Session, err)
			}
		}
		for _, v := range r.Verbs {
			checkFuzzedVerb(t, data, v)
		}
	})
}

func checkFuzzedVerb(t *testing.T, data []byte, v Verb) {
	t.Helper()
	switch s := v.Spec.(type) {
	case *HangupSpec:
		if !validCause(s.Cause) {
			t.Fatalf("ParseReply(%q) hangup cause %q", data, s.Cause)
		}
	case *RedirectSpec:
		if _, err := absoluteURL(s.URL); err != nil || strings.ContainsAny(s.URL, "\r\n\x00") {
			t.Fatalf("ParseReply(%q) redirect URL %q", data, s.URL)
		}
	}
	if strings.ContainsAny(v.Action, "\r\n\x00") {
		t.Fatalf("ParseReply(%q) action %q", data, v.Action)
	}
	for _, e := range v.Spec.Execs(PlanContext{Seq: 1}) {
		if !appName.MatchString(e.App) || !(slices.Contains(fuzzApps, e.App) || e.App == "info") {
			t.Fatalf("ParseReply(%q) runs application %q", data, e.App)
		}
		arg := e.Arg
		if v.Name == "speak" {
			// speak's text, after engine|voice|, may span lines.
			parts := strings.SplitN(arg, "|", 3)
			if len(parts) != 3 || strings.ContainsAny(parts[0]+parts[1], "\r\n") {
				t.Fatalf("ParseReply(%q) speak arg %q", data, arg)
			}
			arg = strings.NewReplacer("\r", "", "\n", "").Replace(arg)
		}
		if strings.ContainsAny(arg, "\r\n\x00") || strings.Contains(e.Arg, "${") {
			t.Fatalf("ParseReply(%q) exec %+v is not safe to send", data, e)
		}
		// Files stay in their folders (files.go).
		switch e.App {
		case "record":
			file, _, _ := strings.Cut(e.Arg, " ")
			name, ok := strings.CutPrefix(file, DefaultRecordingsDir+"/")
			if !ok || strings.ContainsAny(name, "/\\{") || strings.Contains(name, "..") {
				t.Fatalf("ParseReply(%q) records to %q", data, file)
			}
		case "mkdir":
			if e.Arg != DefaultRecordingsDir {
				t.Fatalf("ParseReply(%q) makes folder %q", data, e.Arg)
			}
		case "playback":
			abs := strings.HasPrefix(e.Arg, "/") && !strings.HasPrefix(e.Arg, DefaultRecordingsDir+"/")
			if abs || strings.HasPrefix(e.Arg, "{") || !strings.Contains(e.Arg, "://") && slices.Contains(strings.Split(e.Arg, "/"), "..") {
				t.Fatalf("ParseReply(%q) plays %q", data, e.Arg)
			}
		}
		// What FreeSWITCH would run later: no dangerous variable set, every
		// bridge leg and transfer within the defaults.
		if _, bad := dangerousVar(setArgName(e.Arg)); e.App == "set" && bad {
			t.Fatalf("ParseReply(%q) sets a variable FreeSWITCH runs: %+v", data, e)
		}
		if err := (*Policy)(nil).CheckApp(e.App, e.Arg); e.App != "set" && err != nil {
			t.Fatalf("ParseReply(%q) exec %+v: %v", data, e, err)
		}
	}
	if _, err := v.Spec.MapText(func(s string) (string, error) { return s, nil }); err != nil {
		t.Fatalf("ParseReply(%q) %s.MapText(identity) = %v", data, v.Name, err)
	}
}
