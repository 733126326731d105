package webhook

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/callhook/callhook/verb"
)

// sessionSameAsMarshal checks sessionJSON's fast path against
// json.Marshal on v, and whether it took v (fast).
func sessionSameAsMarshal(t *testing.T, v any, fast bool) {
	t.Helper()
	want, werr := json.Marshal(jsonValue(v))
	got, ok := appendSession(nil, v, 0)
	if ok != fast {
		t.Fatalf("appendSession(%#v): fast path %v, want %v", v, ok, fast)
	}
	if ok && (werr != nil || !bytes.Equal(got, want)) {
		t.Errorf("appendSession(%#v):\n got %s\nwant %s (%v)", v, got, want, werr)
	}
	s, err := sessionJSON(v)
	if (err == nil) != (werr == nil) || err == nil && !bytes.Equal(s, want) {
		t.Errorf("sessionJSON(%#v) = %s, %v; want %s, %v", v, s, err, want, werr)
	}
}

// TestSessionJSONSameAsMarshal: every value a reply's session can hold is
// encoded as json.Marshal encodes it, byte for byte; the rest still goes
// to json.Marshal.
func TestSessionJSONSameAsMarshal(t *testing.T) {
	for _, s := range odd {
		sessionSameAsMarshal(t, s, true)
		sessionSameAsMarshal(t, map[string]any{s: s, "z" + s: []any{s}}, true)
	}
	deep := any("x")
	for range sessionMaxDepth + 1 {
		deep = []any{deep}
	}
	for _, tc := range []struct {
		v    any
		fast bool
	}{
		{nil, true}, {true, true}, {false, true},
		{json.Number("0"), true}, {json.Number("-1.5e+10"), true}, {json.Number("123456789012345678901234567890"), true},
		{json.Number(""), true}, {json.Number("01"), false}, {json.Number("1."), false}, {json.Number(" 1"), false}, {json.Number("NaN"), false},
		{map[string]any{}, true}, {map[string]any(nil), true}, {[]any{}, true}, {[]any(nil), true},
		{map[string]any{"b": 1, "a": json.Number("2")}, false}, // an int: not a session value
		{map[string]any{"step": json.Number("1"), "lang": "en", "tags": []any{"a", nil, true, map[string]any{"k<": "&"}}}, true},
		{map[any]any{1: "x"}, false},
		{deep, false},
	} {
		sessionSameAsMarshal(t, tc.v, tc.fast)
	}
}

// TestSessionJSONFromReply: a session as a reply sets it, YAML or JSON,
// is sent back as json.Marshal wrote it.
func TestSessionJSONFromReply(t *testing.T) {
	for _, doc := range []string{
		`{"session": {"step": 1, "lang": "en", "list": [1.50, "x", null, true], "n": {"a<": "&"}}, "verbs": ["answer"]}`,
		"session: {zip: 01234, phone: 0x1F, big: 123456789012345678901234567890, f: 1.0, yes: True, none: ~, s: 'quoted'}\nverbs: [answer]",
	} {
		rep, err := verb.ParseReply([]byte(doc), verb.ParseOptions{})
		if err != nil {
			t.Fatalf("ParseReply(%s) = %v", doc, err)
		}
		sessionSameAsMarshal(t, rep.Session, true)
	}
}

// FuzzSessionJSON: sessions of any strings and number literals are
// json.Marshal's bytes.
func FuzzSessionJSON(f *testing.F) {
	f.Add("step", "1", "en")
	f.Add("<&>", "-0.5e3", "\xff\u2028")
	f.Fuzz(func(t *testing.T, k, num, s string) {
		v := map[string]any{k: json.Number(num), s: []any{s, map[string]any{k: s}}, strings.ToUpper(k): nil}
		want, werr := json.Marshal(v)
		got, ok := appendSession(nil, v, 0)
		if ok && (werr != nil || !bytes.Equal(got, want)) {
			t.Errorf("appendSession(%#v):\n got %s\nwant %s (%v)", v, got, want, werr)
		}
		if !ok && werr == nil && verb.JSONNumber(num) {
			t.Errorf("appendSession(%#v) refused a value json.Marshal encodes", v)
		}
	})
}

// BenchmarkSessionJSON: a menu's session ({"step": 1}, as the reply's
// parse makes it), by json.Marshal as before and by appendSession.
func BenchmarkSessionJSON(b *testing.B) {
	v := map[string]any{"step": json.Number("1"), "lang": "en"}
	b.Run("marshal", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var err error
			if encodeSink, err = json.Marshal(jsonValue(v)); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("append", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var err error
			if encodeSink, err = sessionJSON(v); err != nil {
				b.Fatal(err)
			}
		}
	})
}
