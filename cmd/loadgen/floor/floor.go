// Package floor is the thinnest correct outbound event socket handler:
// the floor callhook's cost is measured against. It drives the menu call
// callhook drives for loadgen's menu app (connect, linger, myevents,
// answer, playback, play_and_get_digits, the option's playback, hangup,
// the hangup tail, exit; each execute event-locked with a fresh
// Event-UUID and waited for by its Application-UUID) and makes the same
// keep-alive HTTP requests per call as callhook does for that app: one at
// the start, one after the gather (one for a held call).
//
// It imports no callhook package: it frames by Content-Length and reads
// only Content-Type, Reply-Text, Event-Name and Application-UUID (and,
// once per call from the connect reply, Unique-ID and
// variable_callhook_app), with one read buffer and one frame buffer per
// connection, reused for every frame. Anything it does not understand
// ends the call with an error it counts (Failures); it logs nothing.
package floor

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// HoldFile is the playback a held call (callhook_app "hold") waits in.
const HoldFile = "silence_stream://3600000"

// Handler serves outbound connections.
type Handler struct {
	web    string // base URL of the web app; "" makes no requests
	client *http.Client

	mu     sync.Mutex
	failed map[string]int
	wg     sync.WaitGroup
}

// New returns the floor; web is the web app's base URL ("" for none).
// Its HTTP pool keeps every connection alive, as a tuned client would.
func New(web string) *Handler {
	h := &Handler{web: web, failed: map[string]int{}}
	if web != "" {
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.MaxIdleConns = 0
		t.MaxIdleConnsPerHost = 10000
		h.client = &http.Client{Transport: t, Timeout: 10 * time.Second}
	}
	return h
}

// Serve accepts calls on ln until it is closed, then waits for the calls
// in progress.
func (h *Handler) Serve(ln net.Listener) error {
	defer h.wg.Wait()
	for {
		nc, err := ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return nil
			}
			return err
		}
		h.wg.Go(func() { h.serve(nc) })
	}
}

// Failures says how many calls the floor could not drive, by error.
func (h *Handler) Failures() (total int, text string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	kinds := make([]string, 0, len(h.failed))
	for k, n := range h.failed {
		total += n
		kinds = append(kinds, fmt.Sprintf("%d× %s", n, k))
	}
	sort.Strings(kinds)
	if total == 0 {
		return 0, "none"
	}
	return total, strings.Join(kinds, ", ")
}

func (h *Handler) serve(nc net.Conn) {
	defer nc.Close()
	c := &conn{nc: nc, r: bufio.NewReaderSize(nc, 4096)}
	if err := h.drive(c); err != nil {
		h.mu.Lock()
		h.failed[err.Error()]++
		h.mu.Unlock()
	}
}

// drive runs one call.
func (h *Handler) drive(c *conn) error {
	if err := c.command("connect"); err != nil {
		return err
	}
	if c.uuid == "" {
		return errors.New("connect: no Unique-ID")
	}
	if err := c.command("linger"); err != nil {
		return err
	}
	if err := c.command("myevents"); err != nil {
		return err
	}
	if err := h.step(c.uuid, "call.start"); err != nil {
		return err
	}
	if err := c.execute("answer", ""); err != nil {
		return err
	}
	if c.app == "hold" {
		if err := c.execute("playback", HoldFile); err != nil {
			return err
		}
		return c.finish()
	}
	for _, a := range [][2]string{
		{"playback", "ivr/welcome.wav"},
		{"play_and_get_digits", `1 1 1 3000 # ivr/menu.wav silence_stream://250 callhook_digits_3 \d+ 3000`},
	} {
		if err := c.execute(a[0], a[1]); err != nil {
			return err
		}
	}
	if !c.over {
		if err := h.step(c.uuid, "verb.result"); err != nil {
			return err
		}
		if err := c.execute("playback", "ivr/option.wav"); err != nil {
			return err
		}
	}
	if !c.over {
		c.w = append(c.w[:0], "sendmsg\ncall-command: hangup\nhangup-cause: NORMAL_CLEARING\n\n"...)
		if err := c.send("hangup"); err != nil {
			return err
		}
	}
	return c.finish()
}

// step makes one keep-alive POST to the web app.
func (h *Handler) step(id, name string) error {
	if h.web == "" {
		return nil
	}
	body := `{"call_id":"` + id + `","event":"` + name + `"}`
	req, err := http.NewRequest(http.MethodPost, h.web+"/step", strings.NewReader(body))
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Callhook-Call-Id", id)
	resp, err := h.client.Do(req)
	if err != nil {
		return fmt.Errorf("%s: request failed", name)
	}
	_, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: web app answered %d", name, resp.StatusCode)
	}
	return nil
}

// conn is one call's connection and its reused buffers.
type conn struct {
	nc net.Conn
	r  *bufio.Reader
	w  []byte // the command being written
	// The frame just read: its body lives in body (reused), the values
	// below point into body or are small copies.
	body      []byte
	ctype     string // interned: one of the few content types
	replyOK   bool   // Reply-Text starts with +OK
	eventName []byte
	appUUID   []byte

	uuid, app string // from the connect reply
	over      bool   // CHANNEL_HANGUP_COMPLETE was read
	gone      bool   // the disconnect notice was read
	eventUUID [36]byte
}

