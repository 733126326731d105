package verb

import (
	"fmt"
	"slices"
	"strings"

	"github.com/callhook/callhook/esl"
)

// PlaySpec is the play verb.
type PlaySpec struct {
	// File is a sound name, a path in a media folder, a URL, a
	// tone_stream:// or silence_stream:// string: what files.go allows of
	// what FreeSWITCH's playback takes.
	File string
	// List is a prompt list (prompts.go), when file was given as a list;
	// File is "" then.
	List  []Prompt
	Loop  int        // times to play it (the whole list), 1 or more
	Files *FileRules // the app's folders (ParseOptions.Files)
}

// maxLoops bounds play's loop option.
const maxLoops = 1000

func parsePlay(a *args) Spec {
	if !a.has("file") {
		a.failf(nil, "file", "is required")
	}
	s := &PlaySpec{Loop: a.integer("loop", 1), Files: a.o.Files}
	if s.List = a.promptList("file"); s.List == nil {
		s.File = a.str("file", "")
	}
	return s
}

func (s *PlaySpec) check() error {
	if s.List != nil {
		if err := checkPrompts("file", s.List, s.Files, false); err != nil {
			return err
		}
	} else if s.File == "" {
		return optErrorf("file", "must not be empty")
	} else if err := checkPlayFile(s.File, s.Files); err != nil {
		return &optError{Opt: "file", Msg: err.Error()}
	}
	if s.Loop < 1 || s.Loop > maxLoops {
		return optErrorf("loop", "must be 1 to %d, got %d", maxLoops, s.Loop)
	}
	return nil
}

// Execs runs playback Loop times, one exec per iteration, rather than one
// exec with a loops header: FreeSWITCH stops looping early when an
// iteration takes under 500 ms (a short tone, a missing file) and then
// sends fewer completions than loops, which would leave the session
// waiting for completions that never come (switch_ivr_parse_event in
// src/switch_ivr.c).
//
// A list runs as playExecs (prompts.go) says, Loop times over.
func (s *PlaySpec) Execs(PlanContext) []Exec {
	if s.List != nil {
		once := playExecs(s.List)
		return slices.Repeat(once, s.Loop)
	}
	out := make([]Exec, s.Loop)
	for i := range out {
		out[i] = Exec{App: "playback", Arg: s.File}
	}
	return out
}

// Result reports ok, error when playback could not play the file (FILE NOT
// FOUND, PLAYBACK ERROR), or hangup.
//
// For a list it is the last application's outcome (a say or speak item
// reports ok, or hangup).
func (s *PlaySpec) Result(pc PlanContext, complete *esl.Event, hungUp bool) *Result {
	app := "playback"
	if execs := s.Execs(pc); len(execs) > 0 {
		app = execs[len(execs)-1].App
	}
	if app != "playback" {
		return baseResult("play", completionOf(complete, app), hungUp)
	}
	return playResult("play", completionOf(complete, "playback"), hungUp)
}

// playResult is baseResult for verbs whose application reports whether it
// played: anything but "FILE PLAYED" (or no response) is an error, unless
// the call hung up, which is what cut the prompt off.
func playResult(verb string, complete *esl.Event, hungUp bool) *Result {
	r := baseResult(verb, complete, hungUp)
	if r.Reason == ReasonOK && r.Response != "" && r.Response != "FILE PLAYED" {
		r.Reason = ReasonError
	}
	return r
}

// MapText applies f to the file.
func (s *PlaySpec) MapText(f func(string) (string, error)) (Spec, error) {
	c := *s
	list, err := mapPrompts(s.List, f)
	if err != nil {
		return mapped("play", &c, err)
	}
	c.List = list
	return mapped("play", &c, mapStrings(f, &c.File))
}

// SaySpec is the say verb: FreeSWITCH's say application, which speaks
// numbers, dates, digits and the like from recorded sound files.
type SaySpec struct {
	Text   string
	Lang   string // a say module, optionally module:language (en, en:en)
	Type   string // one of sayTypes, lower case
	Method string // one of sayMethods, lower case
	Gender string // one of sayGenders, lower case; "" for the default
}

// Say's names, from switch_ivr_say.c (FreeSWITCH compares them without case).
var (
	sayTypes = []string{"number", "items", "persons", "messages", "currency", "time_measurement",
		"current_date", "current_time", "current_date_time", "telephone_number", "telephone_extension",
		"url", "ip_address", "email_address", "postal_address", "account_number", "name_spelled",
		"name_phonetic", "short_date_time"}
	sayMethods = []string{"n/a", "pronounced", "iterated", "counted", "pronounced_year"}
	sayGenders = []string{"masculine", "feminine", "neuter"}
)

func parseSay(a *args) Spec {
	if !a.has("text") {
		a.failf(nil, "text", "is required")
	}
	return &SaySpec{
		Text:   a.str("text", ""),
		Lang:   a.str("lang", "en"),
		Type:   strings.ToLower(a.str("type", "number")),
		Method: strings.ToLower(a.str("method", "pronounced")),
		Gender: strings.ToLower(a.str("gender", "")),
	}
}

