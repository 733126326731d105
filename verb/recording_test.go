package verb

import (
	"reflect"
	"strings"
	"testing"
)

func TestRecordingOptions(t *testing.T) {
	v := parseOne(t, "- record: {path: m.wav, upload: {url: /up/m.wav, method: post}, recording_status_url: https://s.example/rs}", webOpts)
	rec := v.Spec.(*RecordSpec)
	want := Delivery{Upload: &Upload{URL: "http://app.example/up/m.wav", Method: UploadPOST}, StatusURL: "https://s.example/rs"}
	if !reflect.DeepEqual(rec.Delivery, want) {
		t.Errorf("Delivery = %+v %+v, want %+v %+v", rec.Delivery, rec.Upload, want, want.Upload)
	}
	if u := parseOne(t, "- record: {path: m.wav, upload: 'https://s.example/u'}", webOpts).Spec.(*RecordSpec).Upload; u.Method != UploadPUT {
		t.Errorf("upload as a URL: method %q, want PUT", u.Method)
	}
	// A flow has no base: URLs must be absolute.
	if _, err := ParseReply([]byte("- record: {path: m.wav, recording_status_url: /rs}"), ParseOptions{}); err == nil {
		t.Error("a relative recording_status_url without a base = nil error")
	}
	for _, tc := range []struct{ doc, want string }{
		{"- record: {path: m.wav, upload: {url: 'ftp://x/y'}}", "record: upload: url: want an absolute http or https URL"},
		{"- record: {path: m.wav, upload: {url: /x, method: GET}}", `record: upload: method: "GET": want PUT`},
		{"- record: {path: m.wav, upload: {method: PUT}}", "record: upload: url: is required"},
		{"- record: {path: m.wav, upload: {url: /x, verb: PUT}}", `record: upload: unknown option "verb"`},
		{"- record: {path: m.wav, upload: [a]}", "record: upload: want a URL, or a map with url and method"},
		{"- record: {path: m.wav, recording_status_url: ''}", "record: recording_status_url: must not be empty"},
		{"- record_call: pause", `record_call: mode: "pause": want start or stop`},
		{"- record_call: start", "record_call: path: is required to start a recording"},
		{"- record_call: {mode: start, path: ../x.wav}", "record_call: path: "},
		{"- record_call: {mode: stop, path: x.wav}", "record_call: stop takes no options"},
		{"- record_call: {path: x.wav}", "record_call: mode: is required"},
		{"- bridge: {to: user/1, record: ../x.wav}", "bridge: record: "},
		{"- bridge: {to: user/1, record: {path: x.wav, beep: true}}", `bridge: record: unknown option "beep"`},
		{"- bridge: {to: user/1, record: [x]}", "bridge: record: want true, false, a file name or a map"},
	} {
		_, err := ParseReply([]byte(tc.doc), webOpts)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParseReply(%q) = %v, want an error with %q", tc.doc, err, tc.want)
		}
	}
}

func TestRecordingExecs(t *testing.T) {
	pc := PlanContext{Seq: 4, CallID: "c1"}
	execs := func(doc string, pc PlanContext) []Exec { return parseOne(t, doc, webOpts).Spec.Execs(pc) }
	dir := testFiles.RecordPath("x")
	dir = dir[:len(dir)-2]
	for _, tc := range []struct {
		name string
		doc  string
		pc   PlanContext
		want []Exec
	}{
		{"record to callhook", "- record: {path: m.wav, beep: false}", PlanContext{RecordTo: "http://cb:8086/uploads/i/s/m.wav"},
			[]Exec{{App: "set", Arg: "playback_terminators=*"}, {App: "record", Arg: "http://cb:8086/uploads/i/s/m.wav 60 200 3"}}},
		{"record_call start", "- record_call: {mode: start, path: c.wav}", pc,
			[]Exec{{App: "mkdir", Arg: dir}, {App: "record_session", Arg: dir + "/c.wav"}}},
		{"record_call start to callhook", "- record_call: {mode: start, path: c.wav}", PlanContext{RecordTo: "http://cb/u/c.wav"},
			[]Exec{{App: "record_session", Arg: "http://cb/u/c.wav"}}},
		{"record_call stop", "- record_call: stop", PlanContext{RecordTo: "http://cb/u/c.wav"},
			[]Exec{{App: "stop_record_session", Arg: "http://cb/u/c.wav"}}},
		{"bridge record", "- bridge: {to: user/1, record: true}", pc,
			[]Exec{{App: "set", Arg: "continue_on_fail=true"}, {App: "set", Arg: "hangup_after_bridge=false"},
				{App: "mkdir", Arg: dir}, {App: "record_session", Arg: "%[RECORD_BRIDGE_REQ=true]" + dir + "/bridge-c1-4.wav"},
				{App: "bridge", Arg: "{originate_timeout=30}user/1"}, {App: "stop_record_session", Arg: dir + "/bridge-c1-4.wav", After: true}}},
		{"bridge record stereo", "- bridge: {to: user/1, record: {path: s.wav, stereo: true}}", PlanContext{RecordTo: "http://cb/u/s.wav"},
			[]Exec{{App: "set", Arg: "continue_on_fail=true"}, {App: "set", Arg: "hangup_after_bridge=false"},
				{App: "record_session", Arg: "%[RECORD_BRIDGE_REQ=true,RECORD_STEREO=true]http://cb/u/s.wav"},
				{App: "bridge", Arg: "{originate_timeout=30}user/1"}, {App: "stop_record_session", Arg: "http://cb/u/s.wav", After: true}}},
		{"bridge without record", "- bridge: {to: user/1, record: false}", pc,
			[]Exec{{App: "set", Arg: "continue_on_fail=true"}, {App: "set", Arg: "hangup_after_bridge=false"},
				{App: "bridge", Arg: "{originate_timeout=30}user/1"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := execs(tc.doc, tc.pc); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Execs = %+v\nwant %+v", got, tc.want)
			}
		})
	}
	b := parseOne(t, "- bridge: {to: user/1, record: {path: b.wav, recording_status_url: /rs}}", webOpts).Spec.(*BridgeSpec)
	if b.RecordingName(pc) != "b.wav" || b.RecordingDelivery().StatusURL == "" {
		t.Errorf("bridge record map: name %q, delivery %+v", b.RecordingName(pc), b.RecordingDelivery())
	}
}
