package esl

import (
	"bytes"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Command is one command to FreeSWITCH: a command line, headers and an
// optional body. It is an immutable value; constructors build it and
// Encode validates it, so a value holding CR or LF can never become an extra
// header or command.
type Command struct {
	Line    string
	Headers Headers
	Body    []byte
}

// Format is an event serialisation FreeSWITCH can use.
type Format string

// The event formats of event, myevents and the text/event-* content types.
const (
	FormatPlain Format = "plain"
	FormatJSON  Format = "json"
	FormatXML   Format = "xml"
)

// ExecuteOptions are the optional parts of a sendmsg execute.
type ExecuteOptions struct {
	UUID      string // target channel; "" means the controlled channel (outbound)
	EventUUID string // comes back as Application-UUID; "" means none is sent
	Loops     int    // 0 or 1 means once; <0 forever
	EventLock bool   // event-lock: true (serialises queued executes)
	Async     bool   // async: true
}

// UnicastOptions are the headers of a sendmsg unicast; empty fields are left
// to FreeSWITCH's defaults.
type UnicastOptions struct {
	LocalIP, LocalPort, RemoteIP, RemotePort, Transport, Flags string
}

// Limits FreeSWITCH's read_packet puts on what it accepts (mod_event_socket.c:
// a Content-Length below 0 or above 16 MiB, a header block of 10 MiB). Past them it drops the connection (body) or cuts the header block
// short (headers), so Encode refuses such commands instead.
const (
	maxCommandBody   = 16 << 20 // MAX_CONTENT_LENGTH
	maxCommandHeader = 10 << 20 // read_packet's max_len for the header block
)

// MaxHeaderArg is the longest execute argument Execute sends in an
// execute-app-arg header; longer ones go in a text/plain body. FreeSWITCH
// itself has accepted header blocks of up to 10 MiB since 2011 (FS-3621), but
// older builds stopped at 2048 bytes for the whole block, and bodies are what
// FreeSWITCH's own clients use for long arguments; 1024 bytes keeps every
// header form well inside that old limit while common arguments (file paths,
// play_and_get_digits lists) still read naturally in a header.
const MaxHeaderArg = 1024

// CommandError reports a Command that Encode refused to put on the wire,
// because a part of it would change meaning there (CR, LF or NUL outside the
// body, a Content-Length that disagrees with the body) or because FreeSWITCH
// would silently alter or drop it (an empty header value, a leading space).
// Nothing of such a command is ever written.
type CommandError struct {
	// Command is the command word (the line up to its first space), kept
	// short and free of arguments, which can hold passwords.
	Command string
	// Reason says which part is invalid and why.
	Reason string
}

// Error returns the reason with the command word, never the arguments.
func (e *CommandError) Error() string {
	return fmt.Sprintf("esl: invalid command %q: %s", e.Command, e.Reason)
}

// Encode returns the command's exact wire bytes: the line, one "Name: Value"
// line per header, an empty line, then the body. A non-empty body gets a
// "content-length" header when the command has no Content-Length yet. Encode
// returns a *CommandError, and no bytes, when a part of the command cannot be
// sent safely:
//
//   - an empty line, or a line that starts or ends with a space or tab
//     (FreeSWITCH splits arguments on spaces, so this is a missing argument);
//   - CR, LF or NUL in the line, a header name or a header value;
//   - an empty header name, or one holding ':', a space or a control byte;
//   - an empty header value (FreeSWITCH drops the header) or one starting with
//     a space (FreeSWITCH strips it);
//   - an execute-app-name value holding a space;
//   - a Content-Length header that is not a decimal number equal to the body's
//     length, or more than one (FreeSWITCH would read the next command's bytes
//     as the body);
//   - NUL in the body (FreeSWITCH truncates every body there), or a body over
//     16 MiB, or a header block over 10 MiB (FreeSWITCH's input limits).
func (c Command) Encode() ([]byte, error) {
	addLength, err := c.check()
	if err != nil {
		return nil, err
	}
	return c.appendWire(make([]byte, 0, c.wireLen(addLength)), addLength), nil
}

// appendEncoded is Encode appending to b: b unchanged and the error when
// the command cannot be sent.
func (c Command) appendEncoded(b []byte) ([]byte, error) {
	addLength, err := c.check()
	if err != nil {
		return b, err
	}
	return c.appendWire(b, addLength), nil
}

// wireLen is the length of the command's wire bytes.
func (c Command) wireLen(addLength bool) int {
	n := len(c.Line) + 2 + len(c.Body)
	for _, h := range c.Headers {
		n += len(h.Name) + len(h.Value) + 3
	}
	if addLength {
		var digits [20]byte
		n += len("content-length: \n") + len(strconv.AppendInt(digits[:0], int64(len(c.Body)), 10))
	}
	return n
}

// appendWire appends the wire bytes of c, which check has passed (addLength
// is what it said), to b: Conn writes commands from a reused buffer instead
// of a new one per command.
func (c Command) appendWire(b []byte, addLength bool) []byte {
	b = append(b, c.Line...)
	b = append(b, '\n')
	for _, h := range c.Headers {
		b = append(b, h.Name...)
		b = append(b, ": "...)
		b = append(b, h.Value...)
		b = append(b, '\n')
	}
	if addLength {
		b = append(b, "content-length: "...)
		b = strconv.AppendInt(b, int64(len(c.Body)), 10)
		b = append(b, '\n')
	}
	b = append(b, '\n')
	return append(b, c.Body...)
}

// check validates c (see Encode) and reports whether Encode must add a
// content-length header. It runs on every command sent, so each string is
// scanned once, a byte (or eight) at a time: no IndexAny set, no rune
// decoding, no Unicode folding of an ASCII name.
func (c Command) check() (addLength bool, err error) {
	fail := func(format string, a ...any) (bool, error) {
		return false, &CommandError{Command: cmdWord(c.Line), Reason: fmt.Sprintf(format, a...)}
	}
	switch {
	case c.Line == "":
		return fail("empty command line")
	case cmdBreakAt(c.Line) >= 0:
		return fail("command line contains %s", cmdBadByte(c.Line))
	case cmdBlank(c.Line[0]) || cmdBlank(c.Line[len(c.Line)-1]):
		return fail("command line starts or ends with a space (a missing argument?)")
	}
	block := len(c.Line) + 2
	length := -1
	for _, h := range c.Headers {
		bad, ascii := cmdScanName(h.Name)
		switch {
		case h.Name == "":
			return fail("header with an empty name")
		case bad:
			return fail("header name %q contains ':', a space or a control byte", h.Name)
		case h.Value == "":
			return fail("header %q has an empty value, which FreeSWITCH drops", h.Name)
		case cmdBreakAt(h.Value) >= 0:
			return fail("header %q value contains %s", h.Name, cmdBadByte(h.Value))
		case h.Value[0] == ' ':
			return fail("header %q value starts with a space, which FreeSWITCH strips", h.Name)
		case cmdNameIs(h.Name, ascii, "execute-app-name") && strings.ContainsAny(h.Value, " \t"):
			return fail("application name contains a space")
		case cmdNameIs(h.Name, ascii, "content-length"):
			if length >= 0 {
				return fail("more than one Content-Length header")
			}
			n, ok := cmdParseLength(h.Value)
			if !ok {
				return fail("Content-Length %q is not a decimal number", h.Value)
			}
			if n != len(c.Body) {
				return fail("Content-Length %d does not match the %d-byte body", n, len(c.Body))
			}
			length = n
		}
		block += len(h.Name) + len(h.Value) + 3
	}
	switch {
	case block >= maxCommandHeader:
		return fail("header block of %d bytes is over FreeSWITCH's 10 MiB limit", block)
	case len(c.Body) > maxCommandBody:
		return fail("body of %d bytes is over FreeSWITCH's 16 MiB limit", len(c.Body))
	case bytes.IndexByte(c.Body, 0) >= 0:
		return fail("body contains NUL, where FreeSWITCH would truncate it")
	}
	return len(c.Body) > 0 && length < 0, nil
}

// cmdBadByte names the first byte of s that would end a line on the wire (or,
// for NUL, end FreeSWITCH's C string), or returns "".
func cmdBadByte(s string) string {
	i := cmdBreakAt(s)
	switch {
	case i < 0:
		return ""
	case s[i] == '\r':
		return "CR"
	case s[i] == '\n':
		return "LF"
	}
	return "NUL"
}

// cmdBreakAt returns the index of the first CR, LF or NUL of s, or -1.
// Eight bytes at a time first: a word with no byte below 0x0e (CR is
// 0x0d) has none of them, and a command's values rarely hold a control
// byte, so the byte loop mostly runs on the last few.
func cmdBreakAt(s string) int {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	i := 0
	for ; i+8 <= len(s); i += 8 {
		x := uint64(s[i]) | uint64(s[i+1])<<8 | uint64(s[i+2])<<16 | uint64(s[i+3])<<24 |
			uint64(s[i+4])<<32 | uint64(s[i+5])<<40 | uint64(s[i+6])<<48 | uint64(s[i+7])<<56
		if (x-0x0e*ones)&^x&highs != 0 { // some byte is below 0x0e
			break
		}
	}
	for ; i < len(s); i++ {
		if c := s[i]; c <= '\r' && (c == '\r' || c == '\n' || c == 0) {
			return i
		}
	}
	return -1
}

func cmdBlank(b byte) bool { return b == ' ' || b == '\t' }

// cmdScanName reports whether name holds a byte a header name cannot:
// read_packet splits a header line at its first ':', and names with spaces
// or control bytes are never what a caller meant. Bytes of 0x80 and up
// (UTF-8) are allowed. ascii tells whether name is all ASCII.
func cmdScanName(name string) (bad, ascii bool) {
	var or byte
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c <= ' ' || c == ':' || c == 0x7f {
			return true, false
		}
		or |= c
	}
	return false, or < 0x80
}

