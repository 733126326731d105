package esl

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// peerGuard bounds every blocking step of a fake peer. It is a failure
// guard only: in a passing test nothing waits for it.
const peerGuard = 10 * time.Second

// fsPeer plays FreeSWITCH on the far end of a net.Pipe (or a TCP
// connection). net.Pipe is synchronous, so the peer runs in the test
// goroutine while Send, Execute... run in others.
type fsPeer struct {
	t  *testing.T
	nc net.Conn
	br *bufio.Reader
}

func newFSPeer(t *testing.T, nc net.Conn) *fsPeer {
	t.Helper()
	t.Cleanup(func() { nc.Close() })
	return &fsPeer{t: t, nc: nc, br: bufio.NewReader(nc)}
}

// pipeConn returns a Conn over one end of a net.Pipe and the peer on the
// other; the Conn is closed at the end of the test.
func pipeConn(t *testing.T, o ConnOptions) (*Conn, *fsPeer) {
	t.Helper()
	a, b := net.Pipe()
	c := NewConn(a, o)
	t.Cleanup(func() {
		c.Close()
		<-c.Done()
	})
	return c, newFSPeer(t, b)
}

// peerCommand is one command as the peer read it.
type peerCommand struct {
	Line    string
	Headers map[string]string // lower-cased names
	Body    string
}

// readCommand reads one command packet: lines up to a blank line, then a
// body of content-length bytes.
func (p *fsPeer) readCommand() peerCommand {
	p.t.Helper()
	_ = p.nc.SetReadDeadline(time.Now().Add(peerGuard))
	var pc peerCommand
	pc.Headers = map[string]string{}
	for first := true; ; first = false {
		line, err := p.br.ReadString('\n')
		if err != nil {
			p.t.Fatalf("peer: read command: %v", err)
		}
		line = strings.TrimRight(line, "\r\n")
		if line == "" {
			break
		}
		if first {
			pc.Line = line
			continue
		}
		name, value, _ := strings.Cut(line, ":")
		pc.Headers[strings.ToLower(name)] = strings.TrimLeft(value, " ")
	}
	if cl := pc.Headers["content-length"]; cl != "" {
		n, err := strconv.Atoi(cl)
		if err != nil {
			p.t.Fatalf("peer: content-length %q: %v", cl, err)
		}
		body := make([]byte, n)
		if _, err := io.ReadFull(p.br, body); err != nil {
			p.t.Fatalf("peer: read body: %v", err)
		}
		pc.Body = string(body)
	}
	return pc
}

// expect reads a command and checks its line.
func (p *fsPeer) expect(line string) peerCommand {
	p.t.Helper()
	pc := p.readCommand()
	if pc.Line != line {
		p.t.Fatalf("peer read command %q, want %q", pc.Line, line)
	}
	return pc
}

// write sends raw frames.
func (p *fsPeer) write(frames ...string) {
	p.t.Helper()
	_ = p.nc.SetWriteDeadline(time.Now().Add(peerGuard))
	for _, f := range frames {
		if _, err := p.nc.Write([]byte(f)); err != nil {
			p.t.Fatalf("peer: write: %v", err)
		}
	}
}

// expectEOF checks that the other side closed the connection.
func (p *fsPeer) expectEOF() {
	p.t.Helper()
	_ = p.nc.SetReadDeadline(time.Now().Add(peerGuard))
	b, err := p.br.ReadByte()
	if err == nil {
		p.t.Fatalf("peer read %q, want the connection closed", b)
	}
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		p.t.Fatalf("peer: connection still open after %v", peerGuard)
	}
}

// Frame builders, with FreeSWITCH's header layouts: a reply's Content-Type
// comes first, an event's Content-Length comes before its Content-Type.

func replyFrame(text string) string {
	return "Content-Type: command/reply\nReply-Text: " + text + "\n\n"
}

func apiFrame(body string) string {
	return fmt.Sprintf("Content-Type: api/response\nContent-Length: %d\n\n%s", len(body), body)
}

// eventFrame builds a text/event-plain frame from name/value pairs; values
// must need no URL-encoding. A pair named "_body" becomes the inner body.
func eventFrame(kv ...string) string {
	var b strings.Builder
	body := ""
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i] == "_body" {
			body = kv[i+1]
			continue
		}
		fmt.Fprintf(&b, "%s: %s\n", kv[i], kv[i+1])
	}
	if body != "" {
		fmt.Fprintf(&b, "Content-Length: %d\n\n%s", len(body), body)
	} else {
		b.WriteString("\n")
	}
	return fmt.Sprintf("Content-Length: %d\nContent-Type: text/event-plain\n\n%s", b.Len(), b.String())
}

