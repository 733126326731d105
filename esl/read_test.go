package esl

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

// readers wraps an input the ways a socket can deliver it.
var readers = []struct {
	name string
	wrap func(io.Reader) io.Reader
}{
	{"whole", func(r io.Reader) io.Reader { return r }},
	{"one byte", iotest.OneByteReader},
	{"half", iotest.HalfReader},
	{"data+EOF", iotest.DataErrReader},
}

// readAllFrames reads frames until an error and returns them, the sum of
// their wire sizes and the error that stopped it.
func readAllFrames(r *Reader) ([]*Frame, int, error) {
	var frames []*Frame
	total := 0
	for {
		f, n, err := r.ReadFrame()
		total += n
		if err != nil {
			return frames, total, err
		}
		frames = append(frames, f)
	}
}

func dumpFrame(f *Frame) string {
	var b strings.Builder
	for _, h := range f.Headers {
		fmt.Fprintf(&b, "[%s]=[%s] ", h.Name, h.Value)
	}
	fmt.Fprintf(&b, "body=%q", f.Body)
	return b.String()
}

func frameHeaders(kv ...string) Headers {
	var h Headers
	for i := 0; i+1 < len(kv); i += 2 {
		h = append(h, Header{Name: kv[i], Value: kv[i+1]})
	}
	return h
}