// cmdNameIs reports whether name is want (lower case ASCII) in any case,
// as strings.EqualFold does. An ASCII name is compared byte by byte;
// another goes to strings.EqualFold, since Unicode folding maps a few
// runes (the Kelvin sign, the long s) onto ASCII letters.
func cmdNameIs(name string, ascii bool, want string) bool {
	if !ascii {
		return strings.EqualFold(name, want)
	}
	if len(name) != len(want) {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != want[i] {
			return false
		}
	}
	return true
}

// cmdParseLength parses a Content-Length value strictly: decimal digits only, so
// no value that FreeSWITCH's atoi would read differently gets through.
func cmdParseLength(s string) (int, bool) {
	if s == "" || len(s) > 10 {
		return 0, false
	}
	n := 0
	for i := range len(s) {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
		n = n*10 + int(s[i]-'0')
	}
	return n, true
}

// cmdWord returns the command word of line for error messages: up to the
// first space or line break, at most 32 bytes.
func cmdWord(line string) string {
	if i := strings.IndexAny(line, " \t\r\n\x00"); i >= 0 {
		line = line[:i]
	}
	if len(line) > 32 {
		line = line[:32]
	}
	return line
}

// cmdLine joins the non-empty parts with single spaces.
func cmdLine(parts ...string) string {
	return strings.Join(slices.DeleteFunc(parts, func(s string) bool { return s == "" }), " ")
}

