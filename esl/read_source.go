package esl

import (
	"bufio"
	"io"
)

// byteSource is what a Reader reads its bytes from: the subset of
// bufio.Reader it uses, with bufio's semantics (a ReadSlice result is valid
// until the next call; a line longer than the buffer comes back in pieces
// with bufio.ErrBufferFull), plus readBody.
//
// Two implement it: bufSource, a small bufio.Reader over any io.Reader, and
// on Unix rawSource (read_raw.go), which reads a socket through its
// syscall.RawConn into a pooled buffer held only while it has unread bytes.
type byteSource interface {
	ReadSlice(delim byte) ([]byte, error)
	ReadByte() (byte, error)
	UnreadByte() error
	io.Reader
	// readBody reads exactly n > 0 bytes into a slice of their own and
	// returns how many it read (n, or fewer with the error that stopped it).
	readBody(n int) ([]byte, int, error)
	// buffered returns the unread bytes in the buffer, valid until the
	// next call; it may read once to get some, but an error from that read
	// is kept for the next read call, not returned.
	buffered() []byte
	// consume drops the first n bytes of what buffered returned.
	consume(n int)
}

// bufSource is the byteSource of any io.Reader but a socket: a bufio.Reader
// of readerBufferSize.
type bufSource struct{ *bufio.Reader }

func newBufSource(r io.Reader) byteSource {
	return bufSource{bufio.NewReaderSize(r, readerBufferSize)}
}

// buffered returns what bufio holds, without reading: bufio.Reader.Peek
// would return (and then forget) a read's error.
func (s bufSource) buffered() []byte {
	b, _ := s.Peek(s.Buffered())
	return b
}

// consume drops n buffered bytes.
func (s bufSource) consume(n int) { _, _ = s.Discard(n) }

// readBody reads n bytes into a new slice; past what is buffered bufio
// reads straight into it.
func (s bufSource) readBody(n int) ([]byte, int, error) {
	body := make([]byte, n)
	k, err := io.ReadFull(s.Reader, body)
	if err != nil {
		return nil, k, err
	}
	return body, k, nil
}
