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
	// RecordingStatusCallback (and its method) is told of a Record's
	// recording.
	RecordingStatusCallback, RecordingStatusMethod string
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
	// RecordingName names a Record's file: it is given the verb's index
	// in the document.
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
			// FreeSWITCH never clears read_terminator_used: without this,
			// an earlier Gather's key would read as this one's
			// FinishedOnKey.
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
		"Say":      {"voice", "language", "loop"},
		"Play":     {"loop", "digits"},
		"Pause":    {"length"},
		"Gather":   {"input", "numDigits", "timeout", "finishOnKey", "action", "method", "actionOnEmptyResult"},
		"Record":   {"maxLength", "timeout", "finishOnKey", "playBeep", "action", "method", "recordingStatusCallback", "recordingStatusCallbackMethod", "recordingStatusCallbackEvent", "trim"},
		"Dial":     {"action", "method", "timeout", "timeLimit", "callerId", "hangupOnStar", "record", "ringTone"},
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
		err = p.dial(n, &s)
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
	"Dial": {"answerOnBridge", "recordingStatusCallback", "recordingStatusCallbackMethod", "recordingStatusCallbackEvent",
		"recordingTrack", "referUrl", "referMethod", "trim", "events", "sequential"},
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

// speakOpts is Say's text as a speak verb's (or a prompt list item's)
// options, with the engine and voice its voice maps to.
func (p *planner) speakOpts(n *Node) (map[string]any, error) {
	if len(n.Children) > 0 {
		return nil, &Unsupported{Line: n.Children[0].Line, What: "SSML in <Say> (<" + n.Children[0].Name + ">)"}
	}
	if n.Text == "" {
		return nil, &ParseError{Line: n.Line, Msg: "<Say> has no text"}
	}
	v, err := p.voice(n)
	if err != nil {
		return nil, err
	}
	// Runs of white space (a document's indentation, line breaks) are
	// one space to a voice, and a Gather's prompt takes one line only.
	text := strings.Join(strings.Fields(n.Text), " ")
	return map[string]any{"text": text, "engine": v.Engine, "voice": v.Voice}, nil
}

// voice maps Say's voice and language onto the switch's TTS: the map's
// "voice/language" entry, else (for no language, or en-US, Twilio's
// default) its "voice" entry. A voice or language the map lacks is
// unsupported: spoken in the wrong one, the words would be no better
// than silence.
func (p *planner) voice(n *Node) (Voice, error) {
	voices := p.o.Voices
	if voices == nil {
		voices = DefaultVoices
	}
	name, ok := n.Attr("voice")
	if !ok {
		name = "man"
	}
	lang, hasLang := n.Attr("language")
	if hasLang {
		if v, ok := voices[name+"/"+lang]; ok {
			return v, nil
		}
	}
	if !hasLang || strings.EqualFold(lang, "en-US") {
		if v, ok := voices[name]; ok {
			return v, nil
		}
	}
	what := fmt.Sprintf("<Say voice=%q>", name)
	if hasLang {
		what = fmt.Sprintf("<Say voice=%q language=%q>", name, lang)
	}
	return Voice{}, &Unsupported{Line: n.Line, What: what + " (no entry in the app's voices)"}
}

// say: a speak verb; with loop, a play of a one-item speak list, looped.
func (p *planner) say(n *Node) (verb.Verb, error) {
	opts, err := p.speakOpts(n)
	if err != nil {
		return verb.Verb{}, err
	}
	l, err := loop(n)
	if err != nil {
		return verb.Verb{}, err
	}
	if l == 1 {
		return p.verb(n.Line, "speak", opts)
	}
	return p.verb(n.Line, "play", map[string]any{"file": []any{map[string]any{"speak": opts}}, "loop": l})
}