// cmdWithBody returns a copy of h and body, with a content-length header
// appended when body is non-empty and h has no Content-Length, so that the
// Command holds exactly what goes on the wire and shares no memory with the
// caller.
func cmdWithBody(h Headers, body []byte) (Headers, []byte) {
	h = slices.Clone(h)
	if len(body) == 0 {
		return h, nil
	}
	if _, ok := h.Lookup("Content-Length"); !ok {
		h = append(h, Header{"content-length", strconv.Itoa(len(body))})
	}
	return h, bytes.Clone(body)
}

// Connect is the first command of an outbound session. FreeSWITCH answers
// with the channel data: a CHANNEL_DATA event serialised as a command/reply
// whose Reply-Text is "%2BOK%0A", with no Content-Length and Content-Type
// among its last headers (parse_command in mod_event_socket.c).
func Connect() Command { return Command{Line: "connect"} }

// Auth authenticates an inbound connection: "+OK accepted" or "-ERR invalid"
// (after which FreeSWITCH disconnects).
func Auth(password string) Command { return Command{Line: "auth " + password} }

// UserAuth authenticates an inbound connection as a directory user
// ("userauth user@domain:password"): "+OK accepted" or "-ERR invalid".
func UserAuth(user, password string) Command {
	return Command{Line: "userauth " + user + ":" + password}
}

