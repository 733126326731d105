package esl

import "io"

// Limits bound what a Reader accepts. Zero fields take the defaults below.
type Limits struct {
	MaxHeaderBytes int // header block, including line ends (default 1 MiB)
	MaxBodyBytes   int // Content-Length (default 16 MiB, FreeSWITCH's MAX_CONTENT_LENGTH)
}

// ProtocolError means the byte stream is broken (malformed frame, a limit
// passed): the connection cannot be used any more. A well-formed "-ERR"
// reply is a *ReplyError instead.
type ProtocolError struct {
	Msg string
}

func (e *ProtocolError) Error() string { return "esl: protocol error: " + e.Msg }

// Reader reads frames from a byte stream, framing strictly by Content-Length.
type Reader struct{}

// NewReader returns a Reader over r with the given limits.
func NewReader(r io.Reader, lim Limits) *Reader { panic("unimplemented") }

// ReadFrame reads one frame FreeSWITCH wrote, and returns it with the number
// of bytes it took on the wire.
func (r *Reader) ReadFrame() (*Frame, int, error) { panic("unimplemented") }

// ReadCommand reads one command packet with FreeSWITCH's own input rules
// (ParseCommand); the simulator uses it to read what a daemon sends.
func (r *Reader) ReadCommand() (Command, int, error) { panic("unimplemented") }

// Encode returns the frame's wire bytes: the headers exactly as listed (a
// Content-Length header must already be among them where FreeSWITCH puts
// one), a blank line, then the body.
func (f *Frame) Encode() []byte { panic("unimplemented") }

// ParseEvent parses a text/event-plain, -json or -xml frame (or a connect
// reply, whose headers are URL-encoded) into an Event, decoding each value once.
func ParseEvent(f *Frame) (*Event, error) { panic("unimplemented") }

// URLEncode encodes s as FreeSWITCH's switch_url_encode_opt does
// (esl-protocol.md §2.1), including its %XX pass-through quirk.
func URLEncode(s string) string { panic("unimplemented") }

// URLDecode percent-decodes s once: no '+' to space, malformed '%' kept.
func URLDecode(s string) string { panic("unimplemented") }

// EncodePlain serialises e as FreeSWITCH's switch_event_serialize does (the
// body of a text/event-plain frame). EncodeJSON and EncodeXML likewise.
func (e *Event) EncodePlain() []byte { panic("unimplemented") }
func (e *Event) EncodeJSON() []byte  { panic("unimplemented") }
func (e *Event) EncodeXML() []byte   { panic("unimplemented") }

// ParseCommand parses one command packet as FreeSWITCH's read_packet does
// (esl-protocol.md §1.2): line 1 is the command, header lines split at the
// first ':', lines without ':' ignored, empty values dropped, a body read by
// Content-Length. Liverpie's msg replies go through it.
func ParseCommand(text []byte) (Command, error) { panic("unimplemented") }
