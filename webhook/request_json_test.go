package webhook

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/callhook/callhook/recordings/delivery"
	"github.com/callhook/callhook/verb"
)

// sameAsMarshal checks appendMessage against json.Marshal on m, and
// whether it took m (fast).
func sameAsMarshal(t *testing.T, name string, m *message, fast bool) {
	t.Helper()
	want, err := json.Marshal(m)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	got, ok := appendMessage([]byte("prefix"), m)
	if ok != fast {
		t.Fatalf("%s: fast path %v, want %v", name, ok, fast)
	}
	if !ok {
		if string(got) != "prefix" {
			t.Errorf("%s: a refused message changed dst to %q", name, got)
		}
		return
	}
	if !bytes.HasPrefix(got, []byte("prefix")) || !bytes.Equal(got[len("prefix"):], want) {
		t.Errorf("%s:\n got %s\nwant %s", name, got, want)
	}
}

// odd are strings encoding/json escapes in every way it does.
var odd = []string{"", "plain", `q"uote\back`, "<b>&amp;</b>", "\x00\x01\b\f\n\r\t\x1f\x7f", "héllo ☎ 🎉",
	"bad \xff\xfe utf8 \xe2\x80", "sep \u2028 \u2029", "ok \u2027 \u202a"}

// TestAppendMessageSameAsMarshal: the request bodies callhook sends, with
// every field and odd strings, are json.Marshal's bytes; recordings and a
// session that is not compact go to json.Marshal.
func TestAppendMessageSameAsMarshal(t *testing.T) {
	held := int64(1234)
	sess, err := sessionJSON(map[string]any{"step": 1, "name": "A<b>&c", "list": []any{1, "x"}})
	if err != nil {
		t.Fatal(err)
	}
	full := &message{
		CallID: "15d0d288-e47c", Seq: 3, App: "menu", Event: "verb.result",
		Call: callInfo{From: "1000", FromName: "Alice", To: "5000", Direction: "inbound", Answered: true,
			Channel: "sofia/internal/1000@example.com", StartedAt: "2026-12-06T12:00:00Z"},
		Vars:    map[string]string{"b": "2", "a": "1", "c<": "&", "": "empty"},
		Result:  &verb.Result{Verb: "gather", Reason: "ok", Digits: "1", Terminator: "#", Response: "1", Message: "m"},
		Session: json.RawMessage(`{"step":1}`),
		Error:   &errorInfo{Code: "timeout", Message: "took too long", URL: "http://x/y?a=1&b=2"},
		Hangup:  &hangupInfo{Cause: "NORMAL_CLEARING", Duration: 12, Billsec: -1},
		HeldMS:  &held, Outcome: "transferred",
		LastResult: &verb.Result{Verb: "bridge", Reason: "error", Response: "",
			Bridge: &verb.Bridged{Status: "BUSY", Cause: "USER_BUSY", AnsweredBy: "sofia/x", DurationMS: 5}},
	}
	sameAsMarshal(t, "full", full, true)
	sameAsMarshal(t, "empty", &message{}, true)
	sameAsMarshal(t, "start", &message{CallID: "id", Seq: 1, App: "a", Event: "call.start",
		Call: callInfo{From: "1", To: "2"}}, true)
	sameAsMarshal(t, "bridge without the optional", &message{Result: &verb.Result{Bridge: &verb.Bridged{Status: "SUCCESS"}}}, true)
	sameAsMarshal(t, "session from sessionJSON, escaped", &message{Session: sess}, true)
	for i, s := range odd {
		m := &message{CallID: s, App: s, Event: s, Call: callInfo{From: s, FromName: s, To: s, Direction: s, Channel: s, StartedAt: s},
			Vars: map[string]string{s: s, s + "x": s}, Result: &verb.Result{Verb: s, Reason: s, Digits: s, Terminator: s, Response: s, Message: s},
			Error: &errorInfo{Code: s, Message: s, URL: s}, Outcome: s}
		sameAsMarshal(t, "odd "+odd[i], m, true)
	}
	// Left to json.Marshal.
	sameAsMarshal(t, "recording result", &message{Result: &verb.Result{Recording: &verb.Recording{Path: "/r.wav"}}}, false)
	sameAsMarshal(t, "recording last result", &message{LastResult: &verb.Result{Recording: &verb.Recording{}}}, false)
	sameAsMarshal(t, "recording status", &message{Recording: &delivery.Status{Status: "ready"}}, false)
	sameAsMarshal(t, "spaced session", &message{Session: json.RawMessage(`{"a": 1}`)}, false)
	sameAsMarshal(t, "html session", &message{Session: json.RawMessage(`{"a":"<"}`)}, false)
	// Many vars (past the keys' array on the stack).
	many := map[string]string{}
	for i := range 40 {
		many[string(rune('z'-i%26))+string(rune('a'+i))] = "v"
	}
	sameAsMarshal(t, "many vars", &message{Vars: many}, true)
}

// FuzzAppendMessage: any strings in a request are encoded as json.Marshal
// encodes them.
func FuzzAppendMessage(f *testing.F) {
	for _, s := range odd {
		f.Add(s, s, int64(len(s)), len(s)%2 == 0)
	}
	f.Fuzz(func(t *testing.T, a, b string, n int64, yes bool) {
		m := &message{CallID: a, Seq: int(n), App: b, Event: a + b,
			Call:   callInfo{From: a, FromName: b, To: a, Direction: b, Answered: yes, Channel: a, StartedAt: b},
			Vars:   map[string]string{a: b, b: a},
			Result: &verb.Result{Verb: a, Reason: b, Digits: a, Response: b},
			Hangup: &hangupInfo{Cause: a, Duration: n, Billsec: -n}, HeldMS: &n, Outcome: b}
		if yes {
			m.LastResult = &verb.Result{Verb: b, Bridge: &verb.Bridged{Status: a, AnsweredBy: b, DurationMS: n}}
			m.Error = &errorInfo{Code: b, Message: a, URL: b}
		}
		sameAsMarshal(t, "fuzz", m, true)
	})
}

// BenchmarkEncodeMessage: a menu call's verb.result request body, by
// json.Marshal and by appendMessage.
func BenchmarkEncodeMessage(b *testing.B) {
	m := &message{
		CallID: "15d0d288-e47c-47df-9fae-3e53fb53e2b8", Seq: 2, App: "menu", Event: "verb.result",
		Call: callInfo{From: "1000", FromName: "Alice", To: "5000", Direction: "inbound", Answered: true,
			Channel: "sofia/internal/1000@192.0.2.2", StartedAt: "2026-12-06T12:00:00Z"},
		Result:  &verb.Result{Verb: "gather", Reason: "ok", Digits: "1", Response: "1"},
		Session: json.RawMessage(`{"step":1}`),
	}
	b.Run("marshal", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var err error
			if encodeSink, err = json.Marshal(m); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("append", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var ok bool
			// As encode calls it; the body escapes, as a request's does.
			if encodeSink, ok = appendMessage(make([]byte, 0, 512), m); !ok {
				b.Fatal("not fast")
			}
		}
	})
}

var encodeSink []byte
