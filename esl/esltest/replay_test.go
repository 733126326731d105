package esltest

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"testing/synctest"

	"github.com/callhook/callhook/esl"
)

// TestReplayCaptures drives the simulator with every capture's C> frames,
// in order, each sent only once the simulator has written the F> frames
// that preceded it in the capture, and compares what the simulator wrote
// with what FreeSWITCH wrote: the same frames in the same order, the same
// content types, every header name in order (variable_* included: the
// simulator reproduces FreeSWITCH's variable order exactly, so no set
// comparison is needed), reply texts and key values. UUIDs, times,
// sequence numbers and most values may differ.
func TestReplayCaptures(t *testing.T) {
	files, err := filepath.Glob("../testdata/*.wire.txt")
	if err != nil || len(files) == 0 {
		t.Fatalf("no captures in ../testdata: %v", err)
	}
	for _, path := range files {
		name := strings.TrimSuffix(filepath.Base(path), ".wire.txt")
		if name == "inbound-auth" {
			continue // TestReplayInboundAuth
		}
		t.Run(name, func(t *testing.T) {
			// In a synctest bubble over net.Pipe the simulator runs at
			// real speed (linger 5 s, a 3 s digit timeout) in fake time:
			// no wall-clock cost, and no race between the linger and an
			// exit the capture sent during it.
			synctest.Test(t, func(t *testing.T) { replay(t, path) })
		})
	}
}

// capture is a parsed .wire.txt.
type capture struct {
	entries []esl.WireFrame
	frames  []*esl.Frame // the F> frames, parsed
}

func loadCapture(t *testing.T, path string) *capture {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	entries, err := esl.ReadWire(data)
	if err != nil {
		t.Fatalf("ReadWire(%s): %v", path, err)
	}
	c := &capture{entries: entries}
	for _, e := range entries {
		if e.Dir == "F>" {
			c.frames = append(c.frames, parseFrame(t, e.Raw))
		}
	}
	return c
}

func parseFrame(t *testing.T, raw []byte) *esl.Frame {
	t.Helper()
	f, _, err := esl.NewReader(bytes.NewReader(raw), esl.Limits{}).ReadFrame()
	if err != nil {
		t.Fatalf("ReadFrame(%q): %v", clipBytes(raw), err)
	}
	return f
}

func clipBytes(b []byte) string {
	if len(b) > 80 {
		return string(b[:80]) + "…"
	}
	return string(b)
}

// parseEv parses an event frame (or the connect reply), nil for other frames.
func parseEv(t *testing.T, f *esl.Frame) *esl.Event {
	t.Helper()
	switch f.ContentType() {
	case esl.TypeEventPlain, esl.TypeEventJSON, esl.TypeEventXML:
	case esl.TypeCommandReply:
		if _, ok := f.Headers.Lookup("Event-Name"); !ok {
			return nil
		}
	default:
		return nil
	}
	e, err := esl.ParseEvent(f)
	if err != nil {
		t.Fatalf("ParseEvent: %v", err)
	}
	return e
}

// step is what the replay does at one capture entry.
type step struct {
	send   []byte      // a C> frame to write
	act    func(*Call) // a caller action at this point
	frames int         // F> frames that must have been written first
}

