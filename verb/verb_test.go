package verb

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/callhook/callhook/esl"
	"gopkg.in/yaml.v3"
)

// testBase is the URL a test reply came from.
var testBase = mustURL("http://app.example/ivr/start")

func mustURL(s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		panic(err)
	}
	return u
}

// testFiles are the file rules of the app in these tests.
var testFiles = &FileRules{RecordingsDir: "/rec/app", MediaDirs: []string{"/sounds"}}

// webOpts are the options of a webhook reply in these tests.
var webOpts = ParseOptions{MaxVerbs: 100, AllowExecute: []string{"info", "echo"}, Base: testBase, Files: testFiles}

// parseOne parses a one-verb reply.
func parseOne(t *testing.T, doc string, o ParseOptions) Verb {
	t.Helper()
	r, err := ParseReply([]byte(doc), o)
	if err != nil {
		t.Fatalf("ParseReply(%q) = %v", doc, err)
	}
	if len(r.Verbs) != 1 {
		t.Fatalf("ParseReply(%q) = %d verbs, want 1", doc, len(r.Verbs))
	}
	return r.Verbs[0]
}

func TestVerbExecs(t *testing.T) {
	const seq = 7
	beep := Exec{App: "playback", Arg: "tone_stream://%(500,0,800)"}
	bridgeSets := []Exec{{App: "set", Arg: "continue_on_fail=true"}, {App: "set", Arg: "hangup_after_bridge=false"}}
	tests := []struct {
		name       string
		doc        string
		wantSpec   Spec
		wantExecs  []Exec
		wantAction string
	}{
		{"answer", "- answer", &BareSpec{App: "answer"}, []Exec{{App: "answer"}}, ""},
		{"answer null", "- answer:", &BareSpec{App: "answer"}, []Exec{{App: "answer"}}, ""},
		{"answer empty map", "- answer: {}", &BareSpec{App: "answer"}, []Exec{{App: "answer"}}, ""},
		{"pre_answer", "- pre_answer", &BareSpec{App: "pre_answer"}, []Exec{{App: "pre_answer"}}, ""},
		{"ring_ready", "- ring_ready", &BareSpec{App: "ring_ready"}, []Exec{{App: "ring_ready"}}, ""},
		{"park", "- park", &BareSpec{App: "park"}, []Exec{{App: "park"}}, ""},
		{"play short", "- play: ivr/welcome.wav", &PlaySpec{File: "ivr/welcome.wav", Loop: 1, Files: testFiles},
			[]Exec{{App: "playback", Arg: "ivr/welcome.wav"}}, ""},
		{"play loop", "- play: {file: 'tone_stream://%(100,0,440)', loop: 3}", &PlaySpec{File: "tone_stream://%(100,0,440)", Loop: 3, Files: testFiles},
			slices.Repeat([]Exec{{App: "playback", Arg: "tone_stream://%(100,0,440)"}}, 3), ""},
		{"play path with spaces", "- play: /sounds/main menu.wav", &PlaySpec{File: "/sounds/main menu.wav", Loop: 1, Files: testFiles},
			[]Exec{{App: "playback", Arg: "/sounds/main menu.wav"}}, ""},
		{"say short", "- say: 42", &SaySpec{Text: "42", Lang: "en", Type: "number", Method: "pronounced"},
			[]Exec{{App: "say", Arg: "en number pronounced 42"}}, ""},
		{"say map", "- say: {text: 1 2 3, lang: 'en:en', type: TELEPHONE_NUMBER, method: Iterated, gender: feminine}",
			&SaySpec{Text: "1 2 3", Lang: "en:en", Type: "telephone_number", Method: "iterated", Gender: "feminine"},
			[]Exec{{App: "say", Arg: `en:en telephone_number iterated feminine 1\s2\s3`}}, ""},
		{"speak short multi-line", "- speak: \"Hello,\\nworld | it's me\"", &SpeakSpec{Text: "Hello,\nworld | it's me", Engine: "flite", Voice: "kal"},
			[]Exec{{App: "speak", Arg: "flite|kal|Hello,\nworld | it's me"}}, ""},
		{"speak map", "- speak: {text: hi, engine: unimrcp, voice: alice}", &SpeakSpec{Text: "hi", Engine: "unimrcp", Voice: "alice"},
			[]Exec{{App: "speak", Arg: "unimrcp|alice|hi"}}, ""},
		{"gather defaults", "- gather", &GatherSpec{Play: "silence_stream://250", Min: 1, Max: 1, Tries: 1, Timeout: 5 * time.Second,
			DigitTimeout: 5 * time.Second, Terminators: "#", Invalid: "silence_stream://250", Regex: `\d+`, Files: testFiles},
			[]Exec{{App: "play_and_get_digits", Arg: `1 1 1 5000 # silence_stream://250 silence_stream://250 callhook_digits_7 \d+ 5000`}}, ""},
		{"gather short", "- gather: ivr/menu.wav",
			&GatherSpec{Play: "ivr/menu.wav", Min: 1, Max: 1, Tries: 1, Timeout: 5 * time.Second,
				DigitTimeout: 5 * time.Second, Terminators: "#", Invalid: "silence_stream://250", Regex: `\d+`, Files: testFiles},
			[]Exec{{App: "play_and_get_digits", Arg: `1 1 1 5000 # ivr/menu.wav silence_stream://250 callhook_digits_7 \d+ 5000`}}, ""},
		{"gather map", `- gather:
    play: my prompt.wav
    min: 2
    max: 4
    tries: 3
    timeout: 3s
    digit_timeout: 1500ms
    terminators: "*#"
    invalid: ivr/invalid.wav
    regex: '^[0-9]{2,4}$'
    action: /menu`,
			&GatherSpec{Play: "my prompt.wav", Min: 2, Max: 4, Tries: 3, Timeout: 3 * time.Second,
				DigitTimeout: 1500 * time.Millisecond, Terminators: "*#", Invalid: "ivr/invalid.wav", Regex: "^[0-9]{2,4}$", Files: testFiles},
			[]Exec{{App: "play_and_get_digits", Arg: `2 4 3 3000 *# my\sprompt.wav ivr/invalid.wav callhook_digits_7 ^[0-9]{2,4}$ 1500`}},
			"http://app.example/menu"},
		{"gather regex with escapes", `- gather: {play: x.wav, regex: '\d\s\\'}`,
			&GatherSpec{Play: "x.wav", Min: 1, Max: 1, Tries: 1, Timeout: 5 * time.Second,
				DigitTimeout: 5 * time.Second, Terminators: "#", Invalid: "silence_stream://250", Regex: `\d\s\\`, Files: testFiles},
			[]Exec{{App: "play_and_get_digits", Arg: `1 1 1 5000 # x.wav silence_stream://250 callhook_digits_7 \d\\s\\\\ 5000`}}, ""},
		{"record defaults", "- record: x.wav",
			&RecordSpec{Path: "x.wav", Max: 60 * time.Second, SilenceThreshold: 200, Silence: 3 * time.Second, Beep: true, Terminators: "*", Files: testFiles},
			[]Exec{beep, {App: "set", Arg: "playback_terminators=*"}, {App: "mkdir", Arg: "/rec/app"}, {App: "record", Arg: "/rec/app/x.wav 60 200 3"}}, ""},
		{"record map", "- record: {path: x_y.mp3, max: 30s, silence_threshold: 0, silence: 5s, beep: false, terminators: '#', action: 'https://other.example/r?x=1'}",
			&RecordSpec{Path: "x_y.mp3", Max: 30 * time.Second, SilenceThreshold: 0, Silence: 5 * time.Second, Beep: false, Terminators: "#", Files: testFiles},
			[]Exec{{App: "set", Arg: "playback_terminators=#"}, {App: "mkdir", Arg: "/rec/app"}, {App: "record", Arg: "/rec/app/x_y.mp3 30 0 5"}},
			"https://other.example/r?x=1"},
		{"bridge short", "- bridge: user/1000", &BridgeSpec{To: []string{"user/1000"}, Mode: "sequential", Timeout: 30 * time.Second, Files: testFiles},
			append(bridgeSets, Exec{App: "bridge", Arg: "{originate_timeout=30}user/1000"}), ""},
		{"bridge list", "- bridge: [user/1000, '[leg_timeout=5]user/1001']", &BridgeSpec{To: []string{"user/1000", "[leg_timeout=5]user/1001"}, Mode: "sequential", Timeout: 30 * time.Second, Files: testFiles},
			append(bridgeSets, Exec{App: "bridge", Arg: "{originate_timeout=30}user/1000|[leg_timeout=5]user/1001"}), ""},
		{"bridge map", "- bridge: {to: [user/1000, 'sofia/gateway/gw/+15551234'], timeout: 20s, caller_id: '+15550000', caller_name: Help Desk, action: done}",
			&BridgeSpec{To: []string{"user/1000", "sofia/gateway/gw/+15551234"}, Mode: "sequential", Timeout: 20 * time.Second, CallerID: "+15550000", CallerName: "Help Desk", Files: testFiles},
			append(bridgeSets, Exec{App: "bridge", Arg: "{originate_timeout=20,origination_caller_id_number=+15550000,origination_caller_id_name=Help Desk}user/1000|sofia/gateway/gw/+15551234"}),
			"http://app.example/ivr/done"},
		{"transfer short", "- transfer: 1000", &TransferSpec{Extension: "1000", Dialplan: "xml", Context: "default"},
			[]Exec{{App: "transfer", Arg: "1000 xml default"}}, ""},
		{"transfer map", "- transfer: {extension: sales line, dialplan: XML, context: public}", &TransferSpec{Extension: "sales line", Dialplan: "XML", Context: "public"},
			[]Exec{{App: "transfer", Arg: `sales\sline XML public`}}, ""},
		{"conference short", "- conference: room-1", &ConferenceSpec{Name: "room-1", Profile: "default"},
			[]Exec{{App: "conference", Arg: "room-1@default"}}, ""},
		{"conference map", "- conference: {name: room-1, profile: wideband, flags: [mute, moderator]}",
			&ConferenceSpec{Name: "room-1", Profile: "wideband", Flags: []string{"mute", "moderator"}},
			[]Exec{{App: "conference", Arg: "room-1@wideband+flags{mute|moderator}"}}, ""},
		{"conference one flag", "- conference: {name: r, flags: mute}", &ConferenceSpec{Name: "r", Profile: "default", Flags: []string{"mute"}},
			[]Exec{{App: "conference", Arg: "r@default+flags{mute}"}}, ""},
		{"pause", "- pause: 1500ms", &PauseSpec{Duration: 1500 * time.Millisecond}, []Exec{{App: "sleep", Arg: "1500"}}, ""},
		{"pause map", "- pause: {duration: 2s}", &PauseSpec{Duration: 2 * time.Second}, []Exec{{App: "sleep", Arg: "2000"}}, ""},
		{"send_dtmf number", "- send_dtmf: 123", &SendDTMFSpec{Digits: "123"}, []Exec{{App: "send_dtmf", Arg: "123"}}, ""},
		{"send_dtmf pauses and length", "- send_dtmf: {digits: '1w2W#*AD@200'}", &SendDTMFSpec{Digits: "1w2W#*AD@200"},
			[]Exec{{App: "send_dtmf", Arg: "1w2W#*AD@200"}}, ""},
		{"set", "- set: {b: 1, a: x y, sip_h_X-Tag: 'v=1'}", &SetSpec{Vars: []SetVar{{"b", "1"}, {"a", "x y"}, {"sip_h_X-Tag", "v=1"}}, Files: testFiles},
			[]Exec{{App: "set", Arg: "b=1"}, {App: "set", Arg: "a=x y"}, {App: "set", Arg: "sip_h_X-Tag=v=1"}}, ""},
		{"set empty value", "- set: {a: ''}", &SetSpec{Vars: []SetVar{{"a", ""}}, Files: testFiles}, []Exec{{App: "set", Arg: "a="}}, ""},
		{"set rapid", "- set: {rapid_mode: 'on'}", &SetSpec{Vars: []SetVar{{"rapid_mode", "on"}}, Files: testFiles}, []Exec{{App: "set", Arg: "rapid_mode=on"}}, ""},
		{"unset", "- unset: a", &UnsetSpec{Name: "a"}, []Exec{{App: "unset", Arg: "a"}}, ""},
		{"hangup", "- hangup", &HangupSpec{Cause: "NORMAL_CLEARING"}, nil, ""},
		{"hangup name", "- hangup: user_busy", &HangupSpec{Cause: "USER_BUSY"}, nil, ""},
		{"hangup code", "- hangup: 17", &HangupSpec{Cause: "17"}, nil, ""},
		{"redirect relative", "- redirect: ../next?x=1", &RedirectSpec{URL: "http://app.example/next?x=1"}, nil, ""},
		{"redirect absolute", "- redirect: {url: 'https://b.example/x'}", &RedirectSpec{URL: "https://b.example/x"}, nil, ""},
		{"log", "- log: hello world", &LogSpec{Level: "INFO", Text: "hello world"}, []Exec{{App: "log", Arg: "INFO hello world"}}, ""},
		{"log level", "- log: {text: careful, level: warning}", &LogSpec{Level: "WARNING", Text: "careful"},
			[]Exec{{App: "log", Arg: "WARNING careful"}}, ""},
		{"execute", "- execute: info", &ExecuteSpec{App: "info", Files: testFiles}, []Exec{{App: "info"}}, ""},
		{"execute arg", "- execute: {app: echo, arg: a b, action: /echoed}", &ExecuteSpec{App: "echo", Arg: "a b", Files: testFiles},
			[]Exec{{App: "echo", Arg: "a b"}}, "http://app.example/echoed"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v := parseOne(t, tc.doc, webOpts)
			if !reflect.DeepEqual(v.Spec, tc.wantSpec) {
				t.Errorf("ParseReply(%q) spec = %#v, want %#v", tc.doc, v.Spec, tc.wantSpec)
			}
			if got := v.Spec.Execs(PlanContext{Seq: seq}); !reflect.DeepEqual(got, tc.wantExecs) {
				t.Errorf("Execs(%q) = %+v, want %+v", tc.doc, got, tc.wantExecs)
			}
			if v.Action != tc.wantAction {
				t.Errorf("ParseReply(%q) action = %q, want %q", tc.doc, v.Action, tc.wantAction)
			}
			if v.Line != 1 {
				t.Errorf("ParseReply(%q) line = %d, want 1", tc.doc, v.Line)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name string
		doc  string
		o    *ParseOptions // webOpts when nil
		want string
	}{
		{"unknown verb", "- answer\n- dance", nil, `line 2: unknown verb "dance"`},
		{"unknown option", "- play:\n    file: x\n    volume: 3", nil, `line 3: play: unknown option "volume" (options: file, loop)`},
		{"verb typo", "- answer\n- plya: x", nil, `line 2: unknown verb "plya" (did you mean "play"?)`},
		{"option typo", "- gather:\n    play: x\n    terminator: '*'", nil,
			`line 3: gather: unknown option "terminator" (options: play, min, max, tries, timeout, digit_timeout, terminators, invalid, regex, action) (did you mean "terminators"?)`},
		{"option twice", "- play:\n    file: x\n    file: y", nil, `line 3: play: option "file" given twice`},
		{"two keys in a verb", "- gather:\n  play: x", nil,
			`line 1: a verb is a map with one key, found "gather", "play" (put each verb in its own list item, and indent its options under it)`},
		{"many keys in a verb", "- {a: 1, b: 2, c: 3, d: 4, e: 5}", nil,
			`line 1: a verb is a map with one key, found "a", "b", "c", "d", ... (put each verb in its own list item, and indent its options under it)`},
		{"number as verb", "- 5", nil, `line 1: want a verb name or a one-key map, got "5"`},
		{"list as verb", "- [answer]", nil, `line 1: want a verb name or a one-key map, got a list`},
		{"argument to bare verb", "- answer: now", nil, `line 1: answer: takes no argument`},
		{"options to bare verb", "- park: {x: 1}", nil, `line 1: park: unknown option "x" (park takes no options)`},
		{"required main", "- play: {loop: 2}", nil, `line 1: play: file: is required`},
		{"required main null", "- record:", nil, `line 1: record: path: is required`},
		{"string not a map", "- play: {file: {a: b}}", nil, `line 1: play: file: want a string, got a map`},
		{"integer as string", "- gather: {max: '4'}", nil, `line 1: gather: max: want an integer, got "4"`},
		{"integer as float", "- play: {file: x, loop: 1.5}", nil, `line 1: play: loop: want an integer, got "1.5"`},
		{"duration as number", "- gather: {timeout: 5}", nil,
			`line 1: gather: timeout: want a duration string such as "5s" or "500ms", got 5 (a bare number has no unit)`},
		{"duration without unit", "- pause: '5'", nil, `line 1: pause: duration: want a duration such as "5s" or "500ms", got "5"`},
		{"bad duration", "- gather: {timeout: 5 seconds}", nil, `line 1: gather: timeout: want a duration such as "5s" or "500ms", got "5 seconds"`},
		{"bool as string", "- record: {path: x.wav, beep: 'yes'}", nil, `line 1: record: beep: want true or false, got "yes"`},
		{"loop zero", "- play:\n    file: x\n    loop: 0", nil, `line 3: play: loop: must be 1 to 1000, got 0`},
		{"max digits", "- gather: {max: 129}", nil, `line 1: gather: max: must be 1 to 128, got 129`},
		{"min digits", "- gather: {min: 0}", nil, `line 1: gather: min: must be 1 to 128, got 0`},
		{"min above max", "- gather:\n    min: 3\n    max: 2", nil, `line 3: gather: max: must be at least min (3), got 2`},
		{"tries", "- gather: {tries: 0}", nil, `line 1: gather: tries: must be 1 to 100, got 0`},
		{"timeout zero", "- gather: {timeout: 0s}", nil, `line 1: gather: timeout: must be more than 0, got 0s`},
		{"timeout negative", "- pause: -1s", nil, `line 1: pause: duration: must be more than 0, got -1s`},
		{"timeout under a second", "- gather: {timeout: 500ms}", nil,
			`line 1: gather: timeout: must be at least 1s (play_and_get_digits waits at least that long), got 500ms`},
		{"timeout too long", "- pause: 25h", nil, `line 1: pause: duration: must be at most 24h0m0s, got 25h0m0s`},
		{"sub-millisecond", "- pause: 1500us", nil, `line 1: pause: duration: must be a whole number of milliseconds, got 1.5ms`},
		{"record whole seconds", "- record: {path: x.wav, max: 1500ms}", nil, `line 1: record: max: must be a whole number of seconds, got 1.5s`},
		{"record silence", "- record: {path: x.wav, silence: 0s}", nil, `line 1: record: silence: must be more than 0, got 0s`},
		{"record threshold", "- record: {path: x.wav, silence_threshold: -1}", nil, `line 1: record: silence_threshold: must be 0 to 100000, got -1`},
		{"record path separator", "- record: '^^:a:b'", nil, `line 1: record: path: "^^:a:b" has characters other than letters, digits and _ . + @ = , -`},
		{"regex", `- gather: {regex: '(\d'}`, nil,
			`line 1: gather: regex: "(\\d" does not compile (RE2 syntax, a subset of the PCRE FreeSWITCH uses): missing closing )`},
		{"regex lookahead", `- gather: {regex: '(?=1)\d'}`, nil,
			`line 1: gather: regex: "(?=1)\\d" does not compile (RE2 syntax, a subset of the PCRE FreeSWITCH uses): invalid or unsupported Perl syntax`},
		{"terminators", "- gather: {terminators: x}", nil, `line 1: gather: terminators: 'x' is not a DTMF digit (0-9 * # A-D; "none" for no terminator)`},
		{"terminators empty", "- record: {path: x.wav, terminators: ''}", nil, `line 1: record: terminators: must not be empty (use "none" for no terminator)`},
		{"gather play empty", "- gather: ''", nil, `line 1: gather: play: must not be empty`},
		{"execute not allowed", "- execute: system", nil, `line 1: execute: app: "system" is not allowed (allow_execute lists info, echo)`},
		{"execute none allowed", "- execute: info", &ParseOptions{}, `line 1: execute: app: "info" is not allowed (the app's allow_execute list is empty)`},
		{"set scalar", "- set: a=b", nil, `line 1: set: want a map of variable: value, got "a=b"`},
		{"set bare", "- set", nil, `line 1: set: want a map of variable: value, got nothing`},
		{"set empty", "- set: {}", nil, `line 1: set: want a map of variable: value, got a map`},
		{"set name", "- set: {'a b': 1}", nil, `line 1: set: "a b": "a b" has ' '; use letters, digits and _ . -`},
		{"set twice", "- set:\n    a: 1\n    a: 2", nil, `line 3: set: variable "a" given twice`},
		{"set null", "- set: {a: null}", nil, `line 1: set: a: want a value, got null (unset removes a variable)`},
		{"set hook", "- set:\n    x: 1\n    api_hangup_hook: system reboot", nil,
			`line 3: set: api_hangup_hook: "api_hangup_hook" cannot be set by an app: FreeSWITCH runs its value as an API command (src/switch_core_state_machine.c); the app's allow_vars can allow it`},
		{"set execute hook", "- set: {execute_on_answer: 'system reboot'}", nil,
			`line 1: set: execute_on_answer: "execute_on_answer" cannot be set by an app: FreeSWITCH runs its value as an application (src/switch_channel.c); the app's allow_vars can allow it`},
		{"set exec hook", "- set: {exec_after_bridge_app: info}", nil,
			`line 1: set: exec_after_bridge_app: "exec_after_bridge_app" cannot be set by an app: FreeSWITCH runs its value as an application (src/switch_ivr_bridge.c); the app's allow_vars can allow it`},
		{"set post-process hook", "- set: {record_post_process_exec_api: 'system:reboot'}", nil,
			`line 1: set: record_post_process_exec_api: "record_post_process_exec_api" cannot be set by an app: FreeSWITCH runs its value as an API command (src/switch_ivr_async.c, src/switch_ivr_play_say.c); the app's allow_vars can allow it`},
		{"set reporting hook", "- set: {API_REPORTING_HOOK: x}", nil,
			`line 1: set: API_REPORTING_HOOK: "API_REPORTING_HOOK" cannot be set by an app: FreeSWITCH runs its value as an API command (src/switch_core_state_machine.c); the app's allow_vars can allow it`},
		{"unset name", "- unset: 'a=b'", nil, `line 1: unset: name: "a=b" has '='; use letters, digits and _ . -`},
		{"hangup cause", "- hangup: GOODBYE", nil,
			`line 1: hangup: cause: "GOODBYE" is not a FreeSWITCH hangup cause (a name such as NORMAL_CLEARING or USER_BUSY, or a Q.850 code 1-127)`},
		{"hangup code", "- hangup: 128", nil,
			`line 1: hangup: cause: "128" is not a FreeSWITCH hangup cause (a name such as NORMAL_CLEARING or USER_BUSY, or a Q.850 code 1-127)`},
		{"bridge failover in target", "- bridge: 'user/1000|user/1001'", nil,
			`line 1: bridge: to: target "user/1000|user/1001" has '|', which would split it or set variables`},
		{"bridge comma in target", "- bridge: [user/1000, 'user/1,user/2']", nil,
			`line 1: bridge: to: target "user/1,user/2" has ',', which would split it or set variables`},
		{"bridge variables in target", "- bridge: '{x=1}user/1'", nil,
			`line 1: bridge: to: target "{x=1}user/1" has '{', which would split it or set variables`},
		{"bridge enterprise separator", "- bridge: 'user/1:_:user/2'", nil, `line 1: bridge: to: target "user/1:_:user/2" has ":_:", which would split it`},
		{"bridge empty list", "- bridge: []", nil, `line 1: bridge: to: want 1 to 32 targets, got 0`},
		{"bridge nested list", "- bridge: [[a]]", nil, `line 1: bridge: to: want a list of strings, found a list in it`},
		{"bridge caller id", "- bridge: {to: user/1, caller_id: '1}user/2'}", nil,
			`line 1: bridge: caller_id: "1}user/2" has '}', which would break bridge's {...} variables`},
		{"bridge caller name comma", "- bridge: {to: user/1, caller_name: 'Smith, John'}", nil,
			`line 1: bridge: caller_name: "Smith, John" has ',', which would break bridge's {...} variables`},
		{"bridge timeout", "- bridge: {to: user/1, timeout: 2500ms}", nil, `line 1: bridge: timeout: must be a whole number of seconds, got 2.5s`},
		{"transfer inline", "- transfer: {extension: 'info,system:reboot', dialplan: inline}", nil,
			`line 1: transfer: dialplan: dialplan "inline" is not allowed (xml; the app's allow_dialplans can allow more): inline runs the applications named in the extension, script dialplans run their context as a script`},
		{"transfer other leg", "- transfer: -both 1000", nil, `line 1: transfer: extension: must not start with '-', got "-both 1000"`},
		{"transfer context", "- transfer: {extension: 1, context: a b}", nil, `line 1: transfer: context: "a b" has ' '; use letters, digits and _ . -`},
		{"conference name", "- conference: room@evil", nil, `line 1: conference: name: "room@evil" has '@'; use letters, digits and _ . -`},
		{"conference flag", "- conference: {name: r, flags: ['a|b']}", nil, `line 1: conference: flags: "a|b" has '|'; use letters, digits and _ . -`},
		{"send_dtmf", "- send_dtmf: 12x", nil, `line 1: send_dtmf: digits: 'x' is not a DTMF digit (0-9 * # A-D, w or W to pause)`},
		{"send_dtmf length", "- send_dtmf: 1@0", nil, `line 1: send_dtmf: digits: @0: want a tone length in milliseconds, 1 to 10000`},
		{"say type", "- say: {text: 1, type: weather}", nil, `line 1: say: type: "weather" is not one of number, items, persons, messages, currency, time_measurement, current_date, current_time, current_date_time, telephone_number, telephone_extension, url, ip_address, email_address, postal_address, account_number, name_spelled, name_phonetic, short_date_time`},
		{"say method", "- say: {text: 1, method: loud}", nil, `line 1: say: method: "loud" is not one of n/a, pronounced, iterated, counted, pronounced_year`},
		{"say gender", "- say: {text: 1, gender: x}", nil, `line 1: say: gender: "x" is not one of masculine, feminine, neuter`},
		{"say lang", "- say: {text: 1, lang: 'en us'}", nil, `line 1: say: lang: "en us" has ' '; use letters, digits and _ . -`},
		{"speak empty", "- speak: ' '", nil, `line 1: speak: text: must not be empty`},
		{"log level", "- log: {text: x, level: loud}", nil, `line 1: log: level: "LOUD" is not a FreeSWITCH log level (CONSOLE, ALERT, CRIT, ERR, WARNING, NOTICE, INFO, DEBUG)`},
		{"action scheme", "- gather: {action: 'ftp://x.example/y'}", nil, `line 1: gather: action: want an absolute http or https URL, got "ftp://x.example/y"`},
		{"action not a URL", "- gather: {action: 'http://[::1'}", nil, `line 1: gather: action: "http://[::1" is not a URL`},
		{"action empty", "- gather: {action: ''}", nil, `line 1: gather: action: must not be empty`},
		{"action on verb without one", "- play: {file: x, action: /y}", nil, `line 1: play: unknown option "action" (options: file, loop)`},
		{"redirect without base", "- redirect: /next", &ParseOptions{}, `line 1: redirect: url: want an absolute http or https URL, got "/next"`},
		{"redirect scheme", "- redirect: 'javascript:alert(1)'", nil, `line 1: redirect: url: want an absolute http or https URL, got "javascript:alert(1)"`},
		{"too many verbs", "- answer\n- answer\n- answer", &ParseOptions{MaxVerbs: 2}, `line 3: too many verbs: 3, at most 2`},
		{"speak expansion", "- speak: 'hi ${system(reboot)}'", nil,
			`line 1: speak: text: contains "${": FreeSWITCH would expand it (channel variables and API calls)`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := webOpts
			if tc.o != nil {
				o = *tc.o
			}
			r, err := ParseReply([]byte(tc.doc), o)
			if err == nil || err.Error() != tc.want {
				t.Fatalf("ParseReply(%q) = %v, want %s", tc.doc, err, tc.want)
			}
			if r != nil {
				t.Errorf("ParseReply(%q) = %+v with the error, want nil", tc.doc, r)
			}
			var ire *InvalidReplyError
			if !errors.As(err, &ire) {
				t.Fatalf("ParseReply(%q) error is %T, want *InvalidReplyError", tc.doc, err)
			}
		})
	}
}

func TestParseReply(t *testing.T) {
	tests := []struct {
		name        string
		doc         string
		wantVerbs   []string
		wantSession any
		hasSession  bool
	}{
		{"empty", "", nil, nil, false},
		{"comment only", "# nothing to do\n", nil, nil, false},
		{"empty list", "[]", nil, nil, false},
		{"no verbs", "verbs: []", nil, nil, false},
		{"null verbs", "verbs:", nil, nil, false},
		{"bare list", "- answer\n- play: x.wav\n- hangup", []string{"answer", "play", "hangup"}, nil, false},
		{"map", "session: {lang: en}\nverbs:\n  - answer\n  - gather: {play: menu.wav, action: /menu}\n",
			[]string{"answer", "gather"}, map[string]any{"lang": "en"}, true},
		{"session only", "session: [1, 2]", nil, []any{json.Number("1"), json.Number("2")}, true},
		{"null session", "session: null\nverbs: [answer]", []string{"answer"}, nil, true},
		{"session values", `session:
  s: text
  n: 42
  big: 18446744073709551615
  f: 1.5
  b: true
  "null": ~
  when: 2001-12-14
  list: [a, {x: 1}]
  1: numeric key`, nil, map[string]any{
			"s": "text", "n": json.Number("42"), "big": json.Number("18446744073709551615"), "f": json.Number("1.5"), "b": true, "null": nil,
			"when": "2001-12-14", "list": []any{"a", map[string]any{"x": json.Number("1")}}, "1": "numeric key",
		}, true},
		{"session aliases", "session:\n  a: &x {k: v}\n  b: *x", nil, map[string]any{"a": map[string]any{"k": "v"}, "b": map[string]any{"k": "v"}}, true},
		{"json", `{"session": {"step": 2, "ok": false, "tags": ["a", null]}, "verbs": ["answer", {"play": {"file": "x.wav", "loop": 2}}, {"hangup": "USER_BUSY"}]}`,
			[]string{"answer", "play", "hangup"}, map[string]any{"step": json.Number("2"), "ok": false, "tags": []any{"a", nil}}, true},
		{"json with tabs", "{\n\t\"verbs\": [\n\t\t\"answer\",\n\t\t{\"gather\": {\"play\": \"m.wav\", \"timeout\": \"3s\"}}\n\t]\n}",
			[]string{"answer", "gather"}, nil, false},
		{"json list", `["answer", {"send_dtmf": 123}]`, []string{"answer", "send_dtmf"}, nil, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := ParseReply([]byte(tc.doc), webOpts)
			if err != nil {
				t.Fatalf("ParseReply(%q) = %v", tc.doc, err)
			}
			var names []string
			for _, v := range r.Verbs {
				names = append(names, v.Name)
			}
			if !slices.Equal(names, tc.wantVerbs) {
				t.Errorf("ParseReply(%q) verbs = %q, want %q", tc.doc, names, tc.wantVerbs)
			}
			if r.HasSession != tc.hasSession || !reflect.DeepEqual(r.Session, tc.wantSession) {
				t.Errorf("ParseReply(%q) session = %#v (%v), want %#v (%v)", tc.doc, r.Session, r.HasSession, tc.wantSession, tc.hasSession)
			}
			if r.HasSession {
				if _, err := json.Marshal(r.Session); err != nil {
					t.Errorf("json.Marshal(session of %q) = %v", tc.doc, err)
				}
			}
		})
	}
}

