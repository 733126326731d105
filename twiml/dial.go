package twiml

import (
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/callhook/callhook/verb"
)

// ringTones maps Dial's ringTone (a country code) onto the tones the
// bridge verb's ringback names; Twilio's other countries are unsupported.
var ringTones = map[string]string{
	"us": "us-ring", "ca": "ca-ring", "uk": "uk-ring", "au": "au-ring", "de": "de-ring", "fr": "fr-ring",
	"es": "es-ring", "in": "in-ring", "jp": "jp-ring", "ru": "ru-ring",
}

// dial: a bridge to its Number, Sip and Client nouns (all at once, as
// Twilio rings them), or a conference for its Conference noun. Without
// action the document goes on after it.
func (p *planner) dial(i int, n *Node, s *Step) error {
	timeout, err := integer(n, "timeout", 30, 1, 600)
	if err != nil {
		return err
	}
	limit, err := integer(n, "timeLimit", 14400, 1, 86400)
	if err != nil {
		return err
	}
	star, err := boolean(n, "hangupOnStar", false)
	if err != nil {
		return err
	}
	record, err := p.dialRecord(i, n, s)
	if err != nil {
		return err
	}
	if err := p.action(n, s); err != nil {
		return err
	}
	var conf *Node
	var to []string
	if record != nil && slices.ContainsFunc(n.Children, func(c *Node) bool { return c.Name == "Conference" }) {
		return &Unsupported{Line: n.Line, What: "<Dial record> of a <Conference> (Conference's own record is not supported either)"}
	}
	if n.Text != "" {
		if len(n.Children) > 0 {
			return &ParseError{Line: n.Line, Msg: "<Dial> holds both a number and nouns"}
		}
		t, err := p.number(n, n.Text)
		if err != nil {
			return err
		}
		to = append(to, t)
	}
	for _, c := range n.Children {
		var t string
		switch c.Name {
		case "Number":
			err = checkAttrs(c, nil)
			if err == nil {
				t, err = p.number(c, c.Text)
			}
		case "Sip":
			err = checkAttrs(c, nil)
			if err == nil {
				t, err = p.sip(c)
			}
		case "Client":
			err = checkAttrs(c, nil)
			if err == nil {
				t, err = p.client(c)
			}
		case "Conference":
			if len(n.Children) > 1 {
				return &ParseError{Line: c.Line, Msg: "<Conference> must be the only noun of its <Dial>"}
			}
			conf = c
			continue
		case "Queue", "Application", "WhatsApp":
			return &Unsupported{Line: c.Line, What: "<Dial><" + c.Name + ">"}
		default:
			return &ParseError{Line: c.Line, Msg: "<Dial> holds <" + c.Name + ">: it holds Number, Sip, Client or Conference"}
		}
		if err != nil {
			return err
		}
		to = append(to, t)
	}
	if conf != nil {
		s.Verb, err = p.conference(conf)
		return err
	}
	if len(to) == 0 {
		return &ParseError{Line: n.Line, Msg: "<Dial> has nothing to dial"}
	}
	opts := map[string]any{"to": to, "timeout": strconv.Itoa(timeout) + "s", "time_limit": strconv.Itoa(limit) + "s"}
	if len(to) > 1 {
		opts["mode"] = "parallel"
	}
	if star {
		opts["hangup_on_star"] = true
	}
	if id, ok := n.Attr("callerId"); ok {
		opts["caller_id"] = id
	}
	if rt, ok := n.Attr("ringTone"); ok {
		tone, known := ringTones[rt]
		if !known {
			return &Unsupported{Line: n.Line, What: fmt.Sprintf("<Dial ringTone=%q>", rt)}
		}
		opts["ringback"] = tone
	}
	if record != nil {
		opts["record"] = record
	}
	s.Verb, err = p.verb(n.Line, "bridge", opts)
	return err
}

