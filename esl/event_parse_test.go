package esl

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"unsafe"
)

// eventFrame wraps an event body in the frame FreeSWITCH sends it in.
func newEventFrame(ct, body string) *Frame {
	return &Frame{
		Headers: Headers{{"Content-Length", strconv.Itoa(len(body))}, {"Content-Type", ct}},
		Body:    []byte(body),
	}
}

func dumpEvent(e *Event) string {
	var b strings.Builder
	for _, h := range e.Headers {
		if h.Raw == h.Value {
			fmt.Fprintf(&b, "[%s]=[%s] ", h.Name, h.Value)
		} else {
			fmt.Fprintf(&b, "[%s]=[%s](raw %s) ", h.Name, h.Value, h.Raw)
		}
	}
	if e.Body != nil {
		fmt.Fprintf(&b, "body=%q", e.Body)
	} else {
		b.WriteString("no body")
	}
	return b.String()
}

// eh builds event headers from name, value, raw triples.
func evHeaders(nvr ...string) []EventHeader {
	var hs []EventHeader
	for i := 0; i+2 < len(nvr); i += 3 {
		hs = append(hs, EventHeader{Name: nvr[i], Value: nvr[i+1], Raw: nvr[i+2]})
	}
	return hs
}

func TestParseEvent(t *testing.T) {
	tests := []struct {
		name string
		f    *Frame
		want *Event
	}{
		{
			name: "plain",
			f:    newEventFrame(TypeEventPlain, "Event-Name: DTMF\nDTMF-Digit: %23\nEvent-Date-Local: 2024-05-01%2010%3A00%3A00\n\n"),
			want: &Event{Headers: evHeaders("Event-Name", "DTMF", "DTMF", "DTMF-Digit", "#", "%23", "Event-Date-Local", "2024-05-01 10:00:00", "2024-05-01%2010%3A00%3A00")},
		},
		{
			name: "plain with array",
			f:    newEventFrame(TypeEventPlain, "Event-Name: CHANNEL_EXECUTE\nvariable_DP_MATCH: ARRAY%3A%3ADELAYED%20NEGOTIATION%7C%3ADELAYED%20NEGOTIATION\n\n"),
			want: &Event{Headers: evHeaders("Event-Name", "CHANNEL_EXECUTE", "CHANNEL_EXECUTE",
				"variable_DP_MATCH", "ARRAY::DELAYED NEGOTIATION|:DELAYED NEGOTIATION", "ARRAY%3A%3ADELAYED%20NEGOTIATION%7C%3ADELAYED%20NEGOTIATION")},
		},
		{
			name: "plain with body",
			f:    newEventFrame(TypeEventPlain, "Event-Name: BACKGROUND_JOB\nJob-UUID: u\nContent-Length: 11\n\n+OK done\n\nx"),
			want: &Event{Headers: evHeaders("Event-Name", "BACKGROUND_JOB", "BACKGROUND_JOB", "Job-UUID", "u", "u"), Body: []byte("+OK done\n\nx")},
		},
		{
			name: "plain: only the last header frames the body",
			f:    newEventFrame(TypeEventPlain, "Event-Name: CUSTOM\ncontent-length: 3\nContent-Length: 2\n\nab"),
			want: &Event{Headers: evHeaders("Event-Name", "CUSTOM", "CUSTOM", "content-length", "3", "3"), Body: []byte("ab")},
		},
		{
			name: "plain: a last Content-Length that frames nothing stays a header",
			f:    newEventFrame(TypeEventPlain, "Event-Name: CUSTOM\nContent-Length: 99\n\n"),
			want: &Event{Headers: evHeaders("Event-Name", "CUSTOM", "CUSTOM", "Content-Length", "99", "99")},
		},
		{
			name: "plain: malformed percent kept, plus not a space",
			f:    newEventFrame(TypeEventPlain, "Event-Name: X\nA: 100%\nB: a+b%2\nC: %zz%41\n\n"),
			want: &Event{Headers: evHeaders("Event-Name", "X", "X", "A", "100%", "100%", "B", "a+b%2", "a+b%2", "C", "%zzA", "%zz%41")},
		},
		{
			name: "plain: UTF-8 and odd names",
			f:    newEventFrame(TypeEventPlain, "Event-Name: X\nvariable_a@b[1]={x}?: %C3%A9\nempty: \n\n"),
			want: &Event{Headers: evHeaders("Event-Name", "X", "X", "variable_a@b[1]={x}?", "é", "%C3%A9", "empty", "", "")},
		},
		{
			name: "plain without the closing blank line",
			f:    newEventFrame(TypeEventPlain, "Event-Name: X\nA: b"),
			want: &Event{Headers: evHeaders("Event-Name", "X", "X", "A", "b", "b")},
		},
		{
			name: "json",
			f: newEventFrame(TypeEventJSON, `{"Event-Name":"CHANNEL_HANGUP_COMPLETE","Hangup-Cause":"NORMAL_CLEARING",`+
				`"Caller-Caller-ID-Name":"\"test\" <1000>","Hangup-Cause":"NORMAL_CLEARING","x":"a\nb\u00e9\/"}`),
			want: &Event{Headers: evHeaders("Event-Name", "CHANNEL_HANGUP_COMPLETE", "CHANNEL_HANGUP_COMPLETE",
				"Hangup-Cause", "NORMAL_CLEARING", "NORMAL_CLEARING",
				"Caller-Caller-ID-Name", `"test" <1000>`, `"test" <1000>`,
				"Hangup-Cause", "NORMAL_CLEARING", "NORMAL_CLEARING",
				"x", "a\nbé/", "a\nbé/")},
		},
		{
			name: "json: values are not URL-decoded",
			f:    newEventFrame(TypeEventJSON, `{"Event-Name":"DTMF","DTMF-Digit":"%23"}`),
			want: &Event{Headers: evHeaders("Event-Name", "DTMF", "DTMF", "DTMF-Digit", "%23", "%23")},
		},
		{
			name: "json: arrays, body and its Content-Length",
			f:    newEventFrame(TypeEventJSON, `{"Event-Name":"BACKGROUND_JOB","variable_DP_MATCH":["a b","c"],"one":["x"],"Content-Length":"4","_body":"ok\n\n"}`),
			want: &Event{Headers: evHeaders("Event-Name", "BACKGROUND_JOB", "BACKGROUND_JOB",
				"variable_DP_MATCH", "ARRAY::a b|:c", "ARRAY::a b|:c", "one", "ARRAY::x", "ARRAY::x",
				"Content-Length", "4", "4"), Body: []byte("ok\n\n")},
		},
		{
			name: "json: what switch_event_create_json skips",
			f:    newEventFrame(TypeEventJSON, `{"Event-Name":"X","n":1,"b":true,"z":null,"o":{"a":["b"]},"e":[],"m":[1,"s",{"x":1},["y"]]}`),
			want: &Event{Headers: evHeaders("Event-Name", "X", "X", "m", "ARRAY::s", "ARRAY::s")},
		},
		{
			name: "json: empty body",
			f:    newEventFrame(TypeEventJSON, ` {"Event-Name":"X","_BODY":""} `),
			want: &Event{Headers: evHeaders("Event-Name", "X", "X"), Body: []byte{}},
		},
		{
			name: "xml",
			f: newEventFrame(TypeEventXML, "<event>\n  <headers>\n    <Event-Name>DTMF</Event-Name>\n    <DTMF-Digit>%23</DTMF-Digit>\n"+
				"    <Hangup-Cause>A</Hangup-Cause>\n    <Hangup-Cause>B</Hangup-Cause>\n    <variable_a@b[1]={x}?>%C3%A9</variable_a@b[1]={x}?>\n  </headers>\n</event>\n"),
			want: &Event{Headers: evHeaders("Event-Name", "DTMF", "DTMF", "DTMF-Digit", "#", "%23", "Hangup-Cause", "A", "A", "Hangup-Cause", "B", "B",
				"variable_a@b[1]={x}?", "é", "%C3%A9")},
		},
		{
			name: "xml with body: indentation after the final newline is not body",
			f: newEventFrame(TypeEventXML, "<event>\n  <headers>\n    <Event-Name>BACKGROUND_JOB</Event-Name>\n  </headers>\n"+
				"  <Content-Length>9</Content-Length>\n  <body>+OK a&amp;b\n\n  </body>\n</event>\n"),
			want: &Event{Headers: evHeaders("Event-Name", "BACKGROUND_JOB", "BACKGROUND_JOB"), Body: []byte("+OK a&b\n\n")},
		},
		{
			name: "xml body escapes",
			f: newEventFrame(TypeEventXML, "<event>\n  <headers>\n    <Event-Name>X</Event-Name>\n  </headers>\n"+
				"  <Content-Length>17</Content-Length>\n  <body>&lt;a&gt; &#xE9;&#xD;&#65;&quot;&apos;&bogus;</body>\n</event>\n"),
			want: &Event{Headers: evHeaders("Event-Name", "X", "X"), Body: []byte("<a> é\rA\"'&bogus;")},
		},
		{
			name: "xml body after <! is not unescaped",
			f: newEventFrame(TypeEventXML, "<event>\n  <headers>\n    <Event-Name>X</Event-Name>\n  </headers>\n"+
				"  <Content-Length>19</Content-Length>\n  <body>&amp;<![CDATA[&amp;</body>]]></body>\n</event>\n"),
			want: &Event{Headers: evHeaders("Event-Name", "X", "X"), Body: []byte("&<![CDATA[&amp;</bo")},
		},
		{
			name: "connect reply: the frame's headers, decoded",
			f: &Frame{Headers: Headers{{"Event-Name", "CHANNEL_DATA"}, {"Channel-Name", "sofia/internal/1000%40192.0.2.10"},
				{"Content-Type", "command/reply"}, {"Reply-Text", "%2BOK%0A"}, {"Socket-Mode", "async"}, {"Control", "full"}}},
			want: &Event{Headers: evHeaders("Event-Name", "CHANNEL_DATA", "CHANNEL_DATA", "Channel-Name", "sofia/internal/1000@192.0.2.10", "sofia/internal/1000%40192.0.2.10",
				"Content-Type", "command/reply", "command/reply", "Reply-Text", "+OK\n", "%2BOK%0A", "Socket-Mode", "async", "async", "Control", "full", "full")},
		},
		{
			name: "disconnect notice: raw headers and body",
			f: &Frame{Headers: Headers{{"Content-Type", "text/disconnect-notice"}, {"Content-Disposition", "linger"},
				{"Channel-Name", "sofia/internal/1000@192.0.2.10%41"}, {"Linger-Time", "5"}, {"Content-Length", "3"}}, Body: []byte("bye")},
			want: &Event{Headers: evHeaders("Content-Type", "text/disconnect-notice", "text/disconnect-notice", "Content-Disposition", "linger", "linger",
				"Channel-Name", "sofia/internal/1000@192.0.2.10%41", "sofia/internal/1000@192.0.2.10%41", "Linger-Time", "5", "5",
				"Content-Length", "3", "3"), Body: []byte("bye")},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseEvent(tc.f)
			if err != nil {
				t.Fatalf("ParseEvent(%q) error %v", tc.f.Encode(), err)
			}
			if g, w := dumpEvent(got), dumpEvent(tc.want); g != w {
				t.Errorf("ParseEvent(%q) =\n %s\nwant\n %s", tc.f.Encode(), g, w)
			}
			if got.ContentType != tc.f.ContentType() {
				t.Errorf("ParseEvent(%q).ContentType = %q, want %q", tc.f.Encode(), got.ContentType, tc.f.ContentType())
			}
		})
	}
}

