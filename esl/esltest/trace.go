package esltest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/callhook/callhook/esl"
)

// Trace is a recorded per-call wire trace of a real call, in the .wire.txt
// format (esl.ReadWire): the commands the daemon sent (C>) and the frames
// FreeSWITCH sent (F>), in time order, starting after connect. It is what a
// daemon's callhook_trace log shows, so a trace taken from a real switch can
// be played back against the daemon (ReplayTrace) instead of the simulator.
type Trace struct {
	Name    string
	Entries []esl.WireFrame
}

// LoadTrace reads a trace file.
func LoadTrace(path string) (*Trace, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	entries, err := esl.ReadWire(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	name := path[strings.LastIndexByte(path, '/')+1:]
	return &Trace{Name: strings.TrimSuffix(name, ".txt"), Entries: entries}, nil
}

// Commands returns the trace's C> frames, parsed.
func (t *Trace) Commands() ([]esl.Command, error) {
	var out []esl.Command
	for i, e := range t.Entries {
		if e.Dir != "C>" {
			continue
		}
		cmd, err := esl.ParseCommand(e.Raw)
		if err != nil {
			return nil, fmt.Errorf("%s: entry %d: %w", t.Name, i+1, err)
		}
		out = append(out, cmd)
	}
	return out, nil
}

// FirstEvent returns the first event FreeSWITCH sent in the trace.
func (t *Trace) FirstEvent() (*esl.Event, error) {
	for _, e := range t.Entries {
		if e.Dir != "F>" {
			continue
		}
		f, _, err := esl.NewReader(bytes.NewReader(e.Raw), esl.Limits{}).ReadFrame()
		if err != nil {
			return nil, err
		}
		if f.ContentType() != esl.TypeEventPlain {
			continue
		}
		return esl.ParseEvent(f)
	}
	return nil, fmt.Errorf("%s: no event-plain frame", t.Name)
}

// ConnectReply builds the reply to connect that the trace leaves out: the
// channel data of an "async full" socket, taken from the call's first
// event. Like FreeSWITCH's (mod_event_socket.c, parse_command), it is the
// channel's headers and variables as a CHANNEL_DATA event, URL-encoded,
// without Content-Length, ending with Content-Type, Reply-Text, Socket-Mode
// and Control. The first event's Application* headers describe an app the
// call ran after connect, so they are left out.
func (t *Trace) ConnectReply() ([]byte, error) {
	first, err := t.FirstEvent()
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	for _, h := range first.Headers {
		switch {
		case h.Name == "Event-Name":
			b.WriteString("Event-Name: CHANNEL_DATA\n")
			continue
		case strings.HasPrefix(h.Name, "Application"), h.Name == "Content-Length":
			continue
		}
		fmt.Fprintf(&b, "%s: %s\n", h.Name, h.Raw) // as FreeSWITCH encoded it
	}
	b.WriteString("Content-Type: command/reply\nReply-Text: %2BOK%0A\nSocket-Mode: async\nControl: full\n\n")
	return b.Bytes(), nil
}

// ReplayOptions tune ReplayTrace.
type ReplayOptions struct {
	// BeforeCommand runs before the replay waits for the daemon's command
	// at a C> frame; it gets the command the trace has there. A test
	// triggers there what made the daemon send it (an admin hangup for an
	// "api uuid_kill"), in its own goroutine when that blocks on the reply.
	BeforeCommand func(want esl.Command)
	// AfterFrame runs after the F> frame at Entries[i] was written.
	AfterFrame func(i int)
	// Timeout bounds the wait for each command and for the daemon to close
	// the connection at the end (default 20s).
	Timeout time.Duration
}

// MismatchError is a command of the daemon that differs from the trace's.
type MismatchError struct {
	Index     int // 1-based, among the trace's C> frames
	Got, Want esl.Command
}

func (e *MismatchError) Error() string {
	return fmt.Sprintf("command %d: the daemon sent %q, the trace has %q",
		e.Index, commandText(e.Got), commandText(e.Want))
}

func commandText(c esl.Command) string {
	var b strings.Builder
	b.WriteString(c.Line)
	for _, h := range c.Headers {
		fmt.Fprintf(&b, "\n%s: %s", h.Name, h.Value)
	}
	if len(c.Body) > 0 {
		fmt.Fprintf(&b, "\n\n%s", c.Body)
	}
	return b.String()
}

// ReplayTrace plays FreeSWITCH's side of a trace against the daemon
// listening at addr. It connects as FreeSWITCH does, requires connect as
// the first command and answers it with ConnectReply, then walks the
// trace: each F> frame is written as it comes, and at each C> frame the
// replay waits for the daemon's next command and requires it to equal the
// trace's (the line, every header in order, the body). Two things differ
// from run to run and are mapped rather than compared: the daemon's fresh
// Event-UUID (the trace's one is rewritten, in the F> frames that follow, to
// the daemon's, which has the same length so every Content-Length holds),
// and nothing else: the channel's UUIDs come from the trace itself. After
// the last frame the daemon must close the connection without sending
// anything more.
func ReplayTrace(ctx context.Context, addr string, t *Trace, o ReplayOptions) error {
	if o.Timeout <= 0 {
		o.Timeout = 20 * time.Second
	}
	connect, err := t.ConnectReply()
	if err != nil {
		return err
	}
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return err
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Now()) })
	defer stop()

	r := esl.NewReader(conn, esl.Limits{})
	next := func() (esl.Command, error) {
		conn.SetReadDeadline(time.Now().Add(o.Timeout))
		cmd, _, err := r.ReadCommand()
		return cmd, err
	}
	cmd, err := next()
	if err != nil {
		return fmt.Errorf("waiting for connect: %w", err)
	}
	if cmd.Line != "connect" {
		return fmt.Errorf("first command %q, want connect", cmd.Line)
	}
	if _, err := conn.Write(connect); err != nil {
		return err
	}

	uuids := map[string]string{} // the trace's Event-UUID -> the daemon's
	n := 0
	for i, e := range t.Entries {
		switch e.Dir {
		case "F>":
			raw := e.Raw
			for from, to := range uuids {
				raw = bytes.ReplaceAll(raw, []byte(from), []byte(to))
			}
			if _, err := conn.Write(raw); err != nil {
				return fmt.Errorf("entry %d: writing F> frame: %w", i+1, err)
			}
			if o.AfterFrame != nil {
				o.AfterFrame(i)
			}
		case "C>":
			n++
			want, err := esl.ParseCommand(e.Raw)
			if err != nil {
				return fmt.Errorf("entry %d: %w", i+1, err)
			}
			if o.BeforeCommand != nil {
				o.BeforeCommand(want)
			}
			got, err := next()
			for err == nil && got.Line == "api show interfaces" && want.Line != got.Line {
				// The captures predate callhook's module check: the
				// switch is taken to have had what the trace shows it
				// using (traceInterfaces).
				if _, err = conn.Write(apiResponse(t.interfaces())); err == nil {
					got, err = next()
				}
			}
			if err != nil {
				return fmt.Errorf("command %d: waiting for the daemon's %q: %w", n, want.Line, err)
			}
			if id, ok := want.Headers.Lookup("Event-UUID"); ok {
				if mine, ok := got.Headers.Lookup("Event-UUID"); ok && len(mine) == len(id) {
					uuids[id] = mine
					want = withHeader(want, "Event-UUID", mine)
				}
			}
			if !sameCommand(got, want) {
				return &MismatchError{Index: n, Got: got, Want: want}
			}
		}
	}
	// FreeSWITCH closes the socket after the final disconnect notice; the
	// daemon must have nothing more to say.
	if cw, ok := conn.(interface{ CloseWrite() error }); ok {
		cw.CloseWrite()
	}
	got, err := next()
	switch {
	case err == nil:
		return fmt.Errorf("after the trace's last frame the daemon sent %q", commandText(got))
	case errors.Is(err, io.EOF), errors.Is(err, net.ErrClosed):
		return nil
	default:
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			return fmt.Errorf("the daemon did not close the connection after the trace's last frame")
		}
		return nil // reset by the peer: closed too
	}
}

