package liverpie

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/callhook/callhook/esl"
	"github.com/callhook/callhook/internal/testlog"
	"github.com/callhook/callhook/proxy"
)

func TestParseLiverpieReply(t *testing.T) {
	any := expect{}
	tests := []struct {
		name, body string
		want       appReply
		err        string
	}{
		{"empty", "", appReply{empty: true}, ""},
		{"blank", " \n\n", appReply{empty: true}, ""},
		{"null document", "---\n~\n", appReply{empty: true}, ""},
		{"document marker only", "---\n", appReply{empty: true}, ""},
		{"README playback", "--- \nmsg: |-\n  SendMsg \n  call-command: execute\nexpected_value: CHANNEL_EXECUTE_COMPLETE\nexpected_key: event_name\n",
			appReply{msg: "SendMsg \ncall-command: execute", expect: expect{"event_name", true, "CHANNEL_EXECUTE_COMPLETE", true}}, ""},
		{"README sleep", "--- \nmsg: api sleep 20000\nexpected_value: api/response\nexpected_key: content_type\n",
			appReply{msg: "api sleep 20000", expect: expect{"content_type", true, "api/response", true}}, ""},
		{"key normalised", "expected_key: Event-Name\nexpected_value: DTMF\n",
			appReply{expect: expect{"event_name", true, "DTMF", true}}, ""},
		{"number value as written", "expected_key: dtmf_digit\nexpected_value: 05\n",
			appReply{expect: expect{"dtmf_digit", true, "05", true}}, ""},
		{"no expectations", "msg: sendmsg\n", appReply{msg: "sendmsg", expect: any}, ""},
		{"null msg", "msg: ~\nexpected_key: a\n", appReply{expect: expect{key: "a", hasKey: true}}, ""},
		{"unknown keys ignored", "msg: x\nnote: [1, 2]\n", appReply{msg: "x"}, ""},
		{"alias", "a: &m sendmsg\nmsg: *m\n", appReply{msg: "sendmsg"}, ""},
		{"last key wins", "msg: a\nmsg: b\n", appReply{msg: "b"}, ""},
		{"a list", "- msg\n", appReply{}, "want a YAML mapping with msg, expected_key and expected_value, got a list"},
		{"a scalar", "hello\n", appReply{}, `got the scalar "hello"`},
		{"msg a list", "msg: [a]\n", appReply{}, "msg must be a string, got a list"},
		{"key a mapping", "expected_key: {a: b}\n", appReply{}, "expected_key must be a string, got a mapping"},
		{"value without key", "expected_value: x\n", appReply{}, `expected_value "x" but no expected_key`},
		{"bad yaml", "msg: [x\n", appReply{}, "reply is not valid YAML"},
		{"tab indent", "msg:\n\t- x\n", appReply{}, "reply is not valid YAML"},
		{"html", "<html><body>Internal error: x: y</body></html>", appReply{}, "reply is not valid YAML"},
		{"html without colons", "<html><body>Internal error</body></html>", appReply{}, "want a YAML mapping"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseReply([]byte(tc.body))
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Errorf("parseLiverpieReply(%q) = %+v, %v; want an error with %q", tc.body, got, err, tc.err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Errorf("parseLiverpieReply(%q) = %+v, %v; want %+v", tc.body, got, err, tc.want)
			}
		})
	}
}

func TestLiverpieExpectMatches(t *testing.T) {
	reply := view{{"content_type", "command/reply", "command/reply"}, {"reply_text", "+OK ", "+OK "}}
	event := view{{"content_type", "text/event-plain", "text/event-plain"}, {"event_name", "DTMF", "DTMF"},
		{"application_response", "FILE%20PLAYED", "FILE PLAYED"}}
	tests := []struct {
		name   string
		expect expect
		frame  view
		want   bool
	}{
		{"value matches", expect{"content_type", true, "command/reply", true}, reply, true},
		{"value differs", expect{"content_type", true, "command/reply", true}, event, false},
		{"raw value", expect{"application_response", true, "FILE%20PLAYED", true}, event, true},
		{"decoded value is not raw", expect{"application_response", true, "FILE PLAYED", true}, event, false},
		{"spaces trimmed", expect{"reply_text", true, "+OK", true}, reply, true},
		{"no expectations: any frame", expect{}, event, true},
		{"key without value: header absent", expect{key: "dtmf_digit", hasKey: true}, event, true},
		{"key without value: header present", expect{key: "event_name", hasKey: true}, event, false},
		{"value without key: never", expect{value: "DTMF", hasValue: true}, event, false},
	}
	for _, tc := range tests {
		if got := tc.expect.matches(tc.frame); got != tc.want {
			t.Errorf("%s: %+v.matches(%v) = %v, want %v", tc.name, tc.expect, tc.frame, got, tc.want)
		}
	}
}

