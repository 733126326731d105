package liverpie

import (
	"bytes"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/callhook/callhook/esl"
	"github.com/callhook/callhook/internal/testlog"
	"github.com/sirupsen/logrus"
)

func TestLiverpieValue(t *testing.T) {
	tests := []struct {
		name, raw, value, want string
	}{
		{"event value, FreeSWITCH-encoded", "Outbound%20Call", "Outbound Call", "Outbound%20Call"},
		{"connect reply text", "%2BOK%0A", "+OK\n", "%2BOK%0A"},
		{"non-ASCII, encoded", "caf%C3%A9", "café", "caf%C3%A9"},
		{"plain word", "CHANNEL_DATA", "CHANNEL_DATA", "CHANNEL_DATA"},
		{"empty", "", "", ""},
		{"command/reply plus", "+OK", "+OK", "%2BOK"},
		{"command/reply with spaces", "+OK Events Enabled", "+OK Events Enabled", "%2BOK%20Events%20Enabled"},
		{"unencoded percent", "50%41", "50%41", "50%2541"},
		{"unencoded form syntax", "a&b=c;d", "a&b=c;d", "a%26b%3Dc%3Bd"},
		{"lone percent", "100%", "100%", "100%25"},
		{"lower-case escape", "a%2fb", "a/b", "a%2fb"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := formValue(tc.raw, tc.value)
			if got != tc.want {
				t.Errorf("liverpieValue(%q, %q) = %q, want %q", tc.raw, tc.value, got, tc.want)
			}
			// What the app's form parser reads is the value FreeSWITCH meant.
			q, err := url.ParseQuery("k=" + got)
			if err != nil || q.Get("k") != tc.value {
				t.Errorf("ParseQuery(k=%s) = %q, %v; want %q", got, q.Get("k"), err, tc.value)
			}
		})
	}
}

