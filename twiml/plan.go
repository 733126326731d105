package twiml

import (
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/callhook/callhook/verb"
	"gopkg.in/yaml.v3"
)

// Step is one TwiML verb, planned: the callhook verb that carries it out,
// and what the dialog does once it ran.
type Step struct {
	TwiML string    // the TwiML verb: Say, Gather, ...
	Verb  verb.Verb // the callhook verb (its Line is the TwiML's)
	// Action is the absolute URL the verb's result is requested from, and
	// Method how ("" when the document goes on after the verb).
	Action, Method string
	// OnEmpty is Gather's actionOnEmptyResult: no digits still requests
	// Action.
	OnEmpty bool
	// Recording is the file name of the recording the verb makes (a
	// Record, a recorded Dial; "" for none): RE and 32 hex digits, its
	// RecordingSid, and .wav. RecordingSource and RecordingChannels are
	// what its recordingStatusCallback says of it.
	Recording         string
	RecordingSource   string
	RecordingChannels int
	// RecordingStatusCallback (and its method) is told of the verb's
	// recording.
	RecordingStatusCallback, RecordingStatusMethod string
	// Waited is set on a Redirect that a Pause, Gather or Record comes
	// before in its document: reaching it took at least a second of the
	// call (Pause's length, a Gather's timeout with no input, a Record's
	// silence or its caller's key), so its loop is a hold loop, not a
	// tight one.
	Waited bool
}

// PlanOptions are what a plan needs besides the document.
type PlanOptions struct {
	// URL is the document's own URL: relative URLs resolve against it,
	// and Gather and Record without action post there.
	URL *url.URL
	// Answered says the call is answered already: no answer verb is put
	// first, and Reject is refused.
	Answered bool
	// Voices maps Say's voice (and voice/language) onto a TTS engine and
	// voice of the switch (nil: DefaultVoices).
	Voices map[string]Voice
	// Dial is how Dial's nouns become dial strings.
	Dial DialRules
	// ConferenceProfile is the conference profile of Dial's Conference
	// ("": default).
	ConferenceProfile string
	// Account is the app's AccountSid: Conference rooms are namespaced
	// to it, as Twilio's are to an account.
	Account string
	// Recordings says callhook delivers recordings (the config's
	// recordings: section): without it a Record or a recorded Dial has no
	// RecordingUrl to give, and is unsupported.
	Recordings bool
	// RecordingName names a recording's file: it is given the verb's
	// index in the document, and returns RE, 32 hex digits and .wav.
	RecordingName func(i int) string
	// Verb are the app's ParseOptions: its files and allow lists. Base
	// and MaxVerbs are the plan's.
	Verb verb.ParseOptions
	// MaxVerbs bounds a document's verbs (0: 100).
	MaxVerbs int
}

// Voice is a TTS engine and one of its voices (speak engine|voice|text).
type Voice struct{ Engine, Voice string }

// DefaultVoices is Say's voice map when an app gives none: Twilio's three
// basic voices on mod_flite's (man is Say's default voice).
var DefaultVoices = map[string]Voice{
	"man":   {Engine: "flite", Voice: "kal"},
	"woman": {Engine: "flite", Voice: "slt"},
	"alice": {Engine: "flite", Voice: "slt"},
}

// DialRules turn Dial's nouns into dial strings, each a template whose
// {number}, {uri} or {name} the noun's text fills. The dial string then
// passes the bridge verb's own checks (verb/policy.go), so an app dials
// only what its allow lists permit.
type DialRules struct {
	Number string // Number: "" refuses it, e.g. sofia/gateway/out/{number}
	Sip    string // Sip: "" means DefaultSip
	Client string // Client: "" means DefaultClient
}

// Defaults of DialRules.
const (
	DefaultSip    = "sofia/external/{uri}"
	DefaultClient = "user/{name}"
)

// Unsupported is the error of TwiML that callhook reads but cannot carry
// out (speech input, Stream, Pay, an attribute it has no switch feature
// for): the app's fallback is told, the verb is never skipped silently.
type Unsupported struct {
	Line int
	What string
}

func (e *Unsupported) Error() string {
	return fmt.Sprintf("twiml: line %d: %s is not supported by callhook", e.Line, e.What)
}

