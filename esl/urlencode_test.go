package esl

import (
	"strings"
	"testing"
)

func TestURLEncode(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"CHANNEL_EXECUTE_COMPLETE", "CHANNEL_EXECUTE_COMPLETE"},
		{"+OK\n", "%2BOK%0A"},
		{"#", "%23"},
		{"2024-05-01 10:00:00", "2024-05-01%2010%3A00%3A00"},
		{"sofia/internal/1000@192.0.2.10", "sofia/internal/1000%40192.0.2.10"},
		{"fd00::2", "fd00%3A%3A2"},
		{"ARRAY::a b|:c", "ARRAY%3A%3Aa%20b%7C%3Ac"},
		// Never encoded.
		{"AZaz09!$'()*,-./_~", "AZaz09!$'()*,-./_~"},
		// SWITCH_URL_UNSAFE, one by one.
		{"\r\n #%&+:;<=>?@[\\]^`{|}\"", "%0D%0A%20%23%25%26%2B%3A%3B%3C%3D%3E%3F%40%5B%5C%5D%5E%60%7B%7C%7D%22"},
		{"\x00\x01\x1f\x7f", "%00%01%1F%7F"},
		{"é☎", "%C3%A9%E2%98%8E"},
		{"\xff", "%FF"},
		// The %XX pass-through quirk: uppercase hex only.
		{"100%41", "100%41"},
		{"%2B", "%2B"},
		{"%ab", "%25ab"},
		{"%aB", "%25aB"},
		{"%4", "%254"},
		{"%", "%25"},
		{"%G1", "%25G1"},
		{"a%41%", "a%41%25"},
		{"%%41", "%25%41"},
	}
	for _, tc := range tests {
		if got := URLEncode(tc.in); got != tc.want {
			t.Errorf("URLEncode(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestURLDecode(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"plain", "plain"},
		{"%23", "#"},
		{"%2BOK%0A", "+OK\n"},
		{"a+b", "a+b"},
		{"%2b%2B", "++"},
		{"%C3%A9", "é"},
		{"%00", "\x00"},
		// Malformed sequences are kept.
		{"%", "%"},
		{"%4", "%4"},
		{"%zz", "%zz"},
		{"%4g", "%4g"},
		{"100%", "100%"},
		{"%%41", "%A"},
		{"%2", "%2"},
		{"%%", "%%"},
	}
	for _, tc := range tests {
		if got := URLDecode(tc.in); got != tc.want {
			t.Errorf("URLDecode(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestURLRoundTrip(t *testing.T) {
	// Every byte value, alone and in context, survives encode then decode,
	// except a '%' that the pass-through leaves in front of two uppercase
	// hex digits.
	for c := range 256 {
		for _, s := range []string{string(rune(c)), "a" + string([]byte{byte(c)}) + "b", string([]byte{byte(c), 'x', 'y'})} {
			if got := URLDecode(URLEncode(s)); got != s {
				t.Errorf("URLDecode(URLEncode(%q)) = %q", s, got)
			}
		}
	}
	if got := URLDecode(URLEncode("100%41")); got != "100A" {
		t.Errorf("URLDecode(URLEncode(%q)) = %q, want the lossy %q", "100%41", got, "100A")
	}
}

func TestURLCodecAllocations(t *testing.T) {
	// Values without anything to change are returned as they are.
	for _, s := range []string{"CHANNEL_EXECUTE_COMPLETE", strings.Repeat("x", 300)} {
		if n := testing.AllocsPerRun(100, func() { _ = URLDecode(s) }); n != 0 {
			t.Errorf("URLDecode(%q) allocates %v times, want 0", s, n)
		}
		if n := testing.AllocsPerRun(100, func() { _ = URLEncode(s) }); n != 0 {
			t.Errorf("URLEncode(%q) allocates %v times, want 0", s, n)
		}
	}
	if n := testing.AllocsPerRun(100, func() { _ = URLDecode("Wed,%2025%20Nov%202026") }); n != 1 {
		t.Errorf("URLDecode of an encoded value allocates %v times, want 1", n)
	}
}