func TestLiverpieName(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Caller-Caller-ID-Number", "caller_caller_id_number"},
		{"variable_sip_h_X-Foo", "variable_sip_h_x_foo"},
		{"Content-Type", "content_type"},
		{" Event-Name ", "event_name"},
	}
	for _, tc := range tests {
		if got := formName(tc.in); got != tc.want {
			t.Errorf("liverpieName(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestLiverpieViews(t *testing.T) {
	ev := &esl.Event{ContentType: esl.TypeEventPlain, Headers: []esl.EventHeader{
		{Name: "Event-Name", Value: "DTMF", Raw: "DTMF"},
		{Name: "DTMF-Digit", Value: "#", Raw: "%23"},
		{Name: "DTMF-Digit", Value: "*", Raw: "*"},
	}}
	var names nameCache
	v := eventView(ev, &names)
	if got := fmt.Sprint(v); got != "[{content_type text/event-plain text/event-plain} {event_name DTMF DTMF} {dtmf_digit %23 #} {dtmf_digit * *}]" {
		t.Errorf("eventView = %s", got)
	}
	if h, _ := v.lookup("dtmf_digit"); h.value != "*" {
		t.Errorf("lookup(dtmf_digit) = %+v, want the last one", h)
	}
	// An event that carries its own Content-Type (a connect reply) keeps it.
	ch := &esl.Event{ContentType: esl.TypeCommandReply, Headers: []esl.EventHeader{
		{Name: "Event-Name", Value: "CHANNEL_DATA", Raw: "CHANNEL_DATA"},
		{Name: "Content-Type", Value: "command/reply", Raw: "command/reply"},
	}}
	if got := len(eventView(ch, &names)); got != 2 {
		t.Errorf("eventView(connect reply) has %d headers, want 2", got)
	}
	f := &esl.Frame{Headers: esl.Headers{{Name: "Content-Type", Value: "api/response"}, {Name: "Content-Length", Value: "4"}}, Body: []byte("+OK\n")}
	if got := fmt.Sprint(frameView(f, &names)); got != "[{content_type api/response api/response} {content_length 4 4}]" {
		t.Errorf("frameView = %s", got)
	}
}

// TestLiverpieNames: the per-call cache gives what formName gives,
// for a nil cache too, and stops caching at maxFormKeys names.
func TestLiverpieNames(t *testing.T) {
	var names nameCache
	for _, raw := range []string{"Caller-Caller-ID-Number", " Event-Name ", "Caller-Caller-ID-Number", "variable_sip_h_X-Foo"} {
		want := formName(raw)
		if got := names.name(raw); got != want {
			t.Errorf("names.name(%q) = %q, want %q", raw, got, want)
		}
		if got := (*nameCache)(nil).name(raw); got != want {
			t.Errorf("nil.name(%q) = %q, want %q", raw, got, want)
		}
	}
	if got := len(names.m); got != 3 {
		t.Errorf("cache holds %d names, want 3", got)
	}
	for i := range maxFormKeys + 10 {
		raw := fmt.Sprintf("X-Header-%d", i)
		if got, want := names.name(raw), fmt.Sprintf("x_header_%d", i); got != want {
			t.Fatalf("names.name(%q) = %q, want %q", raw, got, want)
		}
	}
	if got := len(names.m); got != maxFormKeys {
		t.Errorf("cache holds %d names, want the bound %d", got, maxFormKeys)
	}
}

// TestLiverpieNamesBoundedByBytes: the cache was bounded by its count of
// names only, so a peer sending long header names (a header block may be
// up to the frame limit) grew it by megabytes per call, names the form
// itself has no room for. Its bytes stay within the form's own bound.
func TestLiverpieNamesBoundedByBytes(t *testing.T) {
	var names nameCache
	for i := range 100 {
		raw := fmt.Sprintf("variable_%d_%s", i, strings.Repeat("x", 64<<10))
		if got, want := names.name(raw), formName(raw); got != want {
			t.Fatalf("names.name(long %d) = %.20q..., want %.20q...", i, got, want)
		}
	}
	size := 0
	for k, v := range names.m {
		size += len(k) + len(v)
	}
	if size > maxFormBytes {
		t.Errorf("cache holds %d bytes of names after 100 names of 64 KiB, want at most %d", size, maxFormBytes)
	}
}

func TestLiverpieFormMerge(t *testing.T) {
	log := testlog.New()
	var f form
	f.merge(view{{"a", "1", "1"}, {"b", "x%20y", "x y"}, {"c", "+", "+"}}, log)
	f.merge(view{{"b", "2", "2"}, {"d", "4", "4"}, {"a", "5", "5"}}, log)
	f.set("e", "x y", log)
	if got, want := f.body(), "a=5&b=2&c=%2B&d=4&e=x%20y"; got != want {
		t.Errorf("body() = %q, want %q", got, want)
	}
}

func TestLiverpieFormBounds(t *testing.T) {
	log := testlog.New()
	var f form
	for i := range maxFormKeys + 10 {
		f.merge(view{{fmt.Sprintf("k%d", i), "v", "v"}}, log)
	}
	if len(f.pairs) != maxFormKeys {
		t.Errorf("form holds %d keys, want %d", len(f.pairs), maxFormKeys)
	}
	// Known keys still take new values.
	f.merge(view{{"k0", "new", "new"}}, log)
	if !strings.HasPrefix(f.body(), "k0=new&") {
		t.Errorf("k0 not updated in a full form: %q", f.body()[:20])
	}
	big := strings.Repeat("x", maxFormBytes)
	f.merge(view{{"k1", big, big}}, log)
	if f.size > maxFormBytes {
		t.Errorf("form size %d is over %d", f.size, maxFormBytes)
	}
	warned := log.Count(func(e *logrus.Entry) bool {
		return e.Level == logrus.WarnLevel && strings.HasSuffix(e.Message, "further headers are left out")
	})
	if warned != 1 {
		t.Errorf("warned %d times, want once:\n%s", warned, log)
	}
	if got := len(f.body()); got != f.size-1 {
		t.Errorf("len(body()) = %d, size = %d", got, f.size)
	}
}

func TestLiverpieJar(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	parse := func(lines ...string) []*http.Cookie {
		h := make(http.Header)
		for _, l := range lines {
			h.Add("Set-Cookie", l)
		}
		return (&http.Response{Header: h}).Cookies()
	}
	var j jar
	j.update(parse("_s=abc; path=/; HttpOnly", "state=1--x; Path=/ivr"), now)
	if got, want := j.header(), "_s=abc; state=1--x"; got != want {
		t.Errorf("header() = %q, want %q", got, want)
	}
	j.update(nil, now) // a reply that sets none keeps them
	j.update(parse("state=2--y"), now)
	if got, want := j.header(), "_s=abc; state=2--y"; got != want {
		t.Errorf("after an update header() = %q, want %q", got, want)
	}
	j.update(parse("_s=; Max-Age=0", `q="quoted"`), now)
	if got, want := j.header(), `state=2--y; q="quoted"`; got != want {
		t.Errorf("after a removal header() = %q, want %q", got, want)
	}
	j.update(parse("state=; Expires=Thu, 01 Jan 1970 00:00:00 GMT", "big="+strings.Repeat("v", maxCookieBytes)), now)
	if got, want := j.header(), `q="quoted"`; got != want {
		t.Errorf("after an expiry header() = %q, want %q", got, want)
	}
	var lines []string
	for i := range maxCookies + 5 {
		lines = append(lines, fmt.Sprintf("c%d=v", i))
	}
	j.update(parse(lines...), now)
	if len(j.names) != maxCookies {
		t.Errorf("jar holds %d cookies, want %d", len(j.names), maxCookies)
	}
}

// lpCapture reads a frame captured from FreeSWITCH 1.10.12 (menu-call) and
// parses it as the session would.
func lpCapture(tb testing.TB, name string) *esl.Event {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		tb.Fatal(err)
	}
	f, _, err := esl.NewReader(bytes.NewReader(b), esl.Limits{}).ReadFrame()
	if err != nil {
		tb.Fatal(err)
	}
	ev, err := esl.ParseEvent(f)
	if err != nil {
		tb.Fatal(err)
	}
	return ev
}

// TestLiverpieCaptureForm: for real FreeSWITCH frames, the body carries
// each value exactly as FreeSWITCH encoded it (what Liverpie sent) and the
// app's form parser reads back the decoded value.
func TestLiverpieCaptureForm(t *testing.T) {
	for _, name := range []string{"liverpie_connect.frame", "liverpie_execute_complete.frame"} {
		t.Run(name, func(t *testing.T) {
			ev := lpCapture(t, name)
			log := testlog.New()
			var f form
			f.merge(eventView(ev, nil), log)
			q, err := url.ParseQuery(f.body())
			if err != nil {
				t.Fatalf("ParseQuery(body): %v", err)
			}
			v := eventView(ev, nil)
			for _, h := range v {
				last, _ := v.lookup(h.name) // a repeated name: the last one counts
				if !strings.Contains("&"+f.body()+"&", "&"+h.name+"="+last.raw+"&") {
					t.Errorf("body lacks %s=%s as FreeSWITCH sent it", h.name, last.raw)
				}
				if got := q[h.name]; len(got) != 1 || got[0] != last.value {
					t.Errorf("form[%q] = %q, want [%q]", h.name, got, last.value)
				}
			}
		})
	}
}

// BenchmarkLiverpieEvent is the per-event cost of a Liverpie call: the
// event's view, its merge into the call's form and the form's body (what a
// state-machine request sends), for a real CHANNEL_EXECUTE_COMPLETE over a
// real connect reply.
func BenchmarkLiverpieEvent(b *testing.B) {
	ch, ev := lpCapture(b, "liverpie_connect.frame"), lpCapture(b, "liverpie_execute_complete.frame")
	log := testlog.New()
	var f form
	var names nameCache // the call's, as dialog keeps it
	f.merge(eventView(ch, &names), log)
	b.ReportAllocs()
	for b.Loop() {
		f.merge(eventView(ev, &names), log)
		_ = f.body()
	}
}
