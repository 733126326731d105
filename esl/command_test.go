package esl_test

import (
	"bufio"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/callhook/callhook/esl"
)

var updateGolden = flag.Bool("update", false, "rewrite testdata/commands.golden from the current encodings")

const goldenPath = "testdata/commands.golden"

// wireCases are every constructor in its interesting forms; their encodings
// are the golden file, and each must survive ParseCommand unchanged.
var wireCases = []struct {
	name string
	cmd  esl.Command
}{
	{"connect", esl.Connect()},
	{"auth", esl.Auth("ClueCon")},
	{"userauth", esl.UserAuth("1000@example.com", "secret")},
	{"api", esl.API("version")},
	{"api/args", esl.API("uuid_getvar 4192e98c-e569-11e7-b747-73bec77e82ec callhook_digits")},
	{"bgapi", esl.BgAPI("status", "")},
	{"bgapi/job-uuid", esl.BgAPI("originate loopback/7000 &park()", "48d48aa5-f656-402f-b371-fa859e449186")},
	{"linger/0", esl.Linger(0)},
	{"linger/negative", esl.Linger(-time.Second)},
	{"linger/1ns", esl.Linger(time.Nanosecond)},
	{"linger/5s", esl.Linger(5 * time.Second)},
	{"linger/1.5s", esl.Linger(1500 * time.Millisecond)},
	{"linger/huge", esl.Linger(1 << 62)},
	{"linger/forever", esl.LingerForever()},
	{"nolinger", esl.NoLinger()},
	{"event/plain-multi", esl.Events(esl.FormatPlain, "BACKGROUND_JOB", "CHANNEL_ANSWER")},
	{"event/default-format", esl.Events("", "DTMF")},
	{"event/json", esl.Events(esl.FormatJSON, "BACKGROUND_JOB")},
	{"event/xml-all", esl.Events(esl.FormatXML, "ALL")},
	{"event/custom", esl.Events(esl.FormatPlain, "CHANNEL_ANSWER", "CUSTOM callhook::fixture conference::maintenance")},
	{"myevents", esl.MyEvents("", "")},
	{"myevents/plain", esl.MyEvents(esl.FormatPlain, "")},
	{"myevents/json", esl.MyEvents(esl.FormatJSON, "")},
	{"myevents/xml", esl.MyEvents(esl.FormatXML, "")},
	{"myevents/uuid", esl.MyEvents("", "4192e98c-e569-11e7-b747-73bec77e82ec")},
	{"myevents/uuid-json", esl.MyEvents(esl.FormatJSON, "4192e98c-e569-11e7-b747-73bec77e82ec")},
	{"divert_events/on", esl.DivertEvents(true)},
	{"divert_events/off", esl.DivertEvents(false)},
	{"filter", esl.Filter("Unique-ID", "cb7eed86-4c93-4bc6-94da-db72d734c7f2")},
	{"filter/regex", esl.Filter("Event-Name", "/^CHANNEL_(ANSWER|HANGUP)$/")},
	{"filter/delete", esl.FilterDelete("Unique-ID", "cb7eed86-4c93-4bc6-94da-db72d734c7f2")},
	{"filter/delete-header", esl.FilterDelete("Unique-ID", "")},
	{"filter/delete-all", esl.FilterDeleteAll()},
	{"sendevent/body", esl.SendEvent("CUSTOM", esl.Headers{
		{Name: "Event-Subclass", Value: "callhook::fixture"},
		{Name: "callhook-Test", Value: "hello world"},
	}, []byte("fixture body line 1\nline 2 with a colon: yes\n"))},
	{"sendevent/no-body", esl.SendEvent("NOTIFY", esl.Headers{{Name: "profile", Value: "internal"}}, nil)},
	{"sendevent/given-length", esl.SendEvent("CUSTOM", esl.Headers{
		{Name: "Event-Subclass", Value: "callhook::fixture"},
		{Name: "Content-Length", Value: "2"},
	}, []byte("hi"))},
	{"sendmsg/headers", esl.SendMsg("", esl.Headers{{Name: "call-command", Value: "xferext"}, {Name: "application", Value: "playback /tmp/a.wav"}, {Name: "application", Value: "hangup"}}, nil)},
	{"sendmsg/uuid-body", esl.SendMsg("4192e98c-e569-11e7-b747-73bec77e82ec", esl.Headers{
		{Name: "call-command", Value: "execute"},
		{Name: "execute-app-name", Value: "playback"},
		{Name: "content-type", Value: "text/plain"},
	}, []byte("/tmp/hello world.wav"))},
	{"execute/no-arg", esl.Execute("answer", "", esl.ExecuteOptions{})},
	{"execute/arg", esl.Execute("playback", "/tmp/hello world.wav", esl.ExecuteOptions{})},
	{"execute/event-lock-uuid", esl.Execute("bridge", "loopback/7100", esl.ExecuteOptions{EventLock: true, EventUUID: "36f63b3f-9ac6-4433-8acd-ae99ea0ca4c2"})},
	{"execute/loops-2", esl.Execute("playback", "tone_stream://%(100,0,440)", esl.ExecuteOptions{Loops: 2, EventLock: true, EventUUID: "102ec46a-454c-4ecb-8df9-d2004cfe4ff5"})},
	{"execute/loops-1", esl.Execute("playback", "a.wav", esl.ExecuteOptions{Loops: 1})},
	{"execute/loops-forever", esl.Execute("playback", "a.wav", esl.ExecuteOptions{Loops: -1})},
	{"execute/async-uuid", esl.Execute("playback", "a.wav", esl.ExecuteOptions{UUID: "4192e98c-e569-11e7-b747-73bec77e82ec", Async: true})},
	{"execute/all-options", esl.Execute("playback", "a.wav", esl.ExecuteOptions{
		UUID: "4192e98c-e569-11e7-b747-73bec77e82ec", EventUUID: "a6f0c2d4-1b2c-4d5e-8f90-123456789abc",
		Loops: 3, EventLock: true, Async: true,
	})},
	{"execute/body-lf", esl.Execute("set", "multi=line one\nline two", esl.ExecuteOptions{EventLock: true, EventUUID: "a6f0c2d4-1b2c-4d5e-8f90-123456789abc"})},
	{"execute/body-crlf", esl.Execute("set", "x=a\r\nb", esl.ExecuteOptions{})},
	{"execute/body-leading-space", esl.Execute("log", " INFO padded", esl.ExecuteOptions{})},
	{"execute/body-long", esl.Execute("set", "long="+strings.Repeat("x", esl.MaxHeaderArg-4), esl.ExecuteOptions{Loops: 2})},
	{"execute/header-at-limit", esl.Execute("set", "long="+strings.Repeat("x", esl.MaxHeaderArg-5), esl.ExecuteOptions{})},
	{"hangup", esl.Hangup("", "NORMAL_CLEARING")},
	{"hangup/no-cause", esl.Hangup("", "")},
	{"hangup/uuid-q850", esl.Hangup("4192e98c-e569-11e7-b747-73bec77e82ec", "17")},
	{"unicast/defaults", esl.Unicast("", esl.UnicastOptions{})},
	{"unicast/full", esl.Unicast("4192e98c-e569-11e7-b747-73bec77e82ec", esl.UnicastOptions{
		LocalIP: "127.0.0.1", LocalPort: "8025", RemoteIP: "192.0.2.7", RemotePort: "8026", Transport: "tcp", Flags: "native",
	})},
	{"nomedia", esl.NoMedia("", "5a7e6d2c-0b1e-4c6f-9a53-2f0d8e1c4b7a")},
	{"exit", esl.Exit()},
	{"log", esl.Log("")},
	{"log/level", esl.Log("7")},
	{"nolog", esl.NoLog()},
	{"nixevent", esl.NixEvent("CHANNEL_ANSWER")},
	{"nixevent/multi", esl.NixEvent("DTMF", "CUSTOM callhook::fixture")},
	{"noevents", esl.NoEvents()},
	{"resume", esl.Resume()},
	{"getvar", esl.GetVar("caller_id_number")},
	{"handbuilt/body-without-length", esl.Command{Line: "sendmsg", Headers: esl.Headers{{Name: "call-command", Value: "execute"}}, Body: []byte("x")}},
	{"handbuilt/zero-length-no-body", esl.Command{Line: "noevents", Headers: esl.Headers{{Name: "Content-Length", Value: "0"}}}},
}