// dialRecord reads Dial's record (and its recordingStatusCallback): the
// bridge verb's record map, nil for do-not-record. The bridge records the
// caller's channel with record_session while the two are bridged: its
// media bug has RECORD_BRIDGE_REQ, SMBF_BRIDGE_REQ, and skips every frame
// while the channel is not CF_BRIDGED (src/switch_ivr_async.c,
// src/switch_core_io.c), so the recording starts when the callee answers
// (Twilio's record-from-answer); RECORD_STEREO puts each side in a channel
// of its own (record-from-answer-dual). record-from-ringing would need the
// bug to write before the bridge, the ringing included, which the bridge
// verb's recording (only while bridged) does not do: it is unsupported,
// not recorded from the answer instead.
func (p *planner) dialRecord(i int, n *Node, s *Step) (map[string]any, error) {
	r, ok := n.Attr("record")
	if !ok || r == "do-not-record" {
		if err := p.statusCallback(n, s, map[string]any{}); err != nil {
			return nil, err
		}
		// A callback with no recording hears nothing: there is nothing
		// to tell it of.
		s.RecordingStatusCallback = ""
		return nil, nil
	}
	channels := 1
	switch r {
	case "record-from-answer":
	case "record-from-answer-dual":
		channels = 2
	case "record-from-ringing", "record-from-ringing-dual":
		return nil, &Unsupported{Line: n.Line, What: fmt.Sprintf("<Dial record=%q> (callhook records a Dial from the answer only: "+
			"record-from-answer or record-from-answer-dual)", r)}
	default:
		return nil, &ParseError{Line: n.Line, Msg: fmt.Sprintf("<Dial record=%q>: want do-not-record, record-from-answer, "+
			"record-from-answer-dual, record-from-ringing or record-from-ringing-dual", r)}
	}
	if err := p.recordable(n, fmt.Sprintf("<Dial record=%q>", r)); err != nil {
		return nil, err
	}
	s.Recording, s.RecordingSource, s.RecordingChannels = p.recordingName(i), "DialVerb", channels
	opts := map[string]any{"path": s.Recording}
	if channels == 2 {
		opts["stereo"] = true
	}
	if err := p.statusCallback(n, s, opts); err != nil {
		return nil, err
	}
	return opts, nil
}

// fill puts value into a DialRules template at {key}.
func fill(template, key, value string) string {
	return strings.ReplaceAll(template, "{"+key+"}", value)
}

// numberSeparators are what people write in a phone number between its
// digits: Twilio dials <Dial>415-123-4567</Dial>, its own example.
var numberSeparators = strings.NewReplacer(" ", "", "-", "", ".", "", "(", "", ")", "")

// number: a phone number, without its separators, through the app's
// dial.number template.
func (p *planner) number(n *Node, num string) (string, error) {
	if p.o.Dial.Number == "" {
		return "", &Unsupported{Line: n.Line, What: "<Number> (the app's dial.number names no gateway)"}
	}
	num = numberSeparators.Replace(num)
	if num == "" {
		return "", &ParseError{Line: n.Line, Msg: "<Number> is empty"}
	}
	for _, r := range num {
		if !strings.ContainsRune("+0123456789*#", r) {
			return "", &ParseError{Line: n.Line, Msg: fmt.Sprintf("<Number> %s: want digits, * and #, with a leading +", verb.Quote(num))}
		}
	}
	return fill(p.o.Dial.Number, "number", num), nil
}

