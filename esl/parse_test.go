package esl

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
)

func dumpCommand(c Command) string {
	var b strings.Builder
	fmt.Fprintf(&b, "line=%q ", c.Line)
	for _, h := range c.Headers {
		fmt.Fprintf(&b, "[%s]=[%s] ", h.Name, h.Value)
	}
	fmt.Fprintf(&b, "body=%q", c.Body)
	return b.String()
}

func wantCommand(line string, body string, kv ...string) Command {
	c := Command{Line: line, Headers: frameHeaders(kv...)}
	if body != "" {
		c.Body = []byte(body)
	}
	return c
}

// commandTests hold one packet each, as ParseCommand and ReadCommand both
// read it.
var commandTests = []struct {
	name string
	in   string
	want Command
}{
	{"connect", "connect\n\n", wantCommand("connect", "")},
	{"CRLF", "sendmsg\r\ncall-command: hangup\r\nhangup-cause: NORMAL_CLEARING\r\n\r\n",
		wantCommand("sendmsg", "", "call-command", "hangup", "hangup-cause", "NORMAL_CLEARING")},
	{"LF then CRLF ends the block", "exit\n\r\n", wantCommand("exit", "")},
	{"CRs between the two LFs", "exit\n\r\r\r\n", wantCommand("exit", "")},
	{"leading CR/LF skipped", "\r\n\n\rlinger 5\n\n", wantCommand("linger 5", "")},
	{"lines without colon ignored", "sendmsg\nno colon here\ncall-command: execute\n\n", wantCommand("sendmsg", "", "call-command", "execute")},
	{"empty values dropped", "sendmsg\nexecute-app-arg: \nexecute-app-arg:\ncall-command: execute\n\n", wantCommand("sendmsg", "", "call-command", "execute")},
	{"value after the first colon", "sendmsg\nexecute-app-arg:   a:b: c\n\n", wantCommand("sendmsg", "", "execute-app-arg", "a:b: c")},
	{"duplicates kept", "filter\nX: 1\nx: 2\n\n", wantCommand("filter", "", "X", "1", "x", "2")},
	{"arbitrary names and UTF-8", "sendevent CUSTOM\nvariable_a@b[1]={x}?: é☎\n\n", wantCommand("sendevent CUSTOM", "", "variable_a@b[1]={x}?", "é☎")},
	{"body by content-length", "sendmsg\ncall-command: execute\ncontent-length: 11\n\nhello\nworld",
		wantCommand("sendmsg", "hello\nworld", "call-command", "execute", "content-length", "11")},
	{"Content-Length in any case", "sendevent CUSTOM\nCONTENT-length: 3\n\nabc", wantCommand("sendevent CUSTOM", "abc", "CONTENT-length", "3")},
	{"Content-Length zero", "sendmsg\ncontent-length: 0\n\n", wantCommand("sendmsg", "", "content-length", "0")},
	{"non-numeric Content-Length is atoi 0", "sendmsg\ncontent-length: abc\n\n", wantCommand("sendmsg", "", "content-length", "abc")},
	{"atoi stops at the first non-digit", "sendmsg\ncontent-length: 2xyz\n\nab", wantCommand("sendmsg", "ab", "content-length", "2xyz")},
	{"body ends at NUL", "sendmsg\ncontent-length: 5\n\nab\x00cd", wantCommand("sendmsg", "ab", "content-length", "5")},
	{"every Content-Length reads a body, the last is kept", "sendmsg\ncontent-length: 2\ncontent-length: 3\n\nabcde",
		wantCommand("sendmsg", "cde", "content-length", "2", "content-length", "3")},
	{"body may hold a blank line and headers", "sendmsg\ncontent-length: 8\n\nx: y\n\n\n\n", wantCommand("sendmsg", "x: y\n\n\n\n", "content-length", "8")},
	// read_packet cuts each line at the next CR when the rest of the block
	// has one, so LF-only lines before a CR are swallowed.
	{"LF lines before a CR are swallowed", "sendmsg\nfoo: 1\nbar: 2\r\n\r\n", wantCommand("sendmsg", "")},
	{"LF line inside a CRLF block swallows the next", "sendmsg\r\nfoo: 1\nbar: 2\r\n\r\n", wantCommand("sendmsg", "", "foo", "1")},
}

