package esl

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
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

// readerBufferSize is the bufio size of a Reader: an event frame's outer
// header block is tiny (under 100 bytes) and the rest of its body, past
// what the buffer holds, is read straight into place (bufio reads a request
// at least as large as its buffer directly), so a bigger buffer would only
// cost memory per connection, and a daemon holds thousands of connections:
// the buffer is live for the whole call. 1 KiB rather than 4 cut the RSS
// per held call by about 4 KiB in make bench's held phase (BENCHMARKS.md),
// for about one more read(2) per event of a few KiB.
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
	br  *bufio.Reader
	lim Limits

	// block and ends are reused between frames: block holds the current
	// header block's lines without their line ends, ends[i] is where line i
	// stops in block. Only the final string conversion allocates.
	block []byte
	ends  []int
}

// NewReader returns a Reader over r with the given limits.
func NewReader(r io.Reader, lim Limits) *Reader {
	return &Reader{br: bufio.NewReaderSize(r, readerBufferSize), lim: lim.withDefaults()}
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
	block := string(r.block)
	headers := make(Headers, len(r.ends))
	start, clen, hasLen := 0, 0, false
	for i, end := range r.ends {
		line := block[start:end]
		start = end
		colon := strings.IndexByte(line, ':')
		if colon < 0 {
			return nil, size, protocolErrorf("header line without ':': %q", clip(line))
		}
		value := line[colon+1:]
		for len(value) > 0 && value[0] == ' ' {
			value = value[1:]
		}
		headers[i] = Header{Name: line[:colon], Value: value}
		if isContentLength(headers[i].Name) {
			n, err := r.parseContentLength(value)
			if err != nil {
				return nil, size, err
			}
			if hasLen && n != clen {
				return nil, size, protocolErrorf("conflicting Content-Length headers %d and %d", clen, n)
			}
			clen, hasLen = n, true
		}
	}
	f := &Frame{Headers: headers}
	if clen > 0 {
		f.Body = make([]byte, clen)
		n, err := io.ReadFull(r.br, f.Body)
		size += n
		if err != nil {
			return nil, size, unexpected(err)
		}
	}
	return f, size, nil
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
// huge block grew them, so that it does not stay pinned.
func (r *Reader) resetBlock() {
	if cap(r.block) > keptBlockBytes {
		r.block, r.ends = nil, nil
	}
	r.block, r.ends = r.block[:0], r.ends[:0]
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
func (r *Reader) parseContentLength(v string) (int, error) {
	v = strings.TrimRight(v, " \t")
	if v == "" {
		return 0, protocolErrorf("empty Content-Length")
	}
	n := 0
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c < '0' || c > '9' {
			return 0, protocolErrorf("invalid Content-Length %q", clip(v))
		}
		n = n*10 + int(c-'0')
		if n > r.lim.MaxBodyBytes {
			return 0, protocolErrorf("Content-Length %s exceeds the limit of %d bytes", clip(v), r.lim.MaxBodyBytes)
		}
	}
	return n, nil
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
