//go:build unix

package esl

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"strings"
	"sync"
	"syscall"
	"unsafe"
)

// rawBufferSize is the size of the pooled read buffers of rawSource: a
// whole event (real ones are 2-9 KB) or several, or a whole connect reply
// (5-15 KB), per read(2).
const rawBufferSize = 16 << 10

// rawBuffers are the read buffers every socket Reader shares. A Reader
// takes one when its socket is readable and gives it back when it has
// consumed every byte in it, so buffers are held by the connections that
// are reading at this moment, not by every connection open: an idle call
// (10,000 held calls) holds none. A peer that stops mid-frame keeps one
// pinned, as it would keep a header block of up to Limits.MaxHeaderBytes.
var rawBuffers = sync.Pool{New: func() any {
	b := make([]byte, rawBufferSize)
	return &b
}}

// newByteSource reads a TCP or Unix socket through its syscall.RawConn
// (rawSource) and anything else through a bufio.Reader. Only those exact
// types: a type that embeds one and has a Read of its own (counting,
// recording) must be read through that Read.
func newByteSource(r io.Reader) byteSource {
	var sc syscall.Conn
	switch c := r.(type) {
	case *net.TCPConn:
		sc = c
	case *net.UnixConn:
		sc = c
	default:
		return newBufSource(r)
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return newBufSource(r)
	}
	s := &rawSource{rc: rc, nc: r.(net.Conn), lastByte: -1}
	s.readFn = s.readFD
	return s
}

// rawSource is a byteSource over a socket's file descriptor with bufio's
// semantics, but its buffer comes from rawBuffers on the first read that
// finds data and goes back on the first read that finds none while the
// buffer holds no unread byte. syscall.RawConn.Read waits for readability
// in the runtime's poller and honours the read deadline and Close, as a
// net.Conn's Read does, so the reader goroutine still blocks on nothing
// but the socket.
type rawSource struct {
	rc   syscall.RawConn
	nc   net.Conn // its addresses, for errors shaped as net.Conn.Read's
	bufp *[]byte  // from rawBuffers; nil while nothing is buffered
	buf  []byte   // *bufp, or nil
	r, w int      // unread bytes are buf[r:w]
	err  error    // from the last fill, returned once (as bufio does)

	lastByte int // for UnreadByte; -1 when there is none

	// readFn is readFD, bound once: a method value made per fill would be
	// an allocation per read(2).
	readFn func(fd uintptr) bool
	n      int   // readFD's result: bytes read
	errno  error // readFD's result: its error

	// onRead, if set (tests only), is called with the byte count of each
	// successful read(2), on the reader's goroutine.
	onRead func(n int)
}

// readFD is the function RawConn.Read calls with the descriptor: one
// read(2) into the free end of the buffer, taking a buffer first if the
// source has none. On EAGAIN it returns false (RawConn.Read then waits for
// the socket), giving back a buffer that holds nothing.
func (s *rawSource) readFD(fd uintptr) bool {
	if s.buf == nil {
		s.bufp = rawBuffers.Get().(*[]byte)
		s.buf = *s.bufp
	}
	var n int
	var err error
	for {
		n, err = syscall.Read(int(fd), s.buf[s.w:])
		if err != syscall.EINTR {
			break
		}
	}
	if err == syscall.EAGAIN {
		s.release()
		return false
	}
	s.n, s.errno = n, err
	return true
}

// release gives the buffer back if it holds no unread byte.
func (s *rawSource) release() {
	if s.buf != nil && s.r == s.w {
		rawBuffers.Put(s.bufp)
		s.bufp, s.buf, s.r, s.w = nil, nil, 0, 0
	}
}

