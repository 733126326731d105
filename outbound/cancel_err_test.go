package outbound_test

import (
	"bufio"
	"fmt"
	"net"
	"strings"
	"testing"

	"github.com/callhook/callhook/outbound"
)

// scriptedBox is an inbound event socket that accepts every command and
// originate, reports no call, and answers uuid_kill as FreeSWITCH does
// for a channel it does not have (mod_commands.c kill_function: "-ERR No
// such channel!"): a cancel that arrives before the leg exists, or after
// it is gone.
func scriptedBox(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go serveScripted(c)
		}
	}()
	return ln.Addr().String()
}

func serveScripted(c net.Conn) {
	defer c.Close()
	w := bufio.NewWriter(c)
	reply := func(text string) {
		fmt.Fprintf(w, "Content-Type: command/reply\nReply-Text: %s\n\n", text)
	}
	fmt.Fprint(w, "Content-Type: auth/request\n\n")
	w.Flush()
	r := bufio.NewReader(c)
	for job := 1; ; {
		var cmd string
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				return
			}
			line = strings.TrimRight(line, "\r\n")
			if line == "" {
				break
			}
			if cmd == "" {
				cmd = line
			}
		}
		switch word, _, _ := strings.Cut(cmd, " "); word {
		case "auth":
			reply("+OK accepted")
		case "bgapi":
			id := fmt.Sprintf("00000000-0000-0000-0000-%012d", job)
			job++
			fmt.Fprintf(w, "Content-Type: command/reply\nReply-Text: +OK Job-UUID: %s\nJob-UUID: %s\n\n", id, id)
		case "api":
			body := "+OK\n"
			if strings.HasPrefix(cmd, "api uuid_kill ") {
				body = "-ERR No such channel!\n"
			}
			fmt.Fprintf(w, "Content-Type: api/response\nContent-Length: %d\n\n%s", len(body), body)
		default:
			reply("+OK")
		}
		w.Flush()
	}
}

// TestCancelFindsNoChannel: a cancel that FreeSWITCH answers "-ERR No such
// channel!" (the leg not created yet, or already gone) is a cancel that
// went through, not a 503: the job's result reports the call's end.
func TestCancelFindsNoChannel(t *testing.T) {
	r := newRig(t, rigOptions{addr: scriptedBox(t)})
	r.waitState(outbound.StateUp)
	p := r.place(outbound.Request{To: "user/1004"})
	r.expect(p.ID, outbound.EventInitiated)
	ok, err := r.m.Hangup(t.Context(), p.ID)
	if !ok || err != nil {
		t.Fatalf("Hangup = %v, %v; want true, nil", ok, err)
	}
}
