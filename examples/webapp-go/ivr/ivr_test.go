package ivr

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"
)

// testNow is the fixed clock of signature tests.
var testNow = time.Unix(1_800_000_000, 0)

func newServer(t *testing.T, secret string) (*httptest.Server, *bytes.Buffer) {
	t.Helper()
	var logs bytes.Buffer
	srv := httptest.NewServer(&App{Secret: secret, Log: log.New(&logs, "", 0), Now: func() time.Time { return testNow }})
	t.Cleanup(srv.Close)
	return srv, &logs
}

// post sends body to path and returns the status and the decoded reply.
func post(t *testing.T, srv *httptest.Server, path, ctype, body string, header http.Header) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, srv.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", ctype)
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	var reply map[string]any
	if resp.StatusCode == http.StatusOK {
		if err := json.Unmarshal(data, &reply); err != nil {
			t.Fatalf("POST %s: reply %q is not JSON: %v", path, data, err)
		}
	}
	return resp.StatusCode, reply
}

// verbNames lists a reply's verbs by name, with the action of those that
// have one ("gather>/menu").
func verbNames(reply map[string]any) string {
	var names []string
	verbs, _ := reply["verbs"].([]any)
	for _, v := range verbs {
		switch v := v.(type) {
		case string:
			names = append(names, v)
		case map[string]any:
			for name, arg := range v {
				if m, ok := arg.(map[string]any); ok && m["action"] != nil {
					name += ">" + m["action"].(string)
				}
				names = append(names, name)
			}
		}
	}
	return strings.Join(names, " ")
}

func visits(reply map[string]any) float64 {
	s, _ := reply["session"].(map[string]any)
	n, _ := s["menu_visits"].(float64)
	return n
}

func TestSteps(t *testing.T) {
	srv, _ := newServer(t, "")
	const visited = `"session":{"menu_visits":1}`
	tests := []struct {
		name, path, body string
		wantVerbs        string
		wantVisits       float64
	}{
		{"start", "/ivr", `{"call_id":"c1","seq":1,"event":"call.start","call":{"from":"1000"}}`,
			"answer play gather>/menu", 1},
		{"choice 1 bridges", "/menu", `{"call_id":"c1","seq":2,"event":"verb.result","result":{"verb":"gather","reason":"ok","digits":"1"},` + visited + `}`,
			"play bridge>/bridged", 1},
		{"choice 2 records", "/menu", `{"call_id":"c1","seq":2,"event":"verb.result","result":{"verb":"gather","reason":"ok","digits":"2"},` + visited + `}`,
			"play record>/recorded", 1},
		{"choice 3 says the number and asks again", "/menu", `{"call_id":"c1","seq":2,"event":"verb.result","call":{"from":"1000"},"result":{"verb":"gather","reason":"ok","digits":"3"},` + visited + `}`,
			"say gather>/menu", 2},
		{"no choice says goodbye", "/menu", `{"call_id":"c1","seq":2,"event":"verb.result","result":{"verb":"gather","reason":"timeout"},` + visited + `}`,
			"play hangup", 1},
		{"bridge answered", "/bridged", `{"call_id":"c1","seq":3,"event":"verb.result","result":{"verb":"bridge","reason":"ok","bridge":{"status":"SUCCESS"}},` + visited + `}`,
			"play hangup", 1},
		{"bridge failed asks again", "/bridged", `{"call_id":"c1","seq":3,"event":"verb.result","result":{"verb":"bridge","reason":"ok","bridge":{"status":"BUSY"}},` + visited + `}`,
			"play gather>/menu", 2},
		{"recorded", "/recorded", `{"call_id":"c1","seq":3,"event":"verb.result","result":{"verb":"record","reason":"ok","recording":{"path":"/var/lib/freeswitch/recordings/ivr/x.wav","name":"x.wav","duration_ms":3000}},` + visited + `}`,
			"play hangup", 1},
		{"fallback", "/sorry", `{"call_id":"c1","seq":1,"event":"call.start","error":{"code":"http_500","url":"http://x/ivr"}}`,
			"play hangup", 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, reply := post(t, srv, tc.path, "application/json", tc.body, nil)
			if status != http.StatusOK {
				t.Fatalf("POST %s = %d, want 200", tc.path, status)
			}
			if got := verbNames(reply); got != tc.wantVerbs {
				t.Errorf("POST %s verbs = %q, want %q", tc.path, got, tc.wantVerbs)
			}
			if got := visits(reply); got != tc.wantVisits {
				t.Errorf("POST %s menu_visits = %v, want %v", tc.path, got, tc.wantVisits)
			}
		})
	}
}

