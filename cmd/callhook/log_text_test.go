package main

import (
	"bytes"
	"errors"
	"io"
	"math"
	"runtime"
	"testing"
	"time"

	"github.com/sirupsen/logrus"
)

// textEntries are entries of every kind the fast path writes or hands to
// logrus: callhook's own call lines, quoting, numbers, and each fallback.
func textEntries() []*logrus.Entry {
	l := logrus.New()
	l.Out = io.Discard
	at := time.Date(2026, 12, 6, 12, 4, 19, 123456789, time.UTC)
	call := l.WithFields(logrus.Fields{"call_id": "15d0d288-e47c-47df-9fae-3e53fb53e2b8", "app": "menu"})
	es := []*logrus.Entry{
		call.WithFields(logrus.Fields{"from": "1000", "to": "5000"}),
		call.WithFields(logrus.Fields{
			"from": "+1 (555) 010", "to": "sip:5000@example.com", "outcome": "hangup", "cause": "NORMAL_CLEARING",
			"duration_s": 0.0123456789, "verbs": 4, "requests": int64(2), "webhook_ms": int64(0),
		}),
		call.WithFields(logrus.Fields{"empty": "", "quote": `a"b`, "nl": "a\nb", "utf8": "héllo", "bad": "\xff", "safe": "a-b.c_d/e@f^g+h"}),
		l.WithFields(logrus.Fields{"i8": int8(-8), "i16": int16(16), "i32": int32(-32), "u": uint(1), "u8": uint8(8), "u16": uint16(16), "u32": uint32(32), "u64": uint64(math.MaxUint64), "up": uintptr(7)}),
		l.WithFields(logrus.Fields{"f32": float32(1.5), "nan": math.NaN(), "inf": math.Inf(-1), "big": 1e21, "t": true, "f": false}),
		l.WithField("one", "x"),
		l.WithFields(logrus.Fields{}),
		// The fallbacks.
		call.WithError(errors.New("boom: it broke")),
		l.WithField("d", 1500*time.Millisecond),
		l.WithField("time", "clash"),
		l.WithField("msg", "clash"),
		l.WithField("level", "clash"),
		l.WithField("logrus_error", "clash"),
		l.WithField("fn", func() {}),
		l.WithField("b", []byte("raw bytes")),
		l.WithField("nilerr", (*textErr)(nil)),
	}
	many := logrus.Fields{}
	for i := range textFastFields + 1 {
		many[string(rune('a'+i))] = i
	}
	es = append(es, l.WithFields(many))
	withCaller := l.WithField("k", "v")
	withCaller.Caller = &runtime.Frame{Function: "main.f", File: "f.go", Line: 3}
	es = append(es, withCaller)
	for _, e := range es {
		e.Time = at
		e.Level = logrus.InfoLevel
		e.Message = "call ended"
	}
	warn := call.WithField("x", "y")
	warn.Time, warn.Level, warn.Message = at.In(time.FixedZone("X", 3600)), logrus.WarnLevel, ""
	return append(es, warn)
}

type textErr struct{}

func (*textErr) Error() string { panic("nil receiver") }

// TestTextFormatterSameAsLogrus: callhook's text formatter writes, byte for
// byte, what logrus's TextFormatter with callhook's settings writes.
func TestTextFormatterSameAsLogrus(t *testing.T) {
	ours, theirs := newTextFormatter(), &logrus.TextFormatter{FullTimestamp: true, DisableColors: true}
	fallback := &countingFormatter{Formatter: ours.logrus}
	ours.logrus = fallback
	es := textEntries()
	for i, e := range es {
		before := fallback.n
		sameText(t, i, ours, theirs, e)
		// The first seven entries (call lines, quoting, numbers) and the
		// last (a warning, another time zone) are written by the fast
		// path; the rest by logrus.
		if fast := fallback.n == before; fast != (i < 7 || i == len(es)-1) {
			t.Errorf("entry %d: fast path %v", i, fast)
		}
	}
}

type countingFormatter struct {
	logrus.Formatter
	n int
}

func (c *countingFormatter) Format(e *logrus.Entry) ([]byte, error) {
	c.n++
	return c.Formatter.Format(e)
}

func sameText(t *testing.T, i int, ours *textFormatter, theirs *logrus.TextFormatter, e *logrus.Entry) {
	t.Helper()
	e.Buffer = new(bytes.Buffer)
	got, err := ours.Format(e)
	if err != nil {
		t.Fatal(err)
	}
	got = bytes.Clone(got)
	e.Buffer = new(bytes.Buffer)
	want, err := theirs.Format(e)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("entry %d:\n got %q\nwant %q", i, got, want)
	}
}

// FuzzTextFormatter: any message and string, number and bool fields are
// written as logrus writes them.
func FuzzTextFormatter(f *testing.F) {
	f.Add("call started", "from", "1000", "to", "x y", int64(3), 0.5, true)
	f.Add("", "time", "\x00", "", "\"", int64(-1), math.Inf(1), false)
	ours, theirs := newTextFormatter(), &logrus.TextFormatter{FullTimestamp: true, DisableColors: true}
	l := logrus.New()
	l.Out = io.Discard
	f.Fuzz(func(t *testing.T, msg, k1, v1, k2, v2 string, n int64, x float64, yes bool) {
		e := l.WithFields(logrus.Fields{k1: v1, k2: v2, "n": n, "x": x, "yes": yes})
		e.Time = time.Unix(n%1e10, 0).UTC()
		e.Level = logrus.Level(uint64(n) % 7)
		e.Message = msg
		sameText(t, 0, ours, theirs, e)
	})
}

// BenchmarkTextFormatter: a call's "call ended" line (10 fields), formatted
// by logrus's TextFormatter and by callhook's.
func BenchmarkTextFormatter(b *testing.B) {
	e := textEntries()[1]
	for _, f := range []struct {
		name string
		f    logrus.Formatter
	}{{"logrus", &logrus.TextFormatter{FullTimestamp: true, DisableColors: true}}, {"callhook", newTextFormatter()}} {
		b.Run(f.name, func(b *testing.B) {
			e.Buffer = new(bytes.Buffer)
			b.ReportAllocs()
			for b.Loop() {
				e.Buffer.Reset()
				if _, err := f.f.Format(e); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
