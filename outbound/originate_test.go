package outbound

import (
	"strings"
	"testing"
	"time"
)

func TestOriginateCommand(t *testing.T) {
	o := Originate{UUID: "0b6d7f8e-1c2d-4e5f-8a9b-0c1d2e3f4a5b", Instance: "host1", App: "reminder", Token: "k1", ConnectBack: "192.0.2.10:8084",
		Req: &Request{To: "sofia/gateway/gw1/+15551234567", From: "+15550100", FromName: "Dr Smith", Timeout: 30,
			Vars: map[string]string{"order": "A-17", "lang": "en"}}}
	got, err := o.Command()
	if err != nil {
		t.Fatal(err)
	}
	want := "originate {origination_uuid=0b6d7f8e-1c2d-4e5f-8a9b-0c1d2e3f4a5b,callhook_instance=host1,callhook_app=reminder,callhook_placed=k1,originate_timeout=30," +
		"origination_caller_id_number=+15550100,origination_caller_id_name='Dr Smith',lang=en,order=A-17}sofia/gateway/gw1/+15551234567" +
		" '&socket(192.0.2.10:8084 async full)'"
	if got != want {
		t.Errorf("Command() =\n%s\nwant\n%s", got, want)
	}
	o.ConnectBack = "::1:8084" // IPv6 as socket_function reads it: port after the last ':'
	o.Req.From, o.Req.FromName, o.Req.Vars = "", "", nil
	got, err = o.Command()
	if err != nil || !strings.HasSuffix(got, "}sofia/gateway/gw1/+15551234567 '&socket(::1:8084 async full)'") ||
		strings.Contains(got, "caller_id") {
		t.Errorf("Command() = %q, %v", got, err)
	}
}

// TestOriginateCommandRefuses checks that the builder refuses, on its own,
// every value that could change how originate splits the command, even
// one that Check was not asked about.
func TestOriginateCommandRefuses(t *testing.T) {
	base := func() Originate {
		return Originate{UUID: "u1", Instance: "i1", App: "a1", Token: "k1", ConnectBack: "127.0.0.1:8084", Req: &Request{To: "user/1000", Timeout: 60}}
	}
	for _, tc := range []struct {
		name string
		edit func(o *Originate)
	}{
		{"space in to", func(o *Originate) { o.Req.To = "user/1000 &park" }},
		{"quote in to", func(o *Originate) { o.Req.To = "user/1000'" }},
		{"brace in to", func(o *Originate) { o.Req.To = "{a=b}user/1000" }},
		{"comma in to", func(o *Originate) { o.Req.To = "user/1000,user/1001" }},
		{"pipe in to", func(o *Originate) { o.Req.To = "user/1000|user/1001" }},
		{"caret in to", func(o *Originate) { o.Req.To = "^^:user/1000" }},
		{"dollar in to", func(o *Originate) { o.Req.To = "user/${x}" }},
		{"newline in to", func(o *Originate) { o.Req.To = "user/1000\nbgapi x" }},
		{"paren in to", func(o *Originate) { o.Req.To = "user/1000)" }},
		{"backslash in to", func(o *Originate) { o.Req.To = `user/1000\ x` }},
		{"long to", func(o *Originate) { o.Req.To = "user/" + strings.Repeat("1", 300) }},
		{"quote in from_name", func(o *Originate) { o.Req.FromName = "a' b" }},
		{"comma in from_name", func(o *Originate) { o.Req.FromName = "a,b" }},
		{"brace in from", func(o *Originate) { o.Req.From = "1}" }},
		{"comma in a value", func(o *Originate) { o.Req.Vars = map[string]string{"x": "a,b"} }},
		{"brace in a value", func(o *Originate) { o.Req.Vars = map[string]string{"x": "}"} }},
		{"space in a name", func(o *Originate) { o.Req.Vars = map[string]string{"a b": "1"} }},
		{"equals in a name", func(o *Originate) { o.Req.Vars = map[string]string{"a=b": "1"} }},
		{"host name connect_back", func(o *Originate) { o.ConnectBack = "callhook:8084" }},
		{"connect_back with a space", func(o *Originate) { o.ConnectBack = "127.0.0.1:8084 async" }},
		{"bad uuid", func(o *Originate) { o.UUID = "u,1" }},
		{"bad app", func(o *Originate) { o.App = "a}" }},
		{"no token", func(o *Originate) { o.Token = "" }},
		{"bad token", func(o *Originate) { o.Token = "k,x=y" }},
		{"timeout", func(o *Originate) { o.Req.Timeout = 0 }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := base()
			tc.edit(&o)
			if got, err := o.Command(); err == nil {
				t.Errorf("Command() = %q, want an error", got)
			}
		})
	}
}

func TestBucket(t *testing.T) {
	var b bucket
	now := mustTime(t)
	for i := range 3 {
		if ok, _ := b.take(3, now); !ok {
			t.Fatalf("take %d of 3 in one instant refused", i+1)
		}
	}
	ok, wait := b.take(3, now)
	if ok || wait <= 0 {
		t.Fatalf("fourth take = %v, %v; want refused with a wait", ok, wait)
	}
	if ok, _ := b.take(3, now.Add(wait)); !ok {
		t.Errorf("take after the wait refused")
	}
}

func mustTime(t *testing.T) (now time.Time) {
	t.Helper()
	return time.Unix(1700000000, 0)
}