// TestCommandWire compares every constructor's exact wire bytes with
// testdata/commands.golden; run with -update to rewrite it after a reviewed
// change.
func TestCommandWire(t *testing.T) {
	var got bytes.Buffer
	got.WriteString("# Exact wire bytes of esl commands, one per line: name, tab, Go-quoted bytes.\n")
	got.WriteString("# Regenerate with: go test ./esl -run TestCommandWire -update\n")
	encoded := map[string]string{}
	for _, tc := range wireCases {
		b, err := tc.cmd.Encode()
		if err != nil {
			t.Fatalf("%s: Encode() error = %v, want nil", tc.name, err)
		}
		if _, dup := encoded[tc.name]; dup {
			t.Fatalf("duplicate case name %q", tc.name)
		}
		encoded[tc.name] = strconv.Quote(string(b))
		fmt.Fprintf(&got, "%s\t%s\n", tc.name, encoded[tc.name])
	}
	if *updateGolden {
		if err := os.WriteFile(goldenPath, got.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want := readGolden(t)
	for _, tc := range wireCases {
		t.Run(tc.name, func(t *testing.T) {
			w, ok := want[tc.name]
			if !ok {
				t.Fatalf("no golden entry for %q; run with -update", tc.name)
			}
			if encoded[tc.name] != w {
				t.Errorf("Encode() = %s\nwant      %s", encoded[tc.name], w)
			}
		})
	}
	if len(want) != len(wireCases) {
		t.Errorf("golden file has %d entries, the test %d; run with -update", len(want), len(wireCases))
	}
}

func readGolden(t *testing.T) map[string]string {
	t.Helper()
	f, err := os.Open(goldenPath)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	defer f.Close()
	want := map[string]string{}
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		name, quoted, ok := strings.Cut(line, "\t")
		if !ok {
			t.Fatalf("malformed golden line %q", line)
		}
		want[name] = quoted
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return want
}

// TestCommandRoundTrip re-parses every encoding with ParseCommand, the way
// FreeSWITCH (and the esltest simulator) read it, and expects the same line,
// headers and body back.
func TestCommandRoundTrip(t *testing.T) {
	for _, tc := range wireCases {
		t.Run(tc.name, func(t *testing.T) {
			b, err := tc.cmd.Encode()
			if err != nil {
				t.Fatalf("Encode() error = %v", err)
			}
			got, err := esl.ParseCommand(b)
			if err != nil {
				t.Fatalf("ParseCommand(%q) error = %v", b, err)
			}
			want := effective(tc.cmd)
			if got.Line != want.Line || !slices.Equal(got.Headers, want.Headers) || !bytes.Equal(got.Body, want.Body) {
				t.Errorf("ParseCommand(%q) = %+v, want %+v", b, got, want)
			}
		})
	}
}

// effective is c as it goes on the wire: with the content-length header
// Encode adds for a body that has none.
func effective(c esl.Command) esl.Command {
	if _, ok := c.Headers.Lookup("Content-Length"); len(c.Body) > 0 && !ok {
		c.Headers = append(slices.Clip(c.Headers), esl.Header{Name: "content-length", Value: strconv.Itoa(len(c.Body))})
	}
	return c
}

// TestCommandMatchesCapture checks encodings byte for byte against the
// commands a real FreeSWITCH 1.10.12 accepted (the C> frames of
// testdata/*.wire.txt), with the UUIDs those sessions used.
func TestCommandMatchesCapture(t *testing.T) {
	captured := capturedCommands(t)
	lock := func(uuid string) esl.ExecuteOptions { return esl.ExecuteOptions{EventLock: true, EventUUID: uuid} }
	const tone = "/usr/local/freeswitch/share/sounds/test/tone-440-1s.wav"
	tests := []struct {
		name string
		cmd  esl.Command
	}{
		{"connect", esl.Connect()},
		{"myevents", esl.MyEvents(esl.FormatPlain, "")},
		{"myevents json", esl.MyEvents(esl.FormatJSON, "")},
		{"myevents xml", esl.MyEvents(esl.FormatXML, "")},
		{"linger 5", esl.Linger(5 * time.Second)},
		{"linger 3", esl.Linger(2100 * time.Millisecond)},
		{"linger", esl.LingerForever()},
		{"nolinger", esl.NoLinger()},
		{"exit", esl.Exit()},
		{"resume", esl.Resume()},
		{"auth", esl.Auth("ClueCon")},
		{"auth wrong", esl.Auth("wrongpass")},
		{"event plain", esl.Events(esl.FormatPlain, "BACKGROUND_JOB", "CHANNEL_ANSWER")},
		{"event plain ALL", esl.Events(esl.FormatPlain, "ALL")},
		{"event json", esl.Events(esl.FormatJSON, "BACKGROUND_JOB")},
		{"event xml", esl.Events(esl.FormatXML, "BACKGROUND_JOB")},
		{"event custom", esl.Events(esl.FormatPlain, "CUSTOM callhook::fixture")},
		{"filter", esl.Filter("Unique-ID", "cb7eed86-4c93-4bc6-94da-db72d734c7f2")},
		{"filter delete", esl.FilterDelete("Unique-ID", "cb7eed86-4c93-4bc6-94da-db72d734c7f2")},
		{"divert_events on", esl.DivertEvents(true)},
		{"divert_events off", esl.DivertEvents(false)},
		{"getvar", esl.GetVar("caller_id_number")},
		{"getvar unset", esl.GetVar("callhook_no_such_var")},
		{"api version", esl.API("version")},
		{"api status", esl.API("status")},
		{"bgapi", esl.BgAPI("status", "")},
		{"bgapi job-uuid", esl.BgAPI("status", "48d48aa5-f656-402f-b371-fa859e449186")},
		{"sendevent", esl.SendEvent("CUSTOM", esl.Headers{
			{Name: "Event-Subclass", Value: "callhook::fixture"},
			{Name: "callhook-Test", Value: "hello world"},
		}, []byte("fixture body line 1\nline 2 with a colon: yes\n"))},
		{"log 7", esl.Log("7")},
		{"nolog", esl.NoLog()},
		{"nixevent", esl.NixEvent("CHANNEL_ANSWER")},
		{"noevents", esl.NoEvents()},
		{"execute no arg", esl.Execute("answer", "", lock("3d7e0d9f-584f-4f77-a60a-2a3f27990da7"))},
		{"execute arg", esl.Execute("bridge", "error/user_busy", lock("955e3ebb-4f61-45cd-8fa8-6afb2a590b2c"))},
		{"execute tone_stream", esl.Execute("playback", "tone_stream://%(10000,0,440)", lock("e6077e25-c235-4e60-bf66-0a6e0945d150"))},
		{"execute pagd", esl.Execute("play_and_get_digits",
			`1 1 1 3000 # `+tone+` silence_stream://250 callhook_digits \d`, lock("0e2bf98c-542e-49f3-8c7d-25074d9d37fc"))},
		{"execute loops", esl.Execute("playback", tone, esl.ExecuteOptions{
			EventLock: true, EventUUID: "102ec46a-454c-4ecb-8df9-d2004cfe4ff5", Loops: 2,
		})},
		{"sendmsg body form", esl.SendMsg("", esl.Headers{
			{Name: "call-command", Value: "execute"},
			{Name: "execute-app-name", Value: "playback"},
			{Name: "event-lock", Value: "true"},
			{Name: "Event-UUID", Value: "29caadaf-014c-4445-b768-93f54c795f87"},
			{Name: "content-type", Value: "text/plain"},
		}, []byte(tone))},
		{"hangup", esl.Hangup("", "NORMAL_CLEARING")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b, err := tc.cmd.Encode()
			if err != nil {
				t.Fatalf("Encode() error = %v", err)
			}
			if !captured[string(b)] {
				t.Errorf("Encode() = %q, which no capture sent", b)
			}
		})
	}
}

// markerC finds the "--- +<ms> C>" lines of a wire.txt transcript; the
// frame after each is what the daemon sent.
var markerC = regexp.MustCompile(`(?m)^--- \+\d+ C>\n`)

// capturedCommands returns every C> frame of testdata/*.wire.txt, each cut
// by ESL framing (header block, then Content-Length body bytes), because a
// body without a final newline is followed by one the transcript adds.
func capturedCommands(t *testing.T) map[string]bool {
	t.Helper()
	files, err := filepath.Glob("testdata/*.wire.txt")
	if err != nil || len(files) == 0 {
		t.Fatalf("no testdata/*.wire.txt transcripts (glob error %v)", err)
	}
	set := map[string]bool{}
	for _, name := range files {
		data, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range markerC.FindAllIndex(data, -1) {
			rest := data[m[1]:]
			end := bytes.Index(rest, []byte("\n\n"))
			if end < 0 {
				t.Fatalf("%s: C> frame at byte %d has no end of headers", name, m[1])
			}
			frame := rest[:end+2]
			for line := range strings.Lines(string(rest[:end])) {
				k, v, _ := strings.Cut(strings.TrimSuffix(line, "\n"), ": ")
				if strings.EqualFold(k, "Content-Length") {
					n, err := strconv.Atoi(v)
					if err != nil || end+2+n > len(rest) {
						t.Fatalf("%s: C> frame at byte %d: bad content-length %q", name, m[1], v)
					}
					frame = rest[:end+2+n]
				}
			}
			set[string(frame)] = true
		}
	}
	return set
}

// TestCommandInvalid lists commands Encode must refuse: each returns a
// *CommandError and no bytes at all.
func TestCommandInvalid(t *testing.T) {
	okUUID := esl.ExecuteOptions{EventUUID: "a6f0c2d4-1b2c-4d5e-8f90-123456789abc"}
	h := func(name, value string) esl.Command {
		return esl.Command{Line: "sendmsg", Headers: esl.Headers{{Name: "call-command", Value: "execute"}, {Name: name, Value: value}}}
	}
	tests := []struct {
		name string
		cmd  esl.Command
	}{
		{"empty line", esl.Command{}},
		{"LF in api", esl.API("status\n\nexit")},
		{"CR in api", esl.API("status\rexit")},
		{"NUL in api", esl.API("status\x00exit")},
		{"LF in auth", esl.Auth("pw\n\napi status")},
		{"LF in userauth", esl.UserAuth("u\n", "pw")},
		{"LF in bgapi", esl.BgAPI("status\n", "")},
		{"LF in bgapi job-uuid", esl.BgAPI("status", "u\nexit")},
		{"LF in event name", esl.Events(esl.FormatPlain, "DTMF\n\nexit")},
		{"CR in format", esl.Events("plain\r", "DTMF")},
		{"LF in myevents uuid", esl.MyEvents("", "u\n")},
		{"LF in filter header", esl.Filter("Unique-ID\n", "x")},
		{"LF in filter value", esl.Filter("Unique-ID", "x\n\nexit")},
		{"LF in filter delete", esl.FilterDelete("Unique-ID", "x\n")},
		{"LF in getvar", esl.GetVar("x\n\nexit")},
		{"LF in log level", esl.Log("7\n")},
		{"LF in nixevent", esl.NixEvent("DTMF\n")},
		{"LF in sendevent name", esl.SendEvent("CUSTOM\n", nil, nil)},
		{"LF in sendmsg uuid", esl.SendMsg("u\n", esl.Headers{{Name: "call-command", Value: "hangup"}}, nil)},
		{"LF in execute uuid", esl.Execute("answer", "", esl.ExecuteOptions{UUID: "u\nexit"})},
		{"LF in app name", esl.Execute("play\nback", "a.wav", okUUID)},
		{"CR in app name", esl.Execute("playback\r", "a.wav", okUUID)},
		{"space in app name", esl.Execute("play back", "a.wav", okUUID)},
		{"tab in app name", esl.Execute("play\tback", "a.wav", okUUID)},
		{"empty app name", esl.Execute("", "a.wav", okUUID)},
		{"NUL in execute arg", esl.Execute("playback", "a.wav\x00b", okUUID)},
		{"NUL in execute body arg", esl.Execute("set", "a\nb\x00c", okUUID)},
		{"LF in event uuid", esl.Execute("answer", "", esl.ExecuteOptions{EventUUID: "u\n\nexit"})},
		{"LF in hangup cause", esl.Hangup("", "NORMAL_CLEARING\nexit")},
		{"LF in hangup uuid", esl.Hangup("u\r\n", "")},
		{"LF in unicast", esl.Unicast("", esl.UnicastOptions{RemoteIP: "192.0.2.1\nx: y"})},
		{"empty nomedia uuid", esl.NoMedia("", "")},
		{"CR in nomedia uuid", esl.NoMedia("", "u\r")},
		{"empty api command", esl.API("")},
		{"empty getvar name", esl.GetVar("")},
		{"empty filter value", esl.Filter("Unique-ID", "")},
		{"leading space in line", esl.Command{Line: " exit"}},
		{"trailing tab in line", esl.Command{Line: "exit\t"}},
		{"empty header name", h("", "x")},
		{"colon in header name", h("a:b", "x")},
		{"space in header name", h("a b", "x")},
		{"LF in header name", h("a\nb", "x")},
		{"DEL in header name", h("a\x7f", "x")},
		{"empty header value", h("execute-app-arg", "")},
		{"leading space in header value", h("execute-app-arg", " a.wav")},
		{"LF in header value", h("execute-app-arg", "a\nexit")},
		{"CR in header value", h("execute-app-arg", "a\r")},
		{"NUL in header value", h("execute-app-arg", "a\x00")},
		{"LF in sendmsg header", esl.SendMsg("", esl.Headers{{Name: "x", Value: "1\n\nexit"}}, nil)},
		{"content-length mismatch", esl.Command{Line: "sendevent CUSTOM", Headers: esl.Headers{{Name: "Content-Length", Value: "3"}}, Body: []byte("ab")}},
		{"content-length without body", esl.Command{Line: "sendevent CUSTOM", Headers: esl.Headers{{Name: "content-length", Value: "5"}}}},
		{"content-length not a number", esl.Command{Line: "sendevent CUSTOM", Headers: esl.Headers{{Name: "Content-Length", Value: "2x"}}, Body: []byte("ab")}},
		{"content-length signed", esl.Command{Line: "sendevent CUSTOM", Headers: esl.Headers{{Name: "Content-Length", Value: "+2"}}, Body: []byte("ab")}},
		{"content-length twice", esl.Command{Line: "sendevent CUSTOM", Headers: esl.Headers{{Name: "Content-Length", Value: "2"}, {Name: "content-length", Value: "2"}}, Body: []byte("ab")}},
		{"given content-length disagrees", esl.SendEvent("CUSTOM", esl.Headers{{Name: "Content-Length", Value: "9"}}, []byte("ab"))},
		{"NUL in body", esl.SendEvent("CUSTOM", nil, []byte("a\x00b"))},
		{"body over 16 MiB", esl.SendEvent("CUSTOM", nil, make([]byte, 16<<20+1))},
		{"header block over 10 MiB", esl.Execute("set", "", esl.ExecuteOptions{EventUUID: strings.Repeat("u", 10<<20)})},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b, err := tc.cmd.Encode()
			var ce *esl.CommandError
			if !errors.As(err, &ce) {
				t.Fatalf("Encode() error = %v, want a *esl.CommandError", err)
			}
			if b != nil {
				t.Errorf("Encode() bytes = %q, want nil", b)
			}
			if ce.Reason == "" || strings.ContainsAny(ce.Error(), "\r\n\x00") {
				t.Errorf("Encode() error = %q, want a reason on one line", ce.Error())
			}
		})
	}
}

