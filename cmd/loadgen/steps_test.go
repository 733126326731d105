package main

import (
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestSawSendmsg feeds the reads of one connection in order and checks on
// which reads a sendmsg command line is seen.
func TestSawSendmsg(t *testing.T) {
	for _, tc := range []struct {
		name  string
		reads []string
		want  []bool
	}{
		{"first command", []string{"sendmsg\ncall-command: execute\n\n"}, []bool{true}},
		{"after another", []string{"connect\n\n", "linger 30\n\nsendmsg\n"}, []bool{false, true}},
		{"word split", []string{"exit\n\nsend", "msg\ncall-command: hangup\n\n"}, []bool{false, true}},
		{"newline split", []string{"myevents\n\n", "sendmsg\n"}, []bool{false, true}},
		{"one byte at a time", strings.Split("x\n\nsendmsg", ""), []bool{false, false, false, false, false, false, false, false, false, true}},
		{"not at a line start", []string{"api sendmsg\n\n", "execute-app-arg: sendmsg\n"}, []bool{false, false}},
		{"other commands", []string{"connect\n\n", "myevents\n\n", "exit\n\n"}, []bool{false, false, false}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := &stepConn{}
			for i, r := range tc.reads {
				if got := c.sawSendmsg([]byte(r)); got != tc.want[i] {
					t.Errorf("read %d %q: sawSendmsg = %v, want %v", i, r, got, tc.want[i])
				}
				c.keepTail([]byte(r))
			}
		})
	}
}

// TestStepConn times steps over a real pipe: a completion written, then a
// sendmsg read, with and without web app time to take out.
func TestStepConn(t *testing.T) {
	sim, daemon := net.Pipe()
	defer sim.Close()
	defer daemon.Close()
	rec := &steps{}
	web := new(atomic.Int64)
	c := newStepConn(sim, rec, web)
	buf := make([]byte, 4096)

	// A read before any completion opens no step, and the web time of a
	// request made then (call.start) is dropped.
	web.Add(int64(time.Hour))
	go daemon.Write([]byte("sendmsg\ncall-command: execute\n\n"))
	if _, err := c.Read(buf); err != nil {
		t.Fatal(err)
	}
	// Step 1: no request.
	go drain(daemon)
	if _, err := c.Write([]byte("Event-Name: CHANNEL_EXECUTE_COMPLETE\n\n")); err != nil {
		t.Fatal(err)
	}
	go daemon.Write([]byte("sendmsg\n\n"))
	if _, err := c.Read(buf); err != nil {
		t.Fatal(err)
	}
	// Step 2: a request far longer than the step; added time floors at 0.
	if _, err := c.Write([]byte("Event-Name: CHANNEL_EXECUTE_COMPLETE\n\n")); err != nil {
		t.Fatal(err)
	}
	web.Add(int64(time.Hour))
	go daemon.Write([]byte("sendmsg\n\n"))
	if _, err := c.Read(buf); err != nil {
		t.Fatal(err)
	}
	// A sendmsg with no completion before it is not a step.
	go daemon.Write([]byte("sendmsg\n\n"))
	if _, err := c.Read(buf); err != nil {
		t.Fatal(err)
	}
	added, webhook := rec.added.summary(), rec.webhook.summary()
	if added.N != 2 || webhook.N != 1 {
		t.Fatalf("steps = %d, webhook steps %d; want 2, 1", added.N, webhook.N)
	}
	if added.P50 != 0 {
		t.Errorf("added time of the step with an hour of web time = %v, want 0", added.P50)
	}
	if webhook.Max >= time.Hour {
		t.Errorf("webhook step = %v, want the measured step, under the web time", webhook.Max)
	}
}

// drain reads the pipe's other end until it closes, as the daemon would.
func drain(c net.Conn) {
	buf := make([]byte, 4096)
	for {
		if _, err := c.Read(buf); err != nil {
			return
		}
	}
}