func TestParseEventErrors(t *testing.T) {
	tests := []struct {
		name string
		f    *Frame
	}{
		{"api/response", newEventFrame(TypeAPIResponse, "+OK\n")},
		{"log/data", newEventFrame(TypeLogData, "log line\n")},
		{"auth/request", &Frame{Headers: Headers{{"Content-Type", TypeAuthRequest}}}},
		{"rude rejection", newEventFrame(TypeRudeRejection, "Access Denied, go away.\n")},
		{"unknown type", newEventFrame("x-callhook/unknown", "Event-Name: X\n\n")},
		{"no content type", &Frame{Headers: Headers{{"Reply-Text", "+OK"}}}},
		{"plain line without colon", newEventFrame(TypeEventPlain, "Event-Name: X\nno colon\n\n")},
		{"json not an object", newEventFrame(TypeEventJSON, `["Event-Name","X"]`)},
		{"json truncated", newEventFrame(TypeEventJSON, `{"Event-Name":"X"`)},
		{"json empty", newEventFrame(TypeEventJSON, ``)},
		{"json trailing data", newEventFrame(TypeEventJSON, `{"Event-Name":"X"}{}`)},
		{"json syntax", newEventFrame(TypeEventJSON, `{"Event-Name" "X"}`)},
		{"json truncated array", newEventFrame(TypeEventJSON, `{"a":["x"`)},
		{"json truncated nested object", newEventFrame(TypeEventJSON, `{"a":{"b":[`)},
		{"xml not xml", newEventFrame(TypeEventXML, "Event-Name: X\n\n")},
		{"xml missing headers", newEventFrame(TypeEventXML, "<event>\n</event>\n")},
		{"xml unclosed element", newEventFrame(TypeEventXML, "<event>\n  <headers>\n    <Event-Name>X\n  </headers>\n</event>\n")},
		{"xml unterminated tag", newEventFrame(TypeEventXML, "<event>\n  <headers>\n    <Event-Name")},
		{"xml missing </event>", newEventFrame(TypeEventXML, "<event>\n  <headers>\n  </headers>\n")},
		{"xml junk after </event>", newEventFrame(TypeEventXML, "<event>\n  <headers>\n  </headers>\n</event>\nx")},
		{"xml bad Content-Length", newEventFrame(TypeEventXML, "<event><headers></headers><Content-Length>x</Content-Length><body>a</body></event>")},
		{"xml unterminated Content-Length", newEventFrame(TypeEventXML, "<event><headers></headers><Content-Length>1")},
		{"xml Content-Length without body", newEventFrame(TypeEventXML, "<event><headers></headers><Content-Length>1</Content-Length></event>")},
		{"xml unterminated body", newEventFrame(TypeEventXML, "<event><headers></headers><Content-Length>1</Content-Length><body>a</event>")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if e, err := ParseEvent(tc.f); err == nil {
				t.Errorf("ParseEvent(%q) = %s, want an error", tc.f.Encode(), dumpEvent(e))
			}
		})
	}
}

