package replay

import (
	"bufio"
	"io"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"
)

// readFrame is one frame as a daemon reads it: its outer headers and body.
type readFrame struct {
	headers map[string]string
	body    string
}

func readOne(t *testing.T, r *bufio.Reader) readFrame {
	t.Helper()
	f := readFrame{headers: map[string]string{}}
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			t.Fatalf("read: %v", err)
		}
		line = strings.TrimSuffix(line, "\n")
		if line == "" {
			break
		}
		k, v, _ := strings.Cut(line, ": ")
		f.headers[k] = v
	}
	if n, _ := strconv.Atoi(f.headers["Content-Length"]); n > 0 {
		b := make([]byte, n)
		if _, err := io.ReadFull(r, b); err != nil {
			t.Fatalf("body: %v", err)
		}
		f.body = string(b)
	}
	return f
}

// TestReplayAnswersWithTheTrace plays the daemon by hand: the connect
// reply carries the call's UUID and app, an execute gets the recorded
// events framed by their new lengths with the execute's UUID, name and
// URL-encoded argument put in, and nothing of the recorded call's own
// UUIDs is left.
func TestReplayAnswersWithTheTrace(t *testing.T) {
	a, b := net.Pipe()
	defer a.Close()
	const id = "11111111-2222-4333-8444-555555555555"
	call := Start(b, Menu(), Options{UUID: id, App: "menu", Digit: "7"})
	defer call.Close()
	_ = a.SetDeadline(time.Now().Add(10 * time.Second))
	r := bufio.NewReader(a)
	send := func(cmd string) { _, _ = a.Write([]byte(cmd + "\n\n")) }

	send("connect")
	c := readOne(t, r)
	if c.headers["Unique-ID"] != id || c.headers["variable_callhook_app"] != "menu" || c.headers["Event-Name"] != "CHANNEL_DATA" || c.headers["Socket-Mode"] != "async" {
		t.Fatalf("connect reply %v", c.headers)
	}
	const exec = "99999999-8888-4777-8666-555555555555"
	send("sendmsg\ncall-command: execute\nexecute-app-name: play_and_get_digits\nexecute-app-arg: 1 1 1 3000 # a.wav silence_stream://250 callhook_digits_9 \\d+ 3000\nevent-lock: true\nEvent-UUID: " + exec)
	if f := readOne(t, r); f.headers["Reply-Text"] != "+OK" {
		t.Fatalf("execute reply %v", f.headers)
	}
	var names []string
	for len(names) == 0 || names[len(names)-1] != "CHANNEL_EXECUTE_COMPLETE" {
		f := readOne(t, r)
		if strings.Contains(f.body, recordedCallUUID) {
			t.Fatalf("an event still holds the recorded call's UUID")
		}
		ev := map[string]string{}
		for _, l := range strings.Split(f.body, "\n") {
			if k, v, ok := strings.Cut(l, ": "); ok {
				ev[k] = v
			}
		}
		names = append(names, ev["Event-Name"])
		if ev["Unique-ID"] != id {
			t.Fatalf("%s: Unique-ID %q", ev["Event-Name"], ev["Unique-ID"])
		}
		if ev["Event-Name"] == "CHANNEL_EXECUTE_COMPLETE" {
			if ev["Application-UUID"] != exec || ev["Application"] != "play_and_get_digits" ||
				ev["Application-Data"] != `1%201%201%203000%20%23%20a.wav%20silence_stream%3A//250%20callhook_digits_9%20%5Cd%2B%203000` ||
				ev["variable_callhook_digits_9"] != "7" {
				t.Fatalf("completion %v", ev)
			}
		}
		if ev["Event-Name"] == "DTMF" && ev["DTMF-Digit"] != "7" {
			t.Fatalf("DTMF-Digit %q", ev["DTMF-Digit"])
		}
	}
	if want := "CHANNEL_EXECUTE DTMF CHANNEL_EXECUTE_COMPLETE"; strings.Join(names, " ") != want {
		t.Errorf("events %q, want %q", names, want)
	}
	send("exit")
	if f := readOne(t, r); f.headers["Reply-Text"] != "+OK bye" {
		t.Fatalf("exit reply %v", f.headers)
	}
	if f := readOne(t, r); f.headers["Content-Disposition"] != "disconnect" {
		t.Fatalf("after exit %v, want the disconnect notice", f.headers)
	}
	<-call.Done()
	if res := call.Result(); res.By != "" || res.Err != nil {
		t.Errorf("result %s, want left without a hangup", res)
	}
}