// TestCommandErrorHidesArguments checks that an error names the command word
// only: a rejected "auth" line must not put the password in a log.
func TestCommandErrorHidesArguments(t *testing.T) {
	_, err := esl.Auth("s3cret\n").Encode()
	var ce *esl.CommandError
	if !errors.As(err, &ce) {
		t.Fatalf("Auth(...).Encode() error = %v, want a *esl.CommandError", err)
	}
	if ce.Command != "auth" || strings.Contains(err.Error(), "s3cret") {
		t.Errorf("Auth(...).Encode() error = %q (Command %q), want Command \"auth\" and no password", err, ce.Command)
	}
}

// TestLinger checks the rounding rule: whole seconds, rounded up, because
// FreeSWITCH only takes whole seconds and lingering too short loses events.
func TestLinger(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want string
	}{
		{0, "linger 0"},
		{-5 * time.Second, "linger 0"},
		{time.Nanosecond, "linger 1"},
		{999 * time.Millisecond, "linger 1"},
		{time.Second, "linger 1"},
		{time.Second + time.Nanosecond, "linger 2"},
		{30 * time.Second, "linger 30"},
		{time.Duration(1<<31) * time.Second, "linger 2147483647"},
	}
	for _, tc := range tests {
		if got := esl.Linger(tc.d).Line; got != tc.want {
			t.Errorf("Linger(%v).Line = %q, want %q", tc.d, got, tc.want)
		}
	}
}