func TestParseReplyLines(t *testing.T) {
	doc := "{\n  \"verbs\": [\n    \"answer\",\n    {\"play\": \"x.wav\"},\n    {\"gather\": {\n      \"play\": \"m.wav\",\n      \"max\": 200\n    }}\n  ]\n}"
	_, err := ParseReply([]byte(doc), webOpts)
	if want := "line 7: gather: max: must be 1 to 128, got 200"; err == nil || err.Error() != want {
		t.Fatalf("ParseReply(%q) = %v, want %s", doc, err, want)
	}
	r, err := ParseReply([]byte("verbs:\n  - answer\n\n  - play: x.wav\n"), webOpts)
	if err != nil {
		t.Fatalf("ParseReply() = %v", err)
	}
	if r.Verbs[0].Line != 2 || r.Verbs[1].Line != 4 {
		t.Errorf("ParseReply() lines = %d, %d, want 2, 4", r.Verbs[0].Line, r.Verbs[1].Line)
	}
}

func TestParseReplyDocumentErrors(t *testing.T) {
	laughs := "session:\n  a: &a [x, x, x, x, x, x, x, x, x, x]\n  b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n" +
		"  c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n  d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n" +
		"  e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\n  f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\n"
	tests := []struct {
		name, doc, want string
	}{
		{"scalar", "hello", `line 1: want a list of verbs, or a map with verbs and session, got "hello"`},
		{"null", "null", `line 1: want a list of verbs, or a map with verbs and session, got null`},
		{"unknown key", "verbs: []\nsesion: {}", `line 2: unknown key "sesion" (a reply has verbs and session) (did you mean "session"?)`},
		{"verbs twice", "verbs: []\nverbs: [answer]", `line 2: "verbs" given twice`},
		{"session twice", "session: 1\nsession: 2", `line 2: "session" given twice`},
		{"verbs not a list", "verbs: answer", `line 1: verbs: want a list of verbs, got "answer"`},
		{"two documents", "- answer\n---\n- hangup", `line 2: more than one YAML document`},
		{"syntax", "verbs: [answer,\n  play: x\n", `line 2: syntax error: did not find expected ',' or ']'`},
		{"json syntax", "{\"verbs\": [\"answer\"}", `syntax error: did not find expected ',' or ']'`},
		{"session duplicate", "session: {a: 1, a: 2}", `line 1: session: key "a" given twice`},
		{"session list key", "session: {[a]: 1}", `line 1: session: a map key must be a string`},
		{"session laughs", laughs, `line 2: session: too many aliases (the value would be too large)`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseReply([]byte(tc.doc), webOpts)
			if err == nil || err.Error() != tc.want {
				t.Fatalf("ParseReply(%q) = %v, want %s", tc.doc, err, tc.want)
			}
			var ire *InvalidReplyError
			if !errors.As(err, &ire) {
				t.Fatalf("ParseReply(%q) error is %T, want *InvalidReplyError", tc.doc, err)
			}
		})
	}
}