// fill reads once more into the buffer (which is not full), moving the
// unread bytes to its start first. It sets s.err on an error or the end of
// the stream.
func (s *rawSource) fill() {
	if s.r > 0 {
		copy(s.buf, s.buf[s.r:s.w])
		s.w -= s.r
		s.r = 0
	}
	s.n, s.errno = 0, nil
	if err := s.rc.Read(s.readFn); err != nil {
		// A deadline or Close: RawConn.Read says it as a "raw-read"
		// *net.OpError; say it as the net.Conn.Read it stands for.
		var oe *net.OpError
		if errors.As(err, &oe) && oe.Op == "raw-read" {
			c := *oe
			c.Op = "read"
			err = &c
		}
		s.err = err
		s.release()
		return
	}
	switch {
	case s.errno != nil:
		s.err = &net.OpError{Op: "read", Net: s.nc.LocalAddr().Network(), Source: s.nc.LocalAddr(), Addr: s.nc.RemoteAddr(), Err: os.NewSyscallError("read", s.errno)}
		s.release()
	case s.n == 0:
		s.err = io.EOF
		s.release()
	default:
		s.w += s.n
		if s.onRead != nil {
			s.onRead(s.n)
		}
	}
}

// readErr returns s.err and clears it.
func (s *rawSource) readErr() error {
	err := s.err
	s.err = nil
	return err
}

// ReadSlice is bufio.Reader.ReadSlice.
func (s *rawSource) ReadSlice(delim byte) (line []byte, err error) {
	from := 0 // where the search starts in the unread bytes
	for {
		if i := bytes.IndexByte(s.buf[s.r+from:s.w], delim); i >= 0 {
			i += from
			line = s.buf[s.r : s.r+i+1]
			s.r += i + 1
			break
		}
		if s.err != nil {
			line = s.buf[s.r:s.w]
			s.r = s.w
			err = s.readErr()
			break
		}
		if s.buf != nil && s.w-s.r >= len(s.buf) {
			line = s.buf
			s.r = s.w
			err = bufio.ErrBufferFull
			break
		}
		from = s.w - s.r
		s.fill()
	}
	if len(line) > 0 {
		s.lastByte = int(line[len(line)-1])
	}
	return line, err
}

// buffered returns the unread bytes, reading once if there are none (an
// error stays in s.err for the next read call).
func (s *rawSource) buffered() []byte {
	if s.r == s.w && s.err == nil {
		s.fill()
	}
	return s.buf[s.r:s.w]
}

// consume drops the first n unread bytes (n > 0) as a read of them
// would: the last one can be unread.
func (s *rawSource) consume(n int) {
	s.r += n
	s.lastByte = int(s.buf[s.r-1])
}

// ReadByte is bufio.Reader.ReadByte.
func (s *rawSource) ReadByte() (byte, error) {
	for s.r == s.w {
		if s.err != nil {
			return 0, s.readErr()
		}
		s.fill()
	}
	c := s.buf[s.r]
	s.r++
	s.lastByte = int(c)
	return c, nil
}

// UnreadByte is bufio.Reader.UnreadByte, after a ReadByte or ReadSlice.
func (s *rawSource) UnreadByte() error {
	if s.lastByte < 0 || s.r == 0 {
		return bufio.ErrInvalidUnreadByte
	}
	s.r--
	s.buf[s.r] = byte(s.lastByte)
	s.lastByte = -1
	return nil
}

// Read copies buffered bytes into p, reading once if there are none.
func (s *rawSource) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	if s.r == s.w {
		if s.err != nil {
			return 0, s.readErr()
		}
		s.fill()
		if s.r == s.w {
			return 0, s.readErr()
		}
	}
	n := copy(p, s.buf[s.r:s.w])
	s.r += n
	s.lastByte = -1
	return n, nil
}

// readBody copies n bytes out of the buffer into memory the allocator does
// not zero (a strings.Builder's): every byte of it is written at once, and
// the bodies of a call's events are some 33 KiB. The slice aliases the
// Builder's string and is never written by the Reader.
func (s *rawSource) readBody(n int) ([]byte, int, error) {
	var b strings.Builder
	b.Grow(n)
	for b.Len() < n {
		if s.r == s.w {
			if s.err != nil {
				return nil, b.Len(), s.readErr()
			}
			s.fill()
			continue
		}
		k := min(n-b.Len(), s.w-s.r)
		b.Write(s.buf[s.r : s.r+k])
		s.r += k
	}
	s.lastByte = -1
	body := b.String()
	return unsafe.Slice(unsafe.StringData(body), n), n, nil
}