func TestParseCommand(t *testing.T) {
	for _, tc := range commandTests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseCommand([]byte(tc.in))
			if err != nil {
				t.Fatalf("ParseCommand(%q) error %v", tc.in, err)
			}
			if g, w := dumpCommand(got), dumpCommand(tc.want); g != w {
				t.Errorf("ParseCommand(%q) = %s, want %s", tc.in, g, w)
			}
		})
	}
}

func TestParseCommandLenient(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want Command
	}{
		{"no blank line", "sendmsg\ncall-command: hangup", wantCommand("sendmsg", "", "call-command", "hangup")},
		{"one LF", "api status\n", wantCommand("api status", "")},
		{"bare line", "api status", wantCommand("api status", "")},
		{"trailing CR/LF after the packet", "exit\n\n\r\n\n", wantCommand("exit", "")},
		{"body without blank line before EOF", "sendmsg\ncontent-length: 0", wantCommand("sendmsg", "", "content-length", "0")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseCommand([]byte(tc.in))
			if err != nil {
				t.Fatalf("ParseCommand(%q) error %v", tc.in, err)
			}
			if g, w := dumpCommand(got), dumpCommand(tc.want); g != w {
				t.Errorf("ParseCommand(%q) = %s, want %s", tc.in, g, w)
			}
		})
	}
}

func TestParseCommandErrors(t *testing.T) {
	tests := []struct {
		name, in, contains string
	}{
		{"empty", "", "empty command"},
		{"only line ends", "\r\n\n", "empty command"},
		{"negative Content-Length", "sendmsg\ncontent-length: -1\n\n", "out of range"},
		{"Content-Length over 16 MiB", "sendmsg\ncontent-length: 16777217\n\n", "out of range 0..16777216"},
		{"huge Content-Length", "sendmsg\ncontent-length: 999999999999999999999999\n\n", "out of range"},
		{"short body", "sendmsg\ncontent-length: 10\n\nabc", "shorter than its Content-Length"},
		{"second command", "exit\n\nexit\n\n", "trailing data"},
		{"body after a non-numeric Content-Length", "sendmsg\ncontent-length: x\n\nhello", "trailing data"},
		{"data after the body", "sendmsg\ncontent-length: 1\n\nab", "trailing data"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseCommand([]byte(tc.in))
			var pe *ProtocolError
			if !errors.As(err, &pe) || !strings.Contains(err.Error(), tc.contains) {
				t.Errorf("ParseCommand(%q) = %s, %v; want a *ProtocolError containing %q", tc.in, dumpCommand(got), err, tc.contains)
			}
		})
	}
}

func TestReadCommand(t *testing.T) {
	for _, tc := range commandTests {
		for _, rd := range readers {
			t.Run(tc.name+"/"+rd.name, func(t *testing.T) {
				r := NewReader(rd.wrap(strings.NewReader(tc.in)), Limits{})
				got, n, err := r.ReadCommand()
				if err != nil {
					t.Fatalf("ReadCommand(%q) error %v", tc.in, err)
				}
				if g, w := dumpCommand(got), dumpCommand(tc.want); g != w {
					t.Errorf("ReadCommand(%q) = %s, want %s", tc.in, g, w)
				}
				if n != len(tc.in) {
					t.Errorf("ReadCommand(%q) size %d, want %d", tc.in, n, len(tc.in))
				}
				if _, _, err := r.ReadCommand(); err != io.EOF {
					t.Errorf("ReadCommand after %q: error %v, want io.EOF", tc.in, err)
				}
			})
		}
	}
}

