package main

import (
	"slices"
	"testing"

	"github.com/callhook/callhook/internal/config"
)

// TestReadyURLsEveryAppKind: -start waits for the URL of every kind of web
// app a scenario calls (a TwiML app's voice URL too), once each, and for
// none of a flow.
func TestReadyURLsEveryAppKind(t *testing.T) {
	cfg, err := config.Parse("ready.yaml", []byte(`
listen: 127.0.0.1:8084
default_app: web
apps:
  web: {url: http://127.0.0.1:8000/ivr}
  tw:
    twiml: http://127.0.0.1:8001/voice.xml
    account_sid: AC00000000000000000000000000000000
    auth_token: secret
  lp:
    liverpie: {ip: 127.0.0.1, port: 3002, state_machine_uri: /sm, reset_uri: /reset}
`), func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	scs := []*scenario{{App: "tw"}, {App: "lp"}, {}, {App: "web"}}
	got, err := readyURLs(cfg, scs, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"http://127.0.0.1:8001/voice.xml", "http://127.0.0.1:3002/", "http://127.0.0.1:8000/ivr"}
	if !slices.Equal(got, want) {
		t.Errorf("readyURLs = %q, want %q", got, want)
	}
}
