// Package replay is loadgen's simulated FreeSWITCH: it answers a daemon's
// commands with the frames a real FreeSWITCH 1.10.12 sent for the same
// commands, replayed byte for byte from a recorded call (menu.txt, a copy
// of esl/testdata/real-traces/menu.txt), with the call's own UUIDs,
// application names and arguments put in. A menu call so gets the real
// count and size of events: 17 events of 1.9–4.6 KB plus the connect
// reply, with about 100 headers each.
//
// It imports no callhook package on purpose: the load and the floor it is
// compared with must not share callhook's framing or parsing, or the
// comparison would measure callhook's code on both sides.
package replay

import (
	"bufio"
	"bytes"
	_ "embed"
	"fmt"
	"io"
	"strconv"
	"strings"
)

//go:embed menu.txt
var menuTrace []byte

// recorded call facts of menu.txt that the replay replaces per call.
const (
	recordedCallUUID = "e4d39b97-ab75-46a1-87dc-837e918c0c57"
	recordedDigitVar = "variable_callhook_digits_3: 1"
	recordedDTMF     = "DTMF-Digit: 1"
	recordedAppVar   = "variable_callhook_app: menu"
)

// slot is a part of a frame filled in per call.
type slot int

const (
	literal   slot = iota
	callUUID       // the call's Unique-ID
	appUUID        // the execute's Event-UUID (Application-UUID)
	appName        // the executed application's name
	appData        // its argument, URL-encoded as FreeSWITCH encodes values
	digitVar       // "variable_<gather var>: <digit>", or nothing
	dtmfDigit      // "DTMF-Digit: <digit>"
	appVar         // "variable_callhook_app: <app>", or nothing
)

type piece struct {
	slot slot
	lit  []byte
}

// frame is one recorded FreeSWITCH frame as a template. An event's outer
// header block is rebuilt around its body, since the body's length
// changes with the argument put in.
type frame struct {
	event  bool    // text/event-plain: pieces are the body
	pieces []piece // the whole frame, or the event's body
	name   string  // Event-Name, for events
}

// response is what FreeSWITCH sent after one command, up to the next.
type response struct {
	app    string // the executed application, "" for other commands
	frames []frame
}

// Trace is a recorded call, ready to replay.
type Trace struct {
	connect  frame                 // the connect reply (CHANNEL_DATA), built from the first event
	byApp    map[string][]response // execute responses by application, in recorded order
	commands map[string]response   // other commands' responses by their first word
	// hangupTail is what follows the daemon's hangup (its +OK reply
	// left out): the hangup events and the linger notice.
	hangupTail []frame
}

// Menu is the recorded menu call: answer, playback, play_and_get_digits
// with the caller pressing a key, playback, hangup, exit.
func Menu() *Trace {
	t, err := parse(menuTrace)
	if err != nil {
		panic(err) // the embedded trace is part of the program
	}
	return t
}

// record is one frame of a trace file, C> or F>.
type record struct {
	fromDaemon bool
	headers    []string // "Name: value" lines of the outer block
	body       []byte
}

// parse reads a wire trace: "--- +<ms> C>" or "F>" lines, each followed
// by a frame framed by its Content-Length.
func parse(b []byte) (*Trace, error) {
	var recs []record
	r := bufio.NewReader(bytes.NewReader(b))
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			break
		}
		if !strings.HasPrefix(line, "--- ") {
			continue
		}
		rec := record{fromDaemon: strings.HasSuffix(strings.TrimSpace(line), "C>")}
		n := 0
		for {
			h, err := r.ReadString('\n')
			if err != nil {
				return nil, fmt.Errorf("trace: frame cut short")
			}
			h = strings.TrimRight(h, "\n")
			if h == "" {
				break
			}
			rec.headers = append(rec.headers, h)
			if v, ok := strings.CutPrefix(h, "Content-Length: "); ok {
				n, _ = strconv.Atoi(v)
			}
		}
		if n > 0 {
			rec.body = make([]byte, n)
			if _, err := io.ReadFull(r, rec.body); err != nil {
				return nil, fmt.Errorf("trace: body cut short")
			}
		}
		recs = append(recs, rec)
	}
	t := &Trace{byApp: map[string][]response{}, commands: map[string]response{}}
	for i := 0; i < len(recs); i++ {
		c := recs[i]
		if !c.fromDaemon {
			continue
		}
		var fs []record
		for i+1 < len(recs) && !recs[i+1].fromDaemon {
			i++
			fs = append(fs, recs[i])
		}
		cmd := strings.Fields(c.headers[0])[0]
		if cmd != "sendmsg" {
			t.commands[cmd] = response{frames: templates(fs, "", "", "")}
			continue
		}
		h := headerMap(c.headers[1:])
		switch h["call-command"] {
		case "execute":
			app := h["execute-app-name"]
			t.byApp[app] = append(t.byApp[app], response{app: app,
				frames: templates(fs, h["Event-UUID"], app, h["execute-app-arg"])})
		case "hangup":
			res := templates(fs, "", "", "")
			t.commands["hangup"] = response{frames: res[:1]}
			t.hangupTail = res[1:]
		}
	}
	var first *record
	for i := range recs {
		if !recs[i].fromDaemon && len(recs[i].body) > 0 {
			first = &recs[i]
			break
		}
	}
	if first == nil || len(t.byApp["playback"]) == 0 || len(t.hangupTail) == 0 || t.commands["exit"].frames == nil {
		return nil, fmt.Errorf("trace: not a whole call")
	}
	t.connect = connectReply(first.body)
	return t, nil
}