// API runs an API command inline, blocking the connection until it is done
// ("api version"). FreeSWITCH answers with an api/response frame whose body is
// the output ("-ERR <cmd> Command not found!\n" for an unknown command); an
// outbound socket without "full" answers a command/reply
// "-ERR command not found" instead.
func API(command string) Command { return Command{Line: "api " + command} }

// BgAPI runs an API command in the background: "+OK Job-UUID: <uuid>" (with a
// separate Job-UUID header), then a BACKGROUND_JOB event with the output.
// jobUUID, when not "", is sent as the Job-UUID header and becomes the job's
// UUID. Needs "full" in outbound mode.
func BgAPI(command, jobUUID string) Command {
	c := Command{Line: "bgapi " + command}
	if jobUUID != "" {
		c.Headers = Headers{{"Job-UUID", jobUUID}}
	}
	return c
}

// Linger keeps the socket open for d after the channel hangs up, so the
// hangup events still arrive: "+OK will linger N seconds". FreeSWITCH counts
// whole seconds, so d is rounded up (1ns lingers 1s); d <= 0 sends "linger 0"
// and values past 2^31-1 seconds are capped there, as FreeSWITCH reads the
// number with atoi. Needs "full".
func Linger(d time.Duration) Command {
	if d <= 0 {
		return Command{Line: "linger 0"}
	}
	secs := int64(d / time.Second)
	if d%time.Second != 0 {
		secs++
	}
	secs = min(secs, math.MaxInt32)
	return Command{Line: "linger " + strconv.FormatInt(secs, 10)}
}

// LingerForever lingers without a time limit ("linger" alone): "+OK will
// linger". The daemon must then end the session with Exit itself.
func LingerForever() Command { return Command{Line: "linger"} }

// NoLinger turns lingering off: "+OK will not linger".
func NoLinger() Command { return Command{Line: "nolinger"} }

// NixEvents stops the listener receiving events of the named types
// ("nixevent CHANNEL_STATE DTMF"), subscribed by event or myevents before.
// Reply: "+OK events nixed", "-ERR no keywords supplied" when no name is
// a known type. After myevents the session filter stays on, so the other
// types keep coming for the controlled channel only. Needs "full"
// (src/mod/event_handlers/mod_event_socket/mod_event_socket.c,
// parse_command).
func NixEvents(names ...string) Command {
	return Command{Line: cmdLine(append([]string{"nixevent"}, names...)...)}
}

// Events subscribes to events by name ("event plain CHANNEL_ANSWER DTMF";
// "ALL"; "CUSTOM sub::class" as one name). The format word is always
// written, plain when f is "". Reply: "+OK event listener enabled plain", or
// "-ERR no keywords supplied" without names (the format is switched anyway).
// Needs "full".
func Events(f Format, names ...string) Command {
	if f == "" {
		f = FormatPlain
	}
	return Command{Line: cmdLine(append([]string{"event", string(f)}, names...)...)}
}

// MyEvents subscribes to the controlled channel's events (the channel's
// CHANNEL_* events, DTMF and a few more): "+OK Events Enabled", "-ERR aready
// enabled." the second time.
//
// The line is "myevents [uuid] [json|xml]", the order FreeSWITCH's parser
// reads. In outbound mode the uuid is ignored and the format is found
// anywhere in the line. In inbound mode the uuid selects the channel
// ("-ERR invalid uuid" when unknown) but parse_command then ignores the
// format word, so an inbound client sets the format with Events first.
// The format word is left out for plain (and "").
func MyEvents(f Format, uuid string) Command {
	if f == FormatPlain {
		f = ""
	}
	return Command{Line: cmdLine("myevents", uuid, string(f))}
}

