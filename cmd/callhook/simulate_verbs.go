package main

import (
	"strconv"
	"strings"
	"time"

	"github.com/callhook/callhook/proxy"
)

// simArg is one argument of a verb as simulate shows it: the option's name
// as apps write it, and its value (a string, number, bool or list).
type simArg struct {
	Key   string
	Value any
}

// verbArgs lists a verb's arguments, its main argument first, with the
// option names of DESIGN.md's verb table, so the transcript reads like the
// reply that asked for the verb.
func verbArgs(v proxy.Verb) []simArg {
	var a []simArg
	add := func(k string, val any) { a = append(a, simArg{k, val}) }
	switch s := v.Spec.(type) {
	case *proxy.PlaySpec:
		add("file", s.File)
		if s.Loop > 1 {
			add("loop", s.Loop)
		}
	case *proxy.SaySpec:
		add("text", s.Text)
		add("type", s.Type)
		add("method", s.Method)
		add("lang", s.Lang)
		if s.Gender != "" {
			add("gender", s.Gender)
		}
	case *proxy.SpeakSpec:
		add("text", s.Text)
		add("engine", s.Engine)
		add("voice", s.Voice)
	case *proxy.GatherSpec:
		// What the reply or state wrote: the silent prompts a gather
		// plays when it names none are not shown, nor one try.
		add("play", s.Play)
		add("min", s.Min)
		add("max", s.Max)
		if s.Tries != 1 {
			add("tries", s.Tries)
		}
		add("timeout", dur(s.Timeout))
		if s.DigitTimeout != s.Timeout {
			add("digit_timeout", dur(s.DigitTimeout))
		}
		add("terminators", s.Terminators)
		add("regex", s.Regex)
		if s.Invalid != proxy.DefaultGatherInvalid {
			add("invalid", s.Invalid)
		}
	case *proxy.RecordSpec:
		add("path", s.Path)
		add("max", dur(s.Max))
		add("silence", dur(s.Silence))
		add("silence_threshold", s.SilenceThreshold)
		add("beep", s.Beep)
		add("terminators", s.Terminators)
	case *proxy.BridgeSpec:
		add("to", s.To)
		add("timeout", dur(s.Timeout))
		if s.CallerID != "" {
			add("caller_id", s.CallerID)
		}
		if s.CallerName != "" {
			add("caller_name", s.CallerName)
		}
	case *proxy.TransferSpec:
		add("extension", s.Extension)
		add("dialplan", s.Dialplan)
		add("context", s.Context)
	case *proxy.ConferenceSpec:
		add("name", s.Name)
		add("profile", s.Profile)
		if len(s.Flags) > 0 {
			add("flags", s.Flags)
		}
	case *proxy.PauseSpec:
		add("duration", dur(s.Duration))
	case *proxy.SendDTMFSpec:
		add("digits", s.Digits)
	case *proxy.SetSpec:
		for _, sv := range s.Vars {
			add(sv.Name, sv.Value)
		}
	case *proxy.UnsetSpec:
		add("name", s.Name)
	case *proxy.HangupSpec:
		add("cause", s.Cause)
	case *proxy.RedirectSpec:
		add("url", s.URL)
	case *proxy.LogSpec:
		add("text", s.Text)
		add("level", s.Level)
	case *proxy.ExecuteSpec:
		add("app", s.App)
		if s.Arg != "" {
			add("arg", s.Arg)
		}
	}
	return a
}

// verbLine is a verb on one line: its name, its main argument bare, the
// other options as key=value, and where its result goes.
func verbLine(v proxy.Verb) string {
	var b strings.Builder
	b.WriteString(v.Name)
	_, isSet := v.Spec.(*proxy.SetSpec)
	for i, a := range verbArgs(v) {
		b.WriteByte(' ')
		if i > 0 || isSet {
			b.WriteString(a.Key)
			b.WriteByte('=')
		}
		b.WriteString(argText(a.Value))
	}
	switch {
	case strings.Contains(v.Action, "://"):
		// A webhook app's action, resolved against its URL.
		b.WriteString(" -> ")
		b.WriteString(v.Action)
	case v.Action != "":
		// A flow's: the state whose transitions judge the result.
		b.WriteString(" (ends state ")
		b.WriteString(v.Action)
		b.WriteString(")")
	}
	return b.String()
}

// argText shows a value on one line; text with spaces or line breaks is
// quoted, so each argument stays one word.
func argText(v any) string {
	switch x := v.(type) {
	case string:
		if x == "" || strings.ContainsAny(x, " \t\r\n\"") {
			return strconv.Quote(x)
		}
		return x
	case []string:
		q := make([]string, len(x))
		for i, s := range x {
			q[i] = argText(s)
		}
		return strings.Join(q, ",")
	case int:
		return strconv.Itoa(x)
	case bool:
		return strconv.FormatBool(x)
	}
	return ""
}

// dur shows a duration as apps write it: 5s, 60s, 500ms, 2.5s.
func dur(d time.Duration) string {
	switch {
	case d%time.Second == 0:
		return strconv.FormatInt(int64(d/time.Second), 10) + "s"
	case d < time.Second && d%time.Millisecond == 0:
		return strconv.FormatInt(d.Milliseconds(), 10) + "ms"
	}
	return d.String()
}

// resultLine describes a verb's result, or "" when there is nothing to
// say beyond "it ran" (a prompt that played to its end).
func resultLine(r *proxy.VerbResult, hasAction bool) string {
	if r == nil {
		return ""
	}
	var parts []string
	if r.Digits != "" {
		parts = append(parts, "digits "+r.Digits)
	}
	if rec := r.Recording; rec != nil {
		parts = append(parts, "recording "+rec.Path+" ("+dur(time.Duration(rec.DurationMS)*time.Millisecond)+", "+strconv.FormatInt(rec.Size, 10)+" bytes)")
	}
	if br := r.Bridge; br != nil {
		s := "bridge " + br.Status
		if br.Cause != "" {
			s += " (" + br.Cause + ")"
		}
		parts = append(parts, s)
	}
	if len(parts) == 0 && r.Reason == proxy.ReasonOK && !hasAction {
		return ""
	}
	line := r.Reason
	if len(parts) > 0 {
		line += ": " + strings.Join(parts, ", ")
	}
	if r.Reason == proxy.ReasonError && r.Response != "" {
		line += " (" + r.Response + ")"
	}
	return line
}