func TestParseVerbsFlows(t *testing.T) {
	var n yaml.Node
	src := "- gather: {play: menu.wav, action: main_menu}\n- bridge: 'user/{{vars.ext}}'\n- send_dtmf: '{{digits}}'\n- redirect: 'http://app.example/{{flow.path}}'\n"
	if err := yaml.Unmarshal([]byte(src), &n); err != nil {
		t.Fatal(err)
	}
	verbs, err := ParseVerbs(n.Content[0], ParseOptions{Templates: true})
	if err != nil {
		t.Fatalf("ParseVerbs(%q) = %v", src, err)
	}
	// Without Templates (a webhook reply) the same text is judged
	// literally: braces in a dial string are refused.
	if _, err := ParseVerbs(n.Content[0], ParseOptions{}); err == nil ||
		!strings.Contains(err.Error(), `target "user/{{vars.ext}}" has '{'`) {
		t.Errorf("ParseVerbs(%q) without Templates = %v, want the bridge target refused", src, err)
	}
	if verbs[0].Action != "main_menu" {
		t.Errorf("ParseVerbs(%q) action = %q, want main_menu (kept as written without a base)", src, verbs[0].Action)
	}
	if verbs, err := ParseVerbs(nil, ParseOptions{}); verbs != nil || err != nil {
		t.Errorf("ParseVerbs(nil) = %v, %v, want nil, nil", verbs, err)
	}
	if _, err := ParseVerbs(&yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: "answer", Line: 4}, ParseOptions{}); err == nil ||
		err.Error() != `line 4: verbs: want a list of verbs, got "answer"` {
		t.Errorf("ParseVerbs(scalar) = %v", err)
	}
}