const (
	testChannelUUID = "4192e98c-e569-11e7-b747-73bec77e82ec"
	otherUUID       = "0a0a0a0a-0000-4000-8000-000000000001"
)

// connectFrame is a connect reply: encoded CHANNEL_DATA, Content-Type near
// the end, Reply-Text %2BOK%0A, no Content-Length.
func connectFrame(uuid string) string {
	return "Event-Name: CHANNEL_DATA\n" +
		"Core-UUID: 6cd7d004-e3c9-11e7-b0f3-73bec77e82ec\n" +
		"Channel-Name: sofia/internal/1000%40192.0.2.10\n" +
		"Unique-ID: " + uuid + "\n" +
		"Caller-Caller-ID-Number: 1000\n" +
		"variable_current_application_data: 127.0.0.1%3A8084%20async%20full\n" +
		"Content-Type: command/reply\n" +
		"Reply-Text: %2BOK%0A\n" +
		"Socket-Mode: async\n" +
		"Control: full\n\n"
}

const goodbye = "Disconnected, goodbye.\nSee you at ClueCon! http://www.cluecon.com/\n"

func lingerFrame(uuid string) string {
	return "Content-Type: text/disconnect-notice\n" +
		"Controlled-Session-UUID: " + uuid + "\n" +
		"Content-Disposition: linger\n" +
		"Channel-Name: sofia/internal/1000@192.0.2.10\n" +
		"Linger-Time: 5\n" +
		"Content-Length: 0\n\n"
}

func finalFrame(uuid string) string {
	return fmt.Sprintf("Content-Type: text/disconnect-notice\nControlled-Session-UUID: %s\nContent-Disposition: disconnect\nContent-Length: %d\n\n%s", uuid, len(goodbye), goodbye)
}

// connected returns an outbound Conn on which Connect has succeeded.
func connected(t *testing.T, o ConnOptions) (*Conn, *fsPeer) {
	t.Helper()
	o.Outbound = true
	c, p := pipeConn(t, o)
	res := goCall(func() (*Event, error) { return c.Connect(t.Context()) })
	p.expect("connect")
	p.write(connectFrame(testChannelUUID))
	ev, err := res.wait(t)
	if err != nil {
		t.Fatalf("Connect() error = %v", err)
	}
	if got := ev.UniqueID(); got != testChannelUUID {
		t.Fatalf("Connect() channel Unique-ID = %q, want %q", got, testChannelUUID)
	}
	return c, p
}

// result is the outcome of a call made in another goroutine.
type result[T any] struct {
	ch chan struct{}
	v  T
	e  error
}

// goCall runs f in a goroutine; wait returns its results.
func goCall[T any](f func() (T, error)) *result[T] {
	r := &result[T]{ch: make(chan struct{})}
	go func() {
		defer close(r.ch)
		r.v, r.e = f()
	}()
	return r
}

// wait waits for the call, with peerGuard as a failure guard.
func (r *result[T]) wait(t *testing.T) (T, error) {
	t.Helper()
	select {
	case <-r.ch:
		return r.v, r.e
	case <-time.After(peerGuard):
		t.Fatalf("call did not return within %v", peerGuard)
		var zero T
		return zero, nil
	}
}

// returned reports whether the call has returned already.
func (r *result[T]) returned() bool {
	select {
	case <-r.ch:
		return true
	default:
		return false
	}
}

// waitDone waits for c to end.
func waitDone(t *testing.T, c *Conn) {
	t.Helper()
	select {
	case <-c.Done():
	case <-time.After(peerGuard):
		t.Fatalf("connection did not end within %v", peerGuard)
	}
}

// nextEvent is NextEvent with a failure guard.
func nextEvent(t *testing.T, c *Conn) *Event {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), peerGuard)
	defer cancel()
	ev, err := c.NextEvent(ctx)
	if err != nil {
		t.Fatalf("NextEvent() error = %v", err)
	}
	return ev
}

// frameCount is a FrameCounter that records what it is told.
type frameCount struct {
	mu   sync.Mutex
	seen []string // "F> type" / "C> type"
	size map[Direction]int
}

func (fc *frameCount) CountFrame(dir Direction, ct string, n int) {
	fc.mu.Lock()
	defer fc.mu.Unlock()
	arrow := "F>"
	if dir == Sent {
		arrow = "C>"
	}
	fc.seen = append(fc.seen, arrow+" "+ct)
	if fc.size == nil {
		fc.size = map[Direction]int{}
	}
	fc.size[dir] += n
}

func (fc *frameCount) snapshot() ([]string, map[Direction]int) {
	fc.mu.Lock()
	defer fc.mu.Unlock()
	sz := map[Direction]int{}
	for k, v := range fc.size {
		sz[k] = v
	}
	return append([]string(nil), fc.seen...), sz
}
