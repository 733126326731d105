package verb

import (
	"encoding/json"
	"fmt"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

// jsonReplies are JSON replies, accepted and refused, that the fast path
// must read as yaml.v3 does. jsonCorpus adds each one re-indented, and the
// YAML fuzz seeds turned into JSON.
var jsonReplies = []string{
	`[]`,
	`{}`,
	`["answer", "hangup"]`,
	`{"session": {"n": 1, "f": 1.0, "big": 123456789012345678901234567890, "e": 1e5, "neg": -0, "t": true, "z": null, "s": "01234", "l": [1, "a", {"b": []}]}, "verbs": ["answer"]}`,
	`{"verbs": [{"play": "ivr/welcome.wav"}, {"gather": {"play": "ivr/menu.wav", "max": 1, "timeout": "5s", "tries": 3, "invalid": "ivr/invalid.wav", "action": "/menu"}}]}`,
	`{"verbs": [{"record": {"path": "r.wav", "max": "30s", "beep": false}}, {"bridge": {"to": ["user/1000", "user/1001"], "caller_id": "100"}}]}`,
	`[{"gather": {"max": "4"}}]`,
	`[{"gather": {"timeout": 5}}]`,
	`[{"record": {"path": "r.wav", "beep": "no"}}]`,
	`[{"play": "a\nb"}]`,
	`[{"speak": "line one\nline two"}]`,
	`[{"play": "\u00e9t\u00e9.wav"}, {"speak": "caf\u00e9 ☕ 😀"}]`,
	`[{"play": "x.wav", "action": "/next"}]`,
	`[{"nosuchverb": 1}]`,
	`{"verbs": [], "verbs": []}`,
	`{"session": 1, "session": 2}`,
	`{"verb": []}`,
	`{"verbs": {"answer": null}}`,
	`{"session": {"a": 1, "a": 2}}`,
	`[{"set": {"a": 1, "b": "two"}}, {"unset": "a"}, {"send_dtmf": "1w2@100"}, {"pause": "1s"}]`,
	`[{"set": {"api_hangup_hook": "x"}}]`,
	`[{"execute": {"app": "info", "arg": "x"}}, {"log": {"text": "hi", "level": "debug"}}, {"redirect": "../next"}]`,
	`[{"transfer": {"extension": 1000, "context": "public"}}, {"conference": {"name": "r", "flags": ["mute"]}}]`,
	`[{"bridge": "[leg_timeout=5,sip_h_X-A=1]loopback/1000/default/xml"}]`,
	`[{"hangup": {"cause": "USER_BUSY"}}]`,
	`[{"hangup": "NO_SUCH_CAUSE"}]`,
	`[1, true, null, -2.5e-3, "x"]`,
	`[[["answer"]]]`,
	`{"verbs": ["answer"], "session": {"nested": {"deep": [[[{"k": "v"}]]]}}}`,
	"{\r\n  \"verbs\": [\r\n    \"answer\",\r\n    {\"play\": \"a.wav\"}\r\n  ],\r\n  \"session\": {\"x\": \"y\"}\r\n}\r\n",
	"\n\n  [\"answer\",\n\t{\"play\":\n\t\t{\"file\": \"x.wav\"}}]\n\n",
	"{\"verbs\"\n: [\"answer\"]}",
	"[\"a\"\n, \"b\"]",
	`{"verbs": ["answer"]} `,
	"\t{\"verbs\": []}",
	"{\"verbs\": []}\n\t",
	`["a\/b"]`,
	`["\ud83d\ude00"]`,
	`["\u0000\u001f\u2028"]`,
	"[\"\u2028\"]",
	"[\"\u0085\"]",
	"[\"\ufeff\"]",
	"\ufeff[]",
	`{"verbs": ["answer"]} {"verbs": []}`,
	`{"verbs": ["answer"]} # a comment`,
	`{"verbs": ["answer"],}`,
	`{"verbs": [answer]}`,
	`{'verbs': []}`,
	`[` + strings.Repeat(`"x", `, 200) + `"y"]`,
	`{"` + strings.Repeat("k", 1100) + `": 1}`,
	`{"session": {"` + strings.Repeat("k", 990) + `": 1}}`,
	strings.Repeat("[", 1200) + strings.Repeat("]", 1200),
	`[{"play": "x.wav"}, {"gather": {"play": "m.wav", "digits": "#"}}]`,
	`{"verbs": [{"gather": {"play": "ivr/menu.wav", "max": 1, "action": "/menu"}}], "session": {"step": 1}}`,
}

// yamlReplies are YAML replies that jsonCorpus re-encodes as JSON.
var yamlReplies = []string{
	"- answer\n- play: x.wav\n- hangup",
	"session: {lang: en}\nverbs:\n  - gather: {play: m.wav, max: 4, timeout: 3s, action: /menu}\n",
	"- bridge: {to: [user/1000, user/1001], caller_id: '100', caller_name: Desk}",
	"- speak: \"line one\\nline two\"\n- say: {text: 1 2 3, gender: feminine}",
	"- set: {a: 1, b: two}\n- unset: a\n- send_dtmf: '1w2@100'\n- pause: 1s",
	"- transfer: {extension: 1000, context: public}\n- conference: {name: r, flags: [mute]}",
	"- execute: {app: info, arg: x}\n- log: {text: hi, level: debug}\n- redirect: ../next",
	"- gather: {regex: '(\\d'}",
	"- play: file_string://a.wav!/etc/passwd",
	"- record: ../x.wav",
	"- bridge: '[^^:leg_timeout=5:origination_caller_id_name=a,b]user/1001'",
	"- bridge: 'loopback/app=system:x'",
	"- set: {Execute_On_Answer_7: x}",
	"- transfer: {extension: x, dialplan: LUA}",
}

// jsonCorpus returns jsonReplies, each also indented, and the YAML fuzz
// seeds that are valid YAML re-encoded as JSON, compact and indented.
func jsonCorpus(t testing.TB) []string {
	var out []string
	add := func(s string) {
		out = append(out, s)
		var v any
		if json.Unmarshal([]byte(s), &v) != nil {
			return
		}
		if b, err := json.MarshalIndent(v, "", "  "); err == nil {
			out = append(out, string(b))
		}
	}
	for _, s := range jsonReplies {
		add(s)
	}
	for _, s := range yamlReplies {
		var v any
		if yaml.Unmarshal([]byte(s), &v) != nil {
			continue
		}
		if b, err := json.Marshal(v); err == nil {
			add(string(b))
		}
	}
	return out
}

// sameTree reports where a and b, two node trees, differ ("" when they do
// not).
func sameTree(a, b *yaml.Node, path string) string {
	switch {
	case a == nil && b == nil:
		return ""
	case a == nil || b == nil:
		return fmt.Sprintf("%s: %v against %v", path, a, b)
	}
	if a.Kind != b.Kind || a.Tag != b.Tag || a.Style != b.Style || a.Value != b.Value ||
		a.Line != b.Line || a.Column != b.Column || a.Anchor != b.Anchor || a.Alias != nil || b.Alias != nil ||
		len(a.Content) != len(b.Content) {
		return fmt.Sprintf("%s: {kind %d tag %s style %d value %q at %d:%d, %d children} against {kind %d tag %s style %d value %q at %d:%d, %d children}",
			path, a.Kind, a.Tag, a.Style, a.Value, a.Line, a.Column, len(a.Content),
			b.Kind, b.Tag, b.Style, b.Value, b.Line, b.Column, len(b.Content))
	}
	for i := range a.Content {
		if d := sameTree(a.Content[i], b.Content[i], fmt.Sprintf("%s/%d", path, i)); d != "" {
			return d
		}
	}
	return ""
}

// checkJSONPath checks one input: when the fast path takes it, yaml.v3 must
// accept it too and build the same tree; either way ParseReply must give
// what yaml.v3 alone gives (the same reply, or the same error).
func checkJSONPath(t *testing.T, data []byte) (fast bool) {
	t.Helper()
	root, ok := jsonDocument(data)
	if ok {
		yroot, err := parseYAMLDocument(data)
		if err != nil {
			t.Fatalf("%q: the JSON fast path took it, yaml.v3 refused it: %v", data, err)
		}
		if d := sameTree(root, yroot, "root"); d != "" {
			t.Fatalf("%q: JSON tree differs from yaml.v3's at %s", data, d)
		}
	}
	o := ParseOptions{MaxVerbs: 50, AllowExecute: []string{"info"}, Base: testBase}
	got, gotErr := ParseReply(data, o)
	want, wantErr := parseReply(data, o, parseYAMLDocument)
	if fmt.Sprint(gotErr) != fmt.Sprint(wantErr) {
		t.Fatalf("%q: error %v, yaml.v3 alone: %v", data, gotErr, wantErr)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%q: reply %#v, yaml.v3 alone: %#v", data, got, want)
	}
	return ok
}

// TestJSONFastPathSameAsYAML is the differential test of the JSON fast
// path: every input gives the same tree, reply and error as yaml.v3 alone.
func TestJSONFastPathSameAsYAML(t *testing.T) {
	fast := 0
	corpus := jsonCorpus(t)
	for _, s := range corpus {
		if checkJSONPath(t, []byte(s)) {
			fast++
		}
	}
	// The check above holds whichever path an input takes; make sure the
	// fast path is taken at all, on the ordinary replies.
	for _, s := range []string{`["answer"]`, jsonReplies[4], "{\r\n \"verbs\": []\r\n}"} {
		if _, ok := jsonDocument([]byte(s)); !ok {
			t.Errorf("%q did not take the JSON fast path", s)
		}
	}
	t.Logf("%d of %d inputs took the fast path", fast, len(corpus))
}

// TestJSONFastPathLines checks the line numbers a JSON reply's errors carry.
func TestJSONFastPathLines(t *testing.T) {
	reply := "{\n  \"verbs\": [\n    \"answer\",\n    {\"gather\": {\"max\": \"four\"}}\n  ]\n}"
	if _, ok := jsonDocument([]byte(reply)); !ok {
		t.Fatal("the reply did not take the JSON fast path")
	}
	_, err := ParseReply([]byte(reply), ParseOptions{})
	if err == nil || !strings.HasPrefix(err.Error(), "line 4: gather: max: ") {
		t.Fatalf("err = %v, want line 4: gather: max: ...", err)
	}
}

// FuzzJSONFastPath compares the JSON fast path with yaml.v3 on any input.
func FuzzJSONFastPath(f *testing.F) {
	for _, s := range jsonCorpus(f) {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		checkJSONPath(t, data)
	})
}

