//go:build !unix

package esl

import "errors"

// rawWrites: elsewhere every write goes through net.Conn.Write
// (conn_write.go, writeWatched).
const rawWrites = false

// writeFD is never called where rawWrites is false.
func writeFD(uintptr, []byte) (int, error) { return 0, errors.ErrUnsupported }
