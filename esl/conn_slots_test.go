package esl

import (
	"bufio"
	"context"
	"errors"
	"net"
	"testing"
)

// headSlot returns the oldest reply slot waiting, and how many wait.
func headSlot(c *Conn) (*replySlot, int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.replyQueue.head(), c.replyQueue.len()
}

// ownSlot reports whether s is one of the Conn's own (reused) slots.
func ownSlot(c *Conn, s *replySlot) bool {
	return s == &c.slots.store[0] || s == &c.slots.store[1]
}

// TestReusedSlotAbandonedKeepsRepliesInStep: a reply slot is reused from
// command to command; one whose sender gave up is not, so its late reply is
// swallowed and the commands after it get their own replies, from slots
// that were never handed to the cancelled sender.
func TestReusedSlotAbandonedKeepsRepliesInStep(t *testing.T) {
	c, p := pipeConn(t, ConnOptions{})
	// Two commands in flight: both of the Conn's slots are used, then put
	// back once their replies are taken.
	both := goCall(func() ([]*Frame, error) {
		fs, errs := c.SendAll(t.Context(), Command{Line: "getvar a"}, Command{Line: "getvar b"})
		return fs, errors.Join(errs...)
	})
	p.expect("getvar a")
	p.expect("getvar b")
	p.write(replyFrame("value-a"), replyFrame("value-b"))
	fs, err := both.wait(t)
	if err != nil || fs[0].ReplyText() != "value-a" || fs[1].ReplyText() != "value-b" {
		t.Fatalf("SendAll() = %v, %v; want value-a, value-b", fs, err)
	}

	ctx, cancel := context.WithCancel(t.Context())
	slow := send(c, ctx, "api slow")
	p.expect("api slow")
	abandoned, _ := headSlot(c)
	if !ownSlot(c, abandoned) {
		t.Fatalf("api slow did not reuse one of the Conn's slots")
	}
	cancel()
	if _, err := slow.wait(t); !errors.Is(err, context.Canceled) {
		t.Fatalf("Send(api slow) after cancel error = %v, want context.Canceled", err)
	}

	next := send(c, t.Context(), "getvar d")
	p.expect("getvar d")
	c.mu.Lock()
	queued := append([]*replySlot(nil), c.replyQueue.pending...)
	c.mu.Unlock()
	if len(queued) != 2 || queued[0] != abandoned || queued[1] == abandoned {
		t.Fatalf("reply FIFO = %p, want the abandoned slot %p then another", queued, abandoned)
	}
	p.write(apiFrame("late answer to slow\n"), replyFrame("value-d"))
	wantReply(t, next, "getvar d", "value-d")

	// The abandoned slot stays out of use: the next commands get their own
	// replies from the slots that are put back.
	for _, v := range []string{"e", "f"} {
		r := send(c, t.Context(), "getvar "+v)
		p.expect("getvar " + v)
		if s, n := headSlot(c); s == abandoned || n != 1 {
			t.Fatalf("getvar %s waits in slot %p (%d waiting); the abandoned slot is %p", v, s, n, abandoned)
		}
		p.write(replyFrame("value-" + v))
		wantReply(t, r, "getvar "+v, "value-"+v)
	}
	if err := c.Err(); err != nil {
		t.Errorf("Err() = %v after an abandoned Send, want nil", err)
	}
}

// TestLateWatchFuncSparesAnotherContextsWrite: the write watch's func of a
// context that has been disarmed may still run (it started before the
// disarm); while the context armed now is live it must not cut that
// context's write short. The context armed now still cuts its own.
func TestLateWatchFuncSparesAnotherContextsWrite(t *testing.T) {
	a, b := net.Pipe()
	t.Cleanup(func() { b.Close() })
	wc := &writeSignalConn{Conn: a, writing: make(chan struct{}, 1)}
	c := NewConn(wc, ConnOptions{})
	t.Cleanup(func() { c.Close(); <-c.Done() })
	peer := bufio.NewReader(b)

	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	r := send(c, ctx, "api one")
	<-wc.writing
	// The write is stuck (the peer does not read yet) when a late func of
	// an older context runs.
	c.fireWriteWatch()
	for _, want := range []string{"api one\n", "\n"} {
		if got, err := peer.ReadString('\n'); err != nil || got != want {
			t.Fatalf("peer read %q, %v; want %q", got, err, want)
		}
	}
	if _, err := b.Write([]byte(replyFrame("+OK"))); err != nil {
		t.Fatal(err)
	}
	if _, err := r.wait(t); err != nil {
		t.Fatalf("Send() after a late watch func of another context: %v", err)
	}

	r = send(c, ctx, "api two")
	<-wc.writing
	cancel()
	if _, err := r.wait(t); !errors.Is(err, context.Canceled) {
		t.Fatalf("Send() with a stuck write error = %v, want context.Canceled", err)
	}
	waitDone(t, c)
}
