package verb

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/url"

	"github.com/callhook/callhook/esl"
	"github.com/callhook/callhook/internal/suggest"
	"github.com/callhook/callhook/internal/yamlx"
	"gopkg.in/yaml.v3"
)

// Verb is one step of an app's instructions (one row of the verb table), parsed
// and validated. Verbs are values: nothing in them changes once parsed.
type Verb struct {
	Name   string // canonical name: play, gather, hangup, ...
	Action string // where the result goes; "" for none. Opaque to the session: a URL for webhook apps, a state for flows.
	Line   int    // line in the document it came from (0 if unknown)
	Spec   Spec
}

// Exec is one FreeSWITCH application the session runs for a verb, with
// event-lock and a fresh Event-UUID, waiting for its completion.
//
// An Exec runs once: a repeated prompt is several Execs, because
// FreeSWITCH's loops header stops early when an iteration takes under
// 500 ms, and the number of completions would then be unknown.
type Exec struct {
	App string
	Arg string
	// After marks an application that runs after the verb's main one
	// (stop_record_session after a recording bridge): the verb's result is
	// read from the completion before it, and it runs even when a live
	// redirect is pending, so that nothing is left running.
	After bool
}

// PlanContext is what a verb may use to plan its execs and read its result.
type PlanContext struct {
	Seq int // the verb's sequence number in the call, 1, 2, ... (names per-verb variables)
	// RecordTo is where the verb's recording goes (a Recorder's): the
	// target the session planned (an http(s) URL FreeSWITCH uploads to, or
	// a path on the switch's host); "" for the app's recordings folder.
	RecordTo string
	// CallID is the call's Unique-ID (names a bridge's recording).
	CallID string
}

// Spec is a verb's options; there is one Spec type per verb. The hangup and
// redirect verbs are *HangupSpec and *RedirectSpec, which the session handles
// itself (a sendmsg hangup, a new document); every other verb is run as execs.
type Spec interface {
	// Execs returns the applications that run the verb, in order.
	Execs(pc PlanContext) []Exec
	// Result reads the verb's outcome from the CHANNEL_EXECUTE_COMPLETE of
	// its last exec (nil when none came), hungUp telling whether the channel
	// hung up while it ran.
	Result(pc PlanContext, complete *esl.Event, hungUp bool) *Result
	// MapText returns a copy with f applied to every text argument (flow
	// templates); f's error is returned as is.
	MapText(f func(string) (string, error)) (Spec, error)
	// Args returns the verb's options as an app writes them, the main one
	// first, with their values after defaults (simulate shows them).
	Args() []Arg
}

// Arg is one option of a verb: its name as apps write it, and its value,
// a string, an int, a bool, a time.Duration or a []string. The set verb's
// options are its variables.
type Arg struct {
	Name  string
	Value any
}

// ParseOptions bound and shape what ParseReply and ParseVerbs accept.
type ParseOptions struct {
	MaxVerbs     int      // per list; 0 = no limit
	AllowExecute []string // applications the execute verb may run (case-insensitive)
	// AllowVars, AllowEndpoints and AllowDialplans allow more than the
	// defaults (policy.go): variables that set, export and a bridge's
	// [...] blocks may name (an entry ending in * is a prefix), bridge
	// endpoint types, and transfer dialplans. Compared case-insensitively.
	AllowVars      []string
	AllowEndpoints []string
	AllowDialplans []string
	Base           *url.URL // action and redirect URLs are resolved against it; nil keeps them as written
	// Templates allows {{...}} templates in text arguments (flows): each is
	// checked as a harmless placeholder, and Spec.MapText checks the text
	// again once the templates are filled in. Webhook replies leave it off,
	// so their text is checked literally.
	Templates bool
	// Files are the folders the app's files must be in: record's
	// recordings folder, play's media folders (files.go). nil: FileRules'
	// zero value.
	Files *FileRules
}

// Reply is a webhook app's parsed answer.
type Reply struct {
	Verbs []Verb
	// Session is the app's session data; HasSession tells whether the reply set it.
	Session    any
	HasSession bool
}

// ParseReply parses a whole reply document (YAML or JSON): a bare list of
// verbs, or a map with verbs: and session:. It validates everything before
// returning; errors carry line numbers. An empty document is a reply with no
// verbs (the session then hangs up). Every error is an *InvalidReplyError;
// the first one found is returned.
func ParseReply(data []byte, o ParseOptions) (*Reply, error) {
	return parseReply(data, o, parseDocument)
}

// parseReply is ParseReply with the document parser given (the tests
// compare the JSON fast path with yaml.v3 alone).
func parseReply(data []byte, o ParseOptions, parse func([]byte) (*yaml.Node, error)) (*Reply, error) {
	doc, err := parse(data)
	if err != nil {
		return nil, err
	}
	rep := &Reply{}
	if doc == nil {
		return rep, nil
	}
	switch doc.Kind {
	case yaml.SequenceNode:
		if err := checkAliases(doc, len(data)); err != nil {
			return nil, err
		}
		rep.Verbs, err = ParseVerbs(doc, o)
	case yaml.MappingNode:
		err = parseReplyMap(doc, o, rep, len(data))
	default:
		err = &InvalidReplyError{Line: doc.Line, Msg: "want a list of verbs, or a map with verbs and session, got " + kindName(doc)}
	}
	if err != nil {
		return nil, err
	}
	return rep, nil
}

