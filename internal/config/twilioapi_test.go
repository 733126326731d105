package config

import (
	"strings"
	"testing"
)

// TestTwilioAPI checks the twilio_api key: its listener, TLS on any
// address but loopback, boxes, and one twiml app per account.
func TestTwilioAPI(t *testing.T) {
	const apps = "apps:\n" +
		"  tw:\n" +
		"    twiml: https://app.example.com/voice\n" +
		"    account_sid: AC0123456789abcdef0123456789abcdef\n" +
		"    auth_token: 0123456789abcdef0123456789abcdef\n"
	const boxes = "boxes:\n  - {name: fs1, addr: 127.0.0.1:8021, password: x, connect_back: 127.0.0.1:8084}\n"
	c, err := Parse("/etc/callhook/config.yaml", []byte(apps+boxes+"twilio_api: {listen: '0.0.0.0:8443', tls: {cert: api.crt, key: /k/api.key}}\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	want := TwilioAPI{Listen: "0.0.0.0:8443", CertFile: "/etc/callhook/api.crt", KeyFile: "/k/api.key", Line: 8}
	if c.TwilioAPI == nil || *c.TwilioAPI != want {
		t.Errorf("TwilioAPI = %+v, want %+v", c.TwilioAPI, want)
	}
	c, err = Parse("config.yaml", []byte(apps+boxes+"twilio_api: {listen: '127.0.0.1:8443'}\n"), nil)
	if err != nil || c.TwilioAPI.CertFile != "" {
		t.Errorf("plain HTTP on loopback: %+v, %v", c.TwilioAPI, err)
	}
	other := "  tw2:\n" +
		"    twiml: https://app.example.com/voice\n" +
		"    account_sid: AC0123456789abcdef0123456789abcdef\n" +
		"    auth_token: fedcba9876543210fedcba9876543210\n"
	for _, tc := range []struct{ name, doc, want string }{
		{"plain HTTP off loopback", apps + boxes + "twilio_api: {listen: '0.0.0.0:8443'}\n", "twilio_api.tls: required when listen (0.0.0.0:8443) is not on loopback"},
		{"no listen", apps + boxes + "twilio_api: {tls: {cert: a, key: b}}\n", "twilio_api.listen: required"},
		{"no key", apps + boxes + "twilio_api: {listen: '127.0.0.1:8443', tls: {cert: a}}\n", "twilio_api.tls.key: required"},
		{"no boxes", apps + "twilio_api: {listen: '127.0.0.1:8443'}\n", "the config has none"},
		{"no twiml app", "apps:\n  a: {url: 'http://127.0.0.1:8000/'}\n" + boxes + "twilio_api: {listen: '127.0.0.1:8443'}\n", "no twiml app"},
		{"shared account", apps + other + boxes + "twilio_api: {listen: '127.0.0.1:8443'}\n", "apps tw and tw2 have the same account_sid"},
		{"admin's address", apps + boxes + "twilio_api: {listen: '127.0.0.1:9090'}\n", "listen or admin address"},
		{"short auth_token", strings.Replace(apps, "auth_token: 0123456789abcdef0123456789abcdef\n", "auth_token: s3cret\n", 1) + boxes + "twilio_api: {listen: '127.0.0.1:8443'}\n",
			"app tw's auth_token has 6 characters: the API authenticates its clients with it, over the network, and wants at least 16"},
	} {
		_, err := Parse("config.yaml", []byte(tc.doc), nil)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want %q", tc.name, err, tc.want)
		}
	}
}