func TestMapText(t *testing.T) {
	var n yaml.Node
	src := "- bridge: {to: ['user/{{vars.ext}}', 'user/{{ flow.backup }}'], caller_name: '{{call.from_name}}'}\n" +
		"- send_dtmf: '{{digits}}'\n- say: '{{call.from}}'\n- speak: \"Hello {{call.from_name}}\"\n- set: {greeting: '{{flow.g}}'}\n"
	if err := yaml.Unmarshal([]byte(src), &n); err != nil {
		t.Fatal(err)
	}
	verbs, err := ParseVerbs(n.Content[0], ParseOptions{Templates: true})
	if err != nil {
		t.Fatalf("ParseVerbs(%q) = %v", src, err)
	}
	values := map[string]string{"vars.ext": "1000", "flow.backup": "1001", "call.from_name": "Ann", "digits": "12#", "call.from": "5551234", "flow.g": "hi there"}
	fill := func(vals map[string]string) func(string) (string, error) {
		return func(s string) (string, error) {
			return templateSpan.ReplaceAllStringFunc(s, func(span string) string {
				return vals[strings.TrimSpace(strings.Trim(span, "{}"))]
			}), nil
		}
	}
	want := [][]Exec{
		{{App: "set", Arg: "continue_on_fail=true"}, {App: "set", Arg: "hangup_after_bridge=false"},
			{App: "bridge", Arg: "{originate_timeout=30,origination_caller_id_name=Ann}user/1000|user/1001"}},
		{{App: "send_dtmf", Arg: "12#"}},
		{{App: "say", Arg: "en number pronounced 5551234"}},
		{{App: "speak", Arg: "flite|kal|Hello Ann"}},
		{{App: "set", Arg: "greeting=hi there"}},
	}
	for i, v := range verbs {
		before := v.Spec.Execs(PlanContext{Seq: 1})
		s, err := v.Spec.MapText(fill(values))
		if err != nil {
			t.Fatalf("%s.MapText() = %v", v.Name, err)
		}
		if got := s.Execs(PlanContext{Seq: 1}); !reflect.DeepEqual(got, want[i]) {
			t.Errorf("%s.MapText().Execs() = %+v, want %+v", v.Name, got, want[i])
		}
		if after := v.Spec.Execs(PlanContext{Seq: 1}); !reflect.DeepEqual(before, after) {
			t.Errorf("%s.MapText() changed the original: %+v, was %+v", v.Name, after, before)
		}
	}

	bad := []struct {
		verb int
		val  map[string]string
		want string
	}{
		{0, map[string]string{"vars.ext": "1000|sofia/gateway/premium/900"}, `bridge: to: target "user/1000|sofia/gateway/premium/900" has '|', which would split it or set variables`},
		{0, map[string]string{"vars.ext": "1", "call.from_name": "a}b"}, `bridge: caller_name: "a}b" has '}', which would break bridge's {...} variables`},
		{1, map[string]string{"digits": "12x"}, `send_dtmf: digits: 'x' is not a DTMF digit (0-9 * # A-D, w or W to pause)`},
		{2, map[string]string{"call.from": "1\nexecute"}, `say: text: contains a line break (CR or LF), which is not allowed here`},
		{3, map[string]string{"call.from_name": "${system(reboot)}"}, `speak: text: contains "${": FreeSWITCH would expand it (channel variables and API calls)`},
		{4, map[string]string{"flow.g": "a\r\nb"}, `set: greeting: contains a line break (CR or LF), which is not allowed here`},
	}
	for _, tc := range bad {
		_, err := verbs[tc.verb].Spec.MapText(fill(tc.val))
		if err == nil || err.Error() != tc.want {
			t.Errorf("%s.MapText(%v) = %v, want %s", verbs[tc.verb].Name, tc.val, err, tc.want)
		}
	}

	sentinel := errors.New("no such variable")
	for _, v := range verbs {
		if _, err := v.Spec.MapText(func(string) (string, error) { return "", sentinel }); err != sentinel {
			t.Errorf("%s.MapText(failing f) = %v, want the error of f as is", v.Name, err)
		}
	}
}

