//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package main

import (
	"fmt"
	"io"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// simTerminal is stdin when it is a terminal, switched to key-at-a-time
// input for the interactive caller: no line buffering, no echo (the
// transcript shows each key), Ctrl-C read as a key (it hangs up) rather
// than a signal. Output processing stays on, so "\n" still starts a line.
type simTerminal struct {
	fd    int
	saved unix.Termios
	flags int      // fd's file status flags (O_NONBLOCK) as they were
	in    *os.File // a non-blocking duplicate of fd, so reads can be cut short
}

// openTerminal returns stdin as a terminal, or ok false when it is not one
// (a pipe, a file, /dev/null).
func openTerminal(stdin io.Reader) (t *simTerminal, ok bool) {
	f, isFile := stdin.(*os.File)
	if !isFile {
		return nil, false
	}
	fd := int(f.Fd())
	saved, err := unix.IoctlGetTermios(fd, ioctlGetTermios)
	if err != nil {
		return nil, false
	}
	flags, err := unix.FcntlInt(uintptr(fd), unix.F_GETFL, 0)
	if err != nil {
		return nil, false
	}
	return &simTerminal{fd: fd, saved: *saved, flags: flags}, true
}

// raw switches the terminal to key-at-a-time input; restore undoes it.
func (t *simTerminal) raw() error {
	raw := t.saved
	raw.Lflag &^= unix.ICANON | unix.ECHO | unix.ISIG | unix.IEXTEN
	raw.Iflag &^= unix.IXON | unix.ICRNL
	raw.Cc[unix.VMIN] = 1
	raw.Cc[unix.VTIME] = 0
	if err := unix.IoctlSetTermios(t.fd, ioctlSetTermios, &raw); err != nil {
		return fmt.Errorf("terminal: %w", err)
	}
	// A duplicate in non-blocking mode is registered with Go's poller, so
	// SetReadDeadline can end a pending read when the call is over.
	dup, err := unix.Dup(t.fd)
	if err != nil {
		t.restoreModes()
		return fmt.Errorf("terminal: %w", err)
	}
	if err := unix.SetNonblock(dup, true); err != nil {
		unix.Close(dup)
		t.restoreModes()
		return fmt.Errorf("terminal: %w", err)
	}
	t.in = os.NewFile(uintptr(dup), "/dev/tty")
	return nil
}

// Read reads the keys typed.
func (t *simTerminal) Read(p []byte) (int, error) { return t.in.Read(p) }

// stopReading makes a pending and any later Read fail at once.
func (t *simTerminal) stopReading() {
	if t.in != nil {
		t.in.SetReadDeadline(time.Now())
	}
}

// restore puts the terminal back as it was and releases the duplicate.
func (t *simTerminal) restore() {
	if t.in != nil {
		t.in.Close()
		t.in = nil
	}
	t.restoreModes()
}

func (t *simTerminal) restoreModes() {
	// The duplicate shared the file's status flags: put them back (blocking
	// mode, as the shell expects).
	unix.FcntlInt(uintptr(t.fd), unix.F_SETFL, t.flags)
	unix.IoctlSetTermios(t.fd, ioctlSetTermios, &t.saved)
}