// sip: a SIP URI through the app's dial.sip template; the URI's headers
// (?X-Name=value&...) become the leg's sip_h_ variables, which mod_sofia
// sends as headers of its INVITE (SOFIA_SIP_HEADER_PREFIX,
// src/mod/endpoints/mod_sofia/mod_sofia.h), and which the bridge
// verb checks like any other leg variable (sip_h_X-* by default, others
// only through allow_vars).
func (p *planner) sip(n *Node) (string, error) {
	uri := n.Text
	lower := strings.ToLower(uri)
	if !strings.HasPrefix(lower, "sip:") && !strings.HasPrefix(lower, "sips:") {
		return "", &ParseError{Line: n.Line, Msg: fmt.Sprintf("<Sip> %s: want a sip: or sips: URI", verb.Quote(uri))}
	}
	uri, query, _ := strings.Cut(uri, "?")
	var vars []string
	if query != "" {
		q, err := url.ParseQuery(query)
		if err != nil {
			return "", &ParseError{Line: n.Line, Msg: fmt.Sprintf("<Sip> headers %s: %v", verb.Quote(query), err)}
		}
		names := make([]string, 0, len(q))
		for k := range q {
			names = append(names, k)
		}
		slices.Sort(names)
		for _, k := range names {
			for _, v := range q[k] {
				vars = append(vars, "sip_h_"+k+"="+v)
			}
		}
	}
	tmpl := p.o.Dial.Sip
	if tmpl == "" {
		tmpl = DefaultSip
	}
	t := fill(tmpl, "uri", uri)
	if len(vars) > 0 {
		t = "[" + strings.Join(vars, ",") + "]" + t
	}
	return t, nil
}

// client: a client name through the app's dial.client template
// (user/{name}: a user of the switch's directory).
func (p *planner) client(n *Node) (string, error) {
	if len(n.Children) > 0 {
		return "", &Unsupported{Line: n.Children[0].Line, What: "<Client><" + n.Children[0].Name + ">"}
	}
	if err := verb.CheckName(n.Text, ""); err != nil {
		return "", &ParseError{Line: n.Line, Msg: "<Client> " + err.Error()}
	}
	tmpl := p.o.Dial.Client
	if tmpl == "" {
		tmpl = DefaultClient
	}
	return fill(tmpl, "name", n.Text), nil
}

// conferenceRoom is the switch's conference for a Conference's name:
// Twilio's rooms are "namespaced to your account", and the switch's are
// one namespace for every app, so the room is the AccountSid, "-", and
// the name with each byte other than a letter, digit, "_" or "-" written
// ".XX" (hex): any name is a room (Twilio's own example is "Room 1234"),
// no two names are one room, and none holds what the conference
// application reads in its data ("@" profile, "+" flags, "{").
func conferenceRoom(account, name string) string {
	var b strings.Builder
	b.WriteString(account)
	b.WriteByte('-')
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, ".%02X", c)
		}
	}
	return b.String()
}

// conference: the conference verb in the app's profile; muted and
// endConferenceOnExit are member flags (mute, endconf; conference_utils.c
// in src/mod/applications/mod_conference/). Twilio's beep and
// startConferenceOnEnter defaults (true) are the profile's own behaviour;
// their false needs conference flags a member cannot set, so it is
// unsupported.
func (p *planner) conference(n *Node) (verb.Verb, error) {
	if err := checkAttrs(n, []string{"muted", "beep", "startConferenceOnEnter", "endConferenceOnExit"}); err != nil {
		return verb.Verb{}, err
	}
	if len(n.Children) > 0 || n.Text == "" {
		return verb.Verb{}, &ParseError{Line: n.Line, Msg: "<Conference> wants a name"}
	}
	var flags []string
	for _, f := range []struct {
		attr, flag string
	}{{"muted", "mute"}, {"endConferenceOnExit", "endconf"}} {
		on, err := boolean(n, f.attr, false)
		if err != nil {
			return verb.Verb{}, err
		}
		if on {
			flags = append(flags, f.flag)
		}
	}
	if b, ok := n.Attr("beep"); ok && b != "true" {
		return verb.Verb{}, &Unsupported{Line: n.Line, What: fmt.Sprintf("<Conference beep=%q>", b)}
	}
	if st, err := boolean(n, "startConferenceOnEnter", true); err != nil {
		return verb.Verb{}, err
	} else if !st {
		return verb.Verb{}, &Unsupported{Line: n.Line, What: `<Conference startConferenceOnEnter="false">`}
	}
	profile := p.o.ConferenceProfile
	if profile == "" {
		profile = "default"
	}
	opts := map[string]any{"name": conferenceRoom(p.o.Account, n.Text), "profile": profile}
	if len(flags) > 0 {
		opts["flags"] = flags
	}
	return p.verb(n.Line, "conference", opts)
}
