package replay

import (
	"bufio"
	"net"
	"strings"
	"testing"
	"time"
)

// TestReplayHonoursNixevent: after nixevent, as with FreeSWITCH, the
// daemon gets none of the nixed types (the gather's CHANNEL_STATE, PARK,
// UNPARK and DTMF here) and every other event as before; the replies are
// FreeSWITCH's.
func TestReplayHonoursNixevent(t *testing.T) {
	a, b := net.Pipe()
	defer a.Close()
	call := Start(b, Menu(), Options{UUID: "11111111-2222-4333-8444-555555555555", App: "menu", Digit: "7"})
	defer call.Close()
	_ = a.SetDeadline(time.Now().Add(10 * time.Second))
	r := bufio.NewReader(a)
	send := func(cmd string) { _, _ = a.Write([]byte(cmd + "\n\n")) }
	reply := func(cmd, want string) {
		t.Helper()
		send(cmd)
		if f := readOne(t, r); f.headers["Reply-Text"] != want {
			t.Fatalf("%q: reply %v, want %q", cmd, f.headers, want)
		}
	}
	// events runs an execute and returns the names of its events.
	events := func(app, arg string) []string {
		t.Helper()
		reply("sendmsg\ncall-command: execute\nexecute-app-name: "+app+"\nexecute-app-arg: "+arg+"\nevent-lock: true\nEvent-UUID: 99999999-8888-4777-8666-55555555555"+app[:1], "+OK")
		var names []string
		for len(names) == 0 || names[len(names)-1] != "CHANNEL_EXECUTE_COMPLETE" {
			f := readOne(t, r)
			for _, l := range strings.Split(f.body, "\n") {
				if name, ok := strings.CutPrefix(l, "Event-Name: "); ok {
					names = append(names, name)
				}
			}
		}
		return names
	}
	const gather = "1 1 1 3000 # a.wav silence_stream://250 callhook_digits_9 \\d+ 3000"

	send("connect")
	readOne(t, r)
	reply("myevents", "+OK")
	before := events("play_and_get_digits", gather)
	reply("nixevent", "-ERR no keywords supplied")
	reply("nixevent NO_SUCH_TYPE", "-ERR no keywords supplied")
	reply("nixevent channel_state SWITCH_EVENT_CHANNEL_PARK CHANNEL_UNPARK NO_SUCH_TYPE DTMF", "+OK events nixed")
	after := events("play_and_get_digits", gather)

	nixed := map[string]bool{"CHANNEL_STATE": true, "CHANNEL_PARK": true, "CHANNEL_UNPARK": true, "DTMF": true}
	var want []string
	for _, n := range before {
		if !nixed[n] {
			want = append(want, n)
		}
	}
	if len(want) == len(before) {
		t.Fatalf("the gather's events %v have none of the nixed types: the test tests nothing", before)
	}
	if strings.Join(after, " ") != strings.Join(want, " ") {
		t.Errorf("events after nixevent = %v, want %v (before: %v)", after, want, before)
	}

	reply("nixevent ALL", "+OK events nixed")
	send("sendmsg\ncall-command: execute\nexecute-app-name: playback\nexecute-app-arg: x.wav\nevent-lock: true\nEvent-UUID: 99999999-8888-4777-8666-555555555500")
	if f := readOne(t, r); f.headers["Reply-Text"] != "+OK" {
		t.Fatalf("execute reply %v", f.headers)
	}
	// Nothing but the next command's reply may come now.
	send("exit")
	if f := readOne(t, r); f.headers["Content-Type"] != "command/reply" {
		t.Errorf("after nixevent ALL the daemon got %v, want only exit's reply", f.headers)
	}
}
