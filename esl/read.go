package esl

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
)

// Default limits of a Reader.
const (
	// DefaultMaxHeaderBytes bounds a header block. Real header blocks are a
	// few KiB (the connect reply, the largest, is ~6 KiB).
	DefaultMaxHeaderBytes = 1 << 20
	// DefaultMaxBodyBytes is FreeSWITCH's own MAX_CONTENT_LENGTH.
	DefaultMaxBodyBytes = 16 << 20
)

// Limits bound what a Reader accepts. Zero fields take the defaults below.
type Limits struct {
	MaxHeaderBytes int // header block, including line ends (default 1 MiB)
	MaxBodyBytes   int // Content-Length (default 16 MiB, FreeSWITCH's MAX_CONTENT_LENGTH)
}

// withDefaults fills the zero (or negative) fields of l.
func (l Limits) withDefaults() Limits {
	if l.MaxHeaderBytes <= 0 {
		l.MaxHeaderBytes = DefaultMaxHeaderBytes
	}
	if l.MaxBodyBytes <= 0 {
		l.MaxBodyBytes = DefaultMaxBodyBytes
	}
	return l
}

// ProtocolError means the byte stream is broken (malformed frame, a limit
// passed): the connection cannot be used any more. A well-formed "-ERR"
// reply is a *ReplyError instead.
type ProtocolError struct {
	Msg string
}

// Error returns the message with the package prefix.
func (e *ProtocolError) Error() string { return "esl: protocol error: " + e.Msg }

func protocolErrorf(format string, args ...any) *ProtocolError {
	return &ProtocolError{Msg: fmt.Sprintf(format, args...)}
}

// readerBufferSize is the bufio size of a Reader over anything but a
// socket (a socket is read through pooled buffers, read_raw.go): an event
// frame's outer header block is tiny (under 100 bytes) and the rest of its
// body, past what the buffer holds, is read straight into place (bufio
// reads a request at least as large as its buffer directly), so a bigger
// buffer would only cost memory per connection, live for the whole call.
const readerBufferSize = 1 << 10

// keptBlockBytes is the largest header buffer a Reader keeps between
// frames. Every frame after the connect reply has an outer header block of
// under 100 bytes; the connect reply's (the channel data, ~10 KiB) would
// otherwise stay pinned for the whole call.
const keptBlockBytes = 2 << 10

// Reader reads frames from a byte stream, framing strictly by Content-Length.
// It is not safe for concurrent use: one goroutine owns it. After an error
// (a read deadline included) the stream position is somewhere inside the
// failed frame, so the stream must not be read further.
type Reader struct {
	br  byteSource // a socket's rawSource, or a bufio.Reader (newByteSource)
	lim Limits

	// block and ends are reused between frames: block holds the current
	// header block's lines without their line ends, ends[i] is where line i
	// stops in block. Only the final string conversion allocates.
	block []byte
	ends  []int
	big   *bigBlock // the pooled buffers block and ends live in, if any

	// Where block and ends start: room for every outer header block but
	// the connect reply's (an event's is ~50 bytes, a reply's with a
	// Job-UUID ~90), so a Reader does not grow them by appending, a few
	// allocations per call, every call.
	blockRoom [160]byte
	endsRoom  [6]int
}

// NewReader returns a Reader over r with the given limits.
func NewReader(r io.Reader, lim Limits) *Reader {
	return &Reader{br: newByteSource(r), lim: lim.withDefaults()}
}

// ReadFrame reads one frame FreeSWITCH wrote, and returns it with the number
// of bytes it took on the wire (blank lines skipped before it included).
//
// Header lines end in LF or CRLF (any CRs before the LF are dropped, so a
// line of CRs is blank); a header's value is what follows the first
// ':' with leading spaces skipped, kept raw (not URL-decoded); names keep
// their exact bytes, and order and duplicates are kept. The body is exactly
// Content-Length bytes. io.EOF means the stream ended cleanly between frames,
// io.ErrUnexpectedEOF that it ended inside one; a malformed frame or a passed
// limit is a *ProtocolError.
func (r *Reader) ReadFrame() (*Frame, int, error) {
	size, err := r.readHeaderBlock()
	if err != nil {
		return nil, size, err
	}
	clen, _, err := r.scanHeaderBlock()
	if err != nil {
		return nil, size, err
	}
	return r.finishFrame(size, clen)
}