// withHeader returns c with header name set to value (c's headers are not
// modified).
func withHeader(c esl.Command, name, value string) esl.Command {
	h := make(esl.Headers, len(c.Headers))
	copy(h, c.Headers)
	for i := range h {
		if h[i].Name == name {
			h[i].Value = value
		}
	}
	c.Headers = h
	return c
}

func sameCommand(a, b esl.Command) bool {
	if a.Line != b.Line || len(a.Headers) != len(b.Headers) || !bytes.Equal(a.Body, b.Body) {
		return false
	}
	for i := range a.Headers {
		if a.Headers[i] != b.Headers[i] {
			return false
		}
	}
	return true
}

// interfaces is `api show interfaces` for the switch a trace was captured
// on: the stock modules' interfaces, and every application, TTS engine
// and say module the trace's commands ran, since the switch ran them.
func (t *Trace) interfaces() string {
	sw := NewSwitch()
	var extra []string
	for _, e := range t.Entries {
		if e.Dir != "C>" {
			continue
		}
		cmd, err := esl.ParseCommand(e.Raw)
		if err != nil {
			continue
		}
		app := cmd.Headers.Get("execute-app-name")
		arg := cmd.Headers.Get("execute-app-arg")
		switch app {
		case "":
			continue
		case "speak":
			engine, _, _ := strings.Cut(arg, "|")
			sw.LoadModule("mod_" + engine)
		case "say":
			module, _, _ := strings.Cut(arg, " ")
			module, _, _ = strings.Cut(module, ":")
			sw.LoadModule("mod_say_" + module)
		}
		if _, ok := builtinApps[app]; !ok {
			extra = append(extra, app)
		}
	}
	return sw.showInterfaces(extra)
}

// apiResponse is an api/response frame with body.
func apiResponse(body string) []byte {
	return []byte("Content-Type: api/response\nContent-Length: " + strconv.Itoa(len(body)) + "\n\n" + body)
}