// play: a play of the URL, or send_dtmf of its digits.
func (p *planner) play(n *Node) (verb.Verb, error) {
	if len(n.Children) > 0 {
		return verb.Verb{}, &ParseError{Line: n.Children[0].Line, Msg: "<Play> holds <" + n.Children[0].Name + ">: it holds a URL"}
	}
	l, err := loop(n)
	if err != nil {
		return verb.Verb{}, err
	}
	if digits, ok := n.Attr("digits"); ok {
		if n.Text != "" {
			return verb.Verb{}, &ParseError{Line: n.Line, Msg: "<Play> has both digits and a URL"}
		}
		if _, looped := n.Attr("loop"); looped {
			return verb.Verb{}, &Unsupported{Line: n.Line, What: "<Play digits loop>"}
		}
		// send_dtmf's w is a half-second pause, as Twilio's is.
		return p.verb(n.Line, "send_dtmf", digits)
	}
	if n.Text == "" {
		return verb.Verb{}, &ParseError{Line: n.Line, Msg: "<Play> has no URL"}
	}
	u, err := p.resolve(n, "URL", n.Text)
	if err != nil {
		return verb.Verb{}, err
	}
	return p.verb(n.Line, "play", map[string]any{"file": u, "loop": l})
}

// pause: silence of length seconds (1 by default).
func (p *planner) pause(n *Node) (verb.Verb, error) {
	if err := noContent(n); err != nil {
		return verb.Verb{}, err
	}
	l, err := integer(n, "length", 1, 1, 3600)
	if err != nil {
		return verb.Verb{}, err
	}
	return p.verb(n.Line, "pause", strconv.Itoa(l)+"s")
}

// gatherDigits is the regex a Gather's digits must match: any keys
// (Twilio reports what was pressed; callhook's gather wants digits only).
const gatherDigits = `[0-9*#]+`

// gather: a gather verb whose prompt list is the nested Say, Play and
// Pause; the first key stops the whole list, as Twilio's does.
func (p *planner) gather(n *Node, s *Step) error {
	if in, ok := n.Attr("input"); ok && in != "dtmf" {
		return &Unsupported{Line: n.Line, What: fmt.Sprintf("<Gather input=%q> (speech needs a recognizer a stock switch lacks)", in)}
	}
	if n.Text != "" {
		return &ParseError{Line: n.Line, Msg: "<Gather> holds text outside its nouns"}
	}
	num, err := integer(n, "numDigits", 128, 1, 128)
	if err != nil {
		return err
	}
	timeout, err := integer(n, "timeout", 5, 1, 600)
	if err != nil {
		return err
	}
	finish := "#"
	if v, ok := n.Attr("finishOnKey"); ok {
		finish = v
		if finish == "" {
			finish = "none"
		} else if len(finish) != 1 || !strings.Contains("0123456789*#", finish) {
			return &ParseError{Line: n.Line, Msg: fmt.Sprintf("<Gather finishOnKey=%q>: want one key, 0-9 * or #, or empty", v)}
		}
	}
	if s.OnEmpty, err = boolean(n, "actionOnEmptyResult", false); err != nil {
		return err
	}
	var list []any
	for _, c := range n.Children {
		items, err := p.prompt(c)
		if err != nil {
			return err
		}
		list = append(list, items...)
	}
	opts := map[string]any{"min": 1, "max": num, "timeout": strconv.Itoa(timeout) + "s", "terminators": finish, "regex": gatherDigits}
	if len(list) > 0 {
		opts["play"] = list
	}
	if s.Verb, err = p.verb(n.Line, "gather", opts); err != nil {
		return err
	}
	return p.action(n, s)
}

// prompt is one noun of a Gather as prompt list items (a loop repeats
// the item).
func (p *planner) prompt(c *Node) ([]any, error) {
	attrs, ok := map[string][]string{"Say": supported["Say"], "Play": {"loop"}, "Pause": supported["Pause"]}[c.Name]
	if !ok {
		return nil, &ParseError{Line: c.Line, Msg: "<Gather> holds <" + c.Name + ">: it holds Say, Play and Pause"}
	}
	if _, digits := c.Attr("digits"); digits && c.Name == "Play" {
		return nil, &Unsupported{Line: c.Line, What: "<Play digits> inside <Gather>"}
	}
	if err := checkAttrs(c, attrs); err != nil {
		return nil, err
	}
	var item any
	switch c.Name {
	case "Say":
		opts, err := p.speakOpts(c)
		if err != nil {
			return nil, err
		}
		item = map[string]any{"speak": opts}
	case "Play":
		if len(c.Children) > 0 || c.Text == "" {
			return nil, &ParseError{Line: c.Line, Msg: "<Play> in <Gather> wants a URL"}
		}
		u, err := p.resolve(c, "URL", c.Text)
		if err != nil {
			return nil, err
		}
		item = map[string]any{"file": u}
	case "Pause":
		if err := noContent(c); err != nil {
			return nil, err
		}
		l, err := integer(c, "length", 1, 1, 3600)
		if err != nil {
			return nil, err
		}
		return []any{map[string]any{"pause": strconv.Itoa(l) + "s"}}, nil
	}
	l, err := loop(c)
	if err != nil {
		return nil, err
	}
	if l == maxLoop {
		l = 64 // a prompt list's most; the Gather's timeout ends it anyway
	}
	out := make([]any, l)
	for i := range out {
		out[i] = item
	}
	return out, nil
}