// readPlainOrFrame is ReadFrame for a Conn's reader: a text/event-plain
// frame comes back as its lazy event (parsePlainLazy) and no Frame, any
// other frame as ReadFrame returns it. The event costs two allocations,
// its body and its index: the outer header block (Content-Length and
// Content-Type) is read in the Reader's own buffer and never copied, as
// nobody reads it again.
func (r *Reader) readPlainOrFrame() (*Frame, *Event, int, error) {
	clen, size, ok := r.eventHead()
	if !ok {
		var err error
		size, err = r.readHeaderBlock()
		if err != nil {
			return nil, nil, size, err
		}
		var plain bool
		clen, plain, err = r.scanHeaderBlock()
		if err != nil {
			return nil, nil, size, err
		}
		if !plain {
			f, size, err := r.finishFrame(size, clen)
			return f, nil, size, err
		}
	}
	body, n, err := r.readBody(clen)
	size += n
	if err != nil {
		return nil, nil, size, err
	}
	ev, err := parsePlainLazy(body)
	if err != nil {
		// As ParseEvent says it, for the same frame.
		return nil, nil, size, &eventParseError{fmt.Errorf("esl: parse %s: %w", TypeEventPlain, err)}
	}
	ev.ContentType = TypeEventPlain
	return nil, ev, size, nil
}

// The header block of a text/event-plain frame as FreeSWITCH writes it
// (src/mod/event_handlers/mod_event_socket/mod_event_socket.c:
// "Content-Length: %d\nContent-Type: text/event-%s\n\n").
const (
	eventHeadLength = "Content-Length: "
	eventHeadType   = "\nContent-Type: text/event-plain\n\n"
)

// eventHead reads a text/event-plain frame's header block straight out of
// the read buffer when it is there whole and in exactly the form
// FreeSWITCH writes, and returns its Content-Length and size on the wire;
// the header block is not copied, split or scanned line by line, work that
// was per event (17 a call) for two headers nobody reads again. Anything
// else (another form, a frame not yet buffered whole, a limit passed)
// returns false having consumed nothing, and the general path reads the
// frame, errors included, as ReadFrame does.
func (r *Reader) eventHead() (clen, size int, ok bool) {
	b := r.br.buffered()
	if len(b) < len(eventHeadLength)+1+len(eventHeadType) || string(b[:len(eventHeadLength)]) != eventHeadLength {
		return 0, 0, false
	}
	i := len(eventHeadLength)
	for ; i < len(b) && b[i] >= '0' && b[i] <= '9'; i++ {
		if i-len(eventHeadLength) == 9 {
			return 0, 0, false // past any limit; the general path says so
		}
		clen = clen*10 + int(b[i]-'0')
	}
	if i == len(eventHeadLength) || len(b)-i < len(eventHeadType) || string(b[i:i+len(eventHeadType)]) != eventHeadType {
		return 0, 0, false
	}
	size = i + len(eventHeadType)
	if size > r.lim.MaxHeaderBytes || clen > r.lim.MaxBodyBytes {
		return 0, 0, false
	}
	r.br.consume(size)
	r.resetBlock() // a big block (the connect reply's) is not kept either
	return clen, size, true
}

// eventParseError is a well-framed plain event that does not parse: the
// stream is intact, but the Conn ends on it as on any event it cannot read.
type eventParseError struct{ err error }

func (e *eventParseError) Error() string { return e.err.Error() }
func (e *eventParseError) Unwrap() error { return e.err }

// scanHeaderBlock checks the header block in r.block (every line has a
// ':', the Content-Length headers agree and are within the limit) without
// copying it, and returns the body length and whether the frame's
// Content-Type (its first one, as Frame.ContentType reads it) is
// text/event-plain.
func (r *Reader) scanHeaderBlock() (clen int, plain bool, err error) {
	start, hasLen, hasType := 0, false, false
	for _, end := range r.ends {
		line := r.block[start:end]
		start = end
		colon := bytes.IndexByte(line, ':')
		if colon < 0 {
			return 0, false, protocolErrorf("header line without ':': %q", clip(string(line)))
		}
		name, value := line[:colon], line[colon+1:]
		for len(value) > 0 && value[0] == ' ' {
			value = value[1:]
		}
		switch {
		case len(name) == len("Content-Length") && sameNameBytes(name, "Content-Length"):
			n, err := r.parseContentLength(value)
			if err != nil {
				return 0, false, err
			}
			if hasLen && n != clen {
				return 0, false, protocolErrorf("conflicting Content-Length headers %d and %d", clen, n)
			}
			clen, hasLen = n, true
		case !hasType && len(name) == len("Content-Type") && sameNameBytes(name, "Content-Type"):
			hasType, plain = true, string(value) == TypeEventPlain
		}
	}
	return clen, plain, nil
}

