//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package main

import "io"

// simTerminal is not available here: simulate needs -digits (or runs the
// call with nobody pressing anything).
type simTerminal struct{}

func openTerminal(io.Reader) (*simTerminal, bool) { return nil, false }
func (*simTerminal) raw() error                   { return nil }
func (*simTerminal) Read([]byte) (int, error)     { return 0, io.EOF }
func (*simTerminal) stopReading()                 {}
func (*simTerminal) restore()                     {}
