package esl

import (
	"testing"
)

// valueEvent builds an Event from name/value pairs, as the simulator does.
func valueEvent(body []byte, kv ...string) *Event {
	e := &Event{Body: body}
	for i := 0; i+1 < len(kv); i += 2 {
		e.Headers = append(e.Headers, EventHeader{Name: kv[i], Value: kv[i+1]})
	}
	return e
}

func TestEncodePlain(t *testing.T) {
	tests := []struct {
		name string
		e    *Event
		want string
	}{
		{"values URL-encoded", valueEvent(nil, "Event-Name", "DTMF", "DTMF-Digit", "#", "Channel-Name", "sofia/internal/1000@192.0.2.10"),
			"Event-Name: DTMF\nDTMF-Digit: %23\nChannel-Name: sofia/internal/1000%40192.0.2.10\n\n"},
		{"empty value is _undef_", valueEvent(nil, "Event-Name", "X", "Empty", ""), "Event-Name: X\nEmpty: _undef_\n\n"},
		{"array", valueEvent(nil, "variable_DP_MATCH", "ARRAY::DELAYED NEGOTIATION|:DELAYED NEGOTIATION"),
			"variable_DP_MATCH: ARRAY%3A%3ADELAYED%20NEGOTIATION%7C%3ADELAYED%20NEGOTIATION\n\n"},
		{"body", valueEvent([]byte("+OK\n"), "Event-Name", "BACKGROUND_JOB"), "Event-Name: BACKGROUND_JOB\nContent-Length: 4\n\n+OK\n"},
		{"empty body is no body", valueEvent([]byte{}, "Event-Name", "X"), "Event-Name: X\n\n"},
		{"trailing Content-Length not written twice", valueEvent([]byte("ab"), "Event-Name", "X", "Content-Length", "2"),
			"Event-Name: X\nContent-Length: 2\n\nab"},
		{"other Content-Length headers kept", valueEvent([]byte("ab"), "content-length", "2", "Event-Name", "X"),
			"content-length: 2\nEvent-Name: X\nContent-Length: 2\n\nab"},
		{"pass-through quirk", valueEvent(nil, "A", "100%41", "B", "%ab"), "A: 100%41\nB: %25ab\n\n"},
		{"no headers", &Event{}, "\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := string(tc.e.EncodePlain()); got != tc.want {
				t.Errorf("EncodePlain(%s) = %q, want %q", dumpEvent(tc.e), got, tc.want)
			}
		})
	}
}

