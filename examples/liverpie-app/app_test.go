package main

import (
	"io"
	"log"
	"net"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/callhook/callhook/esl/esltest"
	"github.com/callhook/callhook/internal/calltest"
	"github.com/callhook/callhook/liverpie"
	"github.com/callhook/callhook/proxy"
)

// TestWholeCall drives the app through callhook's real engine and the
// FreeSWITCH simulator, as `callhook serve -liverpie-config liverpie.yml`
// would, with a caller who presses a key (or none) at the menu.
func TestWholeCall(t *testing.T) {
	tests := []struct {
		name   string
		digits string // pressed when the menu prompt starts; "" for none
		want   []string
	}{
		{"presses 2", "2", []string{
			"answer", "playback " + promptWelcome, "playback " + promptMenu, "playback digits/2.wav", "playback " + promptThanks,
		}},
		{"presses 9, then 1", "9", []string{
			"answer", "playback " + promptWelcome, "playback " + promptMenu, "playback " + promptInvalid,
			"playback " + promptMenu, "playback digits/1.wav", "playback " + promptThanks,
		}},
		{"presses nothing", "", []string{
			"answer", "playback " + promptWelcome, "playback " + promptMenu, "playback " + promptMenu,
			"playback " + promptMenu, "playback " + promptThanks,
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := startCallhook(t, 5*time.Second)
			menus := 0
			c := e.Dial(esltest.Options{
				Speed: 1000,
				Vars:  map[string]string{"liverpie_webapp_id": "liverpie_app"},
				OnApp: func(c *esltest.Call, run esltest.AppRun) {
					if run.App != "playback" || run.Arg != promptMenu {
						return
					}
					switch menus++; {
					case menus == 1 && tc.digits != "":
						c.Digits(tc.digits)
					case menus == 2 && tc.digits == "9":
						c.Digits("1")
					}
				},
			})
			res := calltest.Wait(t, c)
			if res.Outcome != esltest.HungUp || res.By != esltest.ByDaemon || res.Cause != "NORMAL_CLEARING" {
				t.Errorf("call = %v, want hung up by callhook with NORMAL_CLEARING", res)
			}
			var got []string
			for _, r := range c.Apps() {
				if r.App != "socket" {
					got = append(got, strings.TrimSpace(r.App+" "+r.Arg))
				}
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("apps = %q, want %q", got, tc.want)
			}
		})
	}
}

// startCallhook serves the app on a loopback port and a callhook engine
// (calltest) with it as the Liverpie app liverpie_app, lingering as long
// as linger after a hangup.
func startCallhook(t *testing.T, linger time.Duration) *calltest.Engine {
	t.Helper()
	web := httptest.NewServer(newApp([]byte("test key"), log.New(io.Discard, "", 0)))
	t.Cleanup(web.Close)
	u, _ := url.Parse(web.URL)
	host, port, _ := net.SplitHostPort(u.Host)
	p, _ := strconv.Atoi(port)
	lp := &liverpie.App{
		Name: "liverpie_app", IP: host, Port: p,
		StateMachineURI: "/ivr/state_machine", ResetURI: "/ivr/reset", DTMFURI: "/ivr/dtmf", HangupURI: "/ivr/hangup",
	}
	return calltest.Start(t, calltest.Apps(&proxy.App{Name: "liverpie_app", Backend: lp}), calltest.Options{Linger: linger})
}

func TestReplyYAML(t *testing.T) {
	got := reply(execute("playback", promptMenu), "event_name", "CHANNEL_EXECUTE_COMPLETE")
	want := "---\nmsg: |\n  sendmsg\n  call-command: execute\n  execute-app-name: playback\n" +
		"  execute-app-arg: " + promptMenu + "\n  event-lock: true\nexpected_key: event_name\nexpected_value: CHANNEL_EXECUTE_COMPLETE\n"
	if got != want {
		t.Errorf("reply = %q, want %q", got, want)
	}
}
