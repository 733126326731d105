package twiml

import "testing"

// A Twilio API request's To becomes a dial string by Dial's nouns' rules.
func TestDialRulesTarget(t *testing.T) {
	r := DialRules{Number: "sofia/gateway/out/{number}"}
	for _, tc := range []struct{ to, want string }{
		{"+15551230001", "sofia/gateway/out/+15551230001"},
		{"1000", "sofia/gateway/out/1000"},
		{"client:alice", "user/alice"},
		{"sip:bob@example.com", "sofia/external/sip:bob@example.com"},
		{"+", ""},
		{"1+2", ""},
		{"+1555 0001", ""},
		{"client:a b", ""},
		{"sip:bob@example.com?X-A=1", ""},
		{"", ""},
	} {
		got, err := r.Target(tc.to)
		if got != tc.want || (err == nil) != (tc.want != "") {
			t.Errorf("Target(%q) = %q, %v; want %q", tc.to, got, err, tc.want)
		}
	}
	if _, err := (DialRules{}).Target("+15551230001"); err == nil {
		t.Error("Target of a number without dial.number: no error")
	}
}
