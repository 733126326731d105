//go:build !unix

package esl

import "io"

// newByteSource reads through a bufio.Reader: the socket path
// (read_raw.go) reads a descriptor with read(2), Unix only.
func newByteSource(r io.Reader) byteSource { return newBufSource(r) }
