package verb

import (
	"errors"
	"strings"
	"testing"
)

// Issue 11 item 4: a reply may only touch its own app's files. Each case is
// a reply a web app could send; on 4f5080a every "refused" one was sent to
// FreeSWITCH as written.

// fileOpts are the options of an app with its own recordings folder and one
// media folder.
var fileOpts = ParseOptions{
	MaxVerbs:     100,
	AllowExecute: []string{"playback", "record", "play_and_get_digits", "set"},
	Files:        &FileRules{RecordingsDir: "/var/lib/freeswitch/recordings/support", MediaDirs: []string{"/srv/ivr"}},
}

func TestRecordNames(t *testing.T) {
	tests := []struct {
		doc     string
		wantErr string // "" for accepted
		wantArg string // record's argument when accepted
	}{
		{"- record: msg.wav", "", "/var/lib/freeswitch/recordings/support/msg.wav 60 200 3"},
		{"- record: callhook-0b7e2c1a-8f3d-4c1e-9d2a-5e6f7a8b9c0d.mp3", "", "/var/lib/freeswitch/recordings/support/callhook-0b7e2c1a-8f3d-4c1e-9d2a-5e6f7a8b9c0d.mp3 60 200 3"},
		{"- record: +15551234@host.ogg", "", "/var/lib/freeswitch/recordings/support/+15551234@host.ogg 60 200 3"},
		// Another app's recording, or anywhere else.
		{"- record: /var/lib/freeswitch/recordings/other.wav", "must be a file name, not a path", ""},
		{"- record: /tmp/x.wav", "must be a file name, not a path", ""},
		{"- record: ../other/x.wav", "must be a file name, not a path", ""},
		{"- record: ..", "must not start with", ""},
		{"- record: a..wav", `must not contain ".."`, ""},
		{"- record: .hidden.wav", `must not start with "."`, ""},
		{`- record: 'a\b.wav'`, "must be a file name, not a path", ""},
		{"- record: \"a\\0.wav\"", "characters other than", ""},
		{"- record: '{spool_path=x}y.wav'", "characters other than", ""},
		{"- record: 'x y.wav'", "characters other than", ""},
		{"- record: msg", "must end in .wav", ""},
		{"- record: msg.fsv", "must end in .wav", ""},
		{"- record: 'msg.WAV'", "must end in .wav", ""},
		{"- record: " + strings.Repeat("a", 200) + ".wav", "longer than", ""},
	}
	for _, tc := range tests {
		t.Run(tc.doc, func(t *testing.T) {
			r, err := ParseReply([]byte(tc.doc), fileOpts)
			if tc.wantErr != "" {
				var ire *InvalidReplyError
				if !errors.As(err, &ire) || !strings.Contains(err.Error(), "record: path: ") || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("ParseReply(%q) = %v, want an invalid reply with %q", tc.doc, err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseReply(%q) = %v", tc.doc, err)
			}
			execs := r.Verbs[0].Spec.Execs(PlanContext{Seq: 1})
			mkdir, rec := execs[len(execs)-2], execs[len(execs)-1]
			if mkdir != (Exec{App: "mkdir", Arg: "/var/lib/freeswitch/recordings/support"}) || rec != (Exec{App: "record", Arg: tc.wantArg}) {
				t.Errorf("ParseReply(%q) execs end %+v %+v, want mkdir of the folder, record %q", tc.doc, mkdir, rec, tc.wantArg)
			}
		})
	}
}

func TestPlayFiles(t *testing.T) {
	tests := []struct {
		file    string
		wantErr string // "" for accepted
	}{
		{"ivr/ivr-welcome.wav", ""},
		{"ivr/main menu.wav", ""},
		{"digits/1", ""},
		{"/srv/ivr/welcome.wav", ""},
		{"/srv/ivr/en/welcome.wav", ""},
		{"/var/lib/freeswitch/recordings/support/msg.wav", ""},
		{"http://media.example.com/prompts/welcome.wav", ""},
		{"https://media.example.com/p.mp3?v=2&x=%20", ""},
		{"tone_stream://%(500,0,800)", ""},
		{"tone_stream://v=-7;%(100,0,941.0,1477.0);loops=2", ""},
		{"silence_stream://500", ""},
		{"silence_stream://-1,1400", ""},
		{"local_stream://moh", ""},
		{"file_string://ivr/a.wav!silence_stream://100!/srv/ivr/b.wav", ""},
		// Absolute paths outside the app's folders.
		{"/etc/passwd", "outside the app's media folders"},
		{"/var/lib/freeswitch/recordings/other/msg.wav", "outside the app's media folders"},
		{"/var/lib/freeswitch/recordings/support", "outside the app's media folders"},
		{"/srv/ivrx/a.wav", "outside the app's media folders"},
		{"/srv/ivr/../../etc/passwd", `has a ".." segment`},
		{"/srv/ivr/./a.wav", `has a "." segment`},
		{"/srv/ivr//a.wav", "empty path segment"},
		// Relative names that climb out of the sound prefix.
		{"../../../etc/passwd", `has a ".." segment`},
		{"ivr/../../x.wav", `has a ".." segment`},
		{"ivr/..", `has a ".." segment`},
		// File handle parameters: spool_path runs /bin/mv through a shell.
		{"{spool_path=/tmp/x}ivr/a.wav", `starts with "{"`},
		{"{a=b}/srv/ivr/a.wav", `starts with "{"`},
		{"{unbalanced", `starts with "{"`},
		{"ivr/{x}.wav", "not allowed in a file name"},
		// Variable expansion and scoped variables.
		{"$${sounds_dir}/x.wav", "${"},
		{"%[sound_prefix=/etc]passwd", "not allowed"},
		// Not files: TTS, phrases, other modules.
		{"say:hello", `":" is not allowed`},
		{"phrase:voicemail_message_count:1", `":" is not allowed`},
		{"shout://example.com/stream.mp3", "shout:// is not allowed"},
		{"vlc://file:///etc/passwd", "vlc:// is not allowed"},
		{"file:///etc/passwd", "file:// is not allowed"},
		{"http://", "has no host"},
		{"http://evil.example/{spool_path=x}", "characters not allowed in a URL"},
		{"http://evil.example/a.wav!/etc/passwd", "characters not allowed in a URL"},
		{"tone_stream://{x}", "not a tone_stream"},
		{"silence_stream://abc", "not silence_stream"},
		{"local_stream://../x", "not local_stream"},
		// file_string: every part.
		{"file_string://ivr/a.wav!/etc/passwd", "file_string part: \"/etc/passwd\" is outside"},
		{"file_string://ivr/a.wav!../x.wav", "file_string part"},
		{"file_string://ivr/a.wav!{spool_path=x}b.wav", "file_string part"},
		{"file_string://ivr/a.wav!!b.wav", "file_string part: must not be empty"},
		{"file_string://file_string://a.wav", "file_string:// inside file_string://"},
		{"File_String://ivr/a.wav!/etc/passwd", "file_string part"},
	}
	for _, tc := range tests {
		for _, doc := range []string{
			"- play: " + yamlQuote(tc.file),
			"- gather: {play: " + yamlQuote(tc.file) + "}",
			"- gather: {play: ivr/menu.wav, invalid: " + yamlQuote(tc.file) + "}",
			"- execute: {app: playback, arg: " + yamlQuote(tc.file) + "}",
		} {
			_, err := ParseReply([]byte(doc), fileOpts)
			switch {
			case tc.wantErr == "" && err != nil:
				t.Errorf("ParseReply(%q) = %v, want it accepted", doc, err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Errorf("ParseReply(%q) = %v, want an error with %q", doc, err, tc.wantErr)
			}
		}
	}
}

// yamlQuote quotes s as a YAML single-quoted scalar.
func yamlQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}

// TestPlayWithoutMediaDirs: with the zero FileRules no absolute path plays
// but those in DefaultRecordingsDir.
func TestPlayWithoutMediaDirs(t *testing.T) {
	for doc, ok := range map[string]bool{
		"- play: /srv/ivr/a.wav":                         false,
		"- play: /usr/share/freeswitch/sounds/a.wav":     false,
		"- play: /var/lib/freeswitch/recordings/msg.wav": true,
		"- play: ivr/a.wav":                              true,
	} {
		_, err := ParseReply([]byte(doc), ParseOptions{})
		if (err == nil) != ok {
			t.Errorf("ParseReply(%q) with no FileRules = %v, want accepted %v", doc, err, ok)
		}
	}
}

// TestExecuteFiles: an allow-listed application's file arguments follow the
// same rules, whatever the case of its name.
func TestExecuteFiles(t *testing.T) {
	files := fileOpts.Files
	tests := []struct {
		app, arg string
		ok       bool
	}{
		{"playback", "ivr/welcome.wav", true},
		{"PlayBack", "/etc/passwd", false},
		{"endless_playback", "/etc/passwd", false},
		{"record", "/var/lib/freeswitch/recordings/support/m.wav 30", true},
		{"record", "/var/lib/freeswitch/recordings/other/m.wav 30", false},
		{"RECORD", "/tmp/m.wav", false},
		{"record", "/var/lib/freeswitch/recordings/support/../other/m.wav", false},
		{"record", "/var/lib/freeswitch/recordings/support/{x}m.wav", false},
		{"record_session", "/etc/cron.d/x.wav", false},
		{"play_and_get_digits", "1 1 1 5000 # ivr/menu.wav silence_stream://250 v \\d+", true},
		{"play_and_get_digits", "1 1 1 5000 # /etc/passwd silence_stream://250 v \\d+", false},
		{"play_and_get_digits", "1 1 1 5000 # ivr/menu.wav ../../x.wav v \\d+", false},
		{"playback", "%[sound_prefix=/etc]passwd", false},
		{"log", "%[x=y]INFO hi", false},
		{"set", "sound_prefix=/var/lib/freeswitch/recordings/other", false},
		{"set", "Playback_Delimiter=!", false},
		{"export", "sound_prefix=/etc", false},
		{"set", "language=en", true},
		{"set", "hold_music=/etc/passwd", false},
		{"set", "ringback=%(2000,4000,440,480)", true},
		{"playback", "", true},
	}
	for _, tc := range tests {
		err := CheckExecuteFiles(tc.app, tc.arg, files)
		if (err == nil) != tc.ok {
			t.Errorf("CheckExecuteFiles(%q, %q) = %v, want accepted %v", tc.app, tc.arg, err, tc.ok)
		}
	}
}

// TestSetFileVars: the set verb cannot move the sound prefix or split file
// strings (FreeSWITCH compares variable names without case).
func TestSetFileVars(t *testing.T) {
	for _, doc := range []string{
		"- set: {sound_prefix: /var/lib/freeswitch/recordings/other}",
		"- set: {Sound_Prefix: /etc}",
		"- set: {playback_delimiter: '!'}",
		"- set: {hold_music: /etc/passwd}",
		"- set: {Temp_Hold_Music: '../../x.wav'}",
		"- set: {ringback: /var/lib/freeswitch/recordings/other/m.wav}",
		"- set: {transfer_ringback: '{spool_path=/tmp/x}/srv/ivr/a.wav'}",
	} {
		_, err := ParseReply([]byte(doc), fileOpts)
		if err == nil || !strings.Contains(err.Error(), "changes which files play and record open") && !strings.Contains(err.Error(), "is played as a file") {
			t.Errorf("ParseReply(%q) = %v, want it refused", doc, err)
		}
	}
	for _, doc := range []string{
		"- set: {ringback: '%(2000,4000,440,480)'}",
		"- set: {ringback: /srv/ivr/ring.wav}",
		"- set: {hold_music: 'local_stream://moh'}",
		"- set: {language: en}",
	} {
		if _, err := ParseReply([]byte(doc), fileOpts); err != nil {
			t.Errorf("ParseReply(%q) = %v, want it accepted", doc, err)
		}
	}
}

// TestFileTemplates: a flow's templates are checked again once filled in,
// so a caller id cannot add folders to a recording's name or a prompt.
func TestFileTemplates(t *testing.T) {
	o := fileOpts
	o.Templates = true
	tests := []struct {
		doc, value string
		ok         bool
	}{
		{"- record: 'rec-{{call.from}}.wav'", "1000", true},
		{"- record: 'rec-{{call.from}}.wav'", "../../etc/x", false},
		{"- record: 'rec-{{call.from}}.wav'", "a/b", false},
		{"- record: '{{call.from}}.wav'", "/tmp/x", false},
		{"- record: 'rec-{{call.from}}.wav'", "x y", false},
		{"- play: 'ivr/{{flow.lang}}/welcome.wav'", "en", true},
		{"- play: 'ivr/{{flow.lang}}/welcome.wav'", "../../../../etc", false},
		{"- play: '{{flow.prompt}}'", "/etc/passwd", false},
		{"- play: '{{flow.prompt}}'", "{spool_path=/tmp/x}a.wav", false},
		{"- play: '{{flow.prompt}}'", "/srv/ivr/ok.wav", true},
		{"- gather: {play: '{{flow.prompt}}'}", "file_string://a.wav!/etc/passwd", false},
	}
	for _, tc := range tests {
		r, err := ParseReply([]byte(tc.doc), o)
		if err != nil {
			t.Fatalf("ParseReply(%q) = %v", tc.doc, err)
		}
		spec, err := r.Verbs[0].Spec.MapText(func(s string) (string, error) {
			return templateSpan.ReplaceAllLiteralString(s, tc.value), nil
		})
		if (err == nil) != tc.ok {
			t.Errorf("%q with %q: MapText = %v, want accepted %v", tc.doc, tc.value, err, tc.ok)
		}
		if err == nil && tc.ok {
			if rs, isRec := spec.(*RecordSpec); isRec {
				execs := rs.Execs(PlanContext{})
				if last := execs[len(execs)-1]; !strings.HasPrefix(last.Arg, "/var/lib/freeswitch/recordings/support/rec-"+tc.value+".wav ") {
					t.Errorf("%q with %q: execs %+v", tc.doc, tc.value, execs)
				}
			}
		}
	}
}

func TestFileRulesCheck(t *testing.T) {
	for _, dir := range []string{"", "/", "relative/dir", "/srv/../etc", "/srv/ivr/", "/srv//ivr", "/srv/my ivr", "/srv/{x}", "/srv/a:b"} {
		if dir == "" {
			continue
		}
		if err := CheckDir(dir); err == nil {
			t.Errorf("CheckDir(%q) = nil, want an error", dir)
		}
	}
	for _, dir := range []string{"/var/lib/freeswitch/recordings/support", "/srv/ivr", "/srv/ivr-2.0"} {
		if err := CheckDir(dir); err != nil {
			t.Errorf("CheckDir(%q) = %v", dir, err)
		}
	}
	if err := (&FileRules{MediaDirs: []string{"/ok", "../bad"}}).Check(); err == nil || !strings.Contains(err.Error(), "media_dirs") {
		t.Errorf("Check with a relative media dir = %v", err)
	}
}
