package proxy

import (
	"net/url"

	"github.com/callhook/callhook/esl"
	"gopkg.in/yaml.v3"
)

// Verb is one step of an app's instructions (DESIGN.md's verb table), parsed
// and validated. Verbs are values: nothing in them changes once parsed.
type Verb struct {
	Name   string // canonical name: play, gather, hangup, ...
	Action string // where the result goes; "" for none. Opaque to the session: a URL for webhook apps, a state for flows.
	Line   int    // line in the document it came from (0 if unknown)
	Spec   Spec
}

// Exec is one FreeSWITCH application the session runs for a verb, with
// event-lock and a fresh Event-UUID, waiting for its completion.
type Exec struct {
	App   string
	Arg   string
	Loops int // 0 or 1: once
}

// PlanContext is what a verb may use to plan its execs and read its result.
type PlanContext struct {
	Call *Call
	Seq  int // the verb's sequence number in the call, 1, 2, ... (names per-verb variables)
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
	Result(pc PlanContext, complete *esl.Event, hungUp bool) *VerbResult
	// MapText returns a copy with f applied to every text argument (flow
	// templates); f's error is returned as is.
	MapText(f func(string) (string, error)) (Spec, error)
}

// ParseOptions bound and shape what ParseReply and ParseVerbs accept.
type ParseOptions struct {
	MaxVerbs     int      // per list; 0 = no limit
	AllowExecute []string // applications the execute verb may run
	Base         *url.URL // action and redirect URLs are resolved against it; nil keeps them as written
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
// returning; errors carry line numbers.
func ParseReply(data []byte, o ParseOptions) (*Reply, error) { panic("unimplemented") }

// ParseVerbs parses a YAML sequence of verbs (flows call it per state).
func ParseVerbs(n *yaml.Node, o ParseOptions) ([]Verb, error) { panic("unimplemented") }
