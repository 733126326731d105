package esltest

import (
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/callhook/callhook/esl"
)

// Event queue bounds. FreeSWITCH queues up to 100000 events per listener
// and kills it after 500 more are lost; the simulator queues at most 10000
// (each event is a few KB) before dropping, with the same kill.
const (
	maxQueuedEvents = 10000
	maxLostEvents   = 500
)

// queueEvent hands a fired event to the listener if it subscribed (at
// firing time, as event_handler does) and to attached inbound listeners.
func (c *Call) queueEvent(e *event) {
	if taps := c.taps.Load(); taps != nil {
		for _, t := range *taps {
			t(e)
		}
	}
	if c.closing || c.finished || !c.sub.wants(e, c.ch.uuid) {
		return
	}
	if len(c.pending) >= maxQueuedEvents {
		if c.lost++; c.lost > maxLostEvents {
			c.kill(KillLostEvents)
		}
		return
	}
	c.pending = append(c.pending, &outItem{ev: e})
}

// kill is kill_listener: unwritten events are lost, the notice carries
// reason, the connection closes; the outcome is Aborted.
func (c *Call) kill(reason string) {
	c.pending = nil
	f := disconnectFrame(c.ch.uuid)
	f.Headers[len(f.Headers)-1].Value = strconv.Itoa(len(reason))
	f.Body = []byte(reason)
	c.writeFrame(f)
	c.abort = true
	c.finish()
}

// queueFrame puts a non-event frame (a notice) in the write queue.
func (c *Call) queueFrame(f *esl.Frame) {
	c.pending = append(c.pending, &outItem{frame: f})
}

// flush writes every pending item.
func (c *Call) flush() {
	if len(c.pending) == 0 {
		return
	}
	scratch := scratchPool.Get().(*[]esl.EventHeader)
	defer scratchPool.Put(scratch)
	for len(c.pending) > 0 && !c.finished {
		it := c.pending[0]
		c.pending[0] = nil
		c.pending = c.pending[1:]
		if it.ev != nil {
			c.writeFrame(eventFrame(it.ev, c.sub.format, scratch))
		} else {
			c.writeFrame(it.frame)
		}
	}
	c.pending = c.pending[:0]
}

// writeFrame queues f's bytes for the socket, records it and applies the
// write-counting faults. The bytes go out in one write per loop step
// (flushOut), in order: a step's reply, then its events.
func (c *Call) writeFrame(f *esl.Frame) {
	if c.finished {
		return
	}
	if c.outp == nil {
		c.outp = outPool.Get().(*[]byte)
		c.out = (*c.outp)[:0]
	}
	at := len(c.out)
	c.out = appendFrame(c.out, f)
	c.trace("F>", c.out[at:])
	c.writes++
	if !c.o.DiscardHistory {
		c.mu.Lock()
		c.written = append(c.written, f)
		c.notifyLocked()
		c.mu.Unlock()
	}
	if c.o.GarbageAfter > 0 && c.writes == c.o.GarbageAfter {
		c.out = append(c.out, Garbage...)
	}
	if c.o.AbruptClose > 0 && c.writes == c.o.AbruptClose {
		c.flushOut()
		if tc, ok := c.nc.(*net.TCPConn); ok && c.o.ResetOnClose {
			_ = tc.SetLinger(0)
		}
		c.abort = true
		c.finish()
	}
}

// flushOut writes what writeFrame queued. A write error (the daemon is
// gone) ends the call, as it ends FreeSWITCH's listener.
func (c *Call) flushOut() {
	if c.outp == nil {
		return
	}
	var err error
	if len(c.out) > 0 && !c.finished {
		_, err = c.nc.Write(c.out)
	}
	*c.outp = c.out[:0]
	outPool.Put(c.outp)
	c.outp, c.out = nil, nil
	if err != nil {
		c.finish()
	}
}

// outPool and scratchPool share write buffers and header scratch space
// between calls: thousands of load-generator calls reuse a few buffers.
var (
	outPool     = sync.Pool{New: func() any { b := make([]byte, 0, 16<<10); return &b }}
	scratchPool = sync.Pool{New: func() any { s := make([]esl.EventHeader, 0, 256); return &s }}
)

// appendFrame is esl.Frame.Encode appending to b, so the loop reuses one
// buffer for every frame.
func appendFrame(b []byte, f *esl.Frame) []byte {
	for _, h := range f.Headers {
		b = append(b, h.Name...)
		b = append(b, ": "...)
		b = append(b, h.Value...)
		b = append(b, '\n')
	}
	b = append(b, '\n')
	return append(b, f.Body...)
}

// trace writes one frame to Options.Trace in the wire.txt format.
func (c *Call) trace(dir string, b []byte) {
	if c.o.Trace == nil {
		return
	}
	c.traceMu.Lock()
	defer c.traceMu.Unlock()
	ms := time.Since(c.start).Milliseconds()
	fmt.Fprintf(c.o.Trace, "--- +%d %s\n", ms, dir)
	_, _ = c.o.Trace.Write(b)
	if len(b) > 0 && b[len(b)-1] != '\n' {
		_, _ = io.WriteString(c.o.Trace, "\n")
	}
}

// closeWithNotice writes the final disconnect notice and closes, as
// FreeSWITCH does when the listener ends (exit, end of linger, hangup
// without linger).
func (c *Call) closeWithNotice() {
	if c.finished {
		return
	}
	c.flush()
	c.writeFrame(disconnectFrame(c.ch.uuid))
	c.finish()
}

// finish closes the connection and settles the call's outcome.
func (c *Call) finish() {
	if c.finished {
		return
	}
	c.flushOut()
	c.finished = true
	c.stopTimer()
	if c.hold != nil {
		c.hold.Stop()
	}
	if c.hangupTimer != nil {
		c.hangupTimer.Stop()
	}
	_ = c.nc.Close()
	r := c.outcome()
	c.mu.Lock()
	c.result = r
	c.notifyLocked()
	c.mu.Unlock()
}

// cleanup ends the loop: the reader is told to stop and waited for, so no
// goroutine outlives Done.
func (c *Call) cleanup() {
	c.finish()
	c.timer.Stop()
	c.o.Switch.live.Add(-1)
	close(c.quit)
	<-c.stopped
	close(c.done)
}

// Close drops the connection at once, without any notice (a crashed
// FreeSWITCH; the outcome is Aborted unless the call had already ended),
// and waits for the simulator's goroutines to end. Closing the socket
// directly also frees a loop blocked writing to a daemon that stopped
// reading. Safe to call any number of times, from any goroutine.
func (c *Call) Close() error {
	c.userClosed.Store(true)
	err := c.nc.Close()
	c.post(action{kind: actClose}) // wakes a loop that waits on nothing else
	<-c.done
	if err != nil && !errors.Is(err, net.ErrClosed) {
		return fmt.Errorf("esltest: close: %w", err)
	}
	return nil
}

// errNoCall is returned by waits on a call whose simulator has ended.
var errNoCall = errors.New("esltest: call ended")