func (s *SaySpec) check() error {
	if err := checkToken(s.Text); err != nil {
		return &optError{Opt: "text", Msg: err.Error()}
	}
	module, lang, _ := strings.Cut(s.Lang, ":")
	if err := CheckName(module, ""); err != nil {
		return &optError{Opt: "lang", Msg: err.Error()}
	}
	if strings.Contains(s.Lang, ":") {
		if err := CheckName(lang, ""); err != nil {
			return &optError{Opt: "lang", Msg: err.Error()}
		}
	}
	if err := oneOf(s.Type, sayTypes); err != nil {
		return &optError{Opt: "type", Msg: err.Error()}
	}
	if err := oneOf(s.Method, sayMethods); err != nil {
		return &optError{Opt: "method", Msg: err.Error()}
	}
	if s.Gender != "" {
		if err := oneOf(s.Gender, sayGenders); err != nil {
			return &optError{Opt: "gender", Msg: err.Error()}
		}
	}
	return nil
}

// Execs runs say <lang> <type> <method> [<gender>] <text>. The text is one
// escaped argument: say splits its data at spaces into at most five parts
// and takes a fourth one as the gender, so "1 2 3" unescaped would say "2 3"
// in gender "1".
func (s *SaySpec) Execs(PlanContext) []Exec {
	parts := []string{s.Lang, s.Type, s.Method}
	if s.Gender != "" {
		parts = append(parts, s.Gender)
	}
	parts = append(parts, fsArg(s.Text))
	return []Exec{{App: "say", Arg: strings.Join(parts, " ")}}
}

// Result reports ok, or hangup.
func (s *SaySpec) Result(_ PlanContext, complete *esl.Event, hungUp bool) *Result {
	return baseResult("say", completionOf(complete, "say"), hungUp)
}

// MapText applies f to the text.
func (s *SaySpec) MapText(f func(string) (string, error)) (Spec, error) {
	c := *s
	return mapped("say", &c, mapStrings(f, &c.Text))
}

// SpeakSpec is the speak verb: text to speech.
type SpeakSpec struct {
	Text   string // may span lines: esl sends it as the sendmsg's body
	Engine string // a TTS module (flite)
	Voice  string // a voice of that engine (kal)
}

func parseSpeak(a *args) Spec {
	if !a.has("text") {
		a.failf(nil, "text", "is required")
	}
	return &SpeakSpec{Text: a.str("text", ""), Engine: a.str("engine", "flite"), Voice: a.str("voice", "kal")}
}

func (s *SpeakSpec) check() error {
	if strings.TrimSpace(s.Text) == "" {
		return optErrorf("text", "must not be empty")
	}
	if err := checkMultiline(s.Text); err != nil {
		return &optError{Opt: "text", Msg: err.Error()}
	}
	if err := checkTTSParams(s.Text); err != nil {
		return &optError{Opt: "text", Msg: err.Error()}
	}
	if err := CheckName(s.Engine, ""); err != nil {
		return &optError{Opt: "engine", Msg: err.Error()}
	}
	if err := CheckName(s.Voice, ""); err != nil {
		return &optError{Opt: "voice", Msg: err.Error()}
	}
	return nil
}

// checkTTSParams refuses text that starts, after spaces, with "{":
// switch_core_speech_feed_tts (src/switch_core_speech.c) reads a leading
// {name=value,...} of the text as parameters for the TTS engine, so
// "{voice=...}hello" would set the voice the voice option checks, and any
// parameter of the engine (mod_unimrcp's are MRCP headers).
func checkTTSParams(text string) error {
	if strings.HasPrefix(strings.TrimLeft(text, " "), "{") {
		return fmt.Errorf(`%s starts with "{": FreeSWITCH reads a leading {...} as the TTS engine's parameters (voice and the engine's own)`, Quote(text))
	}
	return nil
}

// Execs runs speak engine|voice|text. speak splits off engine and voice and
// takes the rest of its data unchanged as the text (mod_dptools.c,
// "unstripped text"), so the text needs no escaping, '|' included.
func (s *SpeakSpec) Execs(PlanContext) []Exec {
	return []Exec{{App: "speak", Arg: s.Engine + "|" + s.Voice + "|" + s.Text}}
}

// Result reports ok, or hangup.
func (s *SpeakSpec) Result(_ PlanContext, complete *esl.Event, hungUp bool) *Result {
	return baseResult("speak", completionOf(complete, "speak"), hungUp)
}

// MapText applies f to the text.
func (s *SpeakSpec) MapText(f func(string) (string, error)) (Spec, error) {
	c := *s
	return mapped("speak", &c, mapStrings(f, &c.Text))
}

// Args implements Spec.
func (s *PlaySpec) Args() []Arg {
	a := []Arg{{"file", s.File}}
	if s.List != nil {
		a = []Arg{{"file", promptArgs(s.List)}}
	}
	if s.Loop > 1 {
		a = append(a, Arg{"loop", s.Loop})
	}
	return a
}

// Args implements Spec.
func (s *SaySpec) Args() []Arg {
	a := []Arg{{"text", s.Text}, {"type", s.Type}, {"method", s.Method}, {"lang", s.Lang}}
	if s.Gender != "" {
		a = append(a, Arg{"gender", s.Gender})
	}
	return a
}

// Args implements Spec.
func (s *SpeakSpec) Args() []Arg {
	return []Arg{{"text", s.Text}, {"engine", s.Engine}, {"voice", s.Voice}}
}
