package main

import (
	"strconv"
	"strings"
	"time"

	"github.com/callhook/callhook/verb"
)

// verbArgs lists a verb's options as the verb describes them
// (verb.Spec.Args: adding a verb adds nothing here), durations written as
// apps write them, so the transcript reads like the reply that asked for
// the verb.
func verbArgs(v verb.Verb) []verb.Arg {
	args := v.Spec.Args()
	for i, a := range args {
		if d, ok := a.Value.(time.Duration); ok {
			args[i].Value = dur(d)
		}
	}
	return args
}

// verbLine is a verb on one line: its name, its main argument bare, the
// other options as key=value, and where its result goes.
func verbLine(v verb.Verb) string {
	var b strings.Builder
	b.WriteString(v.Name)
	_, isSet := v.Spec.(*verb.SetSpec)
	for i, a := range verbArgs(v) {
		b.WriteByte(' ')
		if i > 0 || isSet {
			b.WriteString(a.Name)
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
func resultLine(r *verb.Result, hasAction bool) string {
	if r == nil {
		return ""
	}
	var parts []string
	if r.Digits != "" {
		parts = append(parts, "digits "+r.Digits)
	}
	if rec := r.Recording; rec != nil {
		where := rec.Path
		if rec.URL != "" {
			where = rec.URL // what the app fetches
		}
		parts = append(parts, "recording "+where+" ("+dur(time.Duration(rec.DurationMS)*time.Millisecond)+", "+strconv.FormatInt(rec.Size, 10)+" bytes)")
		if u := rec.Upload; u != nil {
			if u.Error != "" {
				parts = append(parts, "upload to "+u.URL+" failed: "+u.Error)
			} else {
				parts = append(parts, "uploaded to "+u.URL)
			}
		}
	}
	if br := r.Bridge; br != nil {
		s := "bridge " + br.Status
		if br.Cause != "" {
			s += " (" + br.Cause + ")"
		}
		parts = append(parts, s)
	}
	if len(parts) == 0 && r.Reason == verb.ReasonOK && !hasAction {
		return ""
	}
	line := r.Reason
	if len(parts) > 0 {
		line += ": " + strings.Join(parts, ", ")
	}
	if r.Reason == verb.ReasonError && r.Response != "" {
		line += " (" + r.Response + ")"
	}
	return line
}