// command sends a one-line command and reads its reply, skipping events.
func (c *conn) command(line string) error {
	c.w = append(append(c.w[:0], line...), "\n\n"...)
	return c.send(line)
}

// send writes c.w and reads frames up to its command/reply.
func (c *conn) send(what string) error {
	if _, err := c.nc.Write(c.w); err != nil {
		return fmt.Errorf("%s: write failed", what)
	}
	for {
		if err := c.frame(what == "connect"); err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		if c.ctype == "command/reply" {
			if !c.replyOK {
				return fmt.Errorf("%s: refused", what)
			}
			return nil
		}
	}
}

// execute runs an application event-locked and waits for its completion.
func (c *conn) execute(app, arg string) error {
	newUUID(&c.eventUUID)
	c.w = append(c.w[:0], "sendmsg\ncall-command: execute\nexecute-app-name: "...)
	c.w = append(c.w, app...)
	if arg != "" {
		c.w = append(c.w, "\nexecute-app-arg: "...)
		c.w = append(c.w, arg...)
	}
	c.w = append(c.w, "\nevent-lock: true\nEvent-UUID: "...)
	c.w = append(c.w, c.eventUUID[:]...)
	c.w = append(c.w, "\n\n"...)
	if err := c.send(app); err != nil {
		return err
	}
	for {
		if err := c.frame(false); err != nil {
			return fmt.Errorf("%s: %w", app, err)
		}
		if string(c.eventName) == "CHANNEL_EXECUTE_COMPLETE" && bytes.Equal(c.appUUID, c.eventUUID[:]) {
			return nil
		}
		if c.over {
			return nil // hung up before the application ran: no completion comes
		}
	}
}

// finish reads the hangup tail and says exit.
func (c *conn) finish() error {
	for !c.over && !c.gone {
		if err := c.frame(false); err != nil {
			return fmt.Errorf("hangup tail: %w", err)
		}
	}
	if c.gone {
		return nil
	}
	return c.command("exit")
}

// frame reads one frame. connect asks for the connect reply's channel
// facts too.
func (c *conn) frame(connect bool) error {
	c.ctype, c.replyOK, c.eventName, c.appUUID = "", false, nil, nil
	n := 0
	for {
		line, err := c.r.ReadSlice('\n')
		if err != nil {
			if errors.Is(err, bufio.ErrBufferFull) {
				// A header line longer than the buffer: only the
				// connect reply's variables could be; skip it.
				for errors.Is(err, bufio.ErrBufferFull) {
					_, err = c.r.ReadSlice('\n')
				}
				if err == nil {
					continue
				}
			}
			if c.gone || c.over {
				return errors.New("connection closed")
			}
			return errors.New("connection closed before the hangup")
		}
		line = bytes.TrimRight(line, "\r\n")
		if len(line) == 0 {
			break
		}
		name, value, _ := bytes.Cut(line, []byte(": "))
		switch string(name) {
		case "Content-Length":
			n, err = strconv.Atoi(string(value))
			if err != nil || n < 0 || n > 1<<20 {
				return errors.New("bad Content-Length")
			}
		case "Content-Type":
			c.ctype = contentType(value)
		case "Reply-Text":
			c.replyOK = bytes.HasPrefix(value, []byte("+OK")) || bytes.HasPrefix(value, []byte("%2BOK"))
		}
		if connect {
			switch string(name) {
			case "Unique-ID":
				c.uuid = string(value)
			case "variable_callhook_app":
				c.app = string(value)
			}
		}
	}
	if cap(c.body) < n {
		c.body = make([]byte, n)
	}
	c.body = c.body[:n]
	if _, err := io.ReadFull(c.r, c.body); err != nil {
		return errors.New("frame cut short")
	}
	switch c.ctype {
	case "text/event-plain":
		c.eventHeaders()
		if string(c.eventName) == "CHANNEL_HANGUP_COMPLETE" {
			c.over = true
		}
	case "text/disconnect-notice":
		if !bytes.Contains(c.body, []byte("linger")) && n > 0 {
			c.gone = true
		}
	}
	return nil
}

// eventHeaders finds Event-Name and Application-UUID in a plain event's
// header block (their values need no URL decoding: names and UUIDs).
func (c *conn) eventHeaders() {
	b := c.body
	for len(b) > 0 {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			i = len(b)
		}
		line := b[:i]
		if len(line) == 0 {
			return // the event's own body follows
		}
		if v, ok := bytes.CutPrefix(line, []byte("Event-Name: ")); ok {
			c.eventName = v
		} else if v, ok := bytes.CutPrefix(line, []byte("Application-UUID: ")); ok {
			c.appUUID = v
		}
		if i == len(b) {
			return
		}
		b = b[i+1:]
	}
}

// contentType interns the few content types without allocating.
func contentType(v []byte) string {
	for _, t := range []string{"command/reply", "text/event-plain", "text/disconnect-notice", "api/response", "auth/request"} {
		if string(v) == t {
			return t
		}
	}
	return "other"
}

// newUUID writes a random version 4 UUID into u.
func newUUID(u *[36]byte) {
	var r [16]byte
	_, _ = rand.Read(r[:])
	r[6] = r[6]&0x0f | 0x40
	r[8] = r[8]&0x3f | 0x80
	const hex = "0123456789abcdef"
	j := 0
	for i, b := range r {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			u[j] = '-'
			j++
		}
		u[j], u[j+1] = hex[b>>4], hex[b&15]
		j += 2
	}
}
