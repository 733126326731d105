package esltest

import (
	"strings"
	"testing"
	"time"

	"github.com/callhook/callhook/esl"
)

// TestReplyTexts checks parse_command's exact reply texts, typos included.
func TestReplyTexts(t *testing.T) {
	_, d := start(t, Options{Vars: map[string]string{"callhook_app": "menu"}})
	d.cmd("connect")
	for _, tc := range []struct{ cmd, want string }{
		{"myevents", "+OK Events Enabled"},
		{"myevents", "-ERR aready enabled."},
		{"getvar callhook_app", "menu"},
		{"getvar caller_id_number", "1000"},
		{"getvar loopback_leg", "B"},
		{"getvar no_such_var", "-ERR command not found"},
		{"linger", "+OK will linger"},
		{"linger 10", "+OK will linger 10 seconds"},
		{"nolinger", "+OK will not linger"},
		{"event plain CHANNEL_ANSWER", "+OK event listener enabled plain"},
		{"event json", "-ERR no keywords supplied"},
		{"event plain ALL", "+OK event listener enabled plain"},
		{"nixevent", "-ERR no keywords supplied"},
		{"nixevent DTMF", "+OK events nixed"},
		{"filter Unique-ID", "-ERR invalid syntax"},
		{"filter Unique-ID abc", "+OK filter added. [Unique-ID]=[abc]"},
		{"filter delete Unique-ID abc", "+OK filter deleted. [Unique-ID][abc]"},
		{"filter delete all", "+OK filter deleted. [all][]"},
		{"divert_events", "-ERR missing value."},
		{"divert_events on", "+OK events diverted"},
		{"divert_events off", "+OK events not diverted"},
		{"log 7", "+OK log level 7 [7]"},
		{"log", "+OK log level debug [7]"},
		{"log loud", "-ERR invalid log level"},
		{"nolog", "+OK no longer logging"},
		{"nolog", "-ERR not loging"},
		{"noevents", "+OK no longer listening for events"},
		{"noevents", "-ERR not listening for events"},
		{"resume", "+OK"},
		{"sendmsg 00000000-0000-0000-0000-000000000000\ncall-command: hangup", "-ERR invalid session id [00000000-0000-0000-0000-000000000000]"},
		{"auth ClueCon", "-ERR command not found"},
		{"nosuchcommand", "-ERR command not found"},
	} {
		if got := d.cmd(tc.cmd).ReplyText(); got != tc.want {
			t.Errorf("%q = %q, want %q", tc.cmd, got, tc.want)
		}
	}
}

// TestFullGate checks that without `full` the gated commands, api
// included, answer a command/reply -ERR command not found, and that the
// others still work (not-full-gates capture).
func TestFullGate(t *testing.T) {
	for _, mode := range []string{ModeAsync, ModeStatic} {
		t.Run(mode, func(t *testing.T) {
			_, d := start(t, Options{Mode: mode})
			conn := d.cmd("connect")
			wantControl := "single-channel"
			wantMode := map[string]string{ModeAsync: "async", ModeStatic: "static"}[mode]
			if got := conn.Headers.Get("Socket-Mode"); got != wantMode {
				t.Errorf("Socket-Mode = %q, want %q", got, wantMode)
			}
			if got := conn.Headers.Get("Control"); got != wantControl {
				t.Errorf("Control = %q, want %q", got, wantControl)
			}
			for _, cmd := range []string{"linger", "nolinger", "api version", "bgapi status",
				"event plain ALL", "nixevent DTMF", "noevents", "log 7", "nolog", "sendevent CUSTOM"} {
				f := d.cmd(cmd)
				if f.ContentType() != esl.TypeCommandReply || f.ReplyText() != "-ERR command not found" {
					t.Errorf("%q = %s %q, want command/reply -ERR command not found", cmd, f.ContentType(), f.ReplyText())
				}
			}
			if got := d.cmd("getvar loopback_leg").ReplyText(); got != "B" {
				t.Errorf("getvar loopback_leg = %q, want B", got)
			}
			if got := d.cmd("myevents").ReplyText(); got != "+OK Events Enabled" {
				t.Errorf("myevents = %q", got)
			}
		})
	}
}

