package esl

// Content types FreeSWITCH puts on the frames it writes (mod_event_socket.c;
// the package doc says which frame has which header layout).
const (
	TypeCommandReply     = "command/reply"
	TypeAPIResponse      = "api/response"
	TypeEventPlain       = "text/event-plain"
	TypeEventJSON        = "text/event-json"
	TypeEventXML         = "text/event-xml"
	TypeDisconnectNotice = "text/disconnect-notice"
	TypeAuthRequest      = "auth/request"
	TypeRudeRejection    = "text/rude-rejection"
	TypeLogData          = "log/data"
)

// Header is one header line, with its name exactly as sent: FreeSWITCH header
// names are arbitrary bytes (variable_<anything>), so they are never
// canonicalised.
type Header struct {
	Name  string
	Value string
}

// Headers is an ordered list of headers. Order and duplicates are kept;
// lookups are case-insensitive and return the first match, as FreeSWITCH's
// switch_event_get_header does.
type Headers []Header

// Get returns the value of the first header named name (case-insensitive),
// or "" when there is none.
func (h Headers) Get(name string) string {
	v, _ := h.Lookup(name)
	return v
}

// Lookup is Get that also reports whether the header is present.
func (h Headers) Lookup(name string) (string, bool) {
	for i := range h {
		if sameName(h[i].Name, name) {
			return h[i].Value, true
		}
	}
	return "", false
}

// Values returns every value of the headers named name, in order.
func (h Headers) Values(name string) []string {
	var vs []string
	for i := range h {
		if sameName(h[i].Name, name) {
			vs = append(vs, h[i].Value)
		}
	}
	return vs
}

// Frame is one message on the wire: a header block and a body of exactly
// Content-Length bytes. Header values are kept exactly as sent (raw); decoding
// is the event parser's job, done once.
type Frame struct {
	Headers Headers
	Body    []byte

	// text is the header block the Headers' names and values are
	// substrings of, one line each ending in '\n', when the block was too
	// big for the frame's own room (finishFrame): the connect reply's. A
	// lazy connect reply event indexes it instead of copying every
	// header (Conn.parseChannel). nil otherwise, and for frames built by
	// hand.
	text []byte
}

// ContentType returns the frame's Content-Type header.
func (f *Frame) ContentType() string { return f.Headers.Get("Content-Type") }

// ReplyText returns the frame's Reply-Text header, raw.
func (f *Frame) ReplyText() string { return f.Headers.Get("Reply-Text") }

// IsReply reports whether the frame answers a command: a command/reply or an
// api/response.
func (f *Frame) IsReply() bool {
	ct := f.ContentType()
	return ct == TypeCommandReply || ct == TypeAPIResponse
}