func TestReadFrame(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []*Frame
	}{
		{
			name: "command reply LF",
			in:   "Content-Type: command/reply\nReply-Text: +OK accepted\n\n",
			want: []*Frame{{Headers: frameHeaders("Content-Type", "command/reply", "Reply-Text", "+OK accepted")}},
		},
		{
			name: "command reply CRLF",
			in:   "Content-Type: command/reply\r\nReply-Text: +OK accepted\r\n\r\n",
			want: []*Frame{{Headers: frameHeaders("Content-Type", "command/reply", "Reply-Text", "+OK accepted")}},
		},
		{
			name: "mixed line ends",
			in:   "Content-Type: command/reply\r\nReply-Text: +OK\n\r\n",
			want: []*Frame{{Headers: frameHeaders("Content-Type", "command/reply", "Reply-Text", "+OK")}},
		},
		{
			name: "api response with body",
			in:   "Content-Type: api/response\nContent-Length: 12\n\n+OK\nline 2\n\n",
			want: []*Frame{{Headers: frameHeaders("Content-Type", "api/response", "Content-Length", "12"), Body: []byte("+OK\nline 2\n\n")}},
		},
		{
			name: "body bytes are not line-parsed",
			in:   "Content-Length: 9\n\n\r\n\r\nx: y\n",
			want: []*Frame{{Headers: frameHeaders("Content-Length", "9"), Body: []byte("\r\n\r\nx: y\n")}},
		},
		{
			name: "Content-Length header in any case and with trailing spaces",
			in:   "content-LENGTH: 3  \n\nabc",
			want: []*Frame{{Headers: frameHeaders("content-LENGTH", "3  "), Body: []byte("abc")}},
		},
		{
			name: "Content-Length zero",
			in:   "Content-Type: text/disconnect-notice\nContent-Disposition: linger\nContent-Length: 0\n\n",
			want: []*Frame{{Headers: frameHeaders("Content-Type", "text/disconnect-notice", "Content-Disposition", "linger", "Content-Length", "0")}},
		},
		{
			name: "equal duplicate Content-Length",
			in:   "Content-Length: 2\nContent-Length: 2\n\nab",
			want: []*Frame{{Headers: frameHeaders("Content-Length", "2", "Content-Length", "2"), Body: []byte("ab")}},
		},
		{
			name: "blank lines between frames",
			in:   "\n\r\n\nReply-Text: a\n\n\n\r\nReply-Text: b\n\n",
			want: []*Frame{{Headers: frameHeaders("Reply-Text", "a")}, {Headers: frameHeaders("Reply-Text", "b")}},
		},
		{
			name: "two frames in one read",
			in:   "Content-Length: 2\nContent-Type: text/event-json\n\n{}Content-Type: command/reply\nReply-Text: +OK\n\n",
			want: []*Frame{
				{Headers: frameHeaders("Content-Length", "2", "Content-Type", "text/event-json"), Body: []byte("{}")},
				{Headers: frameHeaders("Content-Type", "command/reply", "Reply-Text", "+OK")},
			},
		},
		{
			name: "empty values are kept",
			in:   "Content-Type: log/data\nContent-Length: 1\nUser-Data: \nEmpty:\n\nx",
			want: []*Frame{{Headers: frameHeaders("Content-Type", "log/data", "Content-Length", "1", "User-Data", "", "Empty", ""), Body: []byte("x")}},
		},
		{
			name: "value after the first colon, leading spaces skipped",
			in:   "Reply-Text: +OK Job-UUID: 1\nA:b\nB:    c  \nC:\td\n\n",
			want: []*Frame{{Headers: frameHeaders("Reply-Text", "+OK Job-UUID: 1", "A", "b", "B", "c  ", "C", "\td")}},
		},
		{
			name: "header names are arbitrary bytes, kept exactly",
			in:   "variable_sip_h_X-A@b[1]={x}?=y: 1\nUnique-ID: u\nvariable_ünï: 2\n (x)/y: 3\n: empty name\n\n",
			want: []*Frame{{Headers: frameHeaders("variable_sip_h_X-A@b[1]={x}?=y", "1", "Unique-ID", "u", "variable_ünï", "2", " (x)/y", "3", "", "empty name")}},
		},
		{
			name: "non-ASCII and control bytes in values",
			in:   "Reply-Text: héllo wörld ☎ \x01\xff\n\n",
			want: []*Frame{{Headers: frameHeaders("Reply-Text", "héllo wörld ☎ \x01\xff")}},
		},
		{
			name: "URL-encoded values stay raw",
			in:   "Reply-Text: %2BOK%0A\nDTMF-Digit: %23\n\n",
			want: []*Frame{{Headers: frameHeaders("Reply-Text", "%2BOK%0A", "DTMF-Digit", "%23")}},
		},
		{
			name: "duplicate headers in order",
			in:   "Hangup-Cause: A\nX: 1\nHangup-Cause: B\n\n",
			want: []*Frame{{Headers: frameHeaders("Hangup-Cause", "A", "X", "1", "Hangup-Cause", "B")}},
		},
		{
			name: "unknown content type is framed like any other",
			in:   "Content-Type: x-callhook/unknown\nContent-Length: 3\n\nabcContent-Type: text/rude-rejection\nContent-Length: 2\n\nno",
			want: []*Frame{
				{Headers: frameHeaders("Content-Type", "x-callhook/unknown", "Content-Length", "3"), Body: []byte("abc")},
				{Headers: frameHeaders("Content-Type", "text/rude-rejection", "Content-Length", "2"), Body: []byte("no")},
			},
		},
		{
			name: "CRs before LF all dropped",
			in:   "A: b\r\r\n\r\r\n",
			want: []*Frame{{Headers: frameHeaders("A", "b")}},
		},
		{
			name: "bare CR inside a line is data",
			in:   "A: b\rc\n\n",
			want: []*Frame{{Headers: frameHeaders("A", "b\rc")}},
		},
		{
			name: "only blank lines",
			in:   "\n\r\n\n",
		},
		{
			name: "empty stream",
			in:   "",
		},
	}
	for _, tc := range tests {
		for _, rd := range readers {
			t.Run(tc.name+"/"+rd.name, func(t *testing.T) {
				got, size, err := readAllFrames(NewReader(rd.wrap(strings.NewReader(tc.in)), Limits{}))
				if err != io.EOF {
					t.Fatalf("ReadFrame(%q) error %v, want io.EOF after %d frames", tc.in, err, len(got))
				}
				if len(got) != len(tc.want) {
					t.Fatalf("ReadFrame(%q) = %d frames, want %d", tc.in, len(got), len(tc.want))
				}
				for i := range got {
					if g, w := dumpFrame(got[i]), dumpFrame(tc.want[i]); g != w {
						t.Errorf("ReadFrame(%q) frame %d = %s, want %s", tc.in, i, g, w)
					}
				}
				if size != len(tc.in) {
					t.Errorf("ReadFrame(%q) sizes add up to %d, want %d", tc.in, size, len(tc.in))
				}
			})
		}
	}
}

