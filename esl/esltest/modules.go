package esltest

import (
	"maps"
	"slices"
	"strconv"
	"strings"
)

// Modules: a simulated switch loads the modules of FreeSWITCH 1.10.12's
// stock configuration (conf/vanilla/autoload_configs/modules.conf.xml),
// which leaves mod_flite, mod_ssml, mod_shout and every say language but
// English out. `api show interfaces` lists what they register, `api
// module_exists` answers for them, and the applications that need a
// module behave as FreeSWITCH does without it: speak with an engine
// nobody registered and say in a language without its module complete at
// once having played nothing (switch_ivr_speak_text and switch_ivr_say
// fail to find the interface: src/switch_ivr_play_say.c,
// src/switch_ivr_say.c), and a tts:// part of a file_string:// without
// mod_ssml is skipped (mod_dptools' file_string next_file goes on to the
// next part when one cannot open).

// iface is one row of `show interfaces`.
type iface struct{ typ, name string }

// moduleInterfaces are the interfaces of the modules the simulator knows
// (the ones callhook's verbs use; applications from builtinApps).
var moduleInterfaces = map[string][]iface{
	"mod_commands":     {{"api", "say_string"}, {"api", "show"}, {"api", "module_exists"}, {"api", "uuid_kill"}, {"api", "uuid_break"}},
	"mod_sofia":        {{"endpoint", "sofia"}, {"endpoint", "rtp"}},
	"mod_loopback":     {{"endpoint", "loopback"}},
	"mod_event_socket": {{"application", "socket"}, {"api", "event_sink"}},
	"mod_conference":   {{"application", "conference"}, {"api", "conference"}},
	"mod_say_en":       {{"say", "en"}},
	"mod_sndfile":      {{"file", "wav"}, {"file", "ogg"}, {"file", "flac"}},
	"mod_native_file":  {{"file", "PCMU"}, {"file", "PCMA"}},
	"mod_tone_stream":  {{"file", "tone_stream"}, {"file", "silence_stream"}},
	"mod_local_stream": {{"file", "local_stream"}},
	"mod_httapi":       {{"file", "http"}, {"file", "https"}, {"application", "httapi"}},
	// Not loaded by default (Switch.LoadModule).
	"mod_flite":           {{"speech", "flite"}},
	"mod_tts_commandline": {{"speech", "tts_commandline"}},
	"mod_ssml":            {{"file", "ssml"}, {"file", "tts"}},
	"mod_shout":           {{"file", "shout"}, {"file", "shouts"}, {"file", "mp3"}, {"file", "mpga"}},
	"mod_say_fr":          {{"say", "fr"}},
	"mod_say_de":          {{"say", "de"}},
	"mod_say_es":          {{"say", "es"}},
}

// stockModules are the modules a new Switch has loaded.
var stockModules = []string{"mod_commands", "mod_dptools", "mod_sofia", "mod_loopback", "mod_event_socket",
	"mod_conference", "mod_say_en", "mod_sndfile", "mod_native_file", "mod_tone_stream", "mod_local_stream", "mod_httapi"}

// LoadModule loads a module on the switch, as fs_cli's load does: a
// module the simulator does not know registers no interface.
func (sw *Switch) LoadModule(name string) {
	sw.modMu.Lock()
	defer sw.modMu.Unlock()
	sw.modules[name] = true
}

// UnloadModule unloads a module.
func (sw *Switch) UnloadModule(name string) {
	sw.modMu.Lock()
	defer sw.modMu.Unlock()
	delete(sw.modules, name)
}

// HasModule reports whether the module is loaded (api module_exists).
func (sw *Switch) HasModule(name string) bool {
	sw.modMu.Lock()
	defer sw.modMu.Unlock()
	return sw.modules[name]
}

// hasInterface reports whether a loaded module registered the interface.
func (sw *Switch) hasInterface(typ, name string) bool {
	sw.modMu.Lock()
	defer sw.modMu.Unlock()
	for m := range sw.modules {
		for _, i := range moduleInterfaces[m] {
			if i.typ == typ && strings.EqualFold(i.name, name) {
				return true
			}
		}
	}
	return false
}