func TestStatus(t *testing.T) {
	srv, logs := newServer(t, "")
	status, _ := post(t, srv, "/status", "application/json",
		`{"call_id":"c9","seq":5,"event":"call.end","outcome":"hangup","hangup":{"cause":"NORMAL_CLEARING","duration":12},"session":{"menu_visits":2}}`, nil)
	if status != http.StatusNoContent {
		t.Fatalf("POST /status = %d, want 204", status)
	}
	if want := "call c9 ended: hangup, cause NORMAL_CLEARING, 12s, 2 menu visits"; !strings.Contains(logs.String(), want) {
		t.Errorf("log = %q, want a line %q", logs.String(), want)
	}
}

func TestFormBody(t *testing.T) {
	srv, _ := newServer(t, "")
	form := url.Values{
		"call_id": {"c2"}, "seq": {"2"}, "event": {"verb.result"}, "call.from": {"1000"},
		"result.verb": {"gather"}, "result.reason": {"ok"}, "result.digits": {"3"},
		"session": {`{"menu_visits":4}`},
	}
	status, reply := post(t, srv, "/menu", "application/x-www-form-urlencoded", form.Encode(), nil)
	if status != http.StatusOK {
		t.Fatalf("POST /menu (form) = %d, want 200", status)
	}
	if got, want := verbNames(reply), "say gather>/menu"; got != want {
		t.Errorf("POST /menu (form) verbs = %q, want %q", got, want)
	}
	if got := visits(reply); got != 5 {
		t.Errorf("POST /menu (form) menu_visits = %v, want 5", got)
	}
}

func sign(secret string, t time.Time, body string) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(ts + "." + body))
	return "t=" + ts + ",v1=" + hex.EncodeToString(mac.Sum(nil))
}

func TestSignature(t *testing.T) {
	srv, _ := newServer(t, "s3cret")
	body := `{"call_id":"c3","seq":1,"event":"call.start"}`
	tests := []struct {
		name   string
		header string
		want   int
	}{
		{"valid", sign("s3cret", testNow, body), http.StatusOK},
		{"missing", "", http.StatusUnauthorized},
		{"wrong secret", sign("other", testNow, body), http.StatusUnauthorized},
		{"too old", sign("s3cret", testNow.Add(-time.Hour), body), http.StatusUnauthorized},
		{"garbage", "t=x,v1=zz", http.StatusUnauthorized},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := http.Header{}
			if tc.header != "" {
				h.Set("X-Callhook-Signature", tc.header)
			}
			if status, _ := post(t, srv, "/ivr", "application/json", body, h); status != tc.want {
				t.Errorf("POST /ivr with signature %q = %d, want %d", tc.header, status, tc.want)
			}
		})
	}
}

func TestRouting(t *testing.T) {
	srv, _ := newServer(t, "")
	tests := []struct {
		method, path string
		want         int
	}{
		{http.MethodGet, "/ivr", http.StatusMethodNotAllowed},
		{http.MethodPost, "/nowhere", http.StatusNotFound},
	}
	for _, tc := range tests {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			req, err := http.NewRequestWithContext(t.Context(), tc.method, srv.URL+tc.path, strings.NewReader("{}"))
			if err != nil {
				t.Fatal(err)
			}
			resp, err := srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tc.want {
				t.Errorf("%s %s = %d, want %d", tc.method, tc.path, resp.StatusCode, tc.want)
			}
		})
	}
}

// TestRecordedFetchesURL: a result with the recording's URL makes the app
// GET it there (JSON and form bodies alike), and say what it got; a URL
// that fails says so.
func TestRecordedFetchesURL(t *testing.T) {
	rec := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/recordings/abc/msg.wav" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "audio/wav")
		w.Write(make([]byte, 1044))
	}))
	t.Cleanup(rec.Close)
	srv, _ := newServer(t, "")
	for _, tc := range []struct{ name, ctype, body, want string }{
		{"json", "application/json", `{"call_id":"c1","seq":3,"event":"verb.result","result":{"verb":"record","reason":"ok","recording":{"path":"","url":"` + rec.URL + `/recordings/abc/msg.wav","duration_ms":1000}}}`,
			"message fetched: 1044 bytes of audio/wav"},
		{"form", "application/x-www-form-urlencoded", "call_id=c1&seq=3&event=verb.result&result.verb=record&result.reason=ok&result.recording.path=&result.recording.url=" +
			url.QueryEscape(rec.URL+"/recordings/abc/msg.wav"), "message fetched: 1044 bytes of audio/wav"},
		{"gone", "application/json", `{"call_id":"c1","seq":3,"event":"verb.result","result":{"verb":"record","reason":"ok","recording":{"path":"","url":"` + rec.URL + `/recordings/expired/msg.wav"}}}`,
			"message not fetched"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, reply := post(t, srv, "/recorded", tc.ctype, tc.body, nil)
			if code != http.StatusOK {
				t.Fatalf("POST /recorded = %d", code)
			}
			verbs, _ := reply["verbs"].([]any)
			first, _ := verbs[0].(map[string]any)
			if len(verbs) != 3 || first["log"] != tc.want {
				t.Errorf("verbs = %v, want a log %q, then thanks and hangup", verbs, tc.want)
			}
		})
	}
}
