package replay

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
)

// Options are one call's own facts.
type Options struct {
	UUID  string // the channel's Unique-ID
	App   string // the callhook_app channel variable; "" leaves it out
	Digit string // the key pressed in a play_and_get_digits; "" presses none
	// HoldArg: a playback of this argument does not complete until the
	// caller hangs up (Hangup).
	HoldArg string
	// OnExecute, when set, is called with every application the daemon
	// executes, once FreeSWITCH's answer to it is written (for a held
	// playback: its start; Hangup may be called from it).
	OnExecute func(app, arg string)
}

// Result is how a call ended.
type Result struct {
	By    string // "daemon" or "caller": who hung up; "" nobody
	Cause string // the hangup cause the daemon asked for
	Err   error  // the connection failed before the daemon said exit
}

func (r Result) String() string {
	switch {
	case r.Err != nil:
		return r.Err.Error()
	case r.By == "":
		return "daemon left without a hangup"
	}
	return fmt.Sprintf("hung up (%s by %s)", r.Cause, r.By)
}

// Call is one simulated call on a connection to the daemon: one goroutine
// reads its commands and answers each with the recorded frames, written in
// one Write per command (so a timing wrapper sees whole frames).
type Call struct {
	nc   net.Conn
	t    *Trace
	o    Options
	done chan struct{}

	wmu       sync.Mutex // one writer at a time: the command loop and Hangup
	buf       []byte     // the write buffer, reused
	held      []frame    // the held playback's remaining frames
	heldExec  execCtx
	over      bool // the hangup events were sent
	digitLine string
	seen      map[string]int // executes per application, to pick its recording
	// The event types the daemon nixed (nixevent.go); guarded by wmu.
	nixed  map[string]bool
	nixAll bool

	res Result
}

// execCtx is the execute a frame belongs to.
type execCtx struct{ uuid, app, arg string }

// Start begins serving the call on nc.
func Start(nc net.Conn, t *Trace, o Options) *Call {
	c := &Call{nc: nc, t: t, o: o, done: make(chan struct{}), seen: map[string]int{}}
	go c.run()
	return c
}

// Done is closed when the call is over (the daemon said exit, or the
// connection ended).
func (c *Call) Done() <-chan struct{} { return c.done }

// Result is how the call ended; call it after Done.
func (c *Call) Result() Result {
	<-c.done
	c.wmu.Lock()
	defer c.wmu.Unlock()
	return c.res
}

// Close ends the call's connection and waits for its goroutine.
func (c *Call) Close() {
	c.nc.Close()
	<-c.done
}

// Hangup is the caller hanging up: CHANNEL_HANGUP, the held playback's
// completion, then the rest of the hangup tail.
func (c *Call) Hangup() {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.over {
		return
	}
	c.over = true
	c.res.By, c.res.Cause = "caller", "NORMAL_CLEARING"
	b := c.buf[:0]
	tail := c.t.hangupTail
	b = c.render(b, tail[:1], execCtx{})
	b = c.render(b, c.held, c.heldExec)
	b = c.render(b, tail[1:], execCtx{})
	c.held = nil
	c.buf = b
	_, _ = c.nc.Write(b)
}

func (c *Call) run() {
	defer close(c.done)
	r := bufio.NewReaderSize(c.nc, 4096)
	var hdr []string
	for {
		var body []byte
		var err error
		hdr, body, err = readCommand(r, hdr[:0])
		if err != nil {
			c.wmu.Lock()
			if c.res.Err == nil && !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) {
				c.res.Err = err
			}
			c.wmu.Unlock()
			return
		}
		if c.answer(hdr, body) {
			return
		}
	}
}

// answer writes FreeSWITCH's answer to one command; exit reports the
// daemon said exit and the connection is closed.
func (c *Call) answer(hdr []string, body []byte) (exit bool) {
	cmd, _, _ := strings.Cut(hdr[0], " ")
	var exec *execCtx
	var resp []frame
	switch cmd {
	case "connect":
		resp = []frame{c.t.connect}
	case "exit":
		resp, exit = c.t.commands["exit"].frames, true
	case "nixevent":
		c.wmu.Lock()
		reply := c.nixEvents(strings.Fields(hdr[0])[1:])
		c.wmu.Unlock()
		resp = []frame{{pieces: []piece{{lit: []byte("Content-Type: command/reply\nReply-Text: " + reply + "\n\n")}}}}
	case "sendmsg":
		h := headerMap(hdr[1:])
		switch h["call-command"] {
		case "execute":
			arg := h["execute-app-arg"]
			if arg == "" && len(body) > 0 {
				arg = string(body)
			}
			exec = &execCtx{uuid: h["Event-UUID"], app: h["execute-app-name"], arg: arg}
		case "hangup":
			c.wmu.Lock()
			if !c.over {
				c.over = true
				c.res.By, c.res.Cause = "daemon", h["hangup-cause"]
				resp = append(append([]frame(nil), c.t.commands["hangup"].frames...), c.t.hangupTail...)
			}
			c.wmu.Unlock()
		}
	}
	if exec != nil {
		failed := c.execute(*exec)
		// After the application's first events are out: a caller that
		// hangs up on seeing the hold finds it held.
		if c.o.OnExecute != nil {
			c.o.OnExecute(exec.app, exec.arg)
		}
		return failed
	}
	if resp == nil {
		resp = okReply
	}
	c.wmu.Lock()
	b := c.render(c.buf[:0], resp, execCtx{})
	c.buf = b
	_, err := c.nc.Write(b)
	c.wmu.Unlock()
	if exit {
		c.nc.Close()
		return true
	}
	return err != nil
}

