package verb

import (
	"reflect"
	"slices"
	"testing"
	"time"
)

// everyVerb is a reply with each verb of the table once, every option set.
const everyVerb = `
- reject: rejected
- answer
- pre_answer
- ring_ready
- play: {file: hello.wav, loop: 2}
- say: {text: "42", lang: en, type: number, method: pronounced, gender: feminine}
- speak: {text: hi, engine: flite, voice: kal}
- gather: {play: menu.wav, min: 1, max: 2, tries: 3, timeout: 5s, digit_timeout: 2s, terminators: "#", invalid: bad.wav, regex: "^[12]+$", action: /menu}
- record: {path: msg.wav, max: 30s, silence_threshold: 200, silence: 3s, beep: true, terminators: "*", upload: {url: /up, method: PUT}, recording_status_url: /rs, action: /rec}
- record_call: {mode: start, path: call.wav, upload: https://store.example/up, recording_status_url: /rs, action: /rc}
- bridge: {to: user/1001, timeout: 20s, caller_id: "1000", caller_name: Desk, record: {path: b.wav, upload: /up, recording_status_url: /rs}, action: /br}
- transfer: {extension: "1000", dialplan: XML, context: default}
- conference: {name: room, profile: default, flags: [mute]}
- park
- pause: 1s
- send_dtmf: "12"
- set: {callhook_lang: en}
- unset: callhook_lang
- log: {text: hi, level: info}
- execute: {app: info, arg: x, action: /ex}
- redirect: /next
- hangup: USER_BUSY
`

// TestArgsAreOptions: every verb describes itself (Spec.Args) with the
// option names of its table entry, main option first, so that simulate
// needs no list of its own.
func TestArgsAreOptions(t *testing.T) {
	r, err := ParseReply([]byte(everyVerb), webOpts)
	if err != nil {
		t.Fatalf("ParseReply = %v", err)
	}
	var seen []string
	for _, v := range r.Verbs {
		seen = append(seen, v.Name)
		main, opts, ok := VerbOptions(v.Name)
		if !ok {
			t.Fatalf("VerbOptions(%s) unknown", v.Name)
		}
		args := v.Spec.Args()
		if v.Name == "set" {
			if want := []Arg{{"callhook_lang", "en"}}; !reflect.DeepEqual(args, want) {
				t.Errorf("set: Args() = %v, want %v", args, want)
			}
			continue
		}
		if main != "" && (len(args) == 0 || args[0].Name != main) {
			t.Errorf("%s: Args() = %v, want %s first", v.Name, args, main)
		}
		for _, a := range args {
			if !slices.Contains(opts, a.Name) {
				t.Errorf("%s: Args() has %q, not one of its options %v", v.Name, a.Name, opts)
			}
			switch a.Value.(type) {
			case string, int, bool, time.Duration, []string:
			default:
				t.Errorf("%s: option %s has a value of type %T", v.Name, a.Name, a.Value)
			}
		}
	}
	if !slices.Equal(slices.Sorted(slices.Values(seen)), slices.Sorted(slices.Values(Names()))) {
		t.Errorf("everyVerb has %v, want every verb of %v", seen, Names())
	}
}

// TestHangup: the constructor makes the verb the parser makes, and checks
// its cause as the parser does.
func TestHangup(t *testing.T) {
	for _, cause := range []string{"", "user_busy", "17"} {
		doc := "[hangup]"
		if cause != "" {
			doc = "[{hangup: " + cause + "}]"
		}
		want := parseOne(t, doc, ParseOptions{})
		want.Line = 0
		got, err := Hangup(cause)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("Hangup(%q) = %+v, %v; want %+v", cause, got, err, want)
		}
	}
	if v, err := Hangup("NOT_A_CAUSE"); err == nil {
		t.Errorf("Hangup(NOT_A_CAUSE) = %+v, want an error", v)
	}
}
