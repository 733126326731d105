package esltest

import (
	"bytes"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/callhook/callhook/esl"
)

// guard bounds every blocking read in the tests. It is a failure guard
// only: nothing waits for it to pass.
const guard = 10 * time.Second

// daemon is a hand-written daemon side: raw command bytes out, frames in.
type daemon struct {
	t      *testing.T
	nc     net.Conn
	r      *esl.Reader
	events []*esl.Frame // frames read while looking for something else
}

// start dials a simulated call into a fresh listener and returns both ends.
func start(t *testing.T, o Options) (*Call, *daemon) {
	t.Helper()
	if o.Speed == 0 {
		o.Speed = 1000
	}
	addr, accepted := daemonConn(t)
	c, err := Dial(t.Context(), addr, o)
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	nc := <-accepted
	if nc == nil {
		t.Fatal("accept failed")
	}
	t.Cleanup(func() { nc.Close() })
	return c, &daemon{t: t, nc: nc, r: esl.NewReader(nc, esl.Limits{})}
}

// send writes one command; text without a blank line end gets one.
func (d *daemon) send(text string) {
	d.t.Helper()
	if !strings.HasSuffix(text, "\n\n") {
		text = strings.TrimRight(text, "\n") + "\n\n"
	}
	if _, err := io.WriteString(d.nc, text); err != nil {
		d.t.Fatalf("write %q: %v", text, err)
	}
}

// read returns the next frame (queued ones first).
func (d *daemon) read() *esl.Frame {
	d.t.Helper()
	if len(d.events) > 0 {
		f := d.events[0]
		d.events = d.events[1:]
		return f
	}
	f, err := d.readWire()
	if err != nil {
		d.t.Fatalf("read frame: %v", err)
	}
	return f
}

func (d *daemon) readWire() (*esl.Frame, error) {
	_ = d.nc.SetReadDeadline(time.Now().Add(guard))
	f, _, err := d.r.ReadFrame()
	return f, err
}

// cmd sends text and returns its reply; frames before it are kept for
// later reads (they are events that raced the reply).
func (d *daemon) cmd(text string) *esl.Frame {
	d.t.Helper()
	d.send(text)
	for {
		f, err := d.readWire()
		if err != nil {
			d.t.Fatalf("reply to %q: %v", text, err)
		}
		if f.IsReply() {
			return f
		}
		d.events = append(d.events, f)
	}
}

// until reads frames until one is the event name (or the notice with that
// disposition), and returns it with the frames skipped on the way.
func (d *daemon) until(name string) (*esl.Frame, []*esl.Frame) {
	d.t.Helper()
	var skipped []*esl.Frame
	for {
		f := d.read()
		if frameName(f) == name {
			return f, skipped
		}
		skipped = append(skipped, f)
	}
}

// rest reads every frame until the simulator closes the connection.
func (d *daemon) rest() []*esl.Frame {
	d.t.Helper()
	out := d.events
	d.events = nil
	for {
		f, err := d.readWire()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			d.t.Fatalf("read to EOF: %v (after %s)", err, names(out))
		}
		out = append(out, f)
	}
}

// frameName is an event's Event-Name, a notice's "notice:<disposition>",
// or the content type.
func frameName(f *esl.Frame) string {
	switch f.ContentType() {
	case esl.TypeEventPlain, esl.TypeEventJSON, esl.TypeEventXML:
		if e, err := esl.ParseEvent(f); err == nil {
			if app := e.Application(); app != "" {
				return e.Name() + "(" + app + ")"
			}
			return e.Name()
		}
	case esl.TypeDisconnectNotice:
		return "notice:" + f.Headers.Get("Content-Disposition")
	}
	return f.ContentType()
}

// names lists frameName of each frame.
func names(fs []*esl.Frame) string {
	var b strings.Builder
	for i, f := range fs {
		if i > 0 {
			b.WriteString(" ")
		}
		b.WriteString(frameName(f))
	}
	return b.String()
}

// ev parses an event frame.
func ev(t *testing.T, f *esl.Frame) *esl.Event {
	t.Helper()
	e, err := esl.ParseEvent(f)
	if err != nil {
		t.Fatalf("ParseEvent(%s): %v", frameName(f), err)
	}
	return e
}

// connected dials and completes connect + myevents (+ linger when set).
func connected(t *testing.T, o Options, linger string) (*Call, *daemon) {
	t.Helper()
	c, d := start(t, o)
	if f := d.cmd("connect"); f.ReplyText() != "%2BOK%0A" {
		t.Fatalf("connect: Reply-Text = %q, want %q", f.ReplyText(), "%2BOK%0A")
	}
	if r := d.cmd("myevents").ReplyText(); r != "+OK Events Enabled" {
		t.Fatalf("myevents = %q", r)
	}
	if linger != "" {
		d.cmd(linger)
	}
	return c, d
}

// execute sends an event-locked execute with a fresh Event-UUID.
func execute(app, arg string, extra ...string) string {
	var b bytes.Buffer
	b.WriteString("sendmsg\ncall-command: execute\nexecute-app-name: " + app + "\n")
	if arg != "" {
		b.WriteString("execute-app-arg: " + arg + "\n")
	}
	b.WriteString("event-lock: true\nEvent-UUID: " + esl.NewUUID() + "\n")
	for _, h := range extra {
		b.WriteString(h + "\n")
	}
	b.WriteString("\n")
	return b.String()
}

const hangupCmd = "sendmsg\ncall-command: hangup\nhangup-cause: NORMAL_CLEARING\n\n"

// wantNames fails unless the frames' names are exactly want.
func wantNames(t *testing.T, what string, fs []*esl.Frame, want string) {
	t.Helper()
	if got := names(fs); got != want {
		t.Errorf("%s = %s\nwant %s", what, got, want)
	}
}
