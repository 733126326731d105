package esl

import (
	"context"
	"errors"
	"sync"
	"testing"
)

// endsWhileWaitingCtx is a context that is live when a Send first looks
// at it and ended every time after: what a caller's context does when it
// ends while the Send waits for another write to let go of the write
// lock (a slow write, a peer not reading), without a test having to time
// that wait.
type endsWhileWaitingCtx struct {
	context.Context
	once  sync.Once
	ended bool
	done  chan struct{}
	mu    sync.Mutex
}

func newEndsWhileWaitingCtx() *endsWhileWaitingCtx {
	return &endsWhileWaitingCtx{Context: context.Background(), done: make(chan struct{})}
}

func (c *endsWhileWaitingCtx) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.ended {
		c.ended = true
		return nil
	}
	c.once.Do(func() { close(c.done) })
	return context.Canceled
}

func (c *endsWhileWaitingCtx) Done() <-chan struct{} { return c.done }

// TestSendEndedWhileWaitingForTheWriteLock: a Send or SendAll whose
// context ends while it waits for the write lock writes nothing and
// leaves the connection as it was: the next command goes out and gets
// its reply. (The connection used to be failed, as if a command had been
// cut in the middle.)
func TestSendEndedWhileWaitingForTheWriteLock(t *testing.T) {
	c, p := pipeConn(t, ConnOptions{})

	if _, err := c.Send(newEndsWhileWaitingCtx(), Command{Line: "api status"}); !errors.Is(err, context.Canceled) {
		t.Fatalf("Send() error = %v, want context.Canceled", err)
	}
	_, errs := c.SendAll(newEndsWhileWaitingCtx(), Command{Line: "linger"}, Command{Line: "myevents"})
	for i, err := range errs {
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("SendAll() error %d = %v, want context.Canceled", i, err)
		}
	}

	r := send(c, t.Context(), "getvar a")
	p.expect("getvar a") // the first command the peer sees: nothing else was written
	p.write(replyFrame("+OK 1"))
	wantReply(t, r, "getvar a", "+OK 1")
}
