package verb

import (
	"errors"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/callhook/callhook/internal/suggest"
	"github.com/callhook/callhook/internal/yamlx"

	"gopkg.in/yaml.v3"
)

// verbDef describes one verb of the verb table.
type verbDef struct {
	name string
	// main is the option the short form (verb: value) sets; "" when the
	// verb takes no argument, or (set) reads its whole value itself.
	main string
	// opts are the verb's options, main first, action last when it has one.
	opts  []string
	parse func(a *args) Spec
}

// action is the option that sends a verb's result to the app (a URL) or, in
// flows, to a state.
const optAction = "action"

// The say and speak verbs' options, which prompt list items take too.
var (
	sayOpts   = []string{"text", "lang", "type", "method", "gender"}
	speakOpts = []string{"text", "engine", "voice"}
)

// verbDefs is the verb table, in the order README.md's "Verbs" lists them.
var verbDefs = []verbDef{
	{name: "answer", parse: bareVerb("answer")},
	{name: "pre_answer", parse: bareVerb("pre_answer")},
	{name: "ring_ready", parse: bareVerb("ring_ready")},
	{name: "play", main: "file", opts: []string{"file", "loop"}, parse: parsePlay},
	{name: "say", main: "text", opts: sayOpts, parse: parseSay},
	{name: "speak", main: "text", opts: speakOpts, parse: parseSpeak},
	{name: "gather", main: "play", opts: []string{"play", "min", "max", "tries", "timeout", "digit_timeout", "terminators", "invalid", "regex", optAction}, parse: parseGather},
	{name: "record", main: "path", opts: []string{"path", "max", "silence_threshold", "silence", "beep", "terminators", "upload", "recording_status_url", optAction}, parse: parseRecord},
	{name: "record_call", main: "mode", opts: []string{"mode", "path", "upload", "recording_status_url", optAction}, parse: parseRecordCall},
	{name: "bridge", main: "to", opts: []string{"to", "mode", "timeout", "caller_id", "caller_name", "time_limit", "ringback", "hangup_on_star", "confirm", "record", optAction}, parse: parseBridge},
	{name: "transfer", main: "extension", opts: []string{"extension", "dialplan", "context"}, parse: parseTransfer},
	{name: "conference", main: "name", opts: []string{"name", "profile", "flags"}, parse: parseConference},
	{name: "park", parse: bareVerb("park")},
	{name: "pause", main: "duration", opts: []string{"duration"}, parse: parsePause},
	{name: "send_dtmf", main: "digits", opts: []string{"digits"}, parse: parseSendDTMF},
	{name: "set", parse: parseSet},
	{name: "unset", main: "name", opts: []string{"name"}, parse: parseUnset},
	{name: "reject", main: "reason", opts: []string{"reason", "code"}, parse: parseReject},
	{name: "hangup", main: "cause", opts: []string{"cause"}, parse: parseHangup},
	{name: "redirect", main: "url", opts: []string{"url"}, parse: parseRedirect},
	{name: "log", main: "text", opts: []string{"text", "level"}, parse: parseLog},
	{name: "execute", main: "app", opts: []string{"app", "arg", optAction}, parse: parseExecute},
}

func lookupVerb(name string) (*verbDef, bool) {
	for i := range verbDefs {
		if verbDefs[i].name == name {
			return &verbDefs[i], true
		}
	}
	return nil, false
}

// Names returns the names of every verb, in the verb table's order.
func Names() []string {
	out := make([]string, len(verbDefs))
	for i, d := range verbDefs {
		out[i] = d.name
	}
	return out
}

// VerbOptions returns a verb's main option (the one its short form sets;
// "" for verbs without one) and all its option names, main first. ok is
// false for an unknown verb. The set verb reports no options: its map holds
// variable names.
func VerbOptions(name string) (main string, opts []string, ok bool) {
	d, ok := lookupVerb(name)
	if !ok {
		return "", nil, false
	}
	return d.main, slices.Clone(d.opts), true
}

// validator is implemented by every Spec: the checks that both parsing and
// MapText run. It returns an *optError naming the option at fault.
type validator interface {
	check() error
}