// action reads action and method (POST by default, as Twilio's); with no
// action, Gather and Record post to the document's own URL (Twilio's
// rule).
func (p *planner) action(n *Node, s *Step) error {
	a, ok := n.Attr("action")
	switch {
	case ok:
		u, err := p.resolve(n, "action", a)
		if err != nil {
			return err
		}
		s.Action = u
	case n.Name == "Dial":
		return nil // the document goes on
	default:
		s.Action = p.o.URL.String()
	}
	m, err := method(n, "method", "POST")
	s.Method = m
	return err
}

// record: a record verb into the app's recordings folder. timeout="0"
// turns silence detection off; finishOnKey defaults to every key.
func (p *planner) record(i int, n *Node, s *Step) error {
	if err := noContent(n); err != nil {
		return err
	}
	maxLen, err := integer(n, "maxLength", 3600, 1, 86400)
	if err != nil {
		return err
	}
	silence, err := integer(n, "timeout", 5, 0, 3600)
	if err != nil {
		return err
	}
	beep, err := boolean(n, "playBeep", true)
	if err != nil {
		return err
	}
	finish := "1234567890*#"
	if v, ok := n.Attr("finishOnKey"); ok {
		finish = v
		if finish == "" {
			finish = "none"
		}
	}
	if t, ok := n.Attr("trim"); ok && t != "do-not-trim" {
		return &Unsupported{Line: n.Line, What: fmt.Sprintf("<Record trim=%q>", t)}
	}
	if e, ok := n.Attr("recordingStatusCallbackEvent"); ok && strings.TrimSpace(e) != "completed" {
		return &Unsupported{Line: n.Line, What: fmt.Sprintf("<Record recordingStatusCallbackEvent=%q> (only completed)", e)}
	}
	name := fmt.Sprintf("twiml-%d.wav", i)
	if p.o.RecordingName != nil {
		name = p.o.RecordingName(i)
	}
	opts := map[string]any{"path": name, "max": strconv.Itoa(maxLen) + "s", "beep": beep, "terminators": finish}
	if silence == 0 {
		opts["silence_threshold"] = 0
	} else {
		opts["silence"] = strconv.Itoa(silence) + "s"
	}
	if s.Verb, err = p.verb(n.Line, "record", opts); err != nil {
		return err
	}
	if cb, ok := n.Attr("recordingStatusCallback"); ok {
		if s.RecordingStatusCallback, err = p.resolve(n, "recordingStatusCallback", cb); err != nil {
			return err
		}
		if s.RecordingStatusMethod, err = method(n, "recordingStatusCallbackMethod", "POST"); err != nil {
			return err
		}
	}
	return p.action(n, s)
}

// redirect: the redirect verb to its URL, fetched with method (the
// dialog's Redirect reads it from the step).
func (p *planner) redirect(n *Node, s *Step) error {
	if len(n.Children) > 0 || n.Text == "" {
		return &ParseError{Line: n.Line, Msg: "<Redirect> wants a URL"}
	}
	u, err := p.resolve(n, "URL", n.Text)
	if err != nil {
		return err
	}
	if s.Method, err = method(n, "method", "POST"); err != nil {
		return err
	}
	s.Verb, err = p.verb(n.Line, "redirect", u)
	return err
}

// reject: the reject verb, rejected (SIP 603) by default or busy (486).
func (p *planner) reject(n *Node) (verb.Verb, error) {
	if err := noContent(n); err != nil {
		return verb.Verb{}, err
	}
	reason, _ := n.Attr("reason")
	switch reason {
	case "":
		reason = "rejected"
	case "rejected", "busy":
	default:
		return verb.Verb{}, &ParseError{Line: n.Line, Msg: fmt.Sprintf("<Reject reason=%q>: want rejected or busy", reason)}
	}
	return p.verb(n.Line, "reject", reason)
}