// ShowInterfacesAsked counts the `api show interfaces` the switch answered.
func (sw *Switch) ShowInterfacesAsked() int64 { return sw.showAsked.Load() }

// showInterfaces is `api show interfaces` in its plain layout: the
// header, "type,name,ikey" rows sorted by type and name, an empty line,
// "N total." (mod_commands.c show_function and show_callback). extra are
// applications of Options.ExtraApps, listed as a module's.
func (sw *Switch) showInterfaces(extra []string) string {
	sw.showAsked.Add(1)
	type row struct{ typ, name, mod string }
	var rows []row
	sw.modMu.Lock()
	for m := range sw.modules {
		for _, i := range moduleInterfaces[m] {
			rows = append(rows, row{i.typ, i.name, m})
		}
	}
	dptools := sw.modules["mod_dptools"]
	sw.modMu.Unlock()
	if dptools {
		for _, name := range slices.Sorted(maps.Keys(builtinApps)) {
			if name != "conference" {
				rows = append(rows, row{"application", name, "mod_dptools"})
			}
		}
		rows = append(rows, row{"file", "file_string", "mod_dptools"})
	}
	for _, name := range extra {
		rows = append(rows, row{"application", name, "mod_extra"})
	}
	slices.SortFunc(rows, func(a, b row) int {
		if c := strings.Compare(a.typ, b.typ); c != 0 {
			return c
		}
		return strings.Compare(a.name, b.name)
	})
	var b strings.Builder
	b.WriteString("type,name,ikey\n")
	for _, r := range rows {
		b.WriteString(r.typ + "," + r.name + "," + r.mod + "\n")
	}
	b.WriteString("\n" + itoa(len(rows)) + " total.\n")
	return b.String()
}

// sayString is `api say_string <module>[.<ext>] <lang>[.<ext>] <type>
// <method> [<gender>] <text>` (mod_commands.c): the sound files mod_say
// would play, as a file_string:// list (switch_say_file), or the usage
// error when the arguments or the language are wrong. The simulator says
// numbers (pronounced: mod_say_en's play_group; iterated: digit by digit)
// and spells anything else digit by digit, in English only. Not captured.
func (sw *Switch) sayString(args string) string {
	const usage = "-ERR Usage: <module_name>[.<ext>] <lang>[.<ext>] <say_type> <say_method> [<say_gender>] <text>\n"
	f := strings.Fields(args)
	if len(f) != 5 && len(f) != 6 {
		return usage
	}
	module, _, _ := strings.Cut(f[0], ".")
	if !sw.hasInterface("say", module) {
		return usage // switch_ivr_say_string: "Invalid SAY Interface", no string
	}
	typ, method, text := strings.ToLower(f[2]), strings.ToLower(f[3]), f[len(f)-1]
	var files []string
	if typ == "number" && method == "pronounced" && isDigits(text) && len(text) <= 9 {
		files = sayNumber(atoi(text))
	} else {
		for _, r := range text {
			if r >= '0' && r <= '9' {
				files = append(files, "digits/"+string(r))
			}
		}
	}
	if len(files) == 0 {
		return usage
	}
	return "file_string://" + strings.Join(files, ".wav!") + ".wav"
}

// sayNumber is mod_say_en's number, pronounced: groups of three with
// million and thousand, each "N hundred" then the tens and units files
// (src/mod/say/mod_say_en/mod_say_en.c, play_group).
func sayNumber(n int) []string {
	if n == 0 {
		return []string{"digits/0"}
	}
	var out []string
	group := func(v int, what string) {
		if v == 0 {
			return
		}
		if h := v / 100; h > 0 {
			out = append(out, "digits/"+itoa(h), "digits/hundred")
		}
		switch t := v % 100; {
		case t >= 20:
			out = append(out, "digits/"+itoa(t/10*10))
			if t%10 > 0 {
				out = append(out, "digits/"+itoa(t%10))
			}
		case t > 0:
			out = append(out, "digits/"+itoa(t))
		}
		if what != "" {
			out = append(out, "digits/"+what)
		}
	}
	group(n/1000000, "million")
	group(n/1000%1000, "thousand")
	group(n%1000, "")
	return out
}

func isDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}

func itoa(n int) string { return strconv.Itoa(n) }