// TestExecuteArgForm checks when Execute moves the argument into a body.
func TestExecuteArgForm(t *testing.T) {
	tests := []struct {
		name   string
		arg    string
		inBody bool
	}{
		{"none", "", false},
		{"short", "a.wav", false},
		{"at limit", strings.Repeat("a", esl.MaxHeaderArg), false},
		{"over limit", strings.Repeat("a", esl.MaxHeaderArg+1), true},
		{"LF", "a\nb", true},
		{"CR", "a\rb", true},
		{"leading space", " a", true},
		{"leading tab", "\ta", false},
		{"trailing space", "a ", false},
		{"inner tab", "a\tb", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := esl.Execute("set", tc.arg, esl.ExecuteOptions{})
			headerArg, hasHeader := c.Headers.Lookup("execute-app-arg")
			switch {
			case tc.inBody && (hasHeader || string(c.Body) != tc.arg || c.Headers.Get("content-type") != "text/plain" ||
				c.Headers.Get("content-length") != strconv.Itoa(len(tc.arg))):
				t.Errorf("Execute(set, %q) = %+v, want the argument as a text/plain body", tc.arg, c)
			case !tc.inBody && tc.arg != "" && (headerArg != tc.arg || c.Body != nil):
				t.Errorf("Execute(set, %q) = %+v, want it in execute-app-arg", tc.arg, c)
			case tc.arg == "" && (hasHeader || c.Body != nil):
				t.Errorf("Execute(set, \"\") = %+v, want no argument at all", c)
			}
			if _, err := c.Encode(); err != nil {
				t.Errorf("Execute(set, %q).Encode() error = %v", tc.arg, err)
			}
		})
	}
}