// okReply answers the commands the trace has no answer for (filter,
// event, resume, ...).
var okReply = []frame{{pieces: []piece{{lit: []byte("Content-Type: command/reply\nReply-Text: +OK\n\n")}}}}

// execute answers an execute with the application's recorded events.
func (c *Call) execute(e execCtx) bool {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.over {
		// The channel is hanging up: FreeSWITCH still says +OK and the
		// application never runs.
		c.buf = c.render(c.buf[:0], okReply, e)
		_, err := c.nc.Write(c.buf)
		return err != nil
	}
	recs := c.t.byApp[e.app]
	if len(recs) == 0 {
		recs = c.t.byApp["playback"]
	}
	frames := recs[c.seen[e.app]%len(recs)].frames
	c.seen[e.app]++
	if e.app == "play_and_get_digits" {
		c.digitLine = ""
		// min max tries timeout terminators file invalid_file var ...
		// (src/mod/applications/mod_dptools/mod_dptools.c,
		// play_and_get_digits): the digits go in the 8th argument's variable.
		if f := strings.Fields(e.arg); len(f) >= 8 && c.o.Digit != "" {
			c.digitLine = "variable_" + f[7] + ": " + c.o.Digit + "\n"
		}
	}
	if c.o.HoldArg != "" && e.app == "playback" && e.arg == c.o.HoldArg {
		// Everything up to the completion now; the completion when the
		// caller hangs up.
		i := len(frames) - 1
		for i > 0 && frames[i].name != "CHANNEL_EXECUTE_COMPLETE" {
			i--
		}
		c.held, c.heldExec = frames[i:], e
		frames = frames[:i]
	}
	c.buf = c.render(c.buf[:0], frames, e)
	_, err := c.nc.Write(c.buf)
	return err != nil
}

// render appends the frames, filled in for this call and execute, to b.
func (c *Call) render(b []byte, frames []frame, e execCtx) []byte {
	for _, f := range frames {
		if f.event && (f.name == "DTMF" && c.o.Digit == "" || !c.wants(f.name)) {
			continue
		}
		if !f.event {
			b = c.fill(b, f.pieces, e)
			continue
		}
		n := 0
		for _, p := range f.pieces {
			if p.slot == literal {
				n += len(p.lit)
			} else {
				n += len(c.value(p, e))
			}
		}
		b = append(b, "Content-Length: "...)
		b = strconv.AppendInt(b, int64(n), 10)
		b = append(b, "\nContent-Type: text/event-plain\n\n"...)
		b = c.fill(b, f.pieces, e)
	}
	return b
}

func (c *Call) fill(b []byte, ps []piece, e execCtx) []byte {
	for _, p := range ps {
		if p.slot == literal {
			b = append(b, p.lit...)
			continue
		}
		b = append(b, c.value(p, e)...)
	}
	return b
}

// value is what a piece stands for in this call.
func (c *Call) value(p piece, e execCtx) string {
	switch p.slot {
	case callUUID:
		return c.o.UUID
	case appUUID:
		return e.uuid
	case appName:
		return e.app
	case appData:
		return urlEncode(e.arg)
	case digitVar:
		return c.digitLine
	case dtmfDigit:
		return "DTMF-Digit: " + c.o.Digit
	case appVar:
		if c.o.App == "" {
			return ""
		}
		return "variable_callhook_app: " + c.o.App + "\n"
	}
	return ""
}

// readCommand reads one command: its header lines up to the blank line,
// and a body of Content-Length bytes if it has one.
func readCommand(r *bufio.Reader, hdr []string) ([]string, []byte, error) {
	n := 0
	for {
		line, err := r.ReadSlice('\n')
		if err != nil {
			return hdr, nil, err
		}
		l := strings.TrimRight(string(line), "\r\n")
		if l == "" {
			if len(hdr) == 0 {
				continue
			}
			break
		}
		if v, ok := strings.CutPrefix(l, "Content-Length: "); ok {
			n, _ = strconv.Atoi(v)
		}
		hdr = append(hdr, l)
	}
	if n <= 0 {
		return hdr, nil, nil
	}
	body := make([]byte, n)
	if _, err := io.ReadFull(r, body); err != nil {
		return hdr, nil, err
	}
	return hdr, body, nil
}