// TestConnectReply checks the CHANNEL_DATA layout: URL-encoded values, no
// Content-Length, the last four headers, the call's identity and the
// dialplan's extra variables before the socket app's.
func TestConnectReply(t *testing.T) {
	_, d := start(t, Options{
		UUID: "11111111-2222-4333-8444-555555555555", CallerIDNumber: "+15551234",
		CallerIDName: "Ada Lovelace", DestinationNumber: "8000",
		Vars: map[string]string{"liverpie_webapp_id": "7", "callhook_app": "menu"},
	})
	f := d.cmd("connect")
	hs := f.Headers
	last := hs[len(hs)-4:]
	want := []esl.Header{{Name: "Content-Type", Value: "command/reply"}, {Name: "Reply-Text", Value: "%2BOK%0A"},
		{Name: "Socket-Mode", Value: "async"}, {Name: "Control", Value: "full"}}
	for i := range want {
		if last[i] != want[i] {
			t.Errorf("connect reply header %d from the end = %v, want %v", 4-i, last[i], want[i])
		}
	}
	if _, ok := hs.Lookup("Content-Length"); ok {
		t.Error("connect reply has a Content-Length")
	}
	e := ev(t, f)
	for name, want := range map[string]string{
		"Unique-ID": "11111111-2222-4333-8444-555555555555", "Caller-Caller-ID-Number": "+15551234",
		"Caller-Caller-ID-Name": "Ada Lovelace", "Caller-Destination-Number": "8000",
		"Channel-Name": "loopback/8000-b", "variable_callhook_app": "menu", "variable_liverpie_webapp_id": "7",
		"variable_current_application": "socket", "Event-Name": "CHANNEL_DATA",
	} {
		if got := e.Get(name); got != want {
			t.Errorf("connect reply %s = %q, want %q", name, got, want)
		}
	}
	if got := hs.Get("Caller-Caller-ID-Name"); got != "Ada%20Lovelace" {
		t.Errorf("raw Caller-Caller-ID-Name = %q, want URL-encoded Ada%%20Lovelace", got)
	}
	var order []string
	for _, h := range e.Headers {
		if strings.HasPrefix(h.Name, "variable_") {
			order = append(order, strings.TrimPrefix(h.Name, "variable_"))
		}
	}
	tail := strings.Join(order[len(order)-5:], " ")
	if want := "callhook_app liverpie_webapp_id current_application_data current_application socket_host"; tail != want {
		t.Errorf("last variables = %s, want %s", tail, want)
	}
}

// TestFirstCommandNotConnect checks that the first command's reply is
// dropped unless it is connect, while its effect stays.
func TestFirstCommandNotConnect(t *testing.T) {
	_, d := start(t, Options{})
	d.send("myevents")
	conn := d.cmd("connect")
	if conn.Headers.Get("Socket-Mode") != "async" {
		t.Fatalf("second frame is not the connect reply: %v", conn.Headers)
	}
	if got := d.cmd("myevents").ReplyText(); got != "-ERR aready enabled." {
		t.Errorf("myevents after a dropped first myevents = %q, want the typo'd -ERR aready enabled.", got)
	}
}

// TestConnectTimeout checks the Socket Error path: no complete command
// within the connect timeout → disconnect notice, close, and in async mode
// the channel stays parked with nobody driving it.
func TestConnectTimeout(t *testing.T) {
	c, d := start(t, Options{ConnectTimeout: time.Millisecond})
	wantNames(t, "frames", d.rest(), "notice:disconnect")
	r, err := c.Wait(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if r.Outcome != Parked {
		t.Errorf("outcome = %v, want %v", r, Parked)
	}
}

// TestFilterSemantics checks event_handler's filters: a negative-only set
// blocks everything, a positive one lets matching events through.
func TestFilterSemantics(t *testing.T) {
	tests := []struct {
		name    string
		filters []string
		want    string
	}{
		{"none", nil, "CHANNEL_EXECUTE(answer) CHANNEL_ANSWER CHANNEL_EXECUTE_COMPLETE(answer) CHANNEL_EXECUTE_COMPLETE(socket)"},
		{"negative only", []string{"filter Event-Name -CHANNEL_ANSWER"}, ""},
		{"positive", []string{"filter Event-Name CHANNEL_ANSWER"}, "CHANNEL_ANSWER"},
		{"regex", []string{"filter Event-Name /^CHANNEL_EXECUTE/"},
			"CHANNEL_EXECUTE(answer) CHANNEL_EXECUTE_COMPLETE(answer) CHANNEL_EXECUTE_COMPLETE(socket)"},
		{"positive and negative", []string{"filter Unique-ID " + fixedUUID, "filter Event-Name -CHANNEL_ANSWER"},
			"CHANNEL_EXECUTE(answer) CHANNEL_EXECUTE_COMPLETE(answer) CHANNEL_EXECUTE_COMPLETE(socket)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, d := connected(t, Options{UUID: fixedUUID, Park: ParkImmediately}, "")
			for _, f := range tc.filters {
				d.cmd(f)
			}
			d.cmd(execute("answer", ""))
			d.cmd(hangupCmd)
			var got []string
			for _, f := range d.rest() {
				if n := frameName(f); strings.HasPrefix(n, "CHANNEL_EXECUTE") || n == "CHANNEL_ANSWER" {
					got = append(got, n)
				}
			}
			if g := strings.Join(got, " "); g != tc.want {
				t.Errorf("events = %q, want %q", g, tc.want)
			}
		})
	}
}