func TestParseEventDecodesOnlyWherePercent(t *testing.T) {
	// Decoding happens once, at parse time, and only where a '%' is: other
	// values are the raw strings themselves, not copies.
	f := newEventFrame(TypeEventPlain, "Event-Name: CHANNEL_ANSWER\nUnique-ID: 4192e98c\nChannel-Name: a%40b\n\n")
	e, err := ParseEvent(f)
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range e.Headers {
		shared := unsafe.StringData(h.Value) == unsafe.StringData(h.Raw)
		if encoded := strings.Contains(h.Raw, "%"); encoded == shared {
			t.Errorf("header %s: Value %q shares Raw %q = %v, want %v", h.Name, h.Value, h.Raw, shared, !encoded)
		}
	}
	// The Event, the header slice and one decoded value; names and raw
	// values are the body's own bytes.
	if n := testing.AllocsPerRun(100, func() { _, _ = ParseEvent(f) }); n != 3 {
		t.Errorf("ParseEvent allocates %v times, want 3", n)
	}
}

func TestParseEventManyEncodedValues(t *testing.T) {
	// More encoded values than decodeValues keeps on its stack.
	var body strings.Builder
	body.WriteString("Event-Name: CUSTOM\n")
	for i := range 100 {
		fmt.Fprintf(&body, "h%d: v%%20%d%%3A%s\n", i, i, strings.Repeat("x", i%7))
	}
	body.WriteString("\n")
	e, err := ParseEvent(newEventFrame(TypeEventPlain, body.String()))
	if err != nil {
		t.Fatal(err)
	}
	if len(e.Headers) != 101 {
		t.Fatalf("ParseEvent = %d headers, want 101", len(e.Headers))
	}
	for i, h := range e.Headers[1:] {
		if want := fmt.Sprintf("v %d:%s", i, strings.Repeat("x", i%7)); h.Value != want {
			t.Errorf("header %s = %q, want %q", h.Name, h.Value, want)
		}
	}
}