func TestReadCommandStream(t *testing.T) {
	// A non-numeric Content-Length reads no body, so the would-be body is
	// the next command, as in FreeSWITCH.
	in := "connect\n\n\nmyevents\n\nsendmsg\ncontent-length: x\n\nexit\n\nlinger 5\r\n\r\n"
	want := []string{"connect", "myevents", "sendmsg", "exit", "linger 5"}
	for _, rd := range readers {
		t.Run(rd.name, func(t *testing.T) {
			r := NewReader(rd.wrap(strings.NewReader(in)), Limits{})
			var lines []string
			total := 0
			for {
				c, n, err := r.ReadCommand()
				total += n
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatalf("ReadCommand() error %v after %q", err, lines)
				}
				lines = append(lines, c.Line)
			}
			if strings.Join(lines, "|") != strings.Join(want, "|") || total != len(in) {
				t.Errorf("ReadCommand lines = %q (%d bytes), want %q (%d bytes)", lines, total, want, len(in))
			}
		})
	}
}

func TestReadCommandErrors(t *testing.T) {
	small := Limits{MaxHeaderBytes: 32, MaxBodyBytes: 4}
	tests := []struct {
		name     string
		in       string
		lim      Limits
		want     error // nil means a *ProtocolError containing contains
		contains string
	}{
		{name: "EOF inside the block", in: "sendmsg\ncall-command: hangup\n", want: io.ErrUnexpectedEOF},
		{name: "EOF in the first line", in: "conn", want: io.ErrUnexpectedEOF},
		{name: "truncated body", in: "sendmsg\ncontent-length: 9\n\nabc", want: io.ErrUnexpectedEOF},
		{name: "negative Content-Length", in: "sendmsg\ncontent-length: -5\n\n", contains: "out of range"},
		{name: "Content-Length over the limit", in: "sendmsg\ncontent-length: 5\n\nabcde", lim: small, contains: "out of range 0..4"},
		{name: "header block over the limit", in: "sendmsg\nexecute-app-arg: " + strings.Repeat("x", 40) + "\n\n", lim: small, contains: "exceeds 32 bytes"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, _, err := NewReader(strings.NewReader(tc.in), tc.lim).ReadCommand()
			if tc.want != nil {
				if err != tc.want {
					t.Errorf("ReadCommand(%q) = %s, %v; want %v", tc.in, dumpCommand(got), err, tc.want)
				}
				return
			}
			var pe *ProtocolError
			if !errors.As(err, &pe) || !strings.Contains(err.Error(), tc.contains) {
				t.Errorf("ReadCommand(%q) = %s, %v; want a *ProtocolError containing %q", tc.in, dumpCommand(got), err, tc.contains)
			}
		})
	}
}

func TestReadCommandAtTheBodyLimit(t *testing.T) {
	in := "sendmsg\ncontent-length: 4\n\nabcd"
	got, n, err := NewReader(strings.NewReader(in), Limits{MaxBodyBytes: 4}).ReadCommand()
	if err != nil || string(got.Body) != "abcd" || n != len(in) {
		t.Errorf("ReadCommand(%q) = %s, %d, %v; want body abcd, %d bytes", in, dumpCommand(got), n, err, len(in))
	}
}

func TestAtoi(t *testing.T) {
	tests := []struct {
		in   string
		want int64
	}{
		{"", 0}, {"abc", 0}, {"12", 12}, {"  12", 12}, {"\t\v\f\r\n7", 7}, {"+3", 3}, {"-3", -3},
		{"12abc", 12}, {"1 2", 1}, {"-", 0}, {"--1", 0}, {"99999999999999999999999999", 9999999999999},
	}
	for _, tc := range tests {
		if got := atoi(tc.in); got != tc.want {
			t.Errorf("atoi(%q) = %d, want %d", tc.in, got, tc.want)
		}
	}
}
