package esl

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"
)

// checkRef is Command.check as it was before its scans were rewritten
// (strings.IndexAny, strings.IndexFunc and strings.EqualFold per header),
// kept as the reference the rewrite must agree with.
func (c Command) checkRef() (addLength bool, err error) {
	fail := func(format string, a ...any) (bool, error) {
		return false, &CommandError{Command: cmdWord(c.Line), Reason: fmt.Sprintf(format, a...)}
	}
	badByte := func(s string) string {
		i := strings.IndexAny(s, "\r\n\x00")
		switch {
		case i < 0:
			return ""
		case s[i] == '\r':
			return "CR"
		case s[i] == '\n':
			return "LF"
		}
		return "NUL"
	}
	badNameRune := func(r rune) bool { return r == ':' || r <= ' ' || r == 0x7f }
	switch {
	case c.Line == "":
		return fail("empty command line")
	case badByte(c.Line) != "":
		return fail("command line contains %s", badByte(c.Line))
	case cmdBlank(c.Line[0]) || cmdBlank(c.Line[len(c.Line)-1]):
		return fail("command line starts or ends with a space (a missing argument?)")
	}
	block := len(c.Line) + 2
	length := -1
	for _, h := range c.Headers {
		switch {
		case h.Name == "":
			return fail("header with an empty name")
		case strings.IndexFunc(h.Name, badNameRune) >= 0:
			return fail("header name %q contains ':', a space or a control byte", h.Name)
		case h.Value == "":
			return fail("header %q has an empty value, which FreeSWITCH drops", h.Name)
		case badByte(h.Value) != "":
			return fail("header %q value contains %s", h.Name, badByte(h.Value))
		case h.Value[0] == ' ':
			return fail("header %q value starts with a space, which FreeSWITCH strips", h.Name)
		case strings.EqualFold(h.Name, "execute-app-name") && strings.ContainsAny(h.Value, " \t"):
			return fail("application name contains a space")
		case strings.EqualFold(h.Name, "Content-Length"):
			if length >= 0 {
				return fail("more than one Content-Length header")
			}
			n, ok := cmdParseLength(h.Value)
			if !ok {
				return fail("Content-Length %q is not a decimal number", h.Value)
			}
			if n != len(c.Body) {
				return fail("Content-Length %d does not match the %d-byte body", n, len(c.Body))
			}
			length = n
		}
		block += len(h.Name) + len(h.Value) + 3
	}
	switch {
	case block >= maxCommandHeader:
		return fail("header block of %d bytes is over FreeSWITCH's 10 MiB limit", block)
	case len(c.Body) > maxCommandBody:
		return fail("body of %d bytes is over FreeSWITCH's 16 MiB limit", len(c.Body))
	case bytes.IndexByte(c.Body, 0) >= 0:
		return fail("body contains NUL, where FreeSWITCH would truncate it")
	}
	return len(c.Body) > 0 && length < 0, nil
}

// sameCheck fails t when check and checkRef disagree on c.
func sameCheck(t *testing.T, c Command) {
	t.Helper()
	add, err := c.check()
	wantAdd, wantErr := c.checkRef()
	var ce, wantCE *CommandError
	if add != wantAdd || (err == nil) != (wantErr == nil) ||
		err != nil && (!errors.As(err, &ce) || !errors.As(wantErr, &wantCE) || *ce != *wantCE) {
		t.Fatalf("%+v: check() = %v, %v; the reference says %v, %v", c, add, err, wantAdd, wantErr)
	}
}

// commandCheckSeeds are commands each refusal of check, and its passes,
// are made of: every bad byte in every place, names of every case.
var commandCheckSeeds = []Command{
	{Line: "sendmsg", Headers: Headers{{"call-command", "execute"}, {"execute-app-name", "playback"}, {"execute-app-arg", "/tmp/a b.wav"}, {"event-lock", "true"}}},
	{Line: ""}, {Line: "api\r"}, {Line: "api\nx"}, {Line: "a\x00"}, {Line: " api"}, {Line: "api\t"}, {Line: "api status"},
	{Line: "x", Headers: Headers{{"", "v"}}},
	{Line: "x", Headers: Headers{{"a:b", "v"}}}, {Line: "x", Headers: Headers{{"a b", "v"}}}, {Line: "x", Headers: Headers{{"a\x7f", "v"}}},
	{Line: "x", Headers: Headers{{"a\x01", "v"}}}, {Line: "x", Headers: Headers{{"é\xff", "v"}}},
	{Line: "x", Headers: Headers{{"a", ""}}}, {Line: "x", Headers: Headers{{"a", "v\r"}}}, {Line: "x", Headers: Headers{{"a", "\nv"}}},
	{Line: "x", Headers: Headers{{"a", "v\x00w\r"}}}, {Line: "x", Headers: Headers{{"a", " v"}}}, {Line: "x", Headers: Headers{{"a", "\tv"}}},
	{Line: "x", Headers: Headers{{"Execute-App-Name", "a b"}}}, {Line: "x", Headers: Headers{{"EXECUTE-APP-NAME", "a\tb"}}},
	{Line: "x", Headers: Headers{{"execute-app-namE", "ab "}}}, {Line: "x", Headers: Headers{{"execute-app-nam", "a b"}}},
	{Line: "x", Headers: Headers{{"content-length", "3"}}, Body: []byte("abc")},
	{Line: "x", Headers: Headers{{"Content-Length", "3"}, {"CONTENT-LENGTH", "3"}}, Body: []byte("abc")},
	{Line: "x", Headers: Headers{{"content-length", "+3"}}, Body: []byte("abc")},
	{Line: "x", Headers: Headers{{"content-length", "4"}}, Body: []byte("abc")},
	{Line: "x", Headers: Headers{{"content-lengthx", "4"}}, Body: []byte("abc")},
	{Line: "x", Body: []byte("a\x00")}, {Line: "x", Body: []byte("abc")},
	{Line: "x", Headers: Headers{{"content-\u212aength", "3"}}, Body: []byte("abc")}, // Kelvin sign: EqualFold folds it to k
	{Line: "x", Headers: Headers{{"\u212a", "v"}}},
}