const fixedUUID = "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee"

// TestAPI checks the api commands on our own channel and the caller's leg.
func TestAPI(t *testing.T) {
	c, d := connected(t, Options{UUID: fixedUUID, CallerUUID: "cccccccc-bbbb-4ccc-8ddd-eeeeeeeeeeee"}, "")
	for _, tc := range []struct{ cmd, want string }{
		{"api version", "FreeSWITCH Version 1.10.12-release~64bit ( 64bit)\n"},
		{"api nosuchcommand arg", "-ERR nosuchcommand Command not found!\n"},
		{"api uuid_setvar " + fixedUUID + " color blue", "+OK\n"},
		{"api uuid_getvar " + fixedUUID + " color", "blue"},
		{"api uuid_getvar " + fixedUUID + " nothing", "_undef_"},
		{"api uuid_getvar 00000000-0000-0000-0000-000000000000 color", "-ERR No such channel!\n"},
		{"api uuid_exists " + fixedUUID, "true"},
		{"api uuid_break " + fixedUUID + " all", "+OK\n"},
	} {
		f := d.cmd(tc.cmd)
		if f.ContentType() != esl.TypeAPIResponse || string(f.Body) != tc.want {
			t.Errorf("%q = %s %q, want api/response %q", tc.cmd, f.ContentType(), f.Body, tc.want)
		}
	}
	if v, _ := c.Var("color"); v != "blue" {
		t.Errorf("Var(color) = %q, want blue", v)
	}
	if body := string(d.cmd("api status").Body); !strings.HasPrefix(body, "UP 0 years") || !strings.Contains(body, "is ready\n") {
		t.Errorf("api status = %q", body)
	}
}

// TestBgAPI checks the bgapi reply (Reply-Text plus a Job-UUID header) and
// its BACKGROUND_JOB, which myevents lets through by Job-Owner-UUID.
func TestBgAPI(t *testing.T) {
	_, d := connected(t, Options{UUID: fixedUUID}, "")
	d.cmd("event plain BACKGROUND_JOB")
	f := d.cmd("bgapi version\nJob-UUID: 99999999-8888-4777-8666-555555555555")
	if got := f.ReplyText(); got != "+OK Job-UUID: 99999999-8888-4777-8666-555555555555" {
		t.Errorf("bgapi Reply-Text = %q", got)
	}
	if got := f.Headers.Get("Job-UUID"); got != "99999999-8888-4777-8666-555555555555" {
		t.Errorf("bgapi Job-UUID = %q", got)
	}
	job, _ := d.until("BACKGROUND_JOB")
	e := ev(t, job)
	if e.Get("Job-Owner-UUID") != fixedUUID || e.Get("Job-Command") != "version" || string(e.Body) != fsVersion+"\n" {
		t.Errorf("BACKGROUND_JOB = owner %q command %q body %q", e.Get("Job-Owner-UUID"), e.Get("Job-Command"), e.Body)
	}
}

// TestSendEvent checks sendevent's reply and the CUSTOM event coming back
// with the daemon's own headers and body (without myevents: its session
// filter would drop an event with no Unique-ID).
func TestSendEvent(t *testing.T) {
	_, d := start(t, Options{})
	d.cmd("connect")
	d.cmd("event plain CUSTOM callhook::test")
	f := d.cmd("sendevent CUSTOM\nEvent-Subclass: callhook::test\nX-Test: hi there\ncontent-length: 5\n\nhello")
	if !strings.HasPrefix(f.ReplyText(), "+OK ") {
		t.Fatalf("sendevent = %q", f.ReplyText())
	}
	e := ev(t, d.read())
	if e.Name() != "CUSTOM" || e.Get("Event-Subclass") != "callhook::test" || e.Get("X-Test") != "hi there" ||
		string(e.Body) != "hello" || e.Get("Event-UUID") != strings.TrimPrefix(f.ReplyText(), "+OK ") {
		t.Errorf("CUSTOM event = %v body %q", e.Headers, e.Body)
	}
}
