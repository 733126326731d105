package verb

import (
	"errors"
	"fmt"
	"github.com/callhook/callhook/internal/yamlx"
	"slices"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Prompt lists: play's file and gather's play may be a list mixing files,
// pauses, named tones, spoken numbers and dates (say) and text to speech
// (speak), played in order. What FreeSWITCH 1.10.12 does with each:
//
//   - files, tone_stream:// and silence_stream:// join in one
//     file_string://a!b!c (mod_dptools' file_string file interface opens
//     each part with switch_core_file_open, src/mod/applications/
//     mod_dptools/mod_dptools.c); for gather it is play_and_get_digits'
//     one prompt, so the caller's first key stops the whole list;
//   - "say:" (text to speech with the channel's tts_engine) works only as a
//     whole playback argument (switch_ivr_play_file, src/
//     switch_ivr_play_say.c), not inside file_string://, which opens file
//     interfaces only; so play runs a speak item as a speak application of
//     its own, and gather puts it in the list as tts://engine|voice|text,
//     the file interface of mod_ssml (src/mod/formats/mod_ssml/
//     mod_ssml.c), which a stock switch does not load;
//   - spoken numbers: play runs a say item as the say application (mod_say
//     module of the language); gather needs them as files, which the api
//     command say_string <module> <lang> <type> <method> [<gender>] <text>
//     returns as a file_string:// list (src/mod/applications/
//     mod_commands/mod_commands.c, switch_say_file in
//     src/switch_loadable_module.c). The session asks for them just before
//     the gather runs (Preparer), and checks every file the switch
//     answers with the app's file rules.

// Prompt is one item of a prompt list. Kind says which of the fields is
// set.
type Prompt struct {
	Kind  string        // file, pause, tone, say or speak
	File  string        // file: a file string as play takes it (files.go)
	Pause time.Duration // pause: silence of this length
	Tone  string        // tone: a name of namedTones
	Say   *SaySpec      // say: a number, date, ... spoken from sound files
	Speak *SpeakSpec    // speak: text to speech
	// Said is a say item's sound files once the switch named them
	// (Prepare), "!"-separated: gather plays them in its file_string://.
	Said string
}

// Prompt kinds.
const (
	PromptFile  = "file"
	PromptPause = "pause"
	PromptTone  = "tone"
	PromptSay   = "say"
	PromptSpeak = "speak"
)

// promptKinds are the one-key maps a list item may be.
var promptKinds = []string{PromptFile, PromptPause, PromptTone, PromptSay, PromptSpeak}

// MaxPrompts bounds a prompt list.
const MaxPrompts = 64

// namedTones are the tones a prompt list's tone: and bridge's ringback:
// name, as tone_stream:// specs: the ring tones of FreeSWITCH's stock
// conf/vanilla/vars.xml, its sit tone, and callhook's record beep.
var namedTones = map[string]string{
	"us-ring":   "%(2000,4000,440,480)",
	"ca-ring":   "%(2000,4000,440,480)",
	"uk-ring":   "%(400,200,400,450);%(400,2000,400,450)",
	"au-ring":   "%(400,200,383,417);%(400,2000,383,417)",
	"de-ring":   "%(1000,4000,425)",
	"fr-ring":   "%(1500,3500,440)",
	"es-ring":   "%(1500,3000,425)",
	"in-ring":   "%(400,200,425,375);%(400,2000,425,375)",
	"jp-ring":   "%(1000,2000,420,380)",
	"ru-ring":   "%(800,3200,425)",
	"bong-ring": "v=-7;%(100,0,941.0,1477.0);v=-7;>=2;+=.1;%(1400,0,350,440)",
	"sit":       "%(274,0,913.8);%(274,0,1370.6);%(380,0,1776.7)",
	"beep":      "%(500,0,800)",
}

// toneNames lists namedTones' names, sorted, for error messages.
func toneNames() []string {
	names := make([]string, 0, len(namedTones))
	for n := range namedTones {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// promptList reads a list-valued prompt option (play's file, gather's
// play); nil when the option is absent or not a list.
func (a *args) promptList(opt string) []Prompt {
	n := yamlx.Deref(a.node(opt))
	if n == nil || n.Kind != yaml.SequenceNode {
		return nil
	}
	if len(n.Content) == 0 {
		a.failf(n, opt, "an empty list plays nothing")
		return nil
	}
	if len(n.Content) > MaxPrompts {
		a.failf(n.Content[MaxPrompts], opt, "want at most %d items, got %d", MaxPrompts, len(n.Content))
		return nil
	}
	out := make([]Prompt, 0, len(n.Content))
	for _, c := range n.Content {
		p, ok := a.prompt(opt, yamlx.Deref(c))
		if !ok {
			return nil
		}
		out = append(out, p)
	}
	return out
}

// prompt reads one list item: a file string, or a one-key map.
func (a *args) prompt(opt string, n *yaml.Node) (Prompt, bool) {
	if n.Kind == yaml.ScalarNode && !yamlx.IsNull(n) {
		return Prompt{Kind: PromptFile, File: n.Value}, true
	}
	if n.Kind != yaml.MappingNode || len(n.Content) != 2 {
		a.failf(n, opt, "a list item is a file, or a map with one of %s, got %s", strings.Join(promptKinds, ", "), kindName(n))
		return Prompt{}, false
	}
	k, v := yamlx.Deref(n.Content[0]), yamlx.Deref(n.Content[1])
	// Each item is parsed as the verb of its name would be, so its options
	// and their errors are the verb's.
	sub := newArgs(a.verb+": "+opt, k.Line, a.o)
	switch k.Value {
	case PromptFile:
		sub.setNode("file", v)
		f := sub.str("file", "")
		if sub.err == nil && f == "" {
			sub.failf(v, "file", "want a file")
		}
		a.adopt(sub)
		return Prompt{Kind: PromptFile, File: f}, a.err == nil
	case PromptPause:
		sub.setNode("pause", v)
		d := sub.duration("pause", 0)
		if sub.err == nil && (d < time.Millisecond || d > time.Hour) {
			sub.failf(v, "pause", "want 1ms to 1h, got %s", v.Value)
		}
		a.adopt(sub)
		return Prompt{Kind: PromptPause, Pause: d}, a.err == nil
	case PromptTone:
		sub.setNode("tone", v)
		t := sub.str("tone", "")
		if _, ok := namedTones[t]; sub.err == nil && !ok {
			sub.failf(v, "tone", "%s is not a tone callhook knows (%s; or give a tone_stream:// file)", Quote(t), strings.Join(toneNames(), ", "))
		}
		a.adopt(sub)
		return Prompt{Kind: PromptTone, Tone: t}, a.err == nil
	case PromptSay, PromptSpeak:
		// The say and speak verbs' own definitions (not lookupVerb: the
		// verb table refers to the parsers that call this).
		d := &verbDef{name: PromptSay, main: "text", opts: sayOpts, parse: parseSay}
		if k.Value == PromptSpeak {
			d = &verbDef{name: PromptSpeak, main: "text", opts: speakOpts, parse: parseSpeak}
		}
		sub.verb += ": " + k.Value
		if v.Kind == yaml.MappingNode || (v.Kind == yaml.ScalarNode && !yamlx.IsNull(v)) {
			if err := sub.collect(d, v); err != nil {
				a.fail(&InvalidReplyError{Line: err.Line, Msg: a.verb + ": " + opt + ": " + err.Msg})
				return Prompt{}, false
			}
		}
		spec := d.parse(sub)
		if sub.err == nil {
			if err := spec.(validator).check(); err != nil {
				line := sub.line
				var oe *optError
				if errors.As(err, &oe) && oe.Opt != "" {
					line = sub.lineOf(oe.Opt)
				}
				sub.err = &InvalidReplyError{Line: line, Msg: sub.verb + ": " + err.Error()}
			}
		}
		a.adopt(sub)
		if a.err != nil {
			return Prompt{}, false
		}
		if say, ok := spec.(*SaySpec); ok {
			return Prompt{Kind: PromptSay, Say: say}, true
		}
		return Prompt{Kind: PromptSpeak, Speak: spec.(*SpeakSpec)}, true
	}
	a.failf(k, opt, "unknown list item %s (a list item is a file, or a map with one of %s)", Quote(k.Value), strings.Join(promptKinds, ", "))
	return Prompt{}, false
}

// adopt takes sub's error, the first one, as a's.
func (a *args) adopt(sub *args) {
	if sub.err != nil {
		a.fail(sub.err)
	}
}

// fail records err as the first error.
func (a *args) fail(err *InvalidReplyError) {
	if a.err == nil {
		a.err = err
	}
}

// checkPrompts runs the checks of each item: file rules for files, the
// say and speak verbs' own checks; inGather adds what a gather's single
// prompt cannot hold.
func checkPrompts(opt string, list []Prompt, r *FileRules, inGather bool) error {
	for i, p := range list {
		where := fmt.Sprintf("item %d: ", i+1)
		var err error
		switch p.Kind {
		case PromptFile:
			err = checkPlayPart(p.File, r, false)
		case PromptPause:
			if p.Pause < time.Millisecond || p.Pause > time.Hour {
				err = fmt.Errorf("pause: want 1ms to 1h, got %s", p.Pause)
			}
		case PromptTone:
			if _, ok := namedTones[p.Tone]; !ok {
				err = fmt.Errorf("tone: %s is not a tone callhook knows", Quote(p.Tone))
			}
		case PromptSay:
			err = p.Say.check()
			if err == nil {
				err = checkSayItem(p.Say)
			}
			if err == nil && p.Said != "" {
				err = checkSaid(p.Said, r)
			}
		case PromptSpeak:
			err = p.Speak.check()
			if err == nil && inGather {
				err = checkTTSText(p.Speak.Text)
			}
		default:
			err = fmt.Errorf("unknown kind %q", p.Kind)
		}
		if err != nil {
			return &optError{Opt: opt, Msg: where + err.Error()}
		}
	}
	return nil
}

// checkSayItem checks what a say item puts in the say_string command: its
// text is the command's last argument, split by FreeSWITCH's
// switch_separate_string, so it is kept to characters that splitter
// leaves alone.
func checkSayItem(s *SaySpec) error {
	for _, r := range s.Text {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune(".,:-+/@_", r)) {
			return fmt.Errorf("say: text %s has %q; in a list use letters, digits and . , : - + / @ _", Quote(s.Text), r)
		}
	}
	return nil
}

// checkTTSText checks speak text that goes into a gather's
// file_string:// as tts://engine|voice|text: "!" would split the list,
// and the text must be one line. "{" is refused anywhere in it, not only
// first (checkTTSParams): file_string:// and mod_ssml split their data with
// switch_separate_string (src/switch_utils.c), which strips quotes and
// unescapes \s to a space, so "'{voice=x}' hi" and "\s{voice=x}" reached
// the engine as "{voice=x} hi", a leading {...} of TTS parameters.
func checkTTSText(text string) error {
	if err := checkLine(text); err != nil {
		return fmt.Errorf("speak: text: %w", err)
	}
	if strings.Contains(text, "!") {
		return fmt.Errorf("speak: text %s has \"!\", which separates the files of a gather's prompt list", Quote(text))
	}
	if strings.Contains(text, "{") {
		return fmt.Errorf("speak: text %s has \"{\": in a gather's prompt list FreeSWITCH may read it as the TTS engine's parameters", Quote(text))
	}
	return nil
}

// checkSaid checks the files the switch answered a say_string with: sound
// names and the streams play allows, as if the app had named them.
func checkSaid(said string, r *FileRules) error {
	for part := range strings.SplitSeq(said, "!") {
		if err := checkPlayPart(part, r, false); err != nil {
			return fmt.Errorf("say: the switch's say_string answer: %w", err)
		}
	}
	return nil
}

// promptFile is the file string an item plays as inside file_string://;
// "" for a say item not yet prepared.
func (p Prompt) promptFile() string {
	switch p.Kind {
	case PromptFile:
		return p.File
	case PromptPause:
		return "silence_stream://" + strconv.FormatInt(p.Pause.Milliseconds(), 10)
	case PromptTone:
		return "tone_stream://" + namedTones[p.Tone]
	case PromptSay:
		return p.Said
	case PromptSpeak:
		return "tts://" + p.Speak.Engine + "|" + p.Speak.Voice + "|" + p.Speak.Text
	}
	return ""
}

// joinFiles joins file strings into one playback argument: one file as
// is, several as file_string://a!b!c.
func joinFiles(files []string) string {
	if len(files) == 1 {
		return files[0]
	}
	return "file_string://" + strings.Join(files, "!")
}

// gatherPrompt is a gather's prompt list as play_and_get_digits' one
// prompt: every item's file in one file_string://. Say items count only
// once prepared (the session prepares a gather before it runs).
func gatherPrompt(list []Prompt) string {
	files := make([]string, 0, len(list))
	for _, p := range list {
		if f := p.promptFile(); f != "" {
			files = append(files, f)
		}
	}
	if len(files) == 0 {
		return defaultPrompt
	}
	return joinFiles(files)
}

// playExecs runs a play list: consecutive files, pauses, tones in one
// playback of file_string://, a say item as the say application, a speak
// item as the speak application.
func playExecs(list []Prompt) []Exec {
	var out []Exec
	var files []string
	flush := func() {
		if len(files) > 0 {
			out = append(out, Exec{App: "playback", Arg: joinFiles(files)})
			files = nil
		}
	}
	for _, p := range list {
		switch p.Kind {
		case PromptSay:
			flush()
			out = append(out, p.Say.Execs(PlanContext{})...)
		case PromptSpeak:
			flush()
			out = append(out, p.Speak.Execs(PlanContext{})...)
		default:
			files = append(files, p.promptFile())
		}
	}
	flush()
	return out
}

// mapPrompts applies f to the text of every item, returning a copy.
func mapPrompts(list []Prompt, f func(string) (string, error)) ([]Prompt, error) {
	if list == nil {
		return nil, nil
	}
	out := make([]Prompt, len(list))
	for i, p := range list {
		var err error
		switch p.Kind {
		case PromptFile:
			p.File, err = f(p.File)
		case PromptSay:
			var s Spec
			if s, err = p.Say.MapText(f); err == nil {
				p.Say = s.(*SaySpec)
			}
		case PromptSpeak:
			var s Spec
			if s, err = p.Speak.MapText(f); err == nil {
				p.Speak = s.(*SpeakSpec)
			}
		}
		if err != nil {
			return nil, err
		}
		out[i] = p
	}
	return out, nil
}

// promptArgs describes a list for Args (simulate): one string an item.
func promptArgs(list []Prompt) []string {
	out := make([]string, len(list))
	for i, p := range list {
		switch p.Kind {
		case PromptFile:
			out[i] = p.File
		case PromptPause:
			out[i] = "pause " + p.Pause.String()
		case PromptTone:
			out[i] = "tone " + p.Tone
		case PromptSay:
			out[i] = "say " + p.Say.Type + " " + p.Say.Text
		case PromptSpeak:
			out[i] = "speak " + p.Speak.Text
		}
	}
	return out
}