func TestReadFrameErrors(t *testing.T) {
	small := Limits{MaxHeaderBytes: 64, MaxBodyBytes: 10}
	tests := []struct {
		name     string
		in       string
		lim      Limits
		want     error // io.ErrUnexpectedEOF, or nil for a *ProtocolError
		contains string
	}{
		{name: "negative Content-Length", in: "Content-Length: -1\n\n", contains: "invalid Content-Length"},
		{name: "non-numeric Content-Length", in: "Content-Length: abc\n\nabc", contains: "invalid Content-Length"},
		{name: "signed Content-Length", in: "Content-Length: +3\n\nabc", contains: "invalid Content-Length"},
		{name: "Content-Length with a unit", in: "Content-Length: 3 bytes\n\nabc", contains: "invalid Content-Length"},
		{name: "empty Content-Length", in: "Content-Length: \n\n", contains: "empty Content-Length"},
		{name: "huge Content-Length", in: "Content-Length: 99999999999999999999999\n\n", contains: "exceeds the limit"},
		{name: "Content-Length over the default limit", in: "Content-Length: 16777217\n\n", contains: "exceeds the limit of 16777216"},
		{name: "Content-Length over a set limit", in: "Content-Length: 11\n\n01234567890", lim: small, contains: "exceeds the limit of 10"},
		{name: "conflicting Content-Length", in: "Content-Length: 1\nContent-Length: 2\n\nab", contains: "conflicting"},
		{name: "line without colon", in: "Content-Type: command/reply\nReply-Text +OK\n\n", contains: "without ':'"},
		{name: "header block over the limit", in: "A: " + strings.Repeat("x", 70) + "\n\n", lim: small, contains: "header block exceeds 64 bytes"},
		{name: "many lines over the limit", in: strings.Repeat("A: b\n", 20) + "\n", lim: small, contains: "header block exceeds 64 bytes"},
		{name: "blank lines over the limit", in: strings.Repeat("\n", 65) + "A: b\n\n", lim: small, contains: "header block exceeds 64 bytes"},
		{name: "truncated body", in: "Content-Length: 10\n\n01234", want: io.ErrUnexpectedEOF},
		{name: "no body at all", in: "Content-Length: 10\n\n", want: io.ErrUnexpectedEOF},
		{name: "truncated header block", in: "Content-Type: command/reply\nReply-Text: +OK\n", want: io.ErrUnexpectedEOF},
		{name: "truncated first line", in: "Content-Ty", want: io.ErrUnexpectedEOF},
		{name: "truncated after blank lines", in: "\n\nContent-Ty", want: io.ErrUnexpectedEOF},
	}
	for _, tc := range tests {
		for _, rd := range readers {
			t.Run(tc.name+"/"+rd.name, func(t *testing.T) {
				f, _, err := NewReader(rd.wrap(strings.NewReader(tc.in)), tc.lim).ReadFrame()
				if f != nil {
					t.Errorf("ReadFrame(%q) returned a frame %s with error %v", tc.in, dumpFrame(f), err)
				}
				if tc.want != nil {
					if err != tc.want {
						t.Errorf("ReadFrame(%q) error %v, want %v", tc.in, err, tc.want)
					}
					return
				}
				var pe *ProtocolError
				if !errors.As(err, &pe) || !strings.Contains(err.Error(), tc.contains) {
					t.Errorf("ReadFrame(%q) error %v, want a *ProtocolError containing %q", tc.in, err, tc.contains)
				}
			})
		}
	}
}

