package statemachine_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/callhook/callhook/esl/esltest"
)

// TestFlowFetchedBridgeCall: a whole call (the session engine driving the
// simulator) through a flow whose set argument and bridge target come from
// a fetch answer. A fetched "Api_Hangup_Hook=..." sets nothing.
// A CRM that answers "[api_on_answer=...]user/1001" (plain, or with
// FreeSWITCH's ^^ separator) or "loopback/app=system:..." gets no bridge on
// the switch: the flow goes on by its error outcome; a harmless answer is
// bridged as fetched.
func TestFlowFetchedBridgeCall(t *testing.T) {
	tests := []struct {
		dest, kv, want string
	}{
		{"[api_on_answer=system touch /tmp/x]user/1001", "lang=en", "playback ivr/ivr-not_available.wav"},
		{"[^^:API_ON_ANSWER=system touch /tmp/x:origination_caller_id_number=666]user/1001", "lang=en", "playback ivr/ivr-not_available.wav"},
		{"[leg_timeout=5]loopback/app=system:touch /tmp/x", "lang=en", "playback ivr/ivr-not_available.wav"},
		{"[leg_timeout=5]user/1001", "Api_Hangup_Hook=system touch /tmp/x", "playback ivr/ivr-not_available.wav"},
		{"[leg_timeout=5]user/1001", "lang=en", "bridge {originate_timeout=30}[leg_timeout=5]user/1001"},
	}
	for _, tc := range tests {
		t.Run(tc.dest+" "+tc.kv, func(t *testing.T) {
			crm := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				json.NewEncoder(w).Encode(map[string]string{"dest": tc.dest, "kv": tc.kv})
			}))
			t.Cleanup(crm.Close)
			path := filepath.Join(t.TempDir(), "route.yaml")
			flow := `
start: lookup
allow_execute: [set]
states:
  lookup:
    fetch: {url: "` + crm.URL + `/route", save: {dest: dest, kv: kv}}
    on: {ok: note, error: sorry}
  note:
    verbs: [execute: {app: set, arg: "{{flow.kv}}"}]
    on: {ok: dial, error: sorry}
  dial:
    verbs: [bridge: "{{flow.dest}}"]
    on: {ok: bye, error: sorry}
  bye: {hangup: true}
  sorry:
    verbs: [play: ivr/ivr-not_available.wav]
    hangup: true
`
			if err := os.WriteFile(path, []byte(flow), 0o644); err != nil {
				t.Fatal(err)
			}
			addr := serve(t, flowApp(t, "route", path))
			c, res := call(t, addr, esltest.Options{})
			if res.Outcome != esltest.HungUp {
				t.Errorf("call ended %v, want hung up", res)
			}
			got := ran(c)
			if !strings.Contains(got, tc.want) {
				t.Errorf("ran:\n%s\nwant %q", got, tc.want)
			}
			if !strings.HasPrefix(tc.want, "bridge") && strings.Contains(got, "bridge") {
				t.Errorf("ran:\n%s\nwant no bridge", got)
			}
			setRan := false
			for _, r := range c.Apps() {
				if r.App == "set" && r.Arg == tc.kv {
					setRan = true
				}
			}
			if wantSet := tc.kv == "lang=en"; setRan != wantSet {
				t.Errorf("set %s ran: %v, want %v", tc.kv, setRan, wantSet)
			}
		})
	}
}