// TestMapTextIdentity runs every verb's MapText with the identity: the copy
// must equal the original and be a different value.
func TestMapTextIdentity(t *testing.T) {
	doc := `- reject: {code: 486}
- answer
- play: x.wav
- say: 1
- speak: hi
- gather: m.wav
- record: r.wav
- record_call: {mode: start, path: c.wav, upload: {url: /up, method: POST}, recording_status_url: /rs}
- bridge: [user/1, user/2]
- transfer: 1000
- conference: {name: r, flags: [mute]}
- park
- pause: 1s
- send_dtmf: 1
- set: {a: b}
- unset: a
- hangup
- redirect: /x
- log: x
- execute: info
`
	r, err := ParseReply([]byte(doc), webOpts)
	if err != nil {
		t.Fatalf("ParseReply() = %v", err)
	}
	seen := map[string]bool{}
	for _, v := range r.Verbs {
		seen[v.Name] = true
		got, err := v.Spec.MapText(func(s string) (string, error) { return s, nil })
		if err != nil {
			t.Fatalf("%s.MapText(identity) = %v", v.Name, err)
		}
		if !reflect.DeepEqual(got, v.Spec) {
			t.Errorf("%s.MapText(identity) = %#v, want %#v", v.Name, got, v.Spec)
		}
		if reflect.ValueOf(got).Pointer() == reflect.ValueOf(v.Spec).Pointer() {
			t.Errorf("%s.MapText(identity) returned the original, want a copy", v.Name)
		}
	}
	for _, name := range Names() {
		if !seen[name] && name != "pre_answer" && name != "ring_ready" {
			t.Errorf("verb %s is not covered", name)
		}
	}
}