func headerMap(lines []string) map[string]string {
	m := make(map[string]string, len(lines))
	for _, l := range lines {
		if k, v, ok := strings.Cut(l, ": "); ok {
			m[k] = v
		}
	}
	return m
}

// connectReply builds the reply to connect from the call's first event:
// FreeSWITCH answers connect with the channel's headers as CHANNEL_DATA
// followed by the reply's own (src/mod/applications/mod_event_socket/
// mod_event_socket.c, the outbound "connect" handling).
func connectReply(firstEvent []byte) frame {
	head, _, _ := bytes.Cut(firstEvent, []byte("\n\n"))
	var b bytes.Buffer
	for l := range strings.SplitSeq(string(head), "\n") {
		if strings.HasPrefix(l, "Event-Name: ") {
			l = "Event-Name: CHANNEL_DATA"
		}
		b.WriteString(l)
		b.WriteByte('\n')
	}
	b.WriteString("Content-Type: command/reply\nReply-Text: %2BOK%0A\nSocket-Mode: async\nControl: full\n\n")
	return frame{pieces: split(b.Bytes(), "", "", "")}
}

// templates turns recorded frames into templates: events (text/event-
// plain) keep their body as pieces, other frames are kept whole.
func templates(recs []record, uuid, app, arg string) []frame {
	out := make([]frame, 0, len(recs))
	for _, r := range recs {
		h := headerMap(r.headers)
		if h["Content-Type"] == "text/event-plain" {
			f := frame{event: true, pieces: split(r.body, uuid, app, urlEncode(arg))}
			if n, ok := headerMap(strings.Split(string(r.body), "\n"))["Event-Name"]; ok {
				f.name = n
			}
			out = append(out, f)
			continue
		}
		var b bytes.Buffer
		for _, l := range r.headers {
			b.WriteString(l)
			b.WriteByte('\n')
		}
		b.WriteByte('\n')
		b.Write(r.body)
		out = append(out, frame{pieces: split(b.Bytes(), "", "", "")})
	}
	return out
}

// split cuts b into literal pieces and slots, line by line.
func split(b []byte, uuid, app, encArg string) []piece {
	var ps []piece
	var lit []byte
	flush := func() {
		if len(lit) > 0 {
			ps = append(ps, piece{lit: lit})
			lit = nil
		}
	}
	put := func(s slot) { flush(); ps = append(ps, piece{slot: s}) }
	lines := bytes.SplitAfter(b, []byte("\n"))
	for _, l := range lines {
		line := strings.TrimSuffix(string(l), "\n")
		name, value, _ := strings.Cut(line, ": ")
		switch {
		case line == recordedDigitVar:
			put(digitVar)
			continue
		case line == recordedDTMF:
			put(dtmfDigit)
			lit = append(lit, '\n')
			continue
		case line == recordedAppVar:
			put(appVar)
			continue
		case app != "" && value == app && (name == "Application" || name == "variable_current_application"):
			lit = append(lit, name+": "...)
			put(appName)
			lit = append(lit, '\n')
			continue
		case encArg != "" && value == encArg:
			lit = append(lit, name+": "...)
			put(appData)
			lit = append(lit, '\n')
			continue
		}
		// UUIDs anywhere in the line.
		rest := string(l)
		for {
			i, s, n := nextUUID(rest, uuid)
			if i < 0 {
				break
			}
			lit = append(lit, rest[:i]...)
			put(s)
			rest = rest[i+n:]
		}
		lit = append(lit, rest...)
	}
	flush()
	return ps
}

// nextUUID finds the first of the recorded call UUID and the execute's
// UUID in s.
func nextUUID(s, exec string) (at int, s2 slot, n int) {
	at, s2, n = strings.Index(s, recordedCallUUID), callUUID, len(recordedCallUUID)
	if exec != "" {
		if j := strings.Index(s, exec); j >= 0 && (at < 0 || j < at) {
			at, s2, n = j, appUUID, len(exec)
		}
	}
	return at, s2, n
}

// urlEncode encodes a header value as FreeSWITCH does in plain events
// (switch_url_encode in src/switch_utils.c, SWITCH_URL_UNSAFE in
// src/include/switch_utils.h).
func urlEncode(s string) string {
	const hex = "0123456789ABCDEF"
	const unsafe = "\r\n #%&+:;<=>?@[\\]^`{|}\""
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < ' ' || c > '~' || strings.IndexByte(unsafe, c) >= 0 {
			b.WriteByte('%')
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&15])
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}
