//go:build unix

package main

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/callhook/callhook/esl"
)

// stubbornPeer is a FreeSWITCH that answers every command +OK and sends no
// event at all: its call's verbs never complete, and uuid_kill does not
// hang it up. It is how a call looks whose channel outlives the drain
// deadline's hangup.
type stubbornPeer struct {
	uuid string
	nc   net.Conn

	mu       sync.Mutex
	commands []string
	executed chan struct{} // closed at the first sendmsg
	once     sync.Once
	done     chan struct{} // closed when the daemon has closed the socket
}

const stubbornUUID = "6a1f0c1e-3c52-4d0e-9a55-2f8f0e2b7d10"

func dialStubbornPeer(t *testing.T, addr string) *stubbornPeer {
	t.Helper()
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	p := &stubbornPeer{uuid: stubbornUUID, nc: nc, executed: make(chan struct{}), done: make(chan struct{})}
	go p.serve()
	return p
}

func (p *stubbornPeer) serve() {
	defer close(p.done)
	r := esl.NewReader(p.nc, esl.Limits{})
	for {
		cmd, _, err := r.ReadCommand()
		if err != nil {
			return // the daemon closed the socket
		}
		p.mu.Lock()
		p.commands = append(p.commands, cmd.Line)
		p.mu.Unlock()
		word, _, _ := strings.Cut(cmd.Line, " ")
		var reply *esl.Frame
		switch word {
		case "connect":
			reply = &esl.Frame{Headers: esl.Headers{
				{Name: "Event-Name", Value: "CHANNEL_DATA"},
				{Name: "Unique-ID", Value: p.uuid},
				{Name: "Caller-Caller-ID-Number", Value: "1000"},
				{Name: "Caller-Destination-Number", Value: "7000"},
				{Name: "Content-Type", Value: "command/reply"},
				{Name: "Reply-Text", Value: "%2BOK%0A"},
				{Name: "Socket-Mode", Value: "async"},
				{Name: "Control", Value: "full"},
			}}
		case "api":
			reply = &esl.Frame{Headers: esl.Headers{{Name: "Content-Type", Value: "api/response"}, {Name: "Content-Length", Value: "4"}}, Body: []byte("+OK\n")}
		default:
			if word == "sendmsg" {
				p.once.Do(func() { close(p.executed) })
			}
			reply = &esl.Frame{Headers: esl.Headers{{Name: "Content-Type", Value: "command/reply"}, {Name: "Reply-Text", Value: "+OK"}}}
		}
		if _, err := p.nc.Write(reply.Encode()); err != nil {
			return
		}
	}
}

func (p *stubbornPeer) seen() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.commands...)
}

// TestDrainWaitsForSessions: a call whose channel does not hang up at the
// drain deadline has its socket closed, and the daemon waits for its
// session to finish before it exits: the app gets call.end and the log its
// call-ended line (issue 12, item 6: serve exited right after closing the
// sockets, cutting call.end mid-request and losing the line).
func TestDrainWaitsForSessions(t *testing.T) {
	web := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/yaml")
		io.WriteString(w, "[answer, {play: 'silence_stream://600000'}]")
	}))
	t.Cleanup(web.Close)
	var (
		mu   sync.Mutex
		ends []map[string]any
	)
	status := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body map[string]any
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			t.Errorf("status request: %v", err)
		}
		mu.Lock()
		ends = append(ends, body)
		mu.Unlock()
	}))
	t.Cleanup(status.Close)

	d := startOpsDaemon(t, "drain_timeout: 0s\ndefault_app: ivr\napps:\n  ivr:\n    url: "+web.URL+"/ivr\n    retries: 0\n    status_url: "+status.URL+"/status\n")
	p := dialStubbornPeer(t, d.listen)
	select {
	case <-p.executed:
	case <-time.After(opsGuard):
		t.Fatalf("the daemon sent no verb to the call; log:\n%s", d.log)
	}
	if err := d.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if code := d.waitExit(t); code != 0 {
		t.Errorf("callhook serve exited %d after the drain, want 0", code)
	}

	var killed bool
	for _, c := range p.seen() {
		killed = killed || c == "api uuid_kill "+p.uuid+" SYSTEM_SHUTDOWN"
	}
	if !killed {
		t.Errorf("commands = %q, want the drain deadline's api uuid_kill", p.seen())
	}
	mu.Lock()
	defer mu.Unlock()
	if len(ends) != 1 || ends[0]["event"] != "call.end" || ends[0]["call_id"] != p.uuid {
		t.Errorf("status_url got %v, want the call's call.end before the daemon exited", ends)
	}
	// The log ended with the process: the line is there or it never will be.
	d.log.wait(t, map[string]string{"msg": "call ended", "call_id": p.uuid})
}