// scenario turns a capture into simulator options and a script. The call's
// identity (both UUIDs, caller id, destination, channel name) and mode come
// from the capture's connect reply, so the daemon's commands replay byte
// for byte; the CHANNEL_PARK race is set to where the capture had it
// (ParkAfter the commands before it, or ParkImmediately when it was
// missed). Caller actions (the # notes: uuid_send_dtmf, uuid_kill,
// uuid_broadcast on the A leg) happen inline when the capture shows the
// channel idle, and through OnApp when an app was running: then they reach
// that app as it starts, deterministically, where the capture had them a
// little later.
func scenario(t *testing.T, c *capture) (Options, []step) {
	t.Helper()
	conn := parseEv(t, c.frames[0])
	if conn == nil {
		t.Fatalf("first F> frame is not a connect reply")
	}
	o := Options{
		UUID:              conn.Get("Unique-ID"),
		CallerUUID:        conn.Var("other_loopback_leg_uuid"),
		CallerIDName:      conn.Get("Caller-Caller-ID-Name"),
		CallerIDNumber:    conn.Get("Caller-Caller-ID-Number"),
		DestinationNumber: conn.Get("Caller-Destination-Number"),
		ChannelName:       conn.Get("Channel-Name"),
		Park:              ParkImmediately,
	}
	switch mode, control := conn.Get("Socket-Mode"), conn.Get("Control"); {
	case mode == "async" && control == "full":
		o.Mode = ModeAsyncFull
	case mode == "async":
		o.Mode = ModeAsync
	default:
		o.Mode = ModeStatic
	}
	onApp := map[string]map[int][]func(*Call){}
	var steps []step
	frames, afterConnect, connected := 0, 0, false
	running := map[string]string{} // Application-UUID → app, while it runs
	starts := map[string]int{}     // app → CHANNEL_EXECUTE count
	var lastApp string
	for _, e := range c.entries {
		switch e.Dir {
		case "C>":
			steps = append(steps, step{send: e.Raw, frames: frames})
			if connected {
				afterConnect++
			}
			if bytes.HasPrefix(e.Raw, []byte("connect")) {
				connected = true
			}
		case "F>":
			ev := parseEv(t, c.frames[frames])
			frames++
			if ev == nil {
				continue
			}
			switch ev.Name() {
			case "CHANNEL_PARK":
				o.Park = ParkAfter(afterConnect)
			case "CHANNEL_EXECUTE":
				running[ev.AppUUID()] = ev.Application()
				starts[ev.Application()]++
				lastApp = ev.Application()
			case "CHANNEL_EXECUTE_COMPLETE":
				delete(running, ev.AppUUID())
			}
		case "#":
			act := noteAction(e.Note, o.CallerUUID)
			if act == nil {
				continue
			}
			if len(running) > 0 {
				n := starts[lastApp]
				if onApp[lastApp] == nil {
					onApp[lastApp] = map[int][]func(*Call){}
				}
				onApp[lastApp][n] = append(onApp[lastApp][n], act)
				continue
			}
			steps = append(steps, step{act: act, frames: frames})
		}
	}
	if o.Park == ParkAfter(0) {
		o.Park = ParkImmediately
	}
	if len(onApp) > 0 {
		seen := map[string]int{}
		o.OnApp = func(c *Call, run AppRun) {
			seen[run.App]++
			for _, act := range onApp[run.App][seen[run.App]] {
				act(c)
			}
		}
	}
	return o, steps
}

// noteAction maps a capture note about the caller's leg to a Call method.
func noteAction(note, callerUUID string) func(*Call) {
	f := strings.Fields(note)
	if len(f) < 3 || f[0] != "api" || f[2] != callerUUID {
		return nil
	}
	switch f[1] {
	case "uuid_send_dtmf":
		digits := f[3]
		return func(c *Call) { c.Digits(digits) }
	case "uuid_kill":
		return func(c *Call) { c.Hangup("") }
	case "uuid_broadcast":
		return func(c *Call) { c.Talk(toneDuration(strings.TrimPrefix(f[3], "tone_stream://"))) }
	}
	return nil
}

// daemonConn accepts the simulator's connection and keeps every byte it
// sends until it closes.
func daemonConn(t *testing.T) (addr string, conn <-chan net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	ch := make(chan net.Conn, 1)
	go func() {
		nc, err := ln.Accept()
		if err != nil {
			close(ch)
			return
		}
		ch <- nc
	}()
	return ln.Addr().String(), ch
}