const lpTestUUID = "0b6a9e8e-4d7f-4a4b-9c1e-6a0f8f7f0c01"

func lpTestDialog(allow ...string) *dialog {
	log := testlog.New()
	a := &App{Name: "t", IP: "127.0.0.1", Port: 1, StateMachineURI: "/s", ResetURI: "/r", AllowCommands: allow}
	return &dialog{app: a, call: &proxy.Call{ID: lpTestUUID}, log: log, obs: proxy.NopObserver{}, allow: a.allowed(), calls: a.callCommands()}
}

func TestLiverpieCommands(t *testing.T) {
	tests := []struct {
		name  string
		allow []string
		msg   string
		want  []string // each command's wire bytes
		err   string
	}{
		{"none", nil, "  \n", nil, ""},
		{"sendmsg", nil, "sendmsg\ncall-command: execute\nexecute-app-name: answer\n",
			[]string{"sendmsg\ncall-command: execute\nexecute-app-name: answer\n\n"}, ""},
		{"README style tidied", nil, "SendMsg \ncall-command: execute\nexecute-app-name: playback\nevent-lock:true",
			[]string{"sendmsg\ncall-command: execute\nexecute-app-name: playback\nevent-lock: true\n\n"}, ""},
		{"CRLF lines", nil, "sendmsg\r\ncall-command: execute\r\nexecute-app-name: answer\r\n",
			[]string{"sendmsg\ncall-command: execute\nexecute-app-name: answer\n\n"}, ""},
		{"own uuid", nil, "sendmsg " + strings.ToUpper(lpTestUUID) + "\ncall-command: hangup",
			[]string{"sendmsg " + strings.ToUpper(lpTestUUID) + "\ncall-command: hangup\n\n"}, ""},
		{"body", nil, "sendmsg\ncall-command: execute\nexecute-app-name: speak\ncontent-type: text/plain\ncontent-length: 5\n\nhello",
			[]string{"sendmsg\ncall-command: execute\nexecute-app-name: speak\ncontent-type: text/plain\ncontent-length: 5\n\nhello"}, ""},
		{"two commands", nil, "sendmsg\ncall-command: execute\nexecute-app-name: answer\n\nsendmsg\ncall-command: hangup\n",
			[]string{"sendmsg\ncall-command: execute\nexecute-app-name: answer\n\n", "sendmsg\ncall-command: hangup\n\n"}, ""},
		{"api allowed", []string{"sendmsg", "API"}, "Api uuid_getvar x y", []string{"api uuid_getvar x y\n\n"}, ""},
		{"api refused", nil, "api uuid_kill " + lpTestUUID, nil, `msg command "api" refused: not in the app's allow_commands [sendmsg]`},
		{"prefix is not the word", nil, "sendmsgx", nil, `msg command "sendmsgx" refused`},
		{"second command refused", nil, "sendmsg\ncall-command: hangup\n\nexit", nil, `msg command "exit" refused`},
		{"other channel", nil, "sendmsg 1234\ncall-command: hangup", nil, `addresses channel "1234"`},
		{"other channel by header", nil, "sendmsg\nsession-id: 1234\ncall-command: hangup", nil, `addresses channel "1234"`},
		{"short body", nil, "sendmsg\ncontent-length: 50\n\nhi", nil, "msg is not an ESL command"},
		{"bad length", nil, "sendmsg\ncontent-length: x\n\nhi", nil, "msg"},
		{"app name with space", nil, "sendmsg\ncall-command: execute\nexecute-app-name: a b", nil, `execute-app-name: "a b" has ' '`},
		{"too many", nil, strings.Repeat("sendmsg\ncall-command: hangup\n\n", maxCommands+1), nil, "more than 16 commands"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := lpTestDialog(tc.allow...)
			cmds, err := d.commands(tc.msg)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Errorf("commands(%q) = %v, %v; want an error with %q", tc.msg, cmds, err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("commands(%q): %v", tc.msg, err)
			}
			var got []string
			for _, c := range cmds {
				b, err := c.Encode()
				if err != nil {
					t.Fatalf("Encode(%+v): %v", c, err)
				}
				got = append(got, string(b))
			}
			if fmt.Sprintf("%q", got) != fmt.Sprintf("%q", tc.want) {
				t.Errorf("commands(%q) = %q, want %q", tc.msg, got, tc.want)
			}
		})
	}
}

