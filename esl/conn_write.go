package esl

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"sync"
	"syscall"
	"time"
)

// A command's write must be bounded (WriteTimeout) and cut short when the
// sender's context ends, yet almost every write finds room in the socket
// buffer and returns at once. On a TCP or Unix socket the Conn therefore
// writes through the socket's syscall.RawConn and sets the write deadline
// and arms the context's watch only when the socket is full (EAGAIN): the
// usual write costs neither a deadline (a runtime timer) nor a
// context.AfterFunc, which a session's connect, commands and exit, each
// with a context of its own, paid three times a call. Other net.Conns (a
// net.Pipe in tests, a wrapped conn) get the deadline and the watch before
// every write (writeWatched).

// writeWire writes wire, one or more commands, and returns the bytes
// written; a failed write ends the connection (writeLocked).
func (c *Conn) writeWire(ctx context.Context, wire []byte) (int, error) {
	var n int
	var err error
	if c.raw.rc != nil {
		n, err = c.writeRaw(ctx, wire)
	} else {
		n, err = c.writeWatched(ctx, wire)
	}
	if err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil && ctxErr != err {
			err = fmt.Errorf("%w (write: %w)", ctxErr, err)
		}
		c.fail(fmt.Errorf("write: %w", err))
		return n, fmt.Errorf("write: %w", err)
	}
	return n, nil
}

// writeWatched writes wire with the write deadline set and ctx's watch
// armed first.
func (c *Conn) writeWatched(ctx context.Context, wire []byte) (int, error) {
	c.writeWatch.watch(c, ctx)
	_ = c.nc.SetWriteDeadline(time.Now().Add(c.opts.WriteTimeout))
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	// From here on ctx's end sets a past deadline after the one just set
	// (writeWatch), so it cuts this write short.
	return c.nc.Write(wire)
}

// rawWrite is the state of a write through the socket's RawConn, guarded
// by Conn.wmu: rawStep, a method value made once per Conn, reads it
// instead of capturing it, so a write allocates nothing.
type rawWrite struct {
	rc   syscall.RawConn // nil: writes go through writeWatched
	step func(fd uintptr) bool

	ctx     context.Context
	wire    []byte
	n       int   // bytes of wire written
	err     error // the write's error, from rawStep
	blocked bool  // the socket was full: deadline set, ctx watched
	// deadline: a blocked write set a write deadline, which may since have
	// been moved to the past by its context's end; the next write clears it.
	deadline bool
}

// initRaw makes writes go through nc's RawConn when nc is a socket whose
// writes the runtime's poller can wait for.
func (c *Conn) initRaw() {
	var sc syscall.Conn
	switch nc := c.nc.(type) {
	case *net.TCPConn:
		sc = nc
	case *net.UnixConn:
		sc = nc
	default:
		return
	}
	if !rawWrites {
		return
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return
	}
	c.raw.rc = rc
	c.raw.step = c.rawStep
}

// writeRaw writes wire through the RawConn. The caller holds wmu.
func (c *Conn) writeRaw(ctx context.Context, wire []byte) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	r := &c.raw
	if r.deadline {
		// A past deadline would fail this write before it starts.
		r.deadline = false
		_ = c.nc.SetWriteDeadline(time.Time{})
	}
	r.ctx, r.wire, r.n, r.err, r.blocked = ctx, wire, 0, nil, false
	err := r.rc.Write(r.step)
	n, blocked := r.n, r.blocked
	if err == nil {
		err = r.err
	}
	r.ctx, r.wire, r.err = nil, nil, nil
	if blocked {
		// Disarmed before the next write: a late func finds nothing armed.
		c.writeWatch.disarm()
	}
	return n, err
}

// rawStep is the RawConn.Write callback: it writes what is left of the
// wire and returns false, for the poller to wait, when the socket is full.
// The first time it is full, the deadline is set and ctx watched: its end
// then moves the deadline to the past, which ends the poller's wait.
func (c *Conn) rawStep(fd uintptr) bool {
	r := &c.raw
	for r.n < len(r.wire) {
		m, err := writeFD(fd, r.wire[r.n:])
		if m > 0 {
			r.n += m
		}
		switch {
		case err == nil:
		case errors.Is(err, syscall.EINTR):
		case errors.Is(err, syscall.EAGAIN):
			if !r.blocked {
				r.blocked, r.deadline = true, true
				_ = c.nc.SetWriteDeadline(time.Now().Add(c.opts.WriteTimeout))
				c.writeWatch.watch(c, r.ctx)
				if testHookWriteBlocked != nil {
					testHookWriteBlocked(c)
				}
			}
			return false
		default:
			r.err = &net.OpError{Op: "write", Net: c.nc.LocalAddr().Network(),
				Source: c.nc.LocalAddr(), Addr: c.nc.RemoteAddr(), Err: os.NewSyscallError("write", err)}
			return true
		}
	}
	return true
}

// testHookWriteBlocked, if set (tests only), runs when a raw write finds
// the socket full and has armed its context's watch.
var testHookWriteBlocked func(*Conn)

// writeWatch is the context whose end cuts a write short. On sockets
// written raw it is armed only while a write waits for room (writeRaw);
// otherwise it stays armed from write to write with the same context
// (writeWatched), one context.AfterFunc per context rather than one per
// write: a session sends all its commands with its call's context. While
// armed, the end of the context armed sets a past write deadline: during a
// write it cuts the write short, between writes it is overridden (or
// cleared) before the next write, which checks its context first.
//
// A write with another context (a different Done channel) disarms the old
// one and arms its own. The func armed (the same for every context) acts
// only when the context armed now has ended, under the watch's lock: a
// func of an older context that runs late finds nothing armed, or a live
// context, and does nothing, so the past deadline of one context never
// lands on a write with another, and disarming need not wait for it.
type writeWatch struct {
	mu     sync.Mutex
	ctx    context.Context // the context armed (nil: none)
	done   <-chan struct{} // its Done
	stop   func() bool
	fire   func() // c.fireWriteWatch, made once per Conn
	closed bool   // the connection has ended: arm nothing more
}

// watch makes ctx the context whose end cuts the writes short. The caller
// holds Conn.wmu.
func (w *writeWatch) watch(c *Conn, ctx context.Context) {
	done := ctx.Done()
	w.mu.Lock()
	defer w.mu.Unlock()
	if done == w.done && done != nil {
		return
	}
	w.disarmLocked()
	if done == nil || w.closed {
		return // never ends (context.Background), or nothing to write to
	}
	if w.fire == nil {
		w.fire = c.fireWriteWatch
	}
	w.ctx, w.done = ctx, done
	w.stop = context.AfterFunc(ctx, w.fire)
}

// fireWriteWatch runs when an armed context ends: if the context armed now
// has ended (it or a later one that ended as well), the write in progress,
// if any, is cut short.
func (c *Conn) fireWriteWatch() {
	w := &c.writeWatch
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.ctx != nil && w.ctx.Err() != nil {
		_ = c.nc.SetWriteDeadline(aLongTimeAgo)
	}
}

// disarm stops the armed func, if any. The caller holds Conn.wmu.
func (w *writeWatch) disarm() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.disarmLocked()
}

// disarmLocked stops the armed func; one already started finds nothing
// armed, or another context, and leaves the deadline alone.
func (w *writeWatch) disarmLocked() {
	if w.stop != nil {
		w.stop()
	}
	w.ctx, w.done, w.stop = nil, nil, nil
}

// close disarms for good, when the connection has ended: the context no
// longer holds the Conn.
func (w *writeWatch) close() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.closed = true
	w.disarmLocked()
}
