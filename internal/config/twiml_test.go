package config

import (
	"slices"
	"strings"
	"testing"
	"time"
)

func TestParseTwiMLApp(t *testing.T) {
	data := `apps:
  tw:
    twiml: https://app.example.com/voice
    account_sid: AC0123456789abcdef0123456789abcdef
    auth_token: ${TOKEN}
    method: GET
    fallback_url: https://app.example.com/fallback
    status_callback: https://app.example.com/status
    timeout: 5s
    voices: {man: {engine: flite, voice: kal}, alice/fr-FR: {engine: unimrcp, voice: fr1}}
    dial: {number: 'sofia/gateway/out/{number}', client: 'user/{name}'}
    conference_profile: wideband
    allow_vars: ['sip_h_P-*']
`
	c, err := Parse("config.yaml", []byte(data), func(k string) (string, bool) { return "tok", k == "TOKEN" })
	if err != nil {
		t.Fatal(err)
	}
	a := c.AppByName("tw")
	if a.Kind != KindTwiML || a.TwiML == nil {
		t.Fatalf("app %+v", a)
	}
	tw := a.TwiML
	if tw.URL != "https://app.example.com/voice" || tw.AccountSID != "AC0123456789abcdef0123456789abcdef" || tw.AuthToken != "tok" ||
		tw.Method != "GET" || tw.StatusCallback != "https://app.example.com/status" || a.FallbackURL != "https://app.example.com/fallback" ||
		a.Timeout != 5*time.Second || tw.DialNumber != "sofia/gateway/out/{number}" || tw.DialClient != "user/{name}" ||
		tw.ConferenceProfile != "wideband" || !slices.Equal(a.AllowVars, []string{"sip_h_P-*"}) {
		t.Errorf("app %+v %+v", a, tw)
	}
	if v := tw.Voices["alice/fr-FR"]; v.Engine != "unimrcp" || v.Voice != "fr1" {
		t.Errorf("voices %v", tw.Voices)
	}
}

func TestParseTwiMLErrors(t *testing.T) {
	const head = "apps:\n  tw:\n    twiml: https://app.example.com/voice\n"
	const creds = "    account_sid: AC0123456789abcdef0123456789abcdef\n    auth_token: t\n"
	tests := []struct{ name, data, want string }{
		{"no credentials", head, "config.yaml:3: apps.tw.account_sid: required"},
		{"bad sid", head + "    account_sid: AC123\n    auth_token: t\n", `apps.tw.account_sid: must be AC and 32 lower-case hex digits, got "AC123"`},
		{"empty token", head + "    account_sid: AC0123456789abcdef0123456789abcdef\n    auth_token: ''\n", "apps.tw.auth_token: must not be empty"},
		{"bad url", "apps:\n  tw:\n    twiml: /voice\n" + creds, "apps.tw.twiml: must be an absolute http(s) URL"},
		{"bad method", head + creds + "    method: PUT\n", `apps.tw.method: must be POST or GET, got "PUT"`},
		{"template", head + creds + "    dial: {number: sofia/gateway/out/1}\n", `apps.tw.dial.number: must hold {number} once`},
		{"voice without engine", head + creds + "    voices: {man: {voice: kal}}\n", "apps.tw.voices.man.engine: required"},
		{"webhook key", head + creds + "    format: form\n", "apps.tw.format: only for webhook apps"},
		{"execute", head + creds + "    allow_execute: [echo]\n", "apps.tw.allow_execute: only for webhook, liverpie and flow apps"},
		{"twiml on webhook", "apps:\n  a:\n    url: http://127.0.0.1/\n    account_sid: x\n", "apps.a.account_sid: only for twiml apps"},
		{"two kinds", head + creds + "    url: http://127.0.0.1/\n", "has url and twiml"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := strings.Join(errorLines(t, tc.data, nil), "\n")
			if !strings.Contains(got, tc.want) {
				t.Errorf("errors:\n%s\nwant %q", got, tc.want)
			}
		})
	}
}
