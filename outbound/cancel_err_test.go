package outbound_test

import (
	"bufio"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/callhook/callhook/outbound"
)

// scriptedBox is an inbound event socket that accepts every command and
// originate and reports no call. Its first uuid_kill it answers as
// FreeSWITCH does for a channel it does not have (mod_commands.c
// kill_function: "-ERR No such channel!"): a cancel that arrives before
// the leg exists. Then the leg shows up: it sends the call's
// CHANNEL_PROGRESS, and answers later kills "+OK". Each uuid_kill's
// command line goes to kills.
func scriptedBox(t *testing.T, kills chan<- string) string {
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
			go serveScripted(c, kills)
		}
	}()
	return ln.Addr().String()
}

func serveScripted(c net.Conn, kills chan<- string) {
	defer c.Close()
	w := bufio.NewWriter(c)
	reply := func(text string) {
		fmt.Fprintf(w, "Content-Type: command/reply\nReply-Text: %s\n\n", text)
	}
	fmt.Fprint(w, "Content-Type: auth/request\n\n")
	w.Flush()
	r := bufio.NewReader(c)
	killed := 0
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
			id, isKill := strings.CutPrefix(cmd, "api uuid_kill ")
			if isKill {
				kills <- cmd
				killed++
				if killed == 1 {
					body = "-ERR No such channel!\n"
				}
			}
			fmt.Fprintf(w, "Content-Type: api/response\nContent-Length: %d\n\n%s", len(body), body)
			if isKill && killed == 1 {
				id, _, _ = strings.Cut(id, " ")
				ev := "Event-Name: CHANNEL_PROGRESS\nUnique-ID: " + id + "\n\n"
				fmt.Fprintf(w, "Content-Type: text/event-plain\nContent-Length: %d\n\n%s", len(ev), ev)
			}
		default:
			reply("+OK")
		}
		w.Flush()
	}
}

// TestCancelFindsNoChannel: a cancel that FreeSWITCH answers "-ERR No such
// channel!" (the leg not created yet, or already gone) is a cancel that
// went through, not a 503; and when the leg shows up after all (here it
// rings), callhook kills it then.
func TestCancelFindsNoChannel(t *testing.T) {
	kills := make(chan string, 4)
	r := newRig(t, rigOptions{addr: scriptedBox(t, kills)})
	r.waitState(outbound.StateUp)
	p := r.place(outbound.Request{To: "user/1004"})
	r.expect(p.ID, outbound.EventInitiated)
	ok, err := r.m.Hangup(t.Context(), p.ID)
	if !ok || err != nil {
		t.Fatalf("Hangup = %v, %v; want true, nil", ok, err)
	}
	want := "api uuid_kill " + p.ID + " ORIGINATOR_CANCEL"
	for i := range 2 {
		select {
		case got := <-kills:
			if got != want {
				t.Fatalf("kill %d = %q, want %q", i+1, got, want)
			}
		case <-time.After(wait):
			t.Fatalf("kill %d never came: the leg that rang after the cancel was not killed", i+1)
		}
	}
}
