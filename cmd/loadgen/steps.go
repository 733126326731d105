package main

import (
	"bytes"
	"net"
	"sync/atomic"
	"time"
)

// steps records the latency of every step of every call. A step is one
// CHANNEL_EXECUTE_COMPLETE the simulator writes and the next sendmsg the
// daemon sends; what the daemon adds is that time minus the web app's own
// handling time for steps that made a request.
type steps struct {
	added   samples // every step, web app handling time subtracted
	webhook samples // steps that made a web request, web app time included
}

// stepConn is the simulated FreeSWITCH's socket, timing the steps as bytes
// cross it: it sees the completion leave (Write, from the simulator's one
// writer goroutine) and the next sendmsg arrive (Read, from its one reader
// goroutine) with no extra goroutine and nothing parsed twice.
type stepConn struct {
	net.Conn
	rec *steps
	// web accumulates the web app's handling time for this call, in
	// nanoseconds, since the last sendmsg; nil when the web app is not
	// in-process (its time then counts as the daemon's).
	web *atomic.Int64
	// completed is when the latest CHANNEL_EXECUTE_COMPLETE was written
	// (Unix nanoseconds), 0 when no step is open.
	completed atomic.Int64

	// Reader-goroutine state: the end of the previous read, to find a
	// "sendmsg" split across two reads, and whether a command starts at
	// the next byte.
	tail    [len(sendmsgWord)]byte // the word and the newline before it, less one byte
	tailN   int
	started bool
}

// sendmsgWord starts the command line the step timing waits for.
const sendmsgWord = "sendmsg"

var (
	completeName = []byte("CHANNEL_EXECUTE_COMPLETE")
	sendmsgLine  = []byte(sendmsgWord)
)

func newStepConn(nc net.Conn, rec *steps, web *atomic.Int64) *stepConn {
	return &stepConn{Conn: nc, rec: rec, web: web}
}

// Write opens a step when the bytes hold an application's completion. The
// simulator writes everything a loop step produced in one Write, so a
// frame is never split across Writes. The time is taken before the write:
// the daemon may answer before Write returns.
func (c *stepConn) Write(p []byte) (int, error) {
	if bytes.Contains(p, completeName) {
		c.completed.Store(time.Now().UnixNano())
	}
	return c.Conn.Write(p)
}

// Read closes the open step when a sendmsg command arrives.
func (c *stepConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if n > 0 {
		if c.sawSendmsg(p[:n]) {
			c.closeStep(time.Now())
		}
		c.keepTail(p[:n])
	}
	return n, err
}

// closeStep records the open step, if any. The web time is taken at every
// sendmsg so that a request made before the first completion (call.start)
// is never charged to a later step.
func (c *stepConn) closeStep(now time.Time) {
	var web time.Duration
	if c.web != nil {
		web = time.Duration(c.web.Swap(0))
	}
	opened := c.completed.Swap(0)
	if opened == 0 {
		return
	}
	took := now.Sub(time.Unix(0, opened))
	c.rec.added.add(max(took-web, 0))
	if web > 0 {
		c.rec.webhook.add(took)
	}
}

// sawSendmsg reports whether a sendmsg command line starts in b: "sendmsg"
// at the start of the stream or right after a newline (commands end with
// a blank line, and no header line of a command starts with that word),
// possibly begun in the previous read.
func (c *stepConn) sawSendmsg(b []byte) bool {
	if c.tailN > 0 {
		var joint [2 * len(sendmsgWord)]byte
		j := copy(joint[:], c.tail[:c.tailN])
		j += copy(joint[j:], b[:min(len(b), len(sendmsgLine))])
		if lineAt(joint[:j], !c.started) {
			return true
		}
	}
	return lineAt(b, !c.started && c.tailN == 0)
}

// lineAt reports whether "sendmsg" starts a line in b; atStart says a line
// starts at b[0].
func lineAt(b []byte, atStart bool) bool {
	if atStart && bytes.HasPrefix(b, sendmsgLine) {
		return true
	}
	for i := 0; ; {
		j := bytes.Index(b[i:], sendmsgLine)
		if j < 0 {
			return false
		}
		if k := i + j; k > 0 && b[k-1] == '\n' {
			return true
		}
		i += j + 1
	}
}

// keepTail remembers the last bytes read, so a command line split across
// reads is still seen.
func (c *stepConn) keepTail(b []byte) {
	c.started = true
	if len(b) >= len(c.tail) {
		c.tailN = copy(c.tail[:], b[len(b)-len(c.tail):])
		return
	}
	keep := min(c.tailN, len(c.tail)-len(b))
	copy(c.tail[:], c.tail[c.tailN-keep:c.tailN])
	c.tailN = keep + copy(c.tail[keep:], b)
}
