package twiml

// The TwiML verbs other than Gather (gather.go) and Dial (dial.go), each
// as the callhook verb that carries it out.

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/callhook/callhook/verb"
)

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
	text := spoken.Replace(strings.Join(strings.Fields(n.Text), " "))
	return map[string]any{"text": text, "engine": v.Engine, "voice": v.Voice}, nil
}

// spoken rewrites what the switch would read as more than words into
// what a voice says the same way (no TTS engine reads a brace):
// FreeSWITCH expands "${" and "$${" in an application's data
// (switch_core_session_exec, src/switch_core_session.c) and reads a
// leading "{...}" as the TTS engine's parameters
// (src/switch_core_speech.c). The speak verb refuses such text, and
// Twilio speaks it: rewritten, a Say with "${5}" or "{1}" is heard, not
// sent to the fallback.
var spoken = strings.NewReplacer("{", "(", "}", ")")

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
		// send_dtmf's w waits half a second, as Twilio's does
		// (switch_core_session_send_dtmf, src/switch_core_io.c).
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

// record: a record verb, its recording delivered by callhook (the
// config's recordings:), which gives the RecordingUrl Twilio's apps fetch.
// timeout="0" turns silence detection off; finishOnKey defaults to every
// key.
func (p *planner) record(i int, n *Node, s *Step) error {
	if err := noContent(n); err != nil {
		return err
	}
	if err := p.recordable(n, "<Record>"); err != nil {
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
	s.Recording, s.RecordingSource, s.RecordingChannels = p.recordingName(i), "RecordVerb", 1
	opts := map[string]any{"path": s.Recording, "max": strconv.Itoa(maxLen) + "s", "beep": beep, "terminators": finish}
	if silence == 0 {
		opts["silence_threshold"] = 0
	} else {
		opts["silence"] = strconv.Itoa(silence) + "s"
	}
	if err := p.statusCallback(n, s, opts); err != nil {
		return err
	}
	if s.Verb, err = p.verb(n.Line, "record", opts); err != nil {
		return err
	}
	return p.action(n, s)
}

// recordable refuses a recording when callhook delivers none: a Twilio
// app reads the RecordingUrl, which only a delivery gives (a path on the
// switch's host is nothing a web app can fetch). Its error names the
// config key, and the app's fallback hears it.
func (p *planner) recordable(n *Node, what string) error {
	if p.o.Recordings {
		return nil
	}
	return &Unsupported{Line: n.Line, What: what + " without a recordings delivery (callhook's config has no recordings: section, " +
		"so there is no RecordingUrl to give)"}
}

// recordingName names the recording of the document's i-th verb.
func (p *planner) recordingName(i int) string {
	if p.o.RecordingName != nil {
		return p.o.RecordingName(i)
	}
	return sid("RE", strconv.Itoa(i)) + ".wav"
}

// statusCallback reads recordingStatusCallback, its method and its events
// (completed only, Twilio's default), and has the recording verb's
// delivery tell it: opts are the verb's (a record's, or a bridge's record
// map). The dialog sends it in Twilio's form (RecordingDone).
func (p *planner) statusCallback(n *Node, s *Step, opts map[string]any) error {
	if e, ok := n.Attr("recordingStatusCallbackEvent"); ok && strings.TrimSpace(e) != "completed" {
		return &Unsupported{Line: n.Line, What: fmt.Sprintf("<%s recordingStatusCallbackEvent=%q> (only completed)", n.Name, e)}
	}
	cb, ok := n.Attr("recordingStatusCallback")
	if !ok {
		return nil
	}
	var err error
	if s.RecordingStatusCallback, err = p.resolve(n, "recordingStatusCallback", cb); err != nil {
		return err
	}
	if s.RecordingStatusMethod, err = method(n, "recordingStatusCallbackMethod", "POST"); err != nil {
		return err
	}
	opts["recording_status_url"] = s.RecordingStatusCallback
	return nil
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
