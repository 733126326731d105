package main

import "golang.org/x/sys/unix"

// Termios ioctls on Linux.
const (
	ioctlGetTermios = unix.TCGETS
	ioctlSetTermios = unix.TCSETS
)