// Plan maps a parsed document onto callhook verbs, checked by package verb
// exactly as a webhook app's reply is (files, dial strings, variables).
// Twilio's rules that shape the list: a document whose first verb is not
// Reject answers the call (an answer verb first); verbs run top to bottom
// and the end of the list hangs up (the session's rule too).
func Plan(doc *Node, o PlanOptions) ([]Step, error) {
	max := o.MaxVerbs
	if max <= 0 {
		max = 100
	}
	if len(doc.Children) > max {
		return nil, &ParseError{Line: doc.Children[max].Line, Msg: fmt.Sprintf("more than %d verbs", max)}
	}
	p := &planner{o: o}
	var steps []Step
	waited := false
	first := len(doc.Children) == 0 || doc.Children[0].Name != "Reject"
	if first && !o.Answered {
		v, err := p.verb(0, "answer", nil)
		if err != nil {
			return nil, err
		}
		steps = append(steps, Step{TwiML: "", Verb: v})
	}
	for i, n := range doc.Children {
		if n.Name == "Reject" && (i > 0 || o.Answered) {
			return nil, &ParseError{Line: n.Line, Msg: "<Reject> must be the first verb of the call's first document: it refuses a call that is not answered yet"}
		}
		if n.Name == "Gather" {
			// FreeSWITCH never clears read_terminator_used (switch_ivr_read
			// sets it only when a key ends the input,
			// src/switch_ivr_play_say.c): without this, an earlier
			// Gather's key would read as this one's FinishedOnKey.
			v, err := p.verb(n.Line, "unset", "read_terminator_used")
			if err != nil {
				return nil, err
			}
			steps = append(steps, Step{Verb: v})
		}
		s, err := p.step(i, n)
		if err != nil {
			return nil, err
		}
		s.Waited = waited && n.Name == "Redirect"
		waited = waited || n.Name == "Pause" || n.Name == "Gather" || n.Name == "Record"
		steps = append(steps, s)
	}
	return steps, nil
}

// planner plans one document.
type planner struct{ o PlanOptions }

// supported are the verbs and the attributes callhook carries out.
// notSupported are TwiML's other verbs and attributes, refused by name.
var (
	supported = map[string][]string{
		"Say":    {"voice", "language", "loop"},
		"Play":   {"loop", "digits"},
		"Pause":  {"length"},
		"Gather": {"input", "numDigits", "timeout", "finishOnKey", "action", "method", "actionOnEmptyResult"},
		"Record": {"maxLength", "timeout", "finishOnKey", "playBeep", "action", "method", "recordingStatusCallback", "recordingStatusCallbackMethod", "recordingStatusCallbackEvent", "trim"},
		"Dial": {"action", "method", "timeout", "timeLimit", "callerId", "hangupOnStar", "record", "ringTone",
			"recordingStatusCallback", "recordingStatusCallbackMethod", "recordingStatusCallbackEvent"},
		"Redirect": {"method"},
		"Reject":   {"reason"},
		"Hangup":   {},
	}
	notSupportedVerbs = []string{"Connect", "Echo", "Enqueue", "Leave", "Pay", "Prompt", "Queue", "Refer", "Sms", "Message", "Start", "Stop", "Stream", "Siprec", "Transcription", "VirtualAgent"}
)

// step plans the i-th verb of the document.
func (p *planner) step(i int, n *Node) (Step, error) {
	attrs, ok := supported[n.Name]
	if !ok {
		if slices.Contains(notSupportedVerbs, n.Name) {
			return Step{}, &Unsupported{Line: n.Line, What: "<" + n.Name + ">"}
		}
		return Step{}, &ParseError{Line: n.Line, Msg: "unknown verb <" + n.Name + ">"}
	}
	if err := checkAttrs(n, attrs); err != nil {
		return Step{}, err
	}
	s := Step{TwiML: n.Name}
	var err error
	switch n.Name {
	case "Say":
		s.Verb, err = p.say(n)
	case "Play":
		s.Verb, err = p.play(n)
	case "Pause":
		s.Verb, err = p.pause(n)
	case "Gather":
		err = p.gather(n, &s)
	case "Record":
		err = p.record(i, n, &s)
	case "Dial":
		err = p.dial(i, n, &s)
	case "Redirect":
		err = p.redirect(n, &s)
	case "Reject":
		s.Verb, err = p.reject(n)
	case "Hangup":
		if err = noContent(n); err == nil {
			s.Verb, err = p.verb(n.Line, "hangup", nil)
		}
	}
	return s, err
}

// checkAttrs refuses an attribute the verb does not take: TwiML's others
// as unsupported, anything else as unknown.
func checkAttrs(n *Node, allowed []string) error {
	for _, a := range n.Attrs {
		if !slices.Contains(allowed, a.Name) {
			if slices.Contains(unsupportedAttrs[n.Name], a.Name) {
				return &Unsupported{Line: n.Line, What: "<" + n.Name + " " + a.Name + ">"}
			}
			return &ParseError{Line: n.Line, Msg: fmt.Sprintf("<%s>: unknown attribute %s", n.Name, a.Name)}
		}
	}
	return nil
}