func replay(t *testing.T, path string) {
	capt := loadCapture(t, path)
	o, steps := scenario(t, capt)
	ctx := t.Context()
	simEnd, nc := net.Pipe()
	call := NewCall(simEnd, o)
	t.Cleanup(func() { call.Close() })
	defer nc.Close()
	got := make(chan []byte, 1)
	go func() {
		b, _ := io.ReadAll(nc)
		got <- b
	}()
	for i, s := range steps {
		written, err := call.WaitFrames(ctx, s.frames)
		if err != nil || len(written) < s.frames {
			t.Fatalf("step %d: simulator wrote %d frames, capture had %d before this step (%v)\n%s",
				i, len(written), s.frames, err, frameSummary(written))
		}
		if s.act != nil {
			s.act(call)
			continue
		}
		if _, err := nc.Write(s.send); err != nil {
			t.Fatalf("step %d: write %q: %v", i, clipBytes(s.send), err)
		}
	}
	if _, err := call.Wait(ctx); err != nil {
		t.Fatalf("Wait: %v\nwritten so far:\n%s", err, frameSummary(call.Written()))
	}
	written := call.Written()
	for i := range max(len(written), len(capt.frames)) {
		if i >= len(written) || i >= len(capt.frames) {
			t.Errorf("simulator wrote %d frames, capture has %d\nsimulator:\n%s\ncapture:\n%s",
				len(written), len(capt.frames), frameSummary(written), frameSummary(capt.frames))
			break
		}
		compareFrame(t, i, capt.frames[i], written[i])
	}
	var wire bytes.Buffer
	for _, f := range written {
		wire.Write(f.Encode())
	}
	if b := <-got; !bytes.Equal(b, wire.Bytes()) {
		t.Errorf("the daemon received %d bytes, Written() encodes to %d", len(b), wire.Len())
	}
}

// frameSummary lists frames one a line for failure messages.
func frameSummary(fs []*esl.Frame) string {
	var b strings.Builder
	for i, f := range fs {
		desc := f.ContentType() + " " + f.ReplyText() + " " + f.Headers.Get("Content-Disposition")
		if ev, err := esl.ParseEvent(f); err == nil && ev.Name() != "" {
			desc = f.ContentType() + " " + ev.Name() + " " + ev.Application()
		}
		fmt.Fprintf(&b, "  %2d %s\n", i, desc)
	}
	return b.String()
}

