//go:build unix

package esl

import "syscall"

// rawWrites: sockets are written through their RawConn (conn_write.go).
const rawWrites = true

// writeFD is write(2) on a non-blocking socket.
func writeFD(fd uintptr, b []byte) (int, error) { return syscall.Write(int(fd), b) }