// DivertEvents sends the events that apps queue to the session (DTMF under
// CF_DIVERT_EVENTS, for example) straight to the socket: "+OK events diverted"
// or "+OK events not diverted".
func DivertEvents(on bool) Command {
	if on {
		return Command{Line: "divert_events on"}
	}
	return Command{Line: "divert_events off"}
}

// Filter delivers only events whose header matches value (a leading '-'
// negates, "/re/" is a regex; once any filter exists, events without a
// filtered header are dropped): "+OK filter added.
// [header]=[value]".
func Filter(header, value string) Command {
	return Command{Line: "filter " + header + " " + value}
}

// FilterDelete removes the filter on header with value, or every filter on
// header when value is "": "+OK filter deleted. [header][value]".
func FilterDelete(header, value string) Command {
	return Command{Line: cmdLine("filter delete", header, value)}
}

// FilterDeleteAll removes every filter: "+OK filter deleted. [all][]".
func FilterDeleteAll() Command { return Command{Line: "filter delete all"} }

// SendEvent fires an event named name ("CUSTOM", with an Event-Subclass
// header) with the given headers and body: "+OK <new Event-UUID>". Needs
// "full".
func SendEvent(name string, h Headers, body []byte) Command {
	h, body = cmdWithBody(h, body)
	return Command{Line: "sendevent " + name, Headers: h, Body: body}
}

// SendMsg sends a message to a channel: the controlled one when uuid is ""
// ("sendmsg"), else "sendmsg <uuid>". Reply: "+OK" (accepted, not done), or
// "-ERR invalid session id [uuid]". Execute, Hangup, Unicast and NoMedia build
// the usual messages.
func SendMsg(uuid string, h Headers, body []byte) Command {
	h, body = cmdWithBody(h, body)
	return Command{Line: cmdLine("sendmsg", uuid), Headers: h, Body: body}
}

// ArrayPrefix starts a header value that FreeSWITCH reads as an array of
// the values between "|:" (src/switch_event.c, switch_event_add_array): a
// value "ARRAY::x" is stored as "x", and "ARRAY::" alone is dropped. So a
// header value that starts with it is not read as written.
const ArrayPrefix = "ARRAY::"

// Execute runs a dialplan application on the channel (switch_ivr_parse_event):
// sendmsg with call-command: execute and execute-app-name. The argument goes
// in an execute-app-arg header, or, when it holds CR or LF, starts with a
// space (which FreeSWITCH strips from header values) or with "ARRAY::"
// (which FreeSWITCH reads as an array and strips: src/switch_event.c,
// switch_event_base_add_header), or is longer than MaxHeaderArg, in a
// text/plain body with no trailing newline; no argument
// sends neither. Options add event-lock: true, async: true, Event-UUID (it
// comes back as the events' Application-UUID) and loops (when not once).
//
// The reply is "+OK" at once in async mode and only when the app is done in
// sync mode. An unknown app still gets "+OK", then FreeSWITCH hangs up the
// channel with DESTINATION_OUT_OF_ORDER.
func Execute(app, arg string, o ExecuteOptions) Command {
	return AppendExecute(nil, app, arg, o)
}

