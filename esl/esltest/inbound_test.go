package esltest

import (
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/callhook/callhook/esl"
)

// inbound connects to s and returns a daemon-side reader over it.
func inbound(t *testing.T, s *InboundServer) *daemon {
	t.Helper()
	nc, err := net.Dial("tcp", s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	return &daemon{t: t, nc: nc, r: esl.NewReader(nc, esl.Limits{})}
}

// TestReplayInboundAuth replays inbound-auth: a refused password (-ERR
// invalid, the short disconnect notice, close), then a good one with event,
// api status and exit.
func TestReplayInboundAuth(t *testing.T) {
	capt := loadCapture(t, "../testdata/inbound-auth.wire.txt")
	s, err := NewInboundServer("ClueCon")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	var d *daemon
	frame := 0
	for _, e := range capt.entries {
		switch {
		case e.Dir == "#" && strings.Contains(e.Note, "connected to 127.0.0.1:8021"):
			if d != nil {
				if f, err := d.readWire(); !errors.Is(err, io.EOF) {
					t.Fatalf("connection not closed: %v %v", f, err)
				}
			}
			d = inbound(t, s)
		case e.Dir == "C>":
			d.send(string(e.Raw))
		case e.Dir == "F>":
			compareFrame(t, frame, capt.frames[frame], d.read())
			frame++
		}
	}
	if f, err := d.readWire(); !errors.Is(err, io.EOF) {
		t.Fatalf("connection not closed after exit: %v %v", f, err)
	}
}

// TestInboundAttach checks an inbound listener against an attached call:
// system-wide events (both loopback legs), api on either leg's UUID,
// sendmsg to the call, and uuid_kill hanging it up.
func TestInboundAttach(t *testing.T) {
	s, err := NewInboundServer("ClueCon")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	c, d := connected(t, Options{UUID: fixedUUID, Park: ParkImmediately}, "")
	s.Attach(c)
	in := inbound(t, s)
	if f := in.read(); f.ContentType() != esl.TypeAuthRequest {
		t.Fatalf("first frame = %s, want auth/request", f.ContentType())
	}
	if r := in.cmd("auth ClueCon").ReplyText(); r != "+OK accepted" {
		t.Fatalf("auth = %q", r)
	}
	in.cmd("event plain CHANNEL_ANSWER CHANNEL_HANGUP BACKGROUND_JOB")
	d.cmd(execute("answer", ""))
	a, b := ev(t, in.read()), ev(t, in.read())
	if a.UniqueID() != c.CallerUUID() || b.UniqueID() != fixedUUID {
		t.Errorf("CHANNEL_ANSWER for %s then %s, want the caller's leg then ours", a.UniqueID(), b.UniqueID())
	}
	for _, tc := range []struct{ cmd, want string }{
		{"api uuid_getvar " + fixedUUID + " loopback_leg", "B"},
		{"api uuid_getvar " + c.CallerUUID() + " loopback_leg", "A"},
		{"api uuid_getvar 00000000-0000-0000-0000-000000000000 x", "-ERR No such channel!\n"},
		{"api nosuch", "-ERR nosuch Command not found!\n"},
		{"api version", fsVersion + "\n"},
	} {
		if got := string(in.cmd(tc.cmd).Body); got != tc.want {
			t.Errorf("%q = %q, want %q", tc.cmd, got, tc.want)
		}
	}
	if r := in.cmd("sendmsg " + fixedUUID + "\ncall-command: execute\nexecute-app-name: set\nexecute-app-arg: from=inbound").ReplyText(); r != "+OK" {
		t.Errorf("inbound sendmsg = %q", r)
	}
	if _, err := c.WaitApp(t.Context(), "set"); err != nil {
		t.Fatal(err)
	}
	if r := in.cmd("sendmsg 00000000-0000-0000-0000-000000000000\ncall-command: hangup").ReplyText(); !strings.HasPrefix(r, "-ERR invalid session id") {
		t.Errorf("sendmsg to an unknown uuid = %q", r)
	}
	bg := in.cmd("bgapi status")
	job, _ := in.until("BACKGROUND_JOB")
	if e := ev(t, job); e.JobUUID() != bg.Headers.Get("Job-UUID") || e.Get("Job-Owner-UUID") != "" {
		t.Errorf("BACKGROUND_JOB Job-UUID %q owner %q", e.JobUUID(), e.Get("Job-Owner-UUID"))
	}
	if got := string(in.cmd("api uuid_kill " + fixedUUID).Body); got != "+OK\n" {
		t.Errorf("uuid_kill = %q", got)
	}
	if f, _ := in.until("CHANNEL_HANGUP"); ev(t, f).UniqueID() != fixedUUID {
		t.Error("CHANNEL_HANGUP is not our channel's")
	}
	r, err := c.Wait(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if r.By != ByAPI {
		t.Errorf("result = %v, want hung up by api", r)
	}
	if v, _ := c.Var("from"); v != "inbound" {
		t.Errorf("Var(from) = %q, want inbound", v)
	}
	if got := string(in.cmd("api uuid_getvar " + fixedUUID + " x").Body); got != "-ERR No such channel!\n" {
		t.Errorf("uuid_getvar after the call ended = %q", got)
	}
	if r := in.cmd("exit").ReplyText(); r != "+OK bye" {
		t.Errorf("exit = %q", r)
	}
	_ = in.nc.SetReadDeadline(time.Now().Add(guard))
	wantNames(t, "after exit", in.rest(), "notice:")
}

// TestInboundRejectsBeforeAuth checks that nothing but auth and exit works
// before authentication.
func TestInboundRejectsBeforeAuth(t *testing.T) {
	s, err := NewInboundServer("secret")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	in := inbound(t, s)
	in.read()
	if r := in.cmd("api version").ReplyText(); r != "-ERR command not found" {
		t.Errorf("api before auth = %q, want -ERR command not found", r)
	}
	if r := in.cmd("auth ClueCon").ReplyText(); r != "-ERR invalid" {
		t.Errorf("auth with a wrong password = %q", r)
	}
	wantNames(t, "after refusal", in.rest(), "notice:")
}