// TestConstructorsCopyInputs checks that a Command shares no memory with the
// caller: changing the headers or body after the call changes nothing, and
// appending content-length never writes into the caller's array.
func TestConstructorsCopyInputs(t *testing.T) {
	for _, build := range []struct {
		name string
		fn   func(esl.Headers, []byte) esl.Command
	}{
		{"SendMsg", func(h esl.Headers, b []byte) esl.Command { return esl.SendMsg("", h, b) }},
		{"SendEvent", func(h esl.Headers, b []byte) esl.Command { return esl.SendEvent("CUSTOM", h, b) }},
	} {
		t.Run(build.name, func(t *testing.T) {
			h := make(esl.Headers, 1, 4)
			h[0] = esl.Header{Name: "call-command", Value: "execute"}
			spare := h[:2]
			body := []byte("abc")
			c := build.fn(h, body)
			before, err := c.Encode()
			if err != nil {
				t.Fatal(err)
			}
			if spare[1] != (esl.Header{}) {
				t.Errorf("%s wrote %+v into the caller's header array", build.name, spare[1])
			}
			h[0].Value = "hangup"
			body[0] = 'X'
			after, _ := c.Encode()
			if !bytes.Equal(before, after) {
				t.Errorf("%s: after changing the inputs Encode() = %q, want %q", build.name, after, before)
			}
		})
	}
}

