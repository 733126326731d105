//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package main

import (
	"os/exec"
	"syscall"
)

// shellCommand runs cmdline with sh, as typed at a prompt, in a process
// group of its own, so that stopping it reaches what it started too (an
// interpreter under `npm start`, a server under a script).
func shellCommand(cmdline string) *exec.Cmd {
	cmd := exec.Command("/bin/sh", "-c", cmdline)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	return cmd
}

// signalGroup sends SIGTERM, or SIGKILL when kill is set, to the
// command's process group.
func signalGroup(cmd *exec.Cmd, kill bool) {
	sig := syscall.SIGTERM
	if kill {
		sig = syscall.SIGKILL
	}
	// The group's id is the leader's pid (Setpgid with Pgid 0).
	_ = syscall.Kill(-cmd.Process.Pid, sig)
}
