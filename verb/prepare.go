package verb

import (
	"fmt"
	"slices"
	"strings"
)

// Preparer is implemented by specs that need answers from the switch
// before they can run: a gather whose prompt list says numbers needs
// their sound files (say_string). The session sends each of APIs'
// commands as an api command on the call's connection, hands the answers
// to Prepare in order, and runs the spec Prepare returns; when Prepare
// fails, the verb runs nothing and ends with reason error and the
// error's text as its message.
type Preparer interface {
	// APIs returns the api commands (without "api ") whose answers Prepare
	// needs; none when there is nothing to prepare.
	APIs() []string
	// Prepare returns the spec to run given the answers. The answers come
	// from the switch and are checked like app input.
	Prepare(answers []string) (Spec, error)
}

// Need is an interface of a FreeSWITCH module that a verb needs, beyond
// mod_dptools and the stock modules every call already relies on.
type Need struct {
	// Type and Name are the interface as `show interfaces` lists it
	// (src/mod/applications/mod_commands/mod_commands.c): speech and the
	// engine, say and the language module, file and the format, or
	// application and its name.
	Type, Name string
	// Module is the module that provides it in FreeSWITCH's tree, named in
	// the error ("" when callhook cannot tell).
	Module string
	// For says what needs it: "speak engine flite".
	For string
}

// Needer is implemented by specs that need interfaces a stock switch may
// lack (a TTS engine, a say language, mod_ssml's tts:// files, the
// application an execute names). The session checks them against the
// switch's inventory before the verb runs: a verb whose switch lacks one
// ends with reason error and MissingError's message, instead of FreeSWITCH
// completing it silently (speak, say) or hanging the call up (an unknown
// application: DESTINATION_OUT_OF_ORDER).
type Needer interface {
	Needs() []Need
}

// MissingError is the message of a verb that needs what the switch lacks.
func MissingError(n Need) string {
	load := "the switch has no such module"
	if n.Module != "" {
		load = "load " + n.Module + " on the switch (load " + n.Module + " in fs_cli, and in modules.conf.xml)"
	}
	return fmt.Sprintf("%s: FreeSWITCH has no %s interface %q: %s", n.For, n.Type, n.Name, load)
}

// PrepareError is a verb's result when it could not run: reason error,
// with msg.
func PrepareError(v Verb, msg string) *Result {
	return &Result{Verb: v.Name, Reason: ReasonError, Message: msg}
}

// speechNeed is the TTS engine a speak needs: speech interfaces are
// registered under the engine's name by mod_<engine> (mod_flite's is
// flite).
func speechNeed(engine, what string) Need {
	return Need{Type: "speech", Name: engine, Module: "mod_" + engine, For: what}
}

// sayNeed is the say module a say needs: mod_say_<lang> registers the say
// interface <lang> (mod_say_en's is en).
func sayNeed(lang, what string) Need {
	module, _, _ := strings.Cut(lang, ":")
	return Need{Type: "say", Name: module, Module: "mod_say_" + module, For: what}
}

// Needs implements Needer: the speak verb needs its engine.
func (s *SpeakSpec) Needs() []Need {
	return []Need{speechNeed(s.Engine, "speak engine "+s.Engine)}
}

// Needs implements Needer: the say verb needs its language's module.
func (s *SaySpec) Needs() []Need {
	return []Need{sayNeed(s.Lang, "say lang "+s.Lang)}
}

// promptNeeds are a prompt list's needs; inGather adds mod_ssml for speak
// items, which a gather plays as tts:// files.
func promptNeeds(verb string, list []Prompt, inGather bool) []Need {
	var out []Need
	add := func(n Need) {
		for _, o := range out {
			if o.Type == n.Type && o.Name == n.Name {
				return
			}
		}
		out = append(out, n)
	}
	for _, p := range list {
		switch p.Kind {
		case PromptFile:
			for _, n := range fileNeeds(verb, p.File) {
				add(n)
			}
		case PromptSay:
			add(sayNeed(p.Say.Lang, verb+": say lang "+p.Say.Lang))
		case PromptSpeak:
			if inGather {
				add(Need{Type: "file", Name: "tts", Module: "mod_ssml", For: verb + ": speak in a gather's list"})
			}
			add(speechNeed(p.Speak.Engine, verb+": speak engine "+p.Speak.Engine))
		}
	}
	return out
}