// parseVerb parses one element of a verb list.
func parseVerb(n *yaml.Node, o *ParseOptions) (Verb, error) {
	n = yamlx.Deref(n)
	var (
		name  string
		value *yaml.Node
	)
	switch {
	case n.Kind == yaml.ScalarNode && n.ShortTag() == "!!str":
		name = n.Value
	case n.Kind == yaml.MappingNode && len(n.Content) == 2:
		k := yamlx.Deref(n.Content[0])
		if k.Kind != yaml.ScalarNode {
			return Verb{}, &InvalidReplyError{Line: k.Line, Msg: "a verb name must be a string"}
		}
		name, value = k.Value, yamlx.Deref(n.Content[1])
	case n.Kind == yaml.MappingNode && len(n.Content) > 2:
		var keys []string
		for i := 0; i < len(n.Content) && len(keys) < 4; i += 2 {
			keys = append(keys, Quote(yamlx.Deref(n.Content[i]).Value))
		}
		if len(n.Content) > 8 {
			keys = append(keys, "...")
		}
		return Verb{}, &InvalidReplyError{Line: n.Line, Msg: "a verb is a map with one key, found " +
			strings.Join(keys, ", ") + " (put each verb in its own list item, and indent its options under it)"}
	default:
		return Verb{}, &InvalidReplyError{Line: n.Line, Msg: "want a verb name or a one-key map, got " + kindName(n)}
	}
	d, ok := lookupVerb(name)
	if !ok {
		return Verb{}, &InvalidReplyError{Line: n.Line, Msg: "unknown verb " + Quote(name) + suggest.Hint(name, verbNames())}
	}
	a := newArgs(name, n.Line, o)
	if value != nil && !yamlx.IsNull(value) {
		a.value = value
		if err := a.collect(d, value); err != nil {
			return Verb{}, err
		}
	}
	v := Verb{Name: name, Line: n.Line}
	v.Spec = d.parse(a)
	if slices.Contains(d.opts, optAction) && a.has(optAction) {
		v.Action = a.action()
	}
	if a.err != nil {
		return Verb{}, a.err
	}
	if err := checkSpec(v.Spec, o.Templates); err != nil {
		line, msg := a.line, name+": "+err.Error()
		var oe *optError
		if errors.As(err, &oe) && oe.Opt != "" {
			line = a.lineOf(oe.Opt)
		}
		return Verb{}, &InvalidReplyError{Line: line, Msg: msg}
	}
	return v, nil
}

// collect files a verb's value under its options: a map of options, or a
// scalar or list for the main option.
func (a *args) collect(d *verbDef, value *yaml.Node) *InvalidReplyError {
	if d.name == "set" {
		return nil // parseSet reads a.value itself
	}
	if value.Kind != yaml.MappingNode {
		if d.main == "" {
			return &InvalidReplyError{Line: value.Line, Msg: d.name + ": takes no argument"}
		}
		a.setNode(d.main, value)
		return nil
	}
	for i := 0; i+1 < len(value.Content); i += 2 {
		k, v := yamlx.Deref(value.Content[i]), yamlx.Deref(value.Content[i+1])
		if k.Kind != yaml.ScalarNode || !slices.Contains(d.opts, k.Value) {
			return &InvalidReplyError{Line: k.Line, Msg: d.name + ": unknown option " + Quote(k.Value) + optionList(d) + suggest.Hint(k.Value, d.opts)}
		}
		if a.node(k.Value) != nil {
			return &InvalidReplyError{Line: k.Line, Msg: d.name + ": option " + Quote(k.Value) + " given twice"}
		}
		a.setNode(k.Value, v)
	}
	return nil
}

// verbNames lists the verbs' names, for "did you mean".
func verbNames() []string {
	names := make([]string, len(verbDefs))
	for i := range verbDefs {
		names[i] = verbDefs[i].name
	}
	return names
}

func optionList(d *verbDef) string {
	if len(d.opts) == 0 {
		return " (" + d.name + " takes no options)"
	}
	return " (options: " + strings.Join(d.opts, ", ") + ")"
}

// Quote quotes a value for an error message, shortened: the value may be
// anything a web app sent.
func Quote(s string) string {
	const limit = 64
	if len(s) > limit {
		cut := limit
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "..."
	}
	return strconv.Quote(s)
}

// checkSpec validates a parsed verb. With templates allowed, a copy with
// each template replaced by a placeholder is checked, so that only the
// literal text is judged now; MapText judges the filled-in text later.
func checkSpec(spec Spec, templates bool) error {
	if !templates {
		return spec.(validator).check()
	}
	_, err := spec.MapText(func(s string) (string, error) { return untemplate(s), nil })
	var ie *InvalidReplyError
	if errors.As(err, &ie) && ie.cause != nil {
		return ie.cause
	}
	return err
}
