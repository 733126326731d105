//go:build linux || darwin

package main

import (
	"bufio"
	"fmt"
	"io"
	"log"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/callhook/callhook/examples/webapp-go/ivr"
	"github.com/creack/pty"
	"golang.org/x/sys/unix"
)

// buildCallhook builds the callhook binary into a temporary directory.
func buildCallhook(t *testing.T) string {
	t.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("the go tool is not on PATH: cannot build callhook for the terminal test")
	}
	bin := filepath.Join(t.TempDir(), "callhook")
	out, err := exec.CommandContext(t.Context(), goTool, "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// ptyCaller is callhook simulate running on a pseudo-terminal, and the
// person at its keyboard.
type ptyCaller struct {
	t      *testing.T
	master *os.File
	lines  chan string
	seen   []string
}

// expect waits for a line of output containing want and returns it.
func (p *ptyCaller) expect(want string) string {
	p.t.Helper()
	guard := time.After(60 * time.Second) // a failure guard, not a timing
	for {
		select {
		case line, ok := <-p.lines:
			if !ok {
				p.t.Fatalf("output ended without a line containing %q; output:\n%s", want, strings.Join(p.seen, "\n"))
			}
			p.seen = append(p.seen, line)
			if strings.Contains(line, want) {
				return line
			}
		case <-guard:
			p.t.Fatalf("no line containing %q within 60s; output:\n%s", want, strings.Join(p.seen, "\n"))
		}
	}
}

// press types keys on the terminal.
func (p *ptyCaller) press(keys string) {
	p.t.Helper()
	if _, err := p.master.Write([]byte(keys)); err != nil {
		p.t.Fatalf("type %q: %v", keys, err)
	}
}

func TestSimulateInteractive(t *testing.T) {
	bin := buildCallhook(t)
	srv := httptest.NewServer(&ivr.App{Log: log.New(io.Discard, "", 0)})
	t.Cleanup(srv.Close)
	cfg := writeConfig(t, fmt.Sprintf("default_app: ivr\napps:\n  ivr: {url: %s/ivr, status_url: %s/status}\n", srv.URL, srv.URL))

	tests := []struct {
		name string
		// script plays the caller: it waits for output and types.
		script func(p *ptyCaller)
	}{
		{"3 says the number, 2 records, # stops the recording", func(p *ptyCaller) {
			p.expect("you are the caller")
			p.expect("(the prompt is playing")
			p.press("3")
			p.expect("caller presses 3")
			p.expect("= ok: digits 3")
			p.expect("say 1000")
			p.expect("(the prompt is playing")
			p.press("2")
			p.expect("caller presses 2")
			p.expect("record callhook-")
			p.expect("(recording: the caller speaks")
			p.press("#")
			p.expect("caller presses #")
			p.expect("= ok: recording /var/lib/freeswitch/recordings/ivr/callhook-")
			p.expect("-> verb.result " + srv.URL + "/recorded")
			p.expect("end: hangup, NORMAL_CLEARING")
		}},
		{"h hangs up at the menu", func(p *ptyCaller) {
			p.expect("(the prompt is playing")
			p.press("h")
			p.expect("caller hangs up")
			p.expect("= hangup")
			p.expect("end: hangup, NORMAL_CLEARING")
		}},
		{"Ctrl-C hangs up too", func(p *ptyCaller) {
			p.expect("(the prompt is playing")
			p.press("\x03")
			p.expect("caller hangs up")
			p.expect("end: hangup")
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			master, tty, err := pty.Open()
			if err != nil {
				t.Skipf("no pseudo-terminal available: %v", err)
			}
			t.Cleanup(func() { master.Close() })
			// Fd puts the file in blocking mode, as a shell's terminal is.
			fd := int(tty.Fd())
			before, err := unix.IoctlGetTermios(fd, ioctlGetTermios)
			if err != nil {
				t.Fatal(err)
			}
			flagsBefore, err := unix.FcntlInt(uintptr(fd), unix.F_GETFL, 0)
			if err != nil {
				t.Fatal(err)
			}
			cmd := exec.CommandContext(t.Context(), bin, "simulate", "-config", cfg)
			cmd.Stdin, cmd.Stdout, cmd.Stderr = tty, tty, tty
			cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true}
			if err := cmd.Start(); err != nil {
				tty.Close()
				t.Fatalf("start callhook simulate: %v", err)
			}
			p := &ptyCaller{t: t, master: master, lines: make(chan string, 256)}
			go func() {
				defer close(p.lines)
				sc := bufio.NewScanner(master)
				for sc.Scan() {
					p.lines <- strings.TrimRight(sc.Text(), "\r")
				}
			}()
			tc.script(p)
			if err := cmd.Wait(); err != nil {
				t.Errorf("callhook simulate exited with %v, want status 0; output:\n%s", err, strings.Join(p.seen, "\n"))
			}
			// The terminal is as the shell left it: line input, echo,
			// blocking reads.
			after, err := unix.IoctlGetTermios(fd, ioctlGetTermios)
			if err != nil {
				t.Fatal(err)
			}
			if after.Lflag != before.Lflag || after.Iflag != before.Iflag {
				t.Errorf("terminal after simulate: lflag %#x iflag %#x, want them restored to %#x %#x",
					after.Lflag, after.Iflag, before.Lflag, before.Iflag)
			}
			if flagsAfter, err := unix.FcntlInt(uintptr(fd), unix.F_GETFL, 0); err != nil || flagsAfter != flagsBefore {
				t.Errorf("terminal file flags after simulate = %#x (%v), want %#x", flagsAfter, err, flagsBefore)
			}
			tty.Close()
		})
	}
}