// Needs implements Needer: a play list's say and speak items, and what
// its files need (fileNeeds).
func (s *PlaySpec) Needs() []Need {
	if s.List == nil {
		return fileNeeds("play", s.File)
	}
	return promptNeeds("play", s.List, false)
}

// Needs implements Needer: a gather list's say and speak items, and what
// its files need (fileNeeds).
func (s *GatherSpec) Needs() []Need {
	if s.PlayList == nil {
		return fileNeeds("gather", s.Play)
	}
	return promptNeeds("gather", s.PlayList, true)
}

// fileNeeds is what playing a file string needs that a stock switch may
// lack: the file interface of an http(s) URL's scheme (mod_httapi
// registers http and https, src/mod/applications/mod_httapi/mod_httapi.c;
// mod_http_cache can instead), and mod_shout for an MP3, whose file
// interface registers mp3 (src/mod/formats/mod_shout/mod_shout.c), and
// which the stock modules.conf.xml leaves out. Each part of a
// file_string:// counts.
func fileNeeds(verb, file string) []Need {
	var out []Need
	for part := range strings.SplitSeq(strings.TrimPrefix(file, "file_string://"), "!") {
		lower := strings.ToLower(part)
		for _, scheme := range []string{"http", "https"} {
			if strings.HasPrefix(lower, scheme+"://") && !slices.ContainsFunc(out, func(n Need) bool { return n.Name == scheme }) {
				out = append(out, Need{Type: "file", Name: scheme, Module: "mod_httapi", For: verb + ": " + scheme + " URL"})
			}
		}
		path, _, _ := strings.Cut(lower, "?")
		if strings.HasSuffix(path, ".mp3") && !slices.ContainsFunc(out, func(n Need) bool { return n.Name == "mp3" }) {
			out = append(out, Need{Type: "file", Name: "mp3", Module: "mod_shout", For: verb + ": MP3 file"})
		}
	}
	return out
}

// Needs implements Needer: the application an execute runs.
func (s *ExecuteSpec) Needs() []Need {
	return []Need{{Type: "application", Name: s.App, For: "execute " + s.App}}
}

// APIs implements Preparer: a say_string for each say item of the list
// not yet prepared.
func (s *GatherSpec) APIs() []string {
	var out []string
	for _, p := range s.PlayList {
		if p.Kind == PromptSay && p.Said == "" {
			out = append(out, sayStringCommand(p.Say))
		}
	}
	return out
}

// sayStringCommand is say_string <module> <lang> <type> <method>
// [<gender>] <text> (mod_commands.c, SAY_STRING_SYNTAX). The text is
// checked to be one word (checkSayItem).
func sayStringCommand(s *SaySpec) string {
	module, lang, ok := strings.Cut(s.Lang, ":")
	if !ok {
		lang = module
	}
	parts := []string{"say_string", module, lang, s.Type, s.Method}
	if s.Gender != "" {
		parts = append(parts, s.Gender)
	}
	return strings.Join(append(parts, s.Text), " ")
}

// Prepare implements Preparer: each say item gets the sound files the
// switch answered with. say_string answers file_string://a.wav!b.wav
// (switch_say_file, src/switch_loadable_module.c), or "-ERR Usage: ..."
// when the language has no phrases or say module.
func (s *GatherSpec) Prepare(answers []string) (Spec, error) {
	c := *s
	c.PlayList = append([]Prompt(nil), s.PlayList...)
	i := 0
	for j, p := range c.PlayList {
		if p.Kind != PromptSay || p.Said != "" {
			continue
		}
		if i >= len(answers) {
			return nil, fmt.Errorf("gather: no say_string answer for item %d", j+1)
		}
		ans := strings.TrimSpace(answers[i])
		i++
		files, ok := strings.CutPrefix(ans, "file_string://")
		if !ok || files == "" {
			return nil, fmt.Errorf("gather: item %d: FreeSWITCH could not say %s as %s in %s (say_string answered %s): load %s and its sounds",
				j+1, Quote(p.Say.Text), p.Say.Type, p.Say.Lang, Quote(ans), sayNeed(p.Say.Lang, "").Module)
		}
		if err := checkSaid(files, s.Files); err != nil {
			return nil, fmt.Errorf("gather: item %d: %w", j+1, err)
		}
		c.PlayList[j].Said = files
	}
	if err := c.check(); err != nil {
		return nil, fmt.Errorf("gather: %w", err)
	}
	return &c, nil
}