// TestCommandCheckMatchesReference compares check with the reference on
// the seeds.
func TestCommandCheckMatchesReference(t *testing.T) {
	for _, c := range commandCheckSeeds {
		sameCheck(t, c)
	}
}

// FuzzCommandCheck compares check with the reference on any command of
// up to three headers.
func FuzzCommandCheck(f *testing.F) {
	for _, c := range commandCheckSeeds {
		h := append(c.Headers[:len(c.Headers):len(c.Headers)], Header{}, Header{}, Header{})
		f.Add(c.Line, h[0].Name, h[0].Value, h[1].Name, h[1].Value, h[2].Name, h[2].Value, c.Body)
	}
	f.Fuzz(func(t *testing.T, line, n1, v1, n2, v2, n3, v3 string, body []byte) {
		c := Command{Line: line, Body: body}
		for _, h := range []Header{{n1, v1}, {n2, v2}, {n3, v3}} {
			if h.Name != "" || h.Value != "" {
				c.Headers = append(c.Headers, h)
			}
		}
		sameCheck(t, c)
	})
}

// BenchmarkCommandCheck measures check on the command a verb becomes,
// with the reference beside it.
func BenchmarkCommandCheck(b *testing.B) {
	c := Execute("playback", "/usr/local/freeswitch/share/sounds/test/tone-440-1s.wav",
		ExecuteOptions{EventLock: true, EventUUID: "a6f0c2d4-1b2c-4d5e-8f90-123456789abc", UUID: "0c2d4a6f-1b2c-4d5e-8f90-123456789abc"})
	for _, bc := range []struct {
		name  string
		check func() (bool, error)
	}{{"new", c.check}, {"reference", c.checkRef}} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := bc.check(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestCommandCheckBreakAtEveryOffset puts a CR, LF or NUL at every offset
// of strings of up to 26 bytes, around the 8-byte words cmdBreakAt reads,
// among bytes just above and below its bound (0x0e) and non-ASCII ones:
// cmdBreakAt finds what strings.IndexAny finds, and check refuses the
// byte in a command line, a header value and a header name.
func TestCommandCheckBreakAtEveryOffset(t *testing.T) {
	fillers := []byte{'a', 0x01, 0x09, 0x0b, 0x0c, 0x0e, 0x0f, 0x7f, 0x80, 0x8a, 0x8d, 0xff, 0x20}
	for n := 0; n <= 26; n++ {
		for _, f := range fillers {
			for _, f2 := range fillers {
				b := make([]byte, n)
				for i := range b {
					if i%2 == 0 {
						b[i] = f
					} else {
						b[i] = f2
					}
				}
				s := string(b)
				if g, w := cmdBreakAt(s), strings.IndexAny(s, "\r\n\x00"); g != w {
					t.Fatalf("%q: %d want %d", s, g, w)
				}
				for p := 0; p < n; p++ {
					for _, bad := range []byte{0, '\n', '\r'} {
						c := []byte(s)
						c[p] = bad
						if g, w := cmdBreakAt(string(c)), strings.IndexAny(string(c), "\r\n\x00"); g != w {
							t.Fatalf("%q: %d want %d", c, g, w)
						}
						cmd := Command{Line: "api x", Headers: Headers{{"X-A", "v" + string(c)}}}
						if _, err := cmd.check(); err == nil {
							t.Fatalf("%q passed", c)
						}
						cmd = Command{Line: "api x" + string(c)}
						if _, err := cmd.check(); err == nil {
							t.Fatalf("line %q passed", c)
						}
						cmd = Command{Line: "api x", Headers: Headers{{"X" + string(c), "v"}}}
						if _, err := cmd.check(); err == nil {
							t.Fatalf("name %q passed", c)
						}
					}
				}
			}
		}
	}
}