func TestNamesAndOptions(t *testing.T) {
	want := []string{"answer", "pre_answer", "ring_ready", "play", "say", "speak", "gather", "record", "record_call", "bridge",
		"transfer", "conference", "park", "pause", "send_dtmf", "set", "unset", "reject", "hangup", "redirect", "log", "execute"}
	if got := Names(); !slices.Equal(got, want) {
		t.Errorf("Names() = %q, want %q", got, want)
	}
	tests := []struct {
		name     string
		wantMain string
		wantOpts []string
		wantOK   bool
	}{
		{"gather", "play", []string{"play", "min", "max", "tries", "timeout", "digit_timeout", "terminators", "invalid", "regex", "action"}, true},
		{"play", "file", []string{"file", "loop"}, true},
		{"answer", "", nil, true},
		{"set", "", nil, true},
		{"hangup", "cause", []string{"cause"}, true},
		{"dance", "", nil, false},
	}
	for _, tc := range tests {
		main, opts, ok := VerbOptions(tc.name)
		if main != tc.wantMain || !slices.Equal(opts, tc.wantOpts) || ok != tc.wantOK {
			t.Errorf("VerbOptions(%q) = %q, %q, %v, want %q, %q, %v", tc.name, main, opts, ok, tc.wantMain, tc.wantOpts, tc.wantOK)
		}
	}
	_, opts, _ := VerbOptions("play")
	opts[0] = "changed"
	if main, _, _ := VerbOptions("play"); main != "file" {
		t.Errorf("VerbOptions(play) main = %q after changing a returned slice, want file", main)
	}
	if _, again, _ := VerbOptions("play"); again[0] != "file" {
		t.Errorf("VerbOptions(play) = %q after changing a returned slice: the table was shared", again)
	}
}