func TestEncodeJSON(t *testing.T) {
	tests := []struct {
		name string
		e    *Event
		want string
	}{
		{"values raw", valueEvent(nil, "Event-Name", "DTMF", "DTMF-Digit", "#", "Date", "2024-05-01 10:00:00"),
			`{"Event-Name":"DTMF","DTMF-Digit":"#","Date":"2024-05-01 10:00:00"}`},
		{"cJSON escapes", valueEvent(nil, "x", "\"q\" \\ / \b\f\n\r\t \x01\x1f \x7f é"),
			`{"x":"\"q\" \\ / \b\f\n\r\t \u0001\u001f ` + "\x7f" + ` é"}`},
		{"duplicate keys kept", valueEvent(nil, "Hangup-Cause", "A", "Hangup-Cause", "B"), `{"Hangup-Cause":"A","Hangup-Cause":"B"}`},
		{"arrays", valueEvent(nil, "v", "ARRAY::a|:b c", "one", "ARRAY::x"), `{"v":["a","b c"],"one":["x"]}`},
		{"body last", valueEvent([]byte("UP 0\n\"x\""), "Event-Name", "BACKGROUND_JOB"),
			`{"Event-Name":"BACKGROUND_JOB","Content-Length":"8","_body":"UP 0\n\"x\""}`},
		{"parsed Content-Length not written twice", valueEvent([]byte("ab"), "Event-Name", "X", "Content-Length", "2"),
			`{"Event-Name":"X","Content-Length":"2","_body":"ab"}`},
		{"empty body kept", valueEvent([]byte{}, "Event-Name", "X"), `{"Event-Name":"X","Content-Length":"0","_body":""}`},
		{"only a body", valueEvent([]byte("b")), `{"Content-Length":"1","_body":"b"}`},
		{"empty", &Event{}, `{}`},
		{"empty value", valueEvent(nil, "", ""), `{"":""}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := string(tc.e.EncodeJSON()); got != tc.want {
				t.Errorf("EncodeJSON(%s) = %q, want %q", dumpEvent(tc.e), got, tc.want)
			}
		})
	}
}

func TestEncodeXML(t *testing.T) {
	const head = "<event>\n  <headers>\n"
	tests := []struct {
		name string
		e    *Event
		want string
	}{
		{"headers", valueEvent(nil, "Event-Name", "DTMF", "DTMF-Digit", "#"),
			head + "    <Event-Name>DTMF</Event-Name>\n    <DTMF-Digit>%23</DTMF-Digit>\n  </headers>\n</event>\n"},
		{"array items are repeated elements", valueEvent(nil, "v", "ARRAY::a|:b"),
			head + "    <v>a</v>\n    <v>b</v>\n  </headers>\n</event>\n"},
		{"body ending in a newline indents the closing tag", valueEvent([]byte("+OK\n"), "Event-Name", "X"),
			head + "    <Event-Name>X</Event-Name>\n  </headers>\n  <Content-Length>4</Content-Length>\n  <body>+OK\n  </body>\n</event>\n"},
		{"body without a final newline", valueEvent([]byte("+OK"), "Event-Name", "X"),
			head + "    <Event-Name>X</Event-Name>\n  </headers>\n  <Content-Length>3</Content-Length>\n  <body>+OK</body>\n</event>\n"},
		{"body escaping", valueEvent([]byte("a&b<c>d\"e\r\tf\n"), "Event-Name", "X"),
			head + "    <Event-Name>X</Event-Name>\n  </headers>\n  <Content-Length>13</Content-Length>\n  <body>a&amp;b&lt;c&gt;d\"e&#xD;\tf\n  </body>\n</event>\n"},
		{"UTF-8 as character references", valueEvent([]byte("é☎😀"), "Event-Name", "X"),
			head + "    <Event-Name>X</Event-Name>\n  </headers>\n  <Content-Length>9</Content-Length>\n  <body>&#xE9;&#x260E;&#x1F600;</body>\n</event>\n"},
		{"bytes that break UTF-8 are dropped", valueEvent([]byte("a\xc3b\x80c\xe2\x98"), "Event-Name", "X"),
			head + "    <Event-Name>X</Event-Name>\n  </headers>\n  <Content-Length>7</Content-Length>\n  <body>ac</body>\n</event>\n"},
		{"no escaping after <!", valueEvent([]byte("&<![CDATA[&<>]]>"), "Event-Name", "X"),
			head + "    <Event-Name>X</Event-Name>\n  </headers>\n  <Content-Length>16</Content-Length>\n  <body>&amp;<![CDATA[&<>]]></body>\n</event>\n"},
		{"empty body is no body", valueEvent([]byte{}, "Event-Name", "X"),
			head + "    <Event-Name>X</Event-Name>\n  </headers>\n</event>\n"},
		{"empty value", valueEvent(nil, "A", ""), head + "    <A></A>\n  </headers>\n</event>\n"},
		{"no headers", valueEvent([]byte("b")), "<event>\n  <headers></headers>\n  <Content-Length>1</Content-Length>\n  <body>b</body>\n</event>\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := string(tc.e.EncodeXML()); got != tc.want {
				t.Errorf("EncodeXML(%s) =\n%q\nwant\n%q", dumpEvent(tc.e), got, tc.want)
			}
		})
	}
}

// TestEncodeParseRoundTrip checks that every serialiser's output parses back
// to the same event.
func TestEncodeParseRoundTrip(t *testing.T) {
	events := []*Event{
		valueEvent(nil, "Event-Name", "DTMF", "DTMF-Digit", "#", "Hangup-Cause", "A", "Hangup-Cause", "B"),
		valueEvent([]byte("+OK Job done\n\nsecond: line\n"), "Event-Name", "BACKGROUND_JOB", "Job-UUID", "u", "Job-Command", "status"),
		valueEvent([]byte("no final newline"), "Event-Name", "CUSTOM", "variable_a@b[1]={x}?", "ünï ☎ \"q\" <x> & 100% %zz +"),
		valueEvent(nil, "variable_DP_MATCH", "ARRAY::DELAYED NEGOTIATION|:DELAYED NEGOTIATION"),
	}
	formats := []struct {
		ct     string
		encode func(*Event) []byte
	}{
		{TypeEventPlain, (*Event).EncodePlain},
		{TypeEventJSON, (*Event).EncodeJSON},
		{TypeEventXML, (*Event).EncodeXML},
	}
	for _, f := range formats {
		for i, e := range events {
			t.Run(f.ct, func(t *testing.T) {
				body := f.encode(e)
				got, err := ParseEvent(newEventFrame(f.ct, string(body)))
				if err != nil {
					t.Fatalf("event %d: ParseEvent(%q) error %v", i, body, err)
				}
				if len(got.Headers) > 0 && got.Headers[len(got.Headers)-1].Name == "Content-Length" && f.ct == TypeEventJSON {
					got.Headers = got.Headers[:len(got.Headers)-1] // JSON keeps it as a header
				}
				want := e.Headers
				if f.ct == TypeEventXML {
					want = splitArrays(want) // one element per item, parsed one header each
				}
				if len(got.Headers) != len(want) {
					t.Fatalf("event %d: %s round trip = %s, want %s", i, f.ct, dumpEvent(got), dumpEvent(&Event{Headers: want}))
				}
				for j := range want {
					if got.Headers[j].Name != want[j].Name || got.Headers[j].Value != want[j].Value {
						t.Errorf("event %d: %s round trip header %d = %s: %q, want %s: %q", i, f.ct, j,
							got.Headers[j].Name, got.Headers[j].Value, want[j].Name, want[j].Value)
					}
				}
				if string(got.Body) != string(e.Body) {
					t.Errorf("event %d: %s round trip body = %q, want %q", i, f.ct, got.Body, e.Body)
				}
				if again := f.encode(got); string(again) != string(body) {
					t.Errorf("event %d: %s re-encoding differs:\n%q\n%q", i, f.ct, again, body)
				}
			})
		}
	}
}

// splitArrays turns each "ARRAY::" header into one header per item.
func splitArrays(hs []EventHeader) []EventHeader {
	var out []EventHeader
	for _, h := range hs {
		for _, v := range SplitArray(h.Value) {
			out = append(out, EventHeader{Name: h.Name, Value: v})
		}
	}
	return out
}