func TestReadFrameLimitsAreInclusive(t *testing.T) {
	lim := Limits{MaxHeaderBytes: 32, MaxBodyBytes: 5}
	in := "Content-Length: 5\nA: " + strings.Repeat("x", 9) + "\n\n" + "12345"
	if n := strings.Index(in, "\n\n") + 2; n != 32 {
		t.Fatalf("test header block is %d bytes, want 32", n)
	}
	f, size, err := NewReader(strings.NewReader(in), lim).ReadFrame()
	if err != nil {
		t.Fatalf("ReadFrame(%q) at the limits error %v", in, err)
	}
	if size != len(in) || string(f.Body) != "12345" {
		t.Errorf("ReadFrame(%q) = %s, %d; want body 12345, %d", in, dumpFrame(f), size, len(in))
	}
	if _, _, err := NewReader(strings.NewReader("A"+in), lim).ReadFrame(); err == nil {
		t.Errorf("ReadFrame one byte over the header limit: no error")
	}
}

func TestReadFramePassesReadErrors(t *testing.T) {
	boom := errors.New("boom")
	tests := []struct {
		name string
		r    io.Reader
	}{
		{"before any byte", iotest.ErrReader(boom)},
		{"inside the header block", io.MultiReader(strings.NewReader("Content-Length: 4\n"), iotest.ErrReader(boom))},
		{"inside the body", io.MultiReader(strings.NewReader("Content-Length: 4\n\nab"), iotest.ErrReader(boom))},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, _, err := NewReader(tc.r, Limits{}).ReadFrame(); !errors.Is(err, boom) {
				t.Errorf("ReadFrame() error %v, want %v", err, boom)
			}
		})
	}
}

func TestReadFrameLongLines(t *testing.T) {
	// Lines longer than the bufio buffer are assembled from several reads.
	long := strings.Repeat("v", 3*readerBufferSize+17)
	in := "Content-Type: command/reply\nReply-Text: " + long + "\n\n"
	for _, rd := range readers {
		t.Run(rd.name, func(t *testing.T) {
			f, n, err := NewReader(rd.wrap(strings.NewReader(in)), Limits{}).ReadFrame()
			if err != nil {
				t.Fatalf("ReadFrame() error %v", err)
			}
			if got := f.ReplyText(); got != long || n != len(in) {
				t.Errorf("ReadFrame() Reply-Text of %d bytes, size %d; want %d bytes, size %d", len(got), n, len(long), len(in))
			}
		})
	}
}

func TestFrameEncode(t *testing.T) {
	tests := []struct {
		name string
		f    Frame
		want string
	}{
		{"reply", Frame{Headers: frameHeaders("Content-Type", "command/reply", "Reply-Text", "+OK")}, "Content-Type: command/reply\nReply-Text: +OK\n\n"},
		{"body", Frame{Headers: frameHeaders("Content-Length", "3", "Content-Type", "text/event-json"), Body: []byte("{}\n")}, "Content-Length: 3\nContent-Type: text/event-json\n\n{}\n"},
		{"empty value", Frame{Headers: frameHeaders("User-Data", "")}, "User-Data: \n\n"},
		{"no headers", Frame{}, "\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := string(tc.f.Encode()); got != tc.want {
				t.Errorf("Encode() = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestFrameEncodeReadBack(t *testing.T) {
	f := &Frame{Headers: frameHeaders("Content-Length", "5", "Content-Type", "log/data", "User-Data", "", "variable_x[1]", "é"), Body: []byte("a\n\nb\n")}
	got, n, err := NewReader(bytes.NewReader(f.Encode()), Limits{}).ReadFrame()
	if err != nil {
		t.Fatalf("ReadFrame(Encode()) error %v", err)
	}
	if dumpFrame(got) != dumpFrame(f) || n != len(f.Encode()) {
		t.Errorf("ReadFrame(Encode()) = %s (%d bytes), want %s", dumpFrame(got), n, dumpFrame(f))
	}
}