// parseReplyMap reads a reply's verbs: and session: keys into rep.
func parseReplyMap(doc *yaml.Node, o ParseOptions, rep *Reply, size int) error {
	var verbs *yaml.Node
	for i := 0; i+1 < len(doc.Content); i += 2 {
		k, v := doc.Content[i], doc.Content[i+1]
		switch {
		case k.Kind != yaml.ScalarNode:
			return &InvalidReplyError{Line: k.Line, Msg: "a key must be a string"}
		case k.Value == "verbs" && verbs == nil:
			verbs = v
		case k.Value == "session" && !rep.HasSession:
			s, err := sessionValue(v, size)
			if err != nil {
				return err
			}
			rep.Session, rep.HasSession = s, true
		case k.Value == "verbs" || k.Value == "session":
			return &InvalidReplyError{Line: k.Line, Msg: Quote(k.Value) + " given twice"}
		default:
			return &InvalidReplyError{Line: k.Line, Msg: "unknown key " + Quote(k.Value) + " (a reply has verbs and session)" + suggest.Hint(k.Value, []string{"verbs", "session"})}
		}
	}
	var err error
	if verbs != nil {
		if err := checkAliases(verbs, size); err != nil {
			return err
		}
		rep.Verbs, err = ParseVerbs(verbs, o)
	}
	return err
}

// parseDocument parses one YAML (or JSON) document into its root node, nil
// for an empty document. A JSON object or array takes the fast path
// (reply_json.go), which builds the same tree yaml.v3 would.
func parseDocument(data []byte) (*yaml.Node, error) {
	if root, ok := jsonDocument(data); ok {
		return root, nil
	}
	return parseYAMLDocument(data)
}

// checkAliases refuses a reply whose verbs' aliases would make it read as
// far more than it holds (the session keeps its own budget). yaml.v3 keeps an alias as a pointer to its anchored
// node, and every verb reads the node it points at again: a 900 KB reply
// of one anchored set of 90,000 variables and 99 verbs "- *a" was 100
// verbs, 9,000,000 set executes and seconds of parsing, past
// max_reply_bytes and max_verbs alike. Following aliases, a reply may
// visit about twice as many nodes as it has bytes, the budget
// sessionValue keeps; one without aliases has fewer nodes than bytes. The
// budget also ends the walk on an alias inside its own anchor.
func checkAliases(doc *yaml.Node, size int) error {
	budget := 2*size + 64
	var walk func(n *yaml.Node) error
	walk = func(n *yaml.Node) error {
		if budget--; budget < 0 {
			return &InvalidReplyError{Line: n.Line, Msg: "too many aliases (the reply would be too large)"}
		}
		if n.Kind == yaml.AliasNode && n.Alias != nil {
			return walk(n.Alias)
		}
		for _, c := range n.Content {
			if err := walk(c); err != nil {
				return err
			}
		}
		return nil
	}
	return walk(doc)
}

// parseYAMLDocument parses data with yaml.v3. yaml.v3 has panicked on
// crafted input before (CVE-2022-28948), and a reply is peer input, so a
// panic becomes an error.
func parseYAMLDocument(data []byte) (root *yaml.Node, err error) {
	defer func() {
		if p := recover(); p != nil {
			root, err = nil, &InvalidReplyError{Msg: fmt.Sprintf("syntax error: yaml parser failed: %v", p)}
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, nil
		}
		return nil, syntaxError(err)
	}
	var extra yaml.Node
	switch err := dec.Decode(&extra); {
	case err == nil:
		return nil, &InvalidReplyError{Line: extra.Line, Msg: "more than one YAML document"}
	case !errors.Is(err, io.EOF):
		return nil, syntaxError(err)
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		return nil, nil
	}
	return doc.Content[0], nil
}

// ParseVerbs parses a YAML sequence of verbs (flows call it per state). A
// null node is an empty list. Errors are *InvalidReplyError values with the
// line of the offending node; the first one found is returned.
func ParseVerbs(n *yaml.Node, o ParseOptions) ([]Verb, error) {
	n = yamlx.Deref(n)
	if n == nil || yamlx.IsNull(n) {
		return nil, nil
	}
	if n.Kind != yaml.SequenceNode {
		return nil, &InvalidReplyError{Line: n.Line, Msg: "verbs: want a list of verbs, got " + kindName(n)}
	}
	if o.MaxVerbs > 0 && len(n.Content) > o.MaxVerbs {
		return nil, &InvalidReplyError{Line: n.Content[o.MaxVerbs].Line,
			Msg: fmt.Sprintf("too many verbs: %d, at most %d", len(n.Content), o.MaxVerbs)}
	}
	verbs := make([]Verb, 0, len(n.Content))
	for _, c := range n.Content {
		v, err := parseVerb(c, &o)
		if err != nil {
			return nil, err
		}
		verbs = append(verbs, v)
	}
	if err := checkRejectOrder(verbs); err != nil {
		return nil, err
	}
	return verbs, nil
}