// AppendExecute is Execute with its headers appended to h, so that a caller
// that sends one execute after another (a session running verbs) reuses
// one array: the Command must then be sent before h is reused. Send does not
// keep a Command once it returns.
func AppendExecute(h Headers, app, arg string, o ExecuteOptions) Command {
	// Room for the usual headers (a looped or async execute, or an
	// argument in the body, grows it once): one allocation at most, not
	// one per append.
	h = append(slices.Grow(h, 6), Header{"call-command", "execute"}, Header{"execute-app-name", app})
	inBody := len(arg) > MaxHeaderArg || strings.ContainsAny(arg, "\r\n") || strings.HasPrefix(arg, " ") || strings.HasPrefix(arg, ArrayPrefix)
	if arg != "" && !inBody {
		h = append(h, Header{"execute-app-arg", arg})
	}
	if o.EventLock {
		h = append(h, Header{"event-lock", "true"})
	}
	if o.Async {
		h = append(h, Header{"async", "true"})
	}
	if o.EventUUID != "" {
		h = append(h, Header{"Event-UUID", o.EventUUID})
	}
	if o.Loops > 1 || o.Loops < 0 {
		h = append(h, Header{"loops", strconv.Itoa(o.Loops)})
	}
	c := Command{Line: cmdLine("sendmsg", o.UUID), Headers: h}
	if inBody {
		c.Headers = append(c.Headers, Header{"content-type", "text/plain"}, Header{"content-length", strconv.Itoa(len(arg))})
		c.Body = []byte(arg)
	}
	return c
}

// Hangup hangs up the channel with cause (a name such as NORMAL_CLEARING or a
// Q.850 number; "" leaves FreeSWITCH's default, NORMAL_CLEARING): sendmsg
// call-command: hangup. Reply "+OK". In async mode it is queued behind an
// event-locked app; "api uuid_kill" is immediate.
func Hangup(uuid, cause string) Command {
	h := Headers{{"call-command", "hangup"}}
	if cause != "" {
		h = append(h, Header{"hangup-cause", cause})
	}
	return Command{Line: cmdLine("sendmsg", uuid), Headers: h}
}

// Unicast streams the channel's audio to and from a socket: sendmsg
// call-command: unicast with the options given (FreeSWITCH's defaults are
// 127.0.0.1:8025 local, 127.0.0.1:8026 remote, udp, native). Reply "+OK".
func Unicast(uuid string, o UnicastOptions) Command {
	h := Headers{{"call-command", "unicast"}}
	for _, f := range []Header{
		{"local-ip", o.LocalIP}, {"local-port", o.LocalPort},
		{"remote-ip", o.RemoteIP}, {"remote-port", o.RemotePort},
		{"transport", o.Transport}, {"flags", o.Flags},
	} {
		if f.Value != "" {
			h = append(h, f)
		}
	}
	return Command{Line: cmdLine("sendmsg", uuid), Headers: h}
}

// NoMedia takes the channel nomediaUUID out of the media path and re-bridges
// it: sendmsg call-command: nomedia with nomedia-uuid (required; an empty one
// fails in Encode). Reply "+OK".
func NoMedia(uuid, nomediaUUID string) Command {
	return Command{Line: cmdLine("sendmsg", uuid), Headers: Headers{
		{"call-command", "nomedia"}, {"nomedia-uuid", nomediaUUID},
	}}
}

// Exit ends the session: "+OK bye", then a disconnect notice and close. The
// channel is not hung up; in async mode its dialplan continues.
func Exit() Command { return Command{Line: "exit"} }

// Log sends FreeSWITCH's log lines as log/data frames, at level ("7",
// "debug"; "" means debug): "+OK log level debug [7]" or
// "-ERR invalid log level". Needs "full".
func Log(level string) Command { return Command{Line: cmdLine("log", level)} }

// NoLog stops log/data frames: "+OK no longer logging" or "-ERR not loging".
func NoLog() Command { return Command{Line: "nolog"} }

// NixEvent unsubscribes from events by name: "+OK events nixed", or
// "-ERR no keywords supplied". Needs "full".
func NixEvent(names ...string) Command {
	return Command{Line: cmdLine(append([]string{"nixevent"}, names...)...)}
}

// NoEvents drops every event subscription: "+OK no longer listening for
// events" or "-ERR not listening for events". Needs "full".
func NoEvents() Command { return Command{Line: "noevents"} }

// Resume makes the dialplan continue when the socket session ends, whatever
// state the controller left the channel in: "+OK".
func Resume() Command { return Command{Line: "resume"} }

// GetVar reads a channel variable: the raw value as the Reply-Text (no "+OK"),
// truncated to 511 bytes; "-ERR command not found" when it is unset or empty.
func GetVar(name string) Command { return Command{Line: "getvar " + name} }