// TestLiverpieHangupStep: an app that expects CHANNEL_HANGUP gets its
// state-machine request even though the call's context has ended with the
// hangup; nothing else (no DTMF request) is made after it.
func TestLiverpieHangupStep(t *testing.T) {
	var got []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		q, _ := url.ParseQuery(string(b))
		got = append(got, r.URL.Path+" "+q.Get("event_name"))
		io.WriteString(w, "msg: sendmsg\n")
	}))
	defer srv.Close()
	u, _ := url.Parse(srv.URL)
	host, port, _ := net.SplitHostPort(u.Host)
	d := lpTestDialog()
	d.app.IP, d.app.Port, d.app.DTMFURI = host, atoiOr(port), "/dtmf"
	d.client, d.base = srv.Client(), srv.URL
	d.expect = expect{"event_name", true, "CHANNEL_HANGUP", true}

	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	hangup := &esl.Event{ContentType: esl.TypeEventPlain, Headers: []esl.EventHeader{
		{Name: "Event-Name", Value: "CHANNEL_HANGUP", Raw: "CHANNEL_HANGUP"},
		{Name: "Hangup-Cause", Value: "NORMAL_CLEARING", Raw: "NORMAL_CLEARING"},
	}}
	cmds, err := d.Event(ctx, hangup)
	if err != nil || cmds != nil {
		t.Errorf("Event(CHANNEL_HANGUP) = %v, %v; want nothing to send", cmds, err)
	}
	dtmf := &esl.Event{ContentType: esl.TypeEventPlain, Headers: []esl.EventHeader{
		{Name: "Event-Name", Value: "DTMF", Raw: "DTMF"}, {Name: "DTMF-Digit", Value: "1", Raw: "1"},
	}}
	if cmds, err := d.Event(ctx, dtmf); err != nil || cmds != nil {
		t.Errorf("Event(DTMF) after the hangup = %v, %v; want nothing", cmds, err)
	}
	if want := []string{"/s CHANNEL_HANGUP"}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("requests = %q, want %q", got, want)
	}
}

func atoiOr(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}

// FuzzParseLiverpieReply: no reply body makes the parser panic, and an
// accepted reply never expects a value without a key.
func FuzzParseLiverpieReply(f *testing.F) {
	for _, s := range []string{
		"", "---\n", "msg: api sleep 20000\nexpected_value: api/response\nexpected_key: content_type\n",
		"msg: |-\n  SendMsg \n  call-command: execute\n", "- a\n", "a: &x [*x]\n", "msg: {a: b}\n",
		"expected_value: x\n", "&a [*a, *a]", "msg: !!binary aGVsbG8=\n", "<<: {msg: x}\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		rep, err := parseReply(body)
		if err == nil && rep.expect.hasValue && !rep.expect.hasKey {
			t.Errorf("parseLiverpieReply(%q) = %+v: a value without a key", body, rep)
		}
	})
}

// FuzzLiverpieCommands: no msg makes the command check panic, and every
// command it lets through is one esl can write and whose word is allowed.
func FuzzLiverpieCommands(f *testing.F) {
	for _, s := range []string{
		"sendmsg\ncall-command: execute\nexecute-app-name: answer\n", "SendMsg \nevent-lock:true",
		"sendmsg\ncontent-length: 3\n\nabc\n\nsendmsg", "api x", "sendmsg\r\nx: y\r\n\r\n", "\n\n\n",
		"sendmsg\ncontent-length: 99999999999999999999\n\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, msg string) {
		d := lpTestDialog()
		cmds, err := d.commands(msg)
		if err != nil {
			return
		}
		for _, c := range cmds {
			if _, err := c.Encode(); err != nil {
				t.Errorf("commands(%q) let through %+v: %v", msg, c, err)
			}
			if w, _, _ := strings.Cut(c.Line, " "); w != "sendmsg" {
				t.Errorf("commands(%q) let through %q", msg, c.Line)
			}
		}
	})
}