// captureCompletion returns the first CHANNEL_EXECUTE_COMPLETE of app in a
// real FreeSWITCH capture, and whether CHANNEL_HANGUP came before it.
func captureCompletion(t *testing.T, capture, app string) (*esl.Event, bool) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "esl", "testdata", capture+".fs.raw"))
	if err != nil {
		t.Fatalf("read capture: %v", err)
	}
	r := esl.NewReader(bytes.NewReader(data), esl.Limits{})
	hungUp := false
	for {
		f, _, err := r.ReadFrame()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("%s: ReadFrame() = %v", capture, err)
		}
		if f.ContentType() != esl.TypeEventPlain {
			continue
		}
		ev, err := esl.ParseEvent(f)
		if err != nil {
			t.Fatalf("%s: ParseEvent() = %v", capture, err)
		}
		switch {
		case ev.Name() == esl.EventChannelHangup:
			hungUp = true
		case ev.Name() == esl.EventChannelExecuteComplete && ev.Application() == app:
			return ev, hungUp
		}
	}
	t.Fatalf("%s: no CHANNEL_EXECUTE_COMPLETE of %s", capture, app)
	return nil, false
}

// renameVar returns a copy of ev with channel variable from renamed to to:
// the captures' gathers used the variable callhook_digits, the verb uses a
// name per sequence number.
func renameVar(ev *esl.Event, from, to string) *esl.Event {
	c := *ev
	c.Headers = slices.Clone(ev.Headers)
	for i := range c.Headers {
		if c.Headers[i].Name == "variable_"+from {
			c.Headers[i].Name = "variable_" + to
		}
	}
	return &c
}

// addVar returns a copy of ev with one more channel variable.
func addVar(ev *esl.Event, name, value string) *esl.Event {
	c := *ev
	c.Headers = append(slices.Clone(ev.Headers), esl.EventHeader{Name: "variable_" + name, Value: value, Raw: value})
	return &c
}

func TestResultsFromCaptures(t *testing.T) {
	const seq = 3
	digitsVar := "callhook_digits_3"
	tests := []struct {
		name     string
		doc      string
		capture  string
		app      string
		edit     func(*esl.Event) *esl.Event // adapts the capture to the verb; nil for none
		hungUp   string                      // "" as in the capture, "up" or "down" to force it
		wantHung bool                        // what the capture says, checked when hungUp is ""
		want     *Result
	}{
		{"gather digit", `- gather: {play: x.wav, regex: '\d'}`, "menu-call", "play_and_get_digits",
			func(ev *esl.Event) *esl.Event { return renameVar(ev, "callhook_digits", digitsVar) }, "", false,
			&Result{Verb: "gather", Reason: ReasonOK, Digits: "1"}},
		{"gather timeout", `- gather: x.wav`, "pagd-timeout", "play_and_get_digits", nil, "", false,
			&Result{Verb: "gather", Reason: ReasonTimeout}},
		{"gather another gather's digits", `- gather: x.wav`, "menu-call", "play_and_get_digits", nil, "", false,
			&Result{Verb: "gather", Reason: ReasonTimeout}},
		{"gather invalid (regex)", `- gather: x.wav`, "pagd-timeout", "play_and_get_digits",
			func(ev *esl.Event) *esl.Event { return addVar(ev, digitsVar+"_invalid", "12") }, "", false,
			&Result{Verb: "gather", Reason: ReasonInvalid, Digits: "12"}},
		{"gather invalid (too few)", `- gather: {play: x.wav, min: 2, max: 4}`, "pagd-timeout", "play_and_get_digits",
			func(ev *esl.Event) *esl.Event { return addVar(ev, digitsVar, "1") }, "", false,
			&Result{Verb: "gather", Reason: ReasonInvalid, Digits: "1"}},
		{"gather cut off", `- gather: x.wav`, "menu-call", "play_and_get_digits",
			func(ev *esl.Event) *esl.Event { return renameVar(ev, "callhook_digits", digitsVar) }, "down", false,
			&Result{Verb: "gather", Reason: ReasonHangup, Digits: "1"}},
		{"record", `- record: callhook-rec.wav`, "record", "record", nil, "", false,
			// The capture's record was stopped by "*" (playback_terminator_used).
			&Result{Verb: "record", Reason: ReasonOK, Terminator: "*", Recording: &Recording{Path: "/rec/app/callhook-rec.wav", Name: "callhook-rec.wav", DurationMS: 1400, Size: 22444, Format: "wav"}}},
		{"record silence", `- record: callhook-rec.wav`, "record-silence", "record", nil, "", false,
			&Result{Verb: "record", Reason: ReasonOK, Recording: &Recording{Path: "/rec/app/callhook-rec.wav", Name: "callhook-rec.wav", DurationMS: 0, Size: 44, Format: "wav"}}},
		{"record stale completion", `- record: r.wav`, "record", "answer", nil, "down", false,
			&Result{Verb: "record", Reason: ReasonHangup}},
		{"bridge ok", `- bridge: loopback/7100`, "bridge-ok", "bridge", nil, "", false,
			&Result{Verb: "bridge", Reason: ReasonOK, Bridge: &Bridged{Status: "SUCCESS", Cause: "NORMAL_CLEARING", AnsweredBy: "loopback/7100-a", DurationMS: 1000}}},
		{"bridge busy", `- bridge: error/user_busy`, "bridge-fail", "bridge", nil, "up", false,
			&Result{Verb: "bridge", Reason: ReasonError, Bridge: &Bridged{Status: "BUSY", Cause: "USER_BUSY"}}},
		{"bridge busy without continue_on_fail", `- bridge: error/user_busy`, "bridge-fail", "bridge", nil, "", true,
			&Result{Verb: "bridge", Reason: ReasonHangup, Bridge: &Bridged{Status: "BUSY", Cause: "USER_BUSY"}}},
		{"play", `- play: beeps.wav`, "pagd-timeout", "playback", nil, "", false,
			&Result{Verb: "play", Reason: ReasonOK, Response: "FILE PLAYED"}},
		{"play cut off", `- play: tone.wav`, "caller-hangup-mid-playback", "playback", nil, "", true,
			&Result{Verb: "play", Reason: ReasonHangup, Response: "PLAYBACK ERROR"}},
		{"play failed", `- play: tone.wav`, "caller-hangup-mid-playback", "playback", nil, "up", true,
			&Result{Verb: "play", Reason: ReasonError, Response: "PLAYBACK ERROR"}},
		{"answer", `- answer`, "menu-call", "answer", nil, "", false, &Result{Verb: "answer", Reason: ReasonOK}},
		{"set", `- set: {callhook_result: digit-1}`, "menu-call", "set", nil, "", false, &Result{Verb: "set", Reason: ReasonOK}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v := parseOne(t, tc.doc, webOpts)
			ev, hungUp := captureCompletion(t, tc.capture, tc.app)
			switch tc.hungUp {
			case "":
				if hungUp != tc.wantHung {
					t.Fatalf("%s: CHANNEL_HANGUP before the %s completion = %v, want %v", tc.capture, tc.app, hungUp, tc.wantHung)
				}
			case "up":
				hungUp = false
			case "down":
				hungUp = true
			}
			if tc.edit != nil {
				ev = tc.edit(ev)
			}
			got := v.Spec.Result(PlanContext{Seq: seq}, ev, hungUp)
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Result(%s %s completion, hungUp=%v) = %+v, want %+v", tc.capture, tc.app, hungUp, got, tc.want)
			}
		})
	}
}