// frameBox is a frame and room for its headers and their text in one
// allocation: a command reply has 2-3 outer headers of some 40-70 bytes
// in all, an event 2. (288 bytes, a size class of its own.)
type frameBox struct {
	f    Frame
	hs   [4]Header
	text [112]byte
}

// finishFrame builds the frame of the header block in r.block (checked by
// scanHeaderBlock) and reads its body of clen bytes. size is what the
// header block took on the wire.
func (r *Reader) finishFrame(size, clen int) (*Frame, int, error) {
	box := &frameBox{}
	var block string
	sep := 0 // bytes between lines in block
	if n := len(r.block); n <= len(box.text) {
		// The headers alias the box's text, which nothing writes after
		// this (no []byte of it is handed out).
		copy(box.text[:], r.block)
		block = bodyString(box.text[:n])
	} else {
		// A big block (the connect reply's) is copied with a '\n' after
		// each line, the form a text/event-plain body has, so that the
		// connect reply's event can index it lazily instead of copying
		// every header again (Conn.parseChannel). One byte a line more.
		text := make([]byte, 0, n+len(r.ends))
		start := 0
		for _, end := range r.ends {
			text = append(text, r.block[start:end]...)
			text = append(text, '\n')
			start = end
		}
		box.f.text = text
		block, sep = bodyString(text), 1
	}
	headers := box.hs[:0]
	if len(r.ends) > len(box.hs) {
		headers = make(Headers, 0, len(r.ends))
	}
	start := 0
	for i, end := range r.ends {
		end += i * sep
		line := block[start:end]
		start = end + sep
		colon := strings.IndexByte(line, ':')
		value := line[colon+1:]
		for len(value) > 0 && value[0] == ' ' {
			value = value[1:]
		}
		headers = append(headers, Header{Name: line[:colon], Value: value})
	}
	f := &box.f
	f.Headers = headers
	if clen > 0 {
		body, n, err := r.readBody(clen)
		size += n
		if err != nil {
			return nil, size, err
		}
		f.Body = body
	}
	return f, size, nil
}

// readBody reads a body of clen bytes into a slice of its own.
func (r *Reader) readBody(clen int) ([]byte, int, error) {
	if clen == 0 {
		return nil, 0, nil
	}
	body, n, err := r.br.readBody(clen)
	if err != nil {
		return nil, n, unexpected(err)
	}
	return body, n, nil
}

// readHeaderBlock reads one header block into r.block/r.ends, skipping blank
// lines before it, and returns the bytes it consumed.
func (r *Reader) readHeaderBlock() (int, error) {
	r.resetBlock()
	size := 0
	for {
		n, blank, err := r.readLine(size)
		size += n
		if err != nil {
			if err == io.EOF && (len(r.ends) > 0 || n > 0) {
				err = io.ErrUnexpectedEOF
			}
			return size, err
		}
		if !blank {
			r.ends = append(r.ends, len(r.block))
			continue
		}
		if len(r.ends) > 0 {
			return size, nil
		}
	}
}

// resetBlock empties the header scratch buffers, dropping them when one
// big block grew them, so that it does not stay pinned: a pooled one goes
// back to the pool.
func (r *Reader) resetBlock() {
	if cap(r.block) > keptBlockBytes || r.big != nil {
		if r.big != nil && cap(r.block) == bigBlockBytes && cap(r.ends) <= 4*cap(r.big.ends) {
			r.big.block, r.big.ends = r.block[:0], r.ends[:0]
			bigBlocks.Put(r.big)
		}
		r.big = nil
		r.block, r.ends = nil, nil
	}
	if r.block == nil {
		r.block, r.ends = r.blockRoom[:0], r.endsRoom[:0]
	}
	r.block, r.ends = r.block[:0], r.ends[:0]
}

// bigBlockBytes is the size of the pooled header buffers. Every outbound
// call's connect reply has a header block of 5-15 KiB (the channel data);
// growing a buffer for it by appending made ~13 KiB of garbage per call,
// and a buffer kept per connection would pin it for the whole call.
const bigBlockBytes = 32 << 10

// bigBlock is a pooled header buffer and its line index.
type bigBlock struct {
	block []byte
	ends  []int
}

// bigBlocks holds the header buffers shared by every Reader, for the few
// header blocks past smallBlockBytes; a Reader holds one only from such a
// block until it starts reading the next frame.
var bigBlocks = sync.Pool{New: func() any {
	return &bigBlock{block: make([]byte, 0, bigBlockBytes), ends: make([]int, 0, 256)}
}}

