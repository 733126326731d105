package esl

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"testing"
)

// writeCountConn counts the Writes made on a connection.
type writeCountConn struct {
	net.Conn
	writes chan int
}

func (w *writeCountConn) Write(b []byte) (int, error) {
	w.writes <- len(b)
	return w.Conn.Write(b)
}

// TestSendAllOneWriteRepliesInOrder: the commands go out in one write, in
// order, before any reply; each gets its own reply, a "-ERR" one its own
// *ReplyError, and a later command still gets its reply.
func TestSendAllOneWriteRepliesInOrder(t *testing.T) {
	a, b := net.Pipe()
	wc := &writeCountConn{Conn: a, writes: make(chan int, 8)}
	c := NewConn(wc, ConnOptions{})
	t.Cleanup(func() { c.Close(); <-c.Done() })
	p := newFSPeer(t, b)
	type out struct {
		replies []*Frame
		errs    []error
	}
	res := goCall(func() (out, error) {
		r, e := c.SendAll(t.Context(), LingerForever(), MyEvents(FormatPlain, ""), Command{Line: "api status"})
		return out{r, e}, nil
	})
	// All three are read before any reply is written: Send would wait.
	p.expect("linger")
	p.expect("myevents")
	p.expect("api status")
	if n := len(wc.writes); n != 1 {
		t.Fatalf("%d writes for three commands, want 1", n)
	}
	p.write(replyFrame("-ERR bad linger"), replyFrame("+OK Events Enabled"), apiFrame("UP 0 years"))
	got, _ := res.wait(t)
	var re *ReplyError
	if !errors.As(got.errs[0], &re) || re.Text != "-ERR bad linger" {
		t.Errorf("linger: error %v, want the -ERR reply", got.errs[0])
	}
	if got.errs[1] != nil || got.replies[1].ReplyText() != "+OK Events Enabled" {
		t.Errorf("myevents: %v, %v", got.replies[1], got.errs[1])
	}
	if got.errs[2] != nil || string(got.replies[2].Body) != "UP 0 years" {
		t.Errorf("api: %v, %v", got.replies[2], got.errs[2])
	}
	// The FIFO is empty again: the next Send gets the next reply.
	r := send(c, t.Context(), "api next")
	p.expect("api next")
	p.write(replyFrame("+OK next"))
	wantReply(t, r, "api next", "+OK next")
}

// TestSendAllRefusedWritesNothing: on an outbound Conn a batch that does
// not start with connect is refused whole, before anything is written; a
// batch of connect and the commands after it is allowed.
func TestSendAllRefusedWritesNothing(t *testing.T) {
	c, p := pipeConn(t, ConnOptions{Outbound: true})
	_, errs := c.SendAll(t.Context(), LingerForever(), Connect())
	for i, err := range errs {
		if !errors.Is(err, errNotConnected) {
			t.Errorf("errs[%d] = %v, want errNotConnected", i, err)
		}
	}
	res := goCall(func() ([]error, error) {
		_, errs := c.SendAll(t.Context(), Connect(), LingerForever())
		return errs, nil
	})
	// The refused batch wrote nothing: connect is the first command read.
	p.expect("connect")
	p.expect("linger")
	p.write(connectFrame(testChannelUUID), replyFrame("+OK will linger"))
	errs, _ = res.wait(t)
	if errs[0] != nil || errs[1] != nil {
		t.Fatalf("connect, linger: %v", errs)
	}
	if got := c.Channel().UniqueID(); got != testChannelUUID {
		t.Errorf("channel %q, want %q", got, testChannelUUID)
	}
}

// TestSendAllTracesEachCommand: a traced batch writes one C> record per
// command, with the command's exact bytes, as separate Sends would.
func TestSendAllTracesEachCommand(t *testing.T) {
	var trace syncBuffer
	c, p := pipeConn(t, ConnOptions{Trace: &trace})
	cmds := []Command{LingerForever(), MyEvents(FormatPlain, "")}
	res := goCall(func() ([]error, error) {
		_, errs := c.SendAll(t.Context(), cmds...)
		return errs, nil
	})
	p.expect("linger")
	p.expect("myevents")
	p.write(replyFrame("+OK"), replyFrame("+OK"))
	if errs, _ := res.wait(t); errs[0] != nil || errs[1] != nil {
		t.Fatalf("SendAll: %v", errs)
	}
	frames, err := ReadWire([]byte(trace.String()))
	if err != nil {
		t.Fatal(err)
	}
	var sent []string
	for _, f := range frames {
		if f.Dir == "C>" {
			sent = append(sent, string(f.Raw))
		}
	}
	var want []string
	for _, cmd := range cmds {
		w, _ := cmd.Encode()
		want = append(want, string(w))
	}
	if len(sent) != 2 || sent[0] != want[0] || sent[1] != want[1] {
		t.Errorf("traced commands %q, want %q", sent, want)
	}
}

// syncBuffer is a bytes.Buffer safe for the reader and writer goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestSendConcurrentRepliesMatchCommands: many goroutines sending at once,
// some with a context already ended (refused before anything is written),
// each get the reply to their own command, while the reply slots are
// recycled between commands.
func TestSendConcurrentRepliesMatchCommands(t *testing.T) {
	c, p := pipeConn(t, ConnOptions{})
	const senders, rounds = 8, 20
	// The peer echoes each command line back as the reply text.
	go func() {
		for range senders * (rounds - rounds/5) {
			cmd := p.readCommand()
			p.write(replyFrame("+OK " + cmd.Line))
		}
	}()
	var wg sync.WaitGroup
	errs := make(chan error, senders*rounds)
	for g := range senders {
		wg.Go(func() {
			for i := range rounds {
				line := fmt.Sprintf("api g%d-%d", g, i)
				ctx := t.Context()
				if i%5 == 4 {
					cctx, cancel := context.WithCancel(ctx)
					cancel()
					ctx = cctx
				}
				f, err := c.Send(ctx, Command{Line: line})
				switch {
				case ctx.Err() != nil:
					if !errors.Is(err, context.Canceled) {
						errs <- fmt.Errorf("%s with an ended context: %v, %v", line, f, err)
					}
				case err != nil:
					errs <- fmt.Errorf("%s: %v", line, err)
				case f.ReplyText() != "+OK "+line:
					errs <- fmt.Errorf("%s got %q", line, f.ReplyText())
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
