package config

// The TwiML app kind: a Twilio voice app, served unchanged.
//
//	apps:
//	  NAME:
//	    twiml: https://app.example.com/voice   # the voice URL
//	    account_sid: AC0123456789abcdef0123456789abcdef
//	    auth_token: ${TWILIO_AUTH_TOKEN}
//	    method: POST                            # or GET
//	    fallback_url: https://app.example.com/fallback
//	    status_callback: https://app.example.com/status
//	    voices: {man: {engine: flite, voice: kal}}
//	    dial: {number: sofia/gateway/out/{number}, sip: sofia/external/{uri}, client: user/{name}}
//	    conference_profile: default

import (
	"regexp"
	"strings"

	"gopkg.in/yaml.v3"
)

// KindTwiML is the kind of an app with a twiml key.
const KindTwiML = "twiml"

// TwiMLApp is a TwiML app's own keys (fallback_url and timeout are the
// app's, as for webhook apps).
type TwiMLApp struct {
	URL            string // the voice URL
	AccountSID     string // AC and 32 hex digits
	AuthToken      string // signs every request
	Method         string // GET or POST (default POST)
	StatusCallback string // told when the call ends; "" for nobody
	// Voices maps Say's voice ("man", or "man/fr-FR" for a language)
	// onto a TTS engine and voice; nil for the backend's defaults.
	Voices map[string]TwiMLVoice
	// DialNumber, DialSip and DialClient are Dial's dial string templates
	// ({number}, {uri}, {name}); "" for the defaults (Number refused).
	DialNumber, DialSip, DialClient string
	ConferenceProfile               string // "" for default
}

// TwiMLVoice is a TTS engine and voice.
type TwiMLVoice struct{ Engine, Voice string }

// Default timeout of a TwiML app's requests: Twilio's.
const defaultTwiMLTimeout = 15e9

var (
	accountSIDPattern = regexp.MustCompile(`^AC[0-9a-f]{32}$`)
	ttsNamePattern    = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]*$`)
	voiceKeyPattern   = regexp.MustCompile(`^[A-Za-z0-9_.-]+(/[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*)?$`)
)

// twiml decodes a TwiML app's keys.
func (d *decoder) twiml(a *App, f fields, path string) {
	t := &TwiMLApp{Method: "POST"}
	a.TwiML = t
	a.Timeout = defaultTwiMLTimeout
	t.URL = d.httpURL(f.get("twiml"), join(path, "twiml"), true)
	for _, k := range []string{"account_sid", "auth_token"} {
		if f.get(k) == nil {
			d.errorf(f.get("twiml"), join(path, k), "required: Twilio apps check each request's signature with it")
		}
	}
	if v := f.get("account_sid"); v != nil {
		p := join(path, "account_sid")
		if s, ok := d.scalar(v, p); ok {
			if !accountSIDPattern.MatchString(s) {
				d.errorf(v, p, "must be AC and 32 lower-case hex digits, got %q", s)
			}
			t.AccountSID = s
		}
	}
	if v := f.get("auth_token"); v != nil {
		t.AuthToken, _ = d.text(v, join(path, "auth_token"), true)
	}
	if v := f.get("method"); v != nil {
		t.Method = d.oneOf(v, join(path, "method"), "POST", "GET")
	}
	if v := f.get("fallback_url"); v != nil {
		a.FallbackURL = d.httpURL(v, join(path, "fallback_url"), false)
	}
	if v := f.get("status_callback"); v != nil {
		t.StatusCallback = d.httpURL(v, join(path, "status_callback"), false)
	}
	if v := f.get("timeout"); v != nil {
		a.Timeout = d.atMost(v, join(path, "timeout"), d.positive(v, join(path, "timeout")), maxHTTPTimeout)
	}
	if v := f.get("voices"); v != nil {
		t.Voices = d.voices(v, join(path, "voices"))
	}
	if v := f.get("dial"); v != nil {
		p := join(path, "dial")
		df := d.mapping(v, p, []string{"number", "sip", "client"})
		for _, x := range []struct {
			key, hole string
			dst       *string
		}{{"number", "{number}", &t.DialNumber}, {"sip", "{uri}", &t.DialSip}, {"client", "{name}", &t.DialClient}} {
			n := df.get(x.key)
			if n == nil {
				continue
			}
			s, ok := d.text(n, join(p, x.key), true)
			if ok && strings.Count(s, x.hole) != 1 {
				d.errorf(n, join(p, x.key), "must hold %s once, got %q", x.hole, s)
			}
			*x.dst = s
		}
	}
	if v := f.get("conference_profile"); v != nil {
		p := join(path, "conference_profile")
		if s, ok := d.text(v, p, true); ok {
			if !ttsNamePattern.MatchString(s) {
				d.errorf(v, p, "invalid profile name %q", s)
			}
			t.ConferenceProfile = s
		}
	}
}

// voices decodes the voices map: NAME or NAME/language, each with an
// engine and a voice.
func (d *decoder) voices(n *yaml.Node, path string) map[string]TwiMLVoice {
	f := d.mapping(n, path, nil)
	out := map[string]TwiMLVoice{}
	for _, fl := range f {
		p := join(path, fl.key.Value)
		if !voiceKeyPattern.MatchString(fl.key.Value) {
			d.errorf(fl.key, p, "want a voice name, or name/language (man, Polly.Joanna, alice/fr-FR)")
		}
		vf := d.mapping(fl.value, p, []string{"engine", "voice"})
		var v TwiMLVoice
		for _, x := range []struct {
			key string
			dst *string
		}{{"engine", &v.Engine}, {"voice", &v.Voice}} {
			n := vf.get(x.key)
			if n == nil {
				d.errorf(fl.value, join(p, x.key), "required")
				continue
			}
			if s, ok := d.text(n, join(p, x.key), true); ok {
				if !ttsNamePattern.MatchString(s) {
					d.errorf(n, join(p, x.key), "invalid name %q", s)
				}
				*x.dst = s
			}
		}
		out[fl.key.Value] = v
	}
	return out
}