// smallBlockBytes is where a header block that must grow moves to a
// pooled buffer: every outer header block but the connect reply's is under
// it, so a Reader's own buffer stays this small.
const smallBlockBytes = 512

// growBlock makes room for n more bytes in r.block: past smallBlockBytes it
// moves the block to a pooled buffer (once; past that buffer, append grows
// it as before).
func (r *Reader) growBlock(n int) {
	need := len(r.block) + n
	if need <= cap(r.block) || need <= smallBlockBytes || need > bigBlockBytes || r.big != nil {
		return
	}
	r.big = bigBlocks.Get().(*bigBlock)
	r.block = append(r.big.block[:0], r.block...)
	r.ends = append(r.big.ends[:0], r.ends...)
}

// readLine appends one line, without its LF or CRLF, to r.block. used is the
// header bytes already consumed, for the limit. It returns the bytes the line
// took on the wire and whether it was empty. A line cut off by the end of the
// stream returns its length and io.EOF.
func (r *Reader) readLine(used int) (int, bool, error) {
	start, n := len(r.block), 0
	for {
		chunk, err := r.br.ReadSlice('\n')
		n += len(chunk)
		if used+n > r.lim.MaxHeaderBytes {
			return n, false, protocolErrorf("header block exceeds %d bytes", r.lim.MaxHeaderBytes)
		}
		r.growBlock(len(chunk))
		r.block = append(r.block, chunk...)
		switch err {
		case nil:
			// Drop the LF and the CRs before it: a value never ends in CR,
			// so every frame read re-encodes to one that reads the same.
			end := len(r.block) - 1
			for end > start && r.block[end-1] == '\r' {
				end--
			}
			r.block = r.block[:end]
			return n, end == start, nil
		case bufio.ErrBufferFull:
			continue
		default:
			r.block = r.block[:start]
			return n, false, err
		}
	}
}

// parseContentLength parses a frame's Content-Length: decimal digits only
// (trailing spaces tolerated), at most MaxBodyBytes.
func (r *Reader) parseContentLength(v []byte) (int, error) {
	v = bytes.TrimRight(v, " \t")
	if len(v) == 0 {
		return 0, protocolErrorf("empty Content-Length")
	}
	n := 0
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c < '0' || c > '9' {
			return 0, protocolErrorf("invalid Content-Length %q", clip(string(v)))
		}
		n = n*10 + int(c-'0')
		if n > r.lim.MaxBodyBytes {
			return 0, protocolErrorf("Content-Length %s exceeds the limit of %d bytes", clip(string(v)), r.lim.MaxBodyBytes)
		}
	}
	return n, nil
}

// sameNameBytes is sameName for a name still in the read buffer.
func sameNameBytes(a []byte, b string) bool {
	return len(a) == len(b) && strings.EqualFold(string(a), b)
}

// isContentLength reports whether name is Content-Length in any case.
func isContentLength(name string) bool {
	return len(name) == len("Content-Length") && strings.EqualFold(name, "Content-Length")
}

// unexpected maps an end of stream inside a frame to io.ErrUnexpectedEOF.
func unexpected(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}

// clip shortens s for an error message.
func clip(s string) string {
	const max = 64
	if len(s) <= max {
		return s
	}
	return s[:max] + "..."
}

// ReadCommand reads one command packet with FreeSWITCH's own input rules
// (ParseCommand); the simulator uses it to read what a daemon sends. The int
// is the number of bytes consumed, stray CR/LF before the packet included.
// Unlike ParseCommand, the end of the stream inside a packet is
// io.ErrUnexpectedEOF, and whatever follows a packet (the would-be body of a
// non-numeric Content-Length, say) is the next packet, as in FreeSWITCH.
func (r *Reader) ReadCommand() (Command, int, error) {
	return r.readCommand(false)
}

// Encode returns the frame's wire bytes: the headers exactly as listed (a
// Content-Length header must already be among them where FreeSWITCH puts
// one), a blank line, then the body.
func (f *Frame) Encode() []byte {
	n := 1 + len(f.Body)
	for _, h := range f.Headers {
		n += len(h.Name) + len(h.Value) + 3
	}
	b := bytes.NewBuffer(make([]byte, 0, n))
	for _, h := range f.Headers {
		b.WriteString(h.Name)
		b.WriteString(": ")
		b.WriteString(h.Value)
		b.WriteByte('\n')
	}
	b.WriteByte('\n')
	b.Write(f.Body)
	return b.Bytes()
}