var (
	uuidRE  = regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`)
	digitRE = regexp.MustCompile(`[0-9]+`)
	stampRE = regexp.MustCompile(`^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+ `)
)

// keyValues are event headers whose values must match the capture's.
var keyValues = []string{
	"Event-Name", "Event-Subclass", "Event-Calling-Function", "Channel-State", "Channel-Call-State",
	"Channel-State-Number", "Answer-State", "Hangup-Cause", "Application", "Application-Response",
	"DTMF-Digit", "DTMF-Duration", "DTMF-Source", "Job-Command", "Socket-Mode", "Control",
	"Reply-Text", "Content-Type", "Other-Type", "Caller-Callee-ID-Number",
	"variable_read_result", "variable_callhook_digits", "variable_playback_terminator_used",
	"variable_silence_hits_exhausted", "variable_originate_disposition", "variable_DIALSTATUS",
	"variable_hangup_cause", "variable_endpoint_disposition", "variable_current_application",
}

func compareFrame(t *testing.T, i int, want, got *esl.Frame) {
	t.Helper()
	if w, g := want.ContentType(), got.ContentType(); w != g {
		t.Errorf("frame %d: Content-Type = %q, want %q", i, g, w)
		return
	}
	if w, g := headerNames(want.Headers), headerNames(got.Headers); !slices.Equal(w, g) {
		t.Errorf("frame %d (%s): header names = %q, want %q", i, want.ContentType(), g, w)
	}
	we, ge := parseEv(t, want), parseEv(t, got)
	switch {
	case we != nil:
		compareEvent(t, i, we, ge)
	case want.ContentType() == esl.TypeCommandReply:
		if w, g := uuidRE.ReplaceAllString(want.ReplyText(), "<uuid>"), uuidRE.ReplaceAllString(got.ReplyText(), "<uuid>"); w != g {
			t.Errorf("frame %d: Reply-Text = %q, want %q", i, g, w)
		}
	case want.ContentType() == esl.TypeAPIResponse:
		norm := func(b []byte) string {
			return digitRE.ReplaceAllString(uuidRE.ReplaceAllString(string(b), "<uuid>"), "N")
		}
		if w, g := norm(want.Body), norm(got.Body); w != g {
			t.Errorf("frame %d: api/response body = %q, want %q", i, g, w)
		}
	case want.ContentType() == esl.TypeLogData:
		for _, h := range []string{"Log-Level", "Text-Channel", "Log-File", "Log-Func", "Log-Line"} {
			if w, g := want.Headers.Get(h), got.Headers.Get(h); w != g {
				t.Errorf("frame %d: log/data %s = %q, want %q", i, h, g, w)
			}
		}
		norm := func(b []byte) string {
			return uuidRE.ReplaceAllString(stampRE.ReplaceAllString(string(b), ""), "<uuid>")
		}
		if w, g := norm(want.Body), norm(got.Body); w != g {
			t.Errorf("frame %d: log/data body = %q, want %q", i, g, w)
		}
	case want.ContentType() == esl.TypeDisconnectNotice:
		for _, h := range []string{"Content-Disposition", "Linger-Time", "Channel-Name", "Controlled-Session-UUID"} {
			if w, g := want.Headers.Get(h), got.Headers.Get(h); w != g {
				t.Errorf("frame %d: notice %s = %q, want %q", i, h, g, w)
			}
		}
		if !bytes.Equal(want.Body, got.Body) {
			t.Errorf("frame %d: notice body = %q, want %q", i, got.Body, want.Body)
		}
	}
}

func compareEvent(t *testing.T, i int, want, got *esl.Event) {
	t.Helper()
	if got == nil {
		t.Errorf("frame %d: not an event, want %s", i, want.Name())
		return
	}
	w, g := eventNames(want), eventNames(got)
	if !slices.Equal(w, g) {
		t.Errorf("frame %d (%s %s): header names differ:\n%s", i, want.Name(), want.Application(), nameDiff(w, g))
	}
	for _, h := range keyValues {
		wv, wok := want.Lookup(h)
		gv, gok := got.Lookup(h)
		if wok != gok || wv != gv {
			t.Errorf("frame %d (%s): %s = %q (present %t), want %q (present %t)", i, want.Name(), h, gv, gok, wv, wok)
		}
	}
	if (len(want.Body) > 0) != (len(got.Body) > 0) {
		t.Errorf("frame %d (%s): body %q, want %q", i, want.Name(), got.Body, want.Body)
	}
}

func headerNames(h esl.Headers) []string {
	out := make([]string, len(h))
	for i, x := range h {
		out[i] = x.Name
	}
	return out
}

func eventNames(e *esl.Event) []string {
	out := make([]string, len(e.Headers))
	for i, x := range e.Headers {
		out[i] = x.Name
	}
	return out
}

// nameDiff shows where two header name lists part.
func nameDiff(want, got []string) string {
	var b strings.Builder
	missing, extra := []string{}, []string{}
	for _, n := range want {
		if !slices.Contains(got, n) {
			missing = append(missing, n)
		}
	}
	for _, n := range got {
		if !slices.Contains(want, n) {
			extra = append(extra, n)
		}
	}
	fmt.Fprintf(&b, "  missing: %q\n  extra: %q\n", missing, extra)
	wc := slices.DeleteFunc(slices.Clone(want), func(n string) bool { return slices.Contains(missing, n) })
	gc := slices.DeleteFunc(slices.Clone(got), func(n string) bool { return slices.Contains(extra, n) })
	for k := range min(len(wc), len(gc)) {
		if wc[k] != gc[k] {
			fmt.Fprintf(&b, "  order parts at %d: got %q, want %q\n", k, gc[k:min(k+4, len(gc))], wc[k:min(k+4, len(wc))])
			break
		}
	}
	return b.String()
}
