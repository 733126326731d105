package twiml

import (
	"errors"
	"net/url"
	"strings"
	"testing"
)

// TestParseHostile: documents Parse refuses, each with why.
func TestParseHostile(t *testing.T) {
	deep := "<Response><Gather><Say><x/></Say></Gather></Response>"
	many := "<Response>" + strings.Repeat("<Pause/>", DefaultMaxElements) + "</Response>"
	big := "<Response><Say>" + strings.Repeat("a", DefaultMaxBytes) + "</Say></Response>"
	cases := []struct {
		name, doc, want string
		malformed       bool
	}{
		{"empty", "", "empty document", true},
		{"not xml", "hello", "", true},
		{"unclosed", "<Response><Say>hi</Response>", "", true},
		{"doctype", `<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaa">]><Response><Say>&a;</Say></Response>`, "DOCTYPE", true},
		{"external entity", `<!DOCTYPE r SYSTEM "file:///etc/passwd"><Response/>`, "DOCTYPE", true},
		{"undefined entity", `<Response><Say>&a;</Say></Response>`, "", true},
		{"other root", "<Reply/>", "want <Response>", false},
		{"two roots", "<Response/><Response/>", "more than one root", true},
		{"text outside", "<Response/>junk", "text outside", true},
		{"too deep", deep, "nested 4 deep", false},
		{"too many", many, "more than 500 elements", false},
		{"too big", big, "over 65536 bytes", false},
		{"latin1", `<?xml version="1.0" encoding="ISO-8859-1"?><Response/>`, "only UTF-8", true},
		{"not utf8", "<Response><Say>\xff</Say></Response>", "not UTF-8", true},
		{"namespace", `<Response xmlns:x="u"><x:Say>hi</x:Say></Response>`, "namespaced", false},
		{"duplicate attr", `<Response><Play loop="1" loop="2">a</Play></Response>`, "", true},
		{"response attr", `<Response foo="1"/>`, "takes none", false},
		{"pi", `<Response><?php echo 1 ?></Response>`, "processing instruction", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.doc), Limits{})
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("Parse(%q) = %v, want a *ParseError", tc.doc, err)
			}
			if !strings.Contains(pe.Msg, tc.want) || pe.Malformed != tc.malformed {
				t.Errorf("Parse(%q) = %v (malformed %v), want %q (malformed %v)", tc.doc, err, pe.Malformed, tc.want, tc.malformed)
			}
		})
	}
}

