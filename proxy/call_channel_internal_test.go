package proxy

import (
	"fmt"
	"strings"
	"testing"
	"unsafe"

	"github.com/callhook/callhook/esl"
)

// connectReplyLike is a connect reply's worth of headers: channelHeaders
// among ~100 others, some values URL-encoded.
func connectReplyLike() *esl.Event {
	var b strings.Builder
	b.WriteString("Event-Name: CHANNEL_DATA\n")
	for i := range 90 {
		fmt.Fprintf(&b, "variable_v%d: value%%20%d\n", i, i)
	}
	for _, h := range channelHeaders {
		fmt.Fprintf(&b, "%s: %s%%3A1\n", h, strings.ToLower(h))
	}
	b.WriteString("variable_sip_user_agent: FS%20test\nUnique-ID: a-later-duplicate\n")
	ev, err := esl.ParseEvent(&esl.Frame{Headers: esl.Headers{{Name: "Content-Type", Value: esl.TypeEventPlain}}, Body: []byte(b.String())})
	if err != nil {
		panic(err)
	}
	return ev
}

// TestCompactChannel: the copy has channelHeaders and the variables asked
// for, the first of each name, in that order, with the values and raw
// values of ch, and none of its strings share ch's memory.
func TestCompactChannel(t *testing.T) {
	ch := connectReplyLike()
	out := compactChannel(ch, []string{"sip_user_agent", "v3", "v3", "absent"})
	var want []string
	for _, h := range channelHeaders {
		want = append(want, h)
	}
	want = append(want, "variable_sip_user_agent", "variable_v3")
	if len(out.Headers) != len(want) {
		t.Fatalf("%d headers, want %d: %+v", len(out.Headers), len(want), out.Headers)
	}
	within := func(s string) bool {
		for _, h := range ch.AllHeaders() {
			for _, c := range []string{h.Name, h.Value, h.Raw} {
				if len(s) > 0 && len(c) > 0 {
					p, q := uintptr(unsafe.Pointer(unsafe.StringData(s))), uintptr(unsafe.Pointer(unsafe.StringData(c)))
					if p >= q && p < q+uintptr(len(c)) {
						return true
					}
				}
			}
		}
		return false
	}
	for i, h := range out.Headers {
		raw, _ := ch.Lookup(want[i])
		if h.Name != want[i] || h.Value != raw || h.Raw != ch.GetRaw(want[i]) {
			t.Errorf("header %d = %+v, want %s: %q (raw %q)", i, h, want[i], raw, ch.GetRaw(want[i]))
		}
		if within(h.Name) || within(h.Value) || within(h.Raw) {
			t.Errorf("header %s shares the connect reply's memory", h.Name)
		}
	}
	if got := out.UniqueID(); got != "unique-id:1" {
		t.Errorf("Unique-ID %q, want the first one", got)
	}
}

func BenchmarkCompactChannel(b *testing.B) {
	ch := connectReplyLike()
	vars := []string{"sip_user_agent", "v3"}
	b.ReportAllocs()
	for b.Loop() {
		compactChannel(ch, vars)
	}
}