func TestResultWithoutCompletion(t *testing.T) {
	// unknown-app: FreeSWITCH hangs up with no completion for the app.
	tests := []struct {
		doc    string
		hungUp bool
		want   *Result
	}{
		{"- execute: info", true, &Result{Verb: "execute", Reason: ReasonHangup}},
		{"- execute: info", false, &Result{Verb: "execute", Reason: ReasonError}},
		{"- gather: x.wav", true, &Result{Verb: "gather", Reason: ReasonHangup}},
		{"- bridge: user/1", false, &Result{Verb: "bridge", Reason: ReasonError}},
		{"- record: r.wav", true, &Result{Verb: "record", Reason: ReasonHangup}},
		{"- hangup", false, &Result{Verb: "hangup", Reason: ReasonHangup}},
		{"- redirect: /x", false, &Result{Verb: "redirect", Reason: ReasonOK}},
	}
	for _, tc := range tests {
		v := parseOne(t, tc.doc, webOpts)
		if got := v.Spec.Result(PlanContext{Seq: 1}, nil, tc.hungUp); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("Result(%q, nil, %v) = %+v, want %+v", tc.doc, tc.hungUp, got, tc.want)
		}
	}
}

func TestGatherVariablePerVerb(t *testing.T) {
	v := parseOne(t, "- gather: x.wav", webOpts)
	a := v.Spec.Execs(PlanContext{Seq: 1})[0].Arg
	b := v.Spec.Execs(PlanContext{Seq: 2})[0].Arg
	if !strings.Contains(a, " callhook_digits_1 ") || !strings.Contains(b, " callhook_digits_2 ") {
		t.Errorf("Execs(seq 1, 2) = %q, %q, want callhook_digits_1 and callhook_digits_2", a, b)
	}
}

// injectionBase holds valid options for each verb that has any; the
// injection test replaces one option at a time with a hostile value.
var injectionBase = map[string]map[string]any{
	"play":        {"file": "x.wav"},
	"say":         {"text": "1"},
	"speak":       {"text": "hi"},
	"gather":      {},
	"record":      {"path": "r.wav"},
	"record_call": {"mode": "start", "path": "c.wav"},
	"bridge":      {"to": "user/1"},
	"transfer":    {"extension": "1000"},
	"conference":  {"name": "r"},
	"pause":       {"duration": "1s"},
	"send_dtmf":   {"digits": "1"},
	"unset":       {"name": "a"},
	"hangup":      {},
	"redirect":    {"url": "/x"},
	"log":         {"text": "x"},
	"execute":     {"app": "info"},
}

// TestInjection puts CR, LF, NUL and "${" into every option of every verb
// (and into set's names and values): each must make the reply invalid, with
// the verb, the option and the line in the error. Only speak's text may hold
// line breaks.
func TestInjection(t *testing.T) {
	hostile := []string{"a\nb", "a\rb", "a\r\nhangup-cause: X", "a\x00b", "${system(reboot)}", "x${x}"}
	type target struct {
		verb, opt string
		body      map[string]any
	}
	var targets []target
	for _, name := range Names() {
		_, opts, _ := VerbOptions(name)
		for _, opt := range opts {
			for _, h := range hostile {
				body := map[string]any{}
				for k, v := range injectionBase[name] {
					body[k] = v
				}
				body[opt] = h
				targets = append(targets, target{name, opt, body})
				if opt == "to" || opt == "flags" {
					list := map[string]any{}
					for k, v := range body {
						list[k] = v
					}
					list[opt] = []string{"ok", h}
					targets = append(targets, target{name, opt, list})
				}
			}
		}
	}
	for _, h := range hostile {
		targets = append(targets, target{"set", "a", map[string]any{"a": h}})
		targets = append(targets, target{"set", Quote(h), map[string]any{h: "1"}})
	}
	if _, ok := injectionBase["dance"]; ok || len(targets) < 200 {
		t.Fatalf("only %d injection targets", len(targets))
	}
	for _, tg := range targets {
		doc, err := json.Marshal([]map[string]any{{tg.verb: tg.body}})
		if err != nil {
			t.Fatal(err)
		}
		value := tg.body[tg.opt]
		if tg.verb == "set" && strings.HasPrefix(tg.opt, `"`) {
			value = tg.opt
		}
		multiline := tg.verb == "speak" && tg.opt == "text" && !strings.ContainsAny(fmtValue(value), "\x00$")
		r, err := ParseReply(doc, webOpts)
		if multiline {
			if err != nil {
				t.Errorf("ParseReply(%s) = %v, want speak text to allow line breaks", doc, err)
				continue
			}
			arg := r.Verbs[0].Spec.Execs(PlanContext{Seq: 1})[0].Arg
			if !strings.HasSuffix(arg, fmtValue(value)) {
				t.Errorf("ParseReply(%s) speak arg = %q, want the text unchanged at its end", doc, arg)
			}
			continue
		}
		var ire *InvalidReplyError
		if !errors.As(err, &ire) {
			t.Errorf("ParseReply(%s) = %v, want an *InvalidReplyError", doc, err)
			continue
		}
		if prefix := tg.verb + ": " + tg.opt + ": "; ire.Line != 1 || !strings.HasPrefix(ire.Msg, prefix) {
			t.Errorf("ParseReply(%s) = %v, want line 1 and a message starting %q", doc, err, prefix)
		}
		if strings.ContainsAny(ire.Msg, "\r\n\x00") {
			t.Errorf("ParseReply(%s) error %q holds the raw value, want it quoted", doc, ire.Msg)
		}
	}
}

func fmtValue(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	return ""
}

func BenchmarkParseReply(b *testing.B) {
	doc := []byte(`session: {lang: en, step: 3}
verbs:
  - answer
  - play: ivr/welcome.wav
  - gather: {play: ivr/menu.wav, max: 1, timeout: 5s, tries: 3, invalid: ivr/invalid.wav, action: /menu}
  - record: {path: r.wav, max: 30s}
  - bridge: {to: [user/1000, user/1001], caller_id: '100'}
  - hangup
`)
	b.SetBytes(int64(len(doc)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseReply(doc, webOpts); err != nil {
			b.Fatal(err)
		}
	}
}

// ExampleParseReply shows a webhook reply and the FreeSWITCH applications
// its verbs run.
func ExampleParseReply() {
	base, _ := url.Parse("http://127.0.0.1:8000/ivr")
	reply := `
session: {lang: en}
verbs:
  - answer
  - gather: {play: ivr/menu.wav, max: 4, timeout: 3s, action: /menu}
  - record: {path: msg.wav, beep: false, max: 30s}
`
	files := &FileRules{RecordingsDir: "/var/lib/freeswitch/recordings/support"}
	r, err := ParseReply([]byte(reply), ParseOptions{MaxVerbs: 100, Base: base, Files: files})
	if err != nil {
		fmt.Println(err)
		return
	}
	for i, v := range r.Verbs {
		for _, e := range v.Spec.Execs(PlanContext{Seq: i + 1}) {
			fmt.Println(strings.TrimSpace(v.Name + ": " + e.App + " " + e.Arg))
		}
		if v.Action != "" {
			fmt.Printf("%s: result to %s\n", v.Name, v.Action)
		}
	}
	_, err = ParseReply([]byte("- play:\n    file: \"a\\nb\""), ParseOptions{})
	fmt.Println(err)
	// Output:
	// answer: answer
	// gather: play_and_get_digits 1 4 1 3000 # ivr/menu.wav silence_stream://250 callhook_digits_2 \d+ 3000
	// gather: result to http://127.0.0.1:8000/menu
	// record: set playback_terminators=*
	// record: mkdir /var/lib/freeswitch/recordings/support
	// record: record /var/lib/freeswitch/recordings/support/msg.wav 30 200 3
	// line 2: play: file: contains a line break (CR or LF), which is not allowed here
}
