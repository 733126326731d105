package verb

import (
	"reflect"
	"strings"
	"testing"
)

func TestPromptListExecs(t *testing.T) {
	v := parseOne(t, `- play: [a.wav, {pause: 250ms}, {tone: sit}, {say: {text: "7", method: iterated}}, {speak: {text: "hi there", voice: slt}}, b.wav]`, webOpts)
	want := []Exec{
		{App: "playback", Arg: "file_string://a.wav!silence_stream://250!tone_stream://%(274,0,913.8);%(274,0,1370.6);%(380,0,1776.7)"},
		{App: "say", Arg: "en number iterated 7"},
		{App: "speak", Arg: "flite|slt|hi there"},
		{App: "playback", Arg: "b.wav"},
	}
	if got := v.Spec.Execs(PlanContext{Seq: 1}); !reflect.DeepEqual(got, want) {
		t.Errorf("Execs = %+v\nwant %+v", got, want)
	}
	wantArgs := []Arg{{"file", []string{"a.wav", "pause 250ms", "tone sit", "say number 7", "speak hi there", "b.wav"}}}
	if got := v.Spec.Args(); !reflect.DeepEqual(got, wantArgs) {
		t.Errorf("Args = %#v, want %#v", got, wantArgs)
	}
	needs := v.Spec.(Needer).Needs()
	if len(needs) != 2 || needs[0].Module != "mod_say_en" || needs[1].Module != "mod_flite" {
		t.Errorf("Needs = %+v, want mod_say_en and mod_flite", needs)
	}
}

func TestGatherPromptPrepare(t *testing.T) {
	v := parseOne(t, `- gather: {play: [menu.wav, {say: {text: "12", lang: "en"}}, {speak: "Or hold"}], max: 2}`, webOpts)
	g := v.Spec.(*GatherSpec)
	if got := g.APIs(); !reflect.DeepEqual(got, []string{"say_string en en number pronounced 12"}) {
		t.Errorf("APIs = %q", got)
	}
	needs := g.Needs()
	if len(needs) != 3 || needs[1].Module != "mod_ssml" {
		t.Errorf("Needs = %+v, want mod_say_en, mod_ssml, mod_flite", needs)
	}
	p, err := g.Prepare([]string{"file_string://digits/12.wav"})
	if err != nil {
		t.Fatalf("Prepare = %v", err)
	}
	arg := p.Execs(PlanContext{Seq: 3})[0].Arg
	if f := strings.Fields(arg)[5]; f != `file_string://menu.wav!digits/12.wav!tts://flite|kal|Or\shold` {
		t.Errorf("prompt = %q", f)
	}
	if len(p.(Preparer).APIs()) != 0 {
		t.Errorf("a prepared gather asks again")
	}
	// What the switch answers is input like any other.
	for _, bad := range []string{"-ERR Usage: ...", "file_string:///etc/passwd", "file_string://a.wav!{spool_path=x}b.wav", "file_string://${system(x)}", ""} {
		if _, err := g.Prepare([]string{bad}); err == nil {
			t.Errorf("Prepare(%q) = nil error", bad)
		}
	}
}

func TestPromptListErrors(t *testing.T) {
	tests := []struct{ doc, want string }{
		{"- play: []", `line 1: play: file: an empty list plays nothing`},
		{"- play:\n  - a.wav\n  - {pause: 5}", `line 3: play: file: pause: want a duration string such as "5s" or "500ms", got 5 (a bare number has no unit)`},
		{"- play:\n  - {tone: ding}", `line 2: play: file: tone: "ding" is not a tone callhook knows (au-ring, beep, bong-ring, ca-ring, de-ring, es-ring, fr-ring, in-ring, jp-ring, ru-ring, sit, uk-ring, us-ring; or give a tone_stream:// file)`},
		{"- play:\n  - a.wav\n  - {beep: 1}", `line 3: play: file: unknown list item "beep" (a list item is a file, or a map with one of file, pause, tone, say, speak)`},
		{"- play:\n  - {say: {text: 1, volume: 3}}", `line 2: play: file: say: unknown option "volume" (options: text, lang, type, method, gender)`},
		{"- play: [a.wav, /etc/passwd]", `line 1: play: file: item 2: "/etc/passwd" is outside the app's media folders (media_dirs: /sounds) and its recordings folder (/rec/app)`},
		{"- play: [a.wav, 'say:hello']", `line 1: play: file: item 2: "say:hello": ":" is not allowed (phrase: and say: are refused; use the say or speak verb)`},
		{"- gather: {play: [{speak: 'a!b'}]}", `line 1: gather: play: item 1: speak: text "a!b" has "!", which separates the files of a gather's prompt list`},
		{"- gather: {play: [{say: '1 2'}]}", `line 1: gather: play: item 1: say: text "1 2" has ' '; in a list use letters, digits and . , : - + / @ _`},
		{"- play: [[a.wav]]", `line 1: play: file: a list item is a file, or a map with one of file, pause, tone, say, speak, got a list`},
	}
	for _, tc := range tests {
		_, err := ParseReply([]byte(tc.doc), webOpts)
		if err == nil || err.Error() != tc.want {
			t.Errorf("ParseReply(%q) = %v\nwant %s", tc.doc, err, tc.want)
		}
	}
}

func TestPromptListMapText(t *testing.T) {
	o := webOpts
	o.Templates = true
	r, err := ParseReply([]byte(`- gather: {play: ["{{flow.file}}", {say: "{{digits}}"}]}`), o)
	if err != nil {
		t.Fatalf("ParseReply = %v", err)
	}
	fill := map[string]string{"{{flow.file}}": "menu.wav", "{{digits}}": "42"}
	s, err := r.Verbs[0].Spec.MapText(func(s string) (string, error) {
		if v, ok := fill[s]; ok {
			return v, nil
		}
		return s, nil
	})
	if err != nil {
		t.Fatalf("MapText = %v", err)
	}
	g := s.(*GatherSpec)
	if g.PlayList[0].File != "menu.wav" || g.PlayList[1].Say.Text != "42" {
		t.Errorf("MapText = %+v", g.PlayList)
	}
	bad := map[string]string{"{{flow.file}}": "../x.wav", "{{digits}}": "42"}
	if _, err := r.Verbs[0].Spec.MapText(func(s string) (string, error) {
		if v, ok := bad[s]; ok {
			return v, nil
		}
		return s, nil
	}); err == nil {
		t.Errorf("MapText with a file outside the sounds = nil error")
	}
}