// FuzzCommandEncode checks the injection guarantee on arbitrary input: when
// Encode accepts a command, the bytes hold exactly its line, its headers and
// its body, so no value can add a header or a command, and FreeSWITCH's
// parser (ParseCommand) reads back exactly that command.
func FuzzCommandEncode(f *testing.F) {
	f.Add("sendmsg", "execute-app-arg", "a.wav", []byte(nil))
	f.Add("api status", "x", "1\n\nexit", []byte("body"))
	f.Add("exit\r\n", "Content-Length", "3", []byte("abc"))
	f.Add("sendevent CUSTOM", "content-length", "12", []byte("a\n\nexit\n\n"))
	f.Fuzz(func(t *testing.T, line, name, value string, body []byte) {
		c := esl.Command{Line: line, Headers: esl.Headers{{Name: name, Value: value}}, Body: body}
		b, err := c.Encode()
		if err != nil {
			if b != nil {
				t.Fatalf("Encode() = %q with error %v, want no bytes", b, err)
			}
			return
		}
		head, gotBody, ok := bytes.Cut(b, []byte("\n\n"))
		if !ok || !bytes.Equal(gotBody, body) {
			t.Fatalf("Encode() = %q: body %q, want %q", b, gotBody, body)
		}
		lines := strings.Split(string(head), "\n")
		want := []string{line, name + ": " + value}
		if len(body) > 0 && !strings.EqualFold(name, "content-length") {
			want = append(want, "content-length: "+strconv.Itoa(len(body)))
		}
		if !slices.Equal(lines, want) {
			t.Fatalf("Encode() header lines = %q, want %q", lines, want)
		}
		back, err := esl.ParseCommand(b)
		if w := effective(c); err != nil || back.Line != w.Line || !slices.Equal(back.Headers, w.Headers) || !bytes.Equal(back.Body, w.Body) {
			t.Fatalf("ParseCommand(%q) = %+v, %v; want %+v", b, back, err, w)
		}
	})
}

// BenchmarkExecuteEncode measures building and encoding the command every
// verb of a call becomes.
func BenchmarkExecuteEncode(b *testing.B) {
	o := esl.ExecuteOptions{EventLock: true, EventUUID: "a6f0c2d4-1b2c-4d5e-8f90-123456789abc"}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := esl.Execute("playback", "/usr/local/freeswitch/share/sounds/test/tone-440-1s.wav", o).Encode(); err != nil {
			b.Fatal(err)
		}
	}
}
