//go:build linux || darwin

package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// Ctrl-C during callhook test stops the app -start started (in a process
// group of its own, the terminal's Ctrl-C does not reach it) before
// callhook exits with status 1.
func TestTestStartStoppedOnInterrupt(t *testing.T) {
	bin := buildCallhook(t)
	fifo := filepath.Join(t.TempDir(), "started")
	if err := unix.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	addr := freeAddr(t)
	// The app says it started (its pid, through the FIFO) and never
	// answers: callhook waits for it when the interrupt comes.
	cmd := exec.CommandContext(t.Context(), bin, "test", "-config", supportConfig(t, "http://"+addr),
		"-start", "echo $$ > "+fifo+"; exec sleep 300", "-start-timeout", "10m", supportScenarios)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	started := make(chan string, 1)
	go func() {
		b, _ := os.ReadFile(fifo) // blocks until the app writes
		started <- strings.TrimSpace(string(b))
	}()
	var pid int
	select {
	case s := <-started:
		var err error
		if pid, err = strconv.Atoi(s); err != nil {
			t.Fatalf("the app wrote %q, not its pid", s)
		}
	case err := <-exited:
		t.Fatalf("callhook test exited (%v) before the app started:\n%s", err, &out)
	case <-time.After(time.Minute):
		t.Fatalf("the app did not start within a minute:\n%s", &out)
	}
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != testFailed {
			t.Errorf("callhook test exited with %v, want status %d", err, testFailed)
		}
	case <-time.After(time.Minute):
		t.Fatalf("callhook test did not exit within a minute of SIGINT:\n%s", &out)
	}
	if !strings.Contains(out.String(), "callhook test: interrupt: stopping the app") {
		t.Errorf("output = %q, want the interrupt said", &out)
	}
	// callhook waited for the app (its child), so it is gone, not a zombie.
	if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
		t.Errorf("the app (pid %d) is still there after callhook test exited: kill(0) = %v", pid, err)
		syscall.Kill(pid, syscall.SIGKILL)
	}
}