// TestPlanErrors: TwiML that Plan refuses, unknown (ParseError) or
// unsupported (Unsupported), never skipped.
func TestPlanErrors(t *testing.T) {
	base, _ := url.Parse("https://app.example.com/voice")
	cases := []struct {
		doc, want   string
		unsupported bool
	}{
		{`<Response><Foo/></Response>`, "unknown verb <Foo>", false},
		{`<Response><Pay/></Response>`, "<Pay>", true},
		{`<Response><Connect><Stream url="wss://x"/></Connect></Response>`, "<Connect>", true},
		{`<Response><Say voice="Polly.Joanna">hi</Say></Response>`, `voice="Polly.Joanna"`, true},
		{`<Response><Say language="fr-FR">bonjour</Say></Response>`, `language="fr-FR"`, true},
		{`<Response><Say><break time="1s"/>hi</Say></Response>`, "SSML", true},
		{`<Response><Gather input="dtmf speech"/></Response>`, "speech", true},
		{`<Response><Gather hints="yes"/></Response>`, "<Gather hints>", true},
		{`<Response><Gather><Dial>1</Dial></Gather></Response>`, "holds <Dial>", false},
		{`<Response><Gather numDigits="0"/></Response>`, "numDigits", false},
		{`<Response><Gather finishOnKey="ab"/></Response>`, "finishOnKey", false},
		{`<Response><Record transcribe="true"/></Response>`, "transcribe", true},
		{`<Response><Record trim="trim-silence"/></Response>`, "trim", true},
		{`<Response><Play>ftp://x/a.wav</Play></Response>`, "http(s) URL", false},
		{`<Response><Play loop="-1">a.wav</Play></Response>`, "loop", false},
		{`<Response><Pause length="x"/></Response>`, "length", false},
		{`<Response><Hangup>now</Hangup></Response>`, "holds text", false},
		{`<Response><Play>/a.wav</Play><Reject/></Response>`, "first verb", false},
		{`<Response><Dial><Queue>q</Queue></Dial></Response>`, "<Queue>", true},
		{`<Response><Dial ringTone="xx">1</Dial></Response>`, "ringTone", true},
		{`<Response><Dial><Conference beep="false">r</Conference></Dial></Response>`, "beep", true},
		{`<Response><Dial><Conference startConferenceOnEnter="false">r</Conference></Dial></Response>`, "startConferenceOnEnter", true},
		{`<Response><Dial><Number sendDigits="1">+1</Number></Dial></Response>`, "sendDigits", true},
		{`<Response><Dial><Number>+1;x</Number></Dial></Response>`, "want digits", false},
		// Dial strings go through the bridge verb's policy: no endpoint
		// the app is not allowed, no variable a leg may not set.
		{`<Response><Dial><Sip>sip:a@b?P-Asserted-Identity=x</Sip></Dial></Response>`, "sip_h_P-Asserted-Identity", false},
		{`<Response><Dial><Sip>sip:a@b?X-A=1,execute_on_answer=system</Sip></Dial></Response>`, "execute_on_answer", false},
		{`<Response><Dial><Sip>sip:a@b|loopback/app=system</Sip></Dial></Response>`, "|", false},
		{`<Response><Dial><Client>a/b</Client></Dial></Response>`, "", false},
		{`<Response><Redirect method="PUT">/x</Redirect></Response>`, "GET or POST", false},
		{`<Response><Reject reason="nope"/></Response>`, "rejected or busy", false},
	}
	for _, tc := range cases {
		doc, err := Parse([]byte(tc.doc), Limits{})
		if err != nil {
			t.Errorf("Parse(%q) = %v", tc.doc, err)
			continue
		}
		_, err = Plan(doc, PlanOptions{URL: base, Dial: DialRules{Number: "sofia/gateway/gw/{number}", Client: "loopback/{name}/default"},
			Recordings: true})
		var un *Unsupported
		var pe *ParseError
		switch {
		case err == nil:
			t.Errorf("Plan(%q) = nil, want an error", tc.doc)
		case tc.unsupported && !errors.As(err, &un), !tc.unsupported && !errors.As(err, &pe):
			t.Errorf("Plan(%q) = %T %v, want unsupported %v", tc.doc, err, err, tc.unsupported)
		case !strings.Contains(err.Error(), tc.want):
			t.Errorf("Plan(%q) = %v, want %q", tc.doc, err, tc.want)
		}
	}
}

// FuzzParsePlan: no document panics Parse or Plan.
func FuzzParsePlan(f *testing.F) {
	f.Add(`<Response><Gather numDigits="1"><Say>hi</Say></Gather><Dial><Sip>sip:a@b?X-A=1</Sip></Dial></Response>`)
	f.Add(`<Response><Record/><Redirect>/x</Redirect></Response>`)
	base, _ := url.Parse("https://app.example.com/voice")
	f.Fuzz(func(t *testing.T, s string) {
		doc, err := Parse([]byte(s), Limits{})
		if err != nil {
			return
		}
		_, _ = Plan(doc, PlanOptions{URL: base})
	})
}

// TestParseByteOrderMark: XML allows a UTF-8 document to start with a
// byte order mark (https://www.w3.org/TR/xml/#charencoding), and .NET's
// XmlWriter writes one by default; such a document was refused as "text
// outside the Response element". A document declared US-ASCII is UTF-8
// too.
func TestParseByteOrderMark(t *testing.T) {
	for _, doc := range []string{
		"\xEF\xBB\xBF<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<Response><Hangup/></Response>",
		"\xEF\xBB\xBF<Response><Hangup/></Response>",
		`<?xml version="1.0" encoding="US-ASCII"?><Response><Hangup/></Response>`,
	} {
		n, err := Parse([]byte(doc), Limits{})
		if err != nil || len(n.Children) != 1 || n.Children[0].Name != "Hangup" {
			t.Errorf("Parse(%q) = %v, %v; want <Response><Hangup/>", doc, n, err)
		}
	}
	// A mark anywhere but first is text, and Latin-1 is still refused.
	for _, doc := range []string{"<Response>\xEF\xBB\xBF<Hangup/></Response>", "\n\xEF\xBB\xBF<Response/>"} {
		if _, err := Parse([]byte(doc), Limits{}); err == nil {
			t.Errorf("Parse(%q) = nil, want an error", doc)
		}
	}
}