// unsupportedAttrs are Twilio's documented attributes callhook does not
// carry out, per verb or noun.
var unsupportedAttrs = map[string][]string{
	"Gather": {"speechTimeout", "maxSpeechTime", "profanityFilter", "speechModel", "enhanced", "hints", "language",
		"partialResultCallback", "partialResultCallbackMethod", "bargeIn", "debug"},
	"Record": {"transcribe", "transcribeCallback", "recordingChannels", "storageUrl", "storageUrlMethod", "recordingTrack"},
	"Dial":   {"answerOnBridge", "recordingTrack", "referUrl", "referMethod", "trim", "events", "sequential"},
	"Number": {"sendDigits", "url", "method", "statusCallback", "statusCallbackEvent", "statusCallbackMethod", "byoc", "machineDetection",
		"amdStatusCallback", "amdStatusCallbackMethod", "machineDetectionTimeout"},
	"Sip": {"username", "password", "url", "method", "statusCallback", "statusCallbackEvent", "statusCallbackMethod",
		"machineDetection", "amdStatusCallback", "amdStatusCallbackMethod", "machineDetectionTimeout"},
	"Client": {"url", "method", "statusCallback", "statusCallbackEvent", "statusCallbackMethod"},
	"Conference": {"waitUrl", "waitMethod", "maxParticipants", "record", "region", "trim", "coach", "statusCallback",
		"statusCallbackEvent", "statusCallbackMethod", "recordingStatusCallback", "recordingStatusCallbackMethod",
		"recordingStatusCallbackEvent", "eventCallbackUrl", "jitterBufferSize", "participantLabel"},
}

// noContent refuses text and children in a verb that takes neither.
func noContent(n *Node) error {
	if len(n.Children) > 0 {
		return &ParseError{Line: n.Children[0].Line, Msg: fmt.Sprintf("<%s> holds <%s>: it holds nothing", n.Name, n.Children[0].Name)}
	}
	if n.Text != "" {
		return &ParseError{Line: n.Line, Msg: fmt.Sprintf("<%s> holds text: it holds nothing", n.Name)}
	}
	return nil
}

// verb parses one callhook verb from its options with package verb's own
// parser, so every check of a webhook reply applies; its errors carry
// the TwiML line.
func (p *planner) verb(line int, name string, opts any) (verb.Verb, error) {
	var item any = name
	if opts != nil {
		item = map[string]any{name: opts}
	}
	var n yaml.Node
	if err := n.Encode([]any{item}); err != nil {
		return verb.Verb{}, fmt.Errorf("twiml: %s: %w", name, err)
	}
	setLine(&n, line)
	o := p.o.Verb
	o.MaxVerbs = 0
	o.Base = nil // every URL is made absolute here
	o.Templates = false
	vs, err := verb.ParseVerbs(&n, o)
	if err != nil {
		var ie *verb.InvalidReplyError
		if errors.As(err, &ie) {
			return verb.Verb{}, &ParseError{Line: line, Msg: ie.Msg}
		}
		return verb.Verb{}, &ParseError{Line: line, Msg: err.Error()}
	}
	return vs[0], nil
}

func setLine(n *yaml.Node, line int) {
	n.Line = line
	for _, c := range n.Content {
		setLine(c, line)
	}
}

// resolve makes ref absolute against the document's URL: an http(s) URL.
func (p *planner) resolve(n *Node, what, ref string) (string, error) {
	r, err := url.Parse(ref)
	if err == nil && p.o.URL != nil {
		r = p.o.URL.ResolveReference(r)
	}
	if err != nil || !verb.IsHTTPURL(r.String()) {
		return "", &ParseError{Line: n.Line, Msg: fmt.Sprintf("<%s> %s %s: want an http(s) URL", n.Name, what, verb.Quote(ref))}
	}
	return r.String(), nil
}

// method reads a method attribute: GET or POST (def when absent).
func method(n *Node, attr, def string) (string, error) {
	v, ok := n.Attr(attr)
	if !ok {
		return def, nil
	}
	switch strings.ToUpper(v) {
	case "GET":
		return "GET", nil
	case "POST":
		return "POST", nil
	}
	return "", &ParseError{Line: n.Line, Msg: fmt.Sprintf("<%s %s=%q>: want GET or POST", n.Name, attr, v)}
}

// integer reads a whole-number attribute in [lo, hi] (def when absent).
func integer(n *Node, attr string, def, lo, hi int) (int, error) {
	v, ok := n.Attr(attr)
	if !ok {
		return def, nil
	}
	i, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || i < lo || i > hi {
		return 0, &ParseError{Line: n.Line, Msg: fmt.Sprintf("<%s %s=%q>: want a whole number %d to %d", n.Name, attr, v, lo, hi)}
	}
	return i, nil
}

// boolean reads a true/false attribute (def when absent).
func boolean(n *Node, attr string, def bool) (bool, error) {
	v, ok := n.Attr(attr)
	if !ok {
		return def, nil
	}
	switch strings.ToLower(v) {
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	return false, &ParseError{Line: n.Line, Msg: fmt.Sprintf("<%s %s=%q>: want true or false", n.Name, attr, v)}
}

// maxLoop is what Twilio's loop="0" (until the call ends) becomes: the
// play verb's most.
const maxLoop = 1000

// loop reads Say's and Play's loop: 1 by default, 0 for "until the call
// ends", which plays maxLoop times.
func loop(n *Node) (int, error) {
	l, err := integer(n, "loop", 1, 0, maxLoop)
	if l == 0 && err == nil {
		l = maxLoop
	}
	return l, err
}
