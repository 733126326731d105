//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package main

import (
	"os/exec"
	"strings"
)

// shellCommand runs cmdline split at spaces (no shell here: no quoting).
func shellCommand(cmdline string) *exec.Cmd {
	f := strings.Fields(cmdline)
	if len(f) == 0 {
		f = []string{""}
	}
	return exec.Command(f[0], f[1:]...)
}

// signalGroup kills the process: without process groups, its children
// are not reached.
func signalGroup(cmd *exec.Cmd, _ bool) { _ = cmd.Process.Kill() }
