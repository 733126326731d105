package esltest

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/callhook/callhook/esl"
)

// miniTrace is a short call in the trace format: an answer, then a hangup
// and the tail. The answer's Event-UUID comes back in two events.
const miniTrace = `--- +1 C>
linger 30

--- +1 F>
Content-Type: command/reply
Reply-Text: +OK will linger 30 seconds

--- +2 C>
sendmsg
call-command: execute
execute-app-name: answer
event-lock: true
Event-UUID: 11111111-2222-4333-8444-555555555555

--- +2 F>
Content-Type: command/reply
Reply-Text: +OK

--- +3 F>
Content-Length: %d
Content-Type: text/event-plain

%s--- +4 F>
Content-Length: %d
Content-Type: text/event-plain

%s--- +5 C>
exit

--- +5 F>
Content-Type: command/reply
Reply-Text: +OK bye

--- +5 F>
Content-Type: text/disconnect-notice
Controlled-Session-UUID: 9a7c5b1e-0000-4000-8000-000000000001
Content-Disposition: disconnect
Content-Length: 0

`

func miniEvent(name, extra string) string {
	return "Event-Name: " + name + "\nUnique-ID: 9a7c5b1e-0000-4000-8000-000000000001\n" +
		"Caller-Caller-ID-Number: 1000\nvariable_callhook_app: x%20y\n" + extra + "\n"
}

func writeMiniTrace(t *testing.T) *Trace {
	t.Helper()
	ex := miniEvent("CHANNEL_EXECUTE", "Application: answer\nApplication-UUID: 11111111-2222-4333-8444-555555555555\n")
	done := miniEvent("CHANNEL_EXECUTE_COMPLETE", "Application: answer\nApplication-Response: _none_\nApplication-UUID: 11111111-2222-4333-8444-555555555555\n")
	path := filepath.Join(t.TempDir(), "mini.txt")
	if err := os.WriteFile(path, fmt.Appendf(nil, miniTrace, len(ex), ex, len(done), done), 0o600); err != nil {
		t.Fatal(err)
	}
	tr, err := LoadTrace(path)
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

// fakeDaemon accepts one connection, sends connect and then cmds, each
// after the frames the trace has before it; it returns the frames it read.
func fakeDaemon(t *testing.T, cmds []string) (addr string, got <-chan []*esl.Frame) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	out := make(chan []*esl.Frame, 1)
	go func() {
		var frames []*esl.Frame
		defer func() { out <- frames }()
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(20 * time.Second))
		r := esl.NewReader(c, esl.Limits{})
		read := func(n int) bool {
			for range n {
				f, _, err := r.ReadFrame()
				if err != nil {
					return false
				}
				frames = append(frames, f)
			}
			return true
		}
		c.Write([]byte("connect\n\n"))
		read(1)
		// linger: 1 reply; answer: +OK and two events; exit: +OK bye
		// and the notice.
		for i, cmd := range cmds {
			c.Write([]byte(cmd))
			if !read([]int{1, 3, 2, 0}[min(i, 3)]) {
				return
			}
		}
	}()
	return ln.Addr().String(), out
}

const myAnswer = "sendmsg\ncall-command: execute\nexecute-app-name: answer\nevent-lock: true\nEvent-UUID: aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee\n\n"

func TestReplayTrace(t *testing.T) {
	tr := writeMiniTrace(t)
	addr, got := fakeDaemon(t, []string{"linger 30\n\n", myAnswer, "exit\n\n"})
	if err := ReplayTrace(t.Context(), addr, tr, ReplayOptions{Timeout: 5 * time.Second}); err != nil {
		t.Fatalf("ReplayTrace: %v", err)
	}
	frames := <-got
	if len(frames) != 1+1+3+2 {
		t.Fatalf("the daemon read %d frames, want 7", len(frames))
	}
	conn, err := esl.ParseEvent(frames[0])
	if err != nil {
		t.Fatalf("connect reply: %v", err)
	}
	for name, want := range map[string]string{
		"Event-Name": "CHANNEL_DATA", "Unique-ID": "9a7c5b1e-0000-4000-8000-000000000001",
		"Socket-Mode": "async", "Control": "full", "Reply-Text": "+OK\n", "variable_callhook_app": "x y",
	} {
		if v := conn.Get(name); v != want {
			t.Errorf("connect reply %s = %q, want %q", name, v, want)
		}
	}
	if _, ok := conn.Lookup("Application"); ok {
		t.Errorf("connect reply has the first event's Application header")
	}
	for _, i := range []int{3, 4} {
		ev, err := esl.ParseEvent(frames[i])
		if err != nil {
			t.Fatal(err)
		}
		if id := ev.AppUUID(); id != "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee" {
			t.Errorf("%s Application-UUID = %s, want the daemon's Event-UUID", ev.Name(), id)
		}
	}
}

func TestReplayTraceMismatch(t *testing.T) {
	tr := writeMiniTrace(t)
	tests := []struct {
		name string
		cmds []string
		want string
	}{
		{"other command", []string{"linger 20\n\n"}, `command 1: the daemon sent "linger 20"`},
		{"other header", []string{"linger 30\n\n", strings.Replace(myAnswer, "answer", "pre_answer", 1)}, "command 2"},
		{"extra command", []string{"linger 30\n\n", myAnswer, "exit\n\n", "noevents\n\n"}, `after the trace's last frame the daemon sent "noevents"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			addr, _ := fakeDaemon(t, tc.cmds)
			err := ReplayTrace(t.Context(), addr, tr, ReplayOptions{Timeout: 5 * time.Second})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("ReplayTrace = %v, want an error with %q", err, tc.want)
			}
			var me *MismatchError
			if tc.name != "extra command" && !errors.As(err, &me) {
				t.Errorf("ReplayTrace error %T, want *MismatchError", err)
			}
		})
	}
}

// TestConnectReplyOfRealTrace: the channel data built from a real trace's
// first event parses as a connect reply naming the traced call.
func TestConnectReplyOfRealTrace(t *testing.T) {
	tr, err := LoadTrace("../testdata/real-traces/menu.txt")
	if err != nil {
		t.Fatal(err)
	}
	raw, err := tr.ConnectReply()
	if err != nil {
		t.Fatal(err)
	}
	f, n, err := esl.NewReader(bytes.NewReader(raw), esl.Limits{}).ReadFrame()
	if err != nil || n != len(raw) {
		t.Fatalf("ReadFrame(connect reply) = %d bytes of %d, %v", n, len(raw), err)
	}
	ev, err := esl.ParseEvent(f)
	if err != nil {
		t.Fatal(err)
	}
	if ev.UniqueID() != "e4d39b97-ab75-46a1-87dc-837e918c0c57" || ev.Var("callhook_app") != "menu" || ev.Get("Caller-Destination-Number") != "7600" {
		t.Errorf("connect reply: Unique-ID %s, callhook_app %s, destination %s; want the menu call's",
			ev.UniqueID(), ev.Var("callhook_app"), ev.Get("Caller-Destination-Number"))
	}
	cmds, err := tr.Commands()
	if err != nil || len(cmds) != 8 || cmds[0].Line != "linger 30" || cmds[7].Line != "exit" {
		t.Errorf("Commands() = %d commands (%v), want menu's 8 from linger to exit", len(cmds), err)
	}
}