func BenchmarkParseReplyJSON(b *testing.B) {
	doc := []byte(`{"session": {"lang": "en", "step": 3}, "verbs": [
  "answer",
  {"play": "ivr/welcome.wav"},
  {"gather": {"play": "ivr/menu.wav", "max": 1, "timeout": "5s", "tries": 3, "invalid": "ivr/invalid.wav", "action": "/menu"}},
  {"record": {"path": "r.wav", "max": "30s"}},
  {"bridge": {"to": ["user/1000", "user/1001"], "caller_id": "100"}},
  "hangup"
]}`)
	for _, path := range []struct {
		name  string
		parse func([]byte) (*yaml.Node, error)
	}{{"fast", parseDocument}, {"yaml", parseYAMLDocument}} {
		b.Run(path.name, func(b *testing.B) {
			b.SetBytes(int64(len(doc)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := parseReply(doc, webOpts, path.parse); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkParseReplyMenu parses the two replies of loadgen's menu app
// (call.start, then the gather's verb.result) as a webhook dialog does:
// with the document's URL as the base of actions.
func BenchmarkParseReplyMenu(b *testing.B) {
	start := []byte(`{"session": {"step": 1}, "verbs": [
  "answer",
  {"play": "ivr/welcome.wav"},
  {"gather": {"play": "ivr/menu.wav", "max": 1, "timeout": "3s", "action": "/menu"}}
]}
`)
	menu := []byte(`[{"play": "ivr/option-1.wav"}, {"hangup": "NORMAL_CLEARING"}]` + "\n")
	base, _ := url.Parse("http://127.0.0.1:8080/ivr")
	o := ParseOptions{MaxVerbs: 100, Base: base, Files: &FileRules{RecordingsDir: DefaultRecordingsDir + "/menu"}}
	b.ReportAllocs()
	for b.Loop() {
		if r, err := ParseReply(start, o); err != nil || len(r.Verbs) != 3 {
			b.Fatal(r, err)
		}
		if r, err := ParseReply(menu, o); err != nil || len(r.Verbs) != 2 {
			b.Fatal(r, err)
		}
	}
}

// sameCount fails t when jsonScan's count differs from jsonValues'.
func sameCount(t *testing.T, data []byte) {
	t.Helper()
	if n, ok := jsonScan(data); ok && n != jsonValues(data) {
		t.Fatalf("jsonScan(%q) counts %d values, jsonValues %d", data, n, jsonValues(data))
	}
}

// FuzzJSONScanCount: the values jsonScan counts as it checks the
// characters are jsonValues' count.
func FuzzJSONScanCount(f *testing.F) {
	for _, s := range jsonCorpus(f) {
		f.Add([]byte(s))
	}
	f.Add([]byte("[\"\\\xc3\xa9\", é1]"))
	f.Fuzz(sameCount)
}

// FuzzJSONFastPathValid: the fast path checks JSON's syntax itself, so
// whatever it reads must be JSON that json.Valid accepts.
func FuzzJSONFastPathValid(f *testing.F) {
	for _, s := range jsonCorpus(f) {
		f.Add([]byte(s))
	}
	for _, s := range []string{`[1,]`, `[,1]`, `{"a":1,}`, `{"a" 1}`, `{"a"::1}`, `{1:2}`, `[01]`, `[1.]`, `[-]`, `[1e]`,
		`[tru]`, `["a"x]`, `[1 2]`, "[\"a\tb\"]", `["\x"]`, `[nul]`, `{"a":1 "b":2}`, `[[]]]`, `[1,,2]`, `{,}`, `[-0.5e+3, 1E2]`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if _, ok := jsonDocument(data); ok && !json.Valid(data) {
			t.Fatalf("the fast path read %q, which json.Valid refuses", data)
		}
	})
}

// TestJSONFastPathLinear: a reply of many small values is read in one
// pass. The walk once counted the rest of the reply again for every slab
// of 64 nodes, quadratic: a hostile app's reply of a megabyte of "1,"
// cost seconds of CPU, one of 4 MiB minutes. The deadline is generous
// for a linear walk (well under a second, even with -race).
func TestJSONFastPathLinear(t *testing.T) {
	const values = 2 << 20
	data := []byte("[" + strings.Repeat("1,", values-1) + "1]")
	done := make(chan int, 1)
	go func() {
		root, ok := jsonDocument(data)
		if !ok {
			done <- -1
			return
		}
		done <- len(root.Content)
	}()
	select {
	case n := <-done:
		if n != values {
			t.Fatalf("the fast path read %d values, want %d", n, values)
		}
	case <-time.After(time.Minute):
		t.Fatal("the fast path did not read a 4 MiB reply of small values within a minute")
	}
}

// TestJSONFastPathEdges runs the differential check on inputs in the
// corners of JSON and YAML: numbers past int64 and float64, -0, escapes
// and characters yaml.v3 refuses, NUL, blanks of every kind, duplicate
// keys, trailing commas, keys around the 1024-character bound, nesting
// around jsonMaxDepth, YAML-only scalars, and action URLs in the corners
// of resolveURL's fast path.
func TestJSONFastPathEdges(t *testing.T) {
	long := func(n int) string { return strings.Repeat("k", n) }
	in := []string{
		`[-0]`, `[-0.0]`, `[1e999]`, `[-1e999]`, `[1E+2]`, `[1e-400]`, `[123456789012345678901234567890]`, `[9223372036854775807]`, `[9223372036854775808]`, `[18446744073709551616]`, `[-9223372036854775809]`,
		`[0e0]`, `[0.0e-0]`, `[{"gather": {"max": 123456789012345678901}}]`, `[{"gather": {"max": -0}}]`, `[{"gather": {"max": 1e2}}]`, `[{"gather": {"max": 10.0}}]`,
		`[{"gather": {"max": 9223372036854775807}}]`, `[{"gather": {"max": 999999999999999999}}]`, `[{"gather": {"max": 1000000000000000000}}]`, `[{"gather": {"max": -999999999999999999}}]`,
		`["\u0000"]`, `["\ufffe"]`, `["\uFFFF"]`, `["\uFEFF"]`, `["\u0085"]`, `["\u2029"]`, `["\b\f\n\r\t\"\\"]`, `["\\/"]`, `["\\\/"]`, `["\uD7FF"]`, `["\ud7ff"]`,
		"[\"\x7f\"]", "[\"\xc2\x85\"]", "[\"\xef\xbf\xbd\"]", "[\"\xf0\x9f\x98\x80\"]", "[\"\xf4\x8f\xbf\xbf\"]", "[\"\xed\x9f\xbf\"]", "[\"\xee\x80\x80\"]",
		"[1]\x00", "\x00[1]", "[\x00]", "[1,\n2]", "[1\n,2]", "[\r1\r]", "[\r\n1\r\n]", "[\n\r1]", "{\"a\"\r:1}", "{\"a\":\r1}", "{\"a\":\n1}",
		"[\v1]", "[\f1]", "[\u00a01]", "[1]\u00a0", "[1]\f", "[1]\v",
		`{"a":1,"a":2}`, `{"":1}`, `{"" :1}`, `{"a" : 1}`, `{"a":1 , "b":2}`, `[1,]`, `[,]`, `{"a":1,}`, `[[],]`,
		`{"` + long(995) + `":1}`, `{"` + long(996) + `":1}`, `{"` + long(997) + `":1}`, `{"` + long(1020) + `":1}`, `{"` + long(1021) + `":1}`, `{"` + long(1022) + `":1}`, `{"` + long(1023) + `":1}`, `{"` + long(1024) + `":1}`,
		`{"` + long(990) + `"` + strings.Repeat(" ", 20) + `:1}`, `{"` + long(1010) + `"` + strings.Repeat(" ", 20) + `:1}`,
		`["` + long(5000) + `"]`, `{"a":"` + long(5000) + `"}`, `{"` + strings.Repeat("é", 600) + `":1}`, `{"` + strings.Repeat("\\u00e9", 200) + `":1}`,
		`[` + strings.Repeat(`"x",`, 1100) + `1]`,
		strings.Repeat("[", 999) + strings.Repeat("]", 999), strings.Repeat("[", 1000) + strings.Repeat("]", 1000), strings.Repeat("[", 1001) + strings.Repeat("]", 1001),
		strings.Repeat(`{"a":`, 999) + "1" + strings.Repeat("}", 999), strings.Repeat(`{"a":`, 1001) + "1" + strings.Repeat("}", 1001),
		`["<<"]`, `{"<<":{"a":1}}`, `[{"<<": 1}]`, `["~"]`, `[~]`, `["null"]`, `[Null]`, `[NULL]`, `[True]`, `[.inf]`, `[0x1]`, `[0o7]`, `[+1]`, `[1_0]`, `[2001-12-14]`, `[2001]`,
		`[truex]`, `[true,false,null]`, `[true ,false ]`, "[true\t]", "[\ttrue]", "\t[1]", "[1]\t", "[1] \t", " [1]", "\n[1]", "\r[1]", "[1]\n\n\n",
		`[1]---`, "[1]\n---\n", "[1]\n...\n", "---\n[1]", "[\n---\n]", "[\n\"---\"]", "{\n\"a\":1\n}", "{\n  \"a\": [\n1,\n2\n]\n}",
		`["a"#]`, `["a" #x]`, "[\"a\"\n#x\n]", `[1 ]`, `[ 1]`, `{ }`, `[ ]`, `{"a":{}}`, `{"a":[]}`, `{"a":"b"}`, `{"a":-1}`, `{"a":true}`,
		`[{"play": "a.wav", "play": "b.wav"}]`, `[{"gather": {"max": 1, "max": 2}}]`, `[{"set": {"a": 1, "a": 2}}]`,
		`[{"gather": {"regex": "\\d+"}}]`, `[{"play": "http://u:p@h/x.wav"}]`, `[{"redirect": "HTTP://H/x"}]`, `[{"redirect": "//evil/x"}]`, `[{"redirect": "http://[::1]:80/x"}]`,
		`[{"redirect": "http://h:/x"}]`, `[{"redirect": "http://h:99999/x"}]`, `[{"redirect": "http://h/%41"}]`, `[{"redirect": "http://h\\x"}]`, `[{"redirect": "http:/x"}]`, `[{"redirect": "http:x"}]`,
		`[{"redirect": "/a/../../b"}]`, `[{"redirect": "../../.."}]`, `[{"redirect": "http://h/a:b"}]`, `[{"redirect": "?q"}]`, `[{"redirect": "#f"}]`, `[{"redirect": "http://h.:80./x"}]`,
	}
	for _, s := range in {
		data := []byte(s)
		if checkJSONPath(t, data) && !json.Valid(data) {
			t.Errorf("the fast path read %q, which json.Valid refuses", s)
		}
		sameCount(t, data)
	}
}

// jsonValues counts the values (strings, object keys included, numbers,
// true, false, null, objects, arrays) of valid JSON, or a few more, on its
// own: the reference jsonScan's count, made in its pass, is checked
// against.
func jsonValues(data []byte) int {
	n, inString, escaped, inScalar := 0, false, false, false
	for _, c := range data {
		if inString {
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
			continue
		}
		switch c {
		case '"':
			inString, inScalar = true, false
			n++
		case '{', '[':
			inScalar = false
			n++
		case ',', ':', ']', '}', ' ', '\t', '\n', '\r':
			inScalar = false
		default:
			if !inScalar {
				inScalar = true
				n++
			}
		}
	}
	return n
}
