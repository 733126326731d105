//go:build unix

package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/callhook/callhook/statemachine"
)

// checkGuard ends a check that hangs: before files were checked, a named
// pipe blocked `callhook check` in open until a writer came.
const checkGuard = 20 * time.Second

// runCheckGuarded runs `callhook check args...` in-process and returns its
// exit status and output, failing the test if it does not return.
func runCheckGuarded(t *testing.T, args ...string) (int, string) {
	t.Helper()
	var out bytes.Buffer
	done := make(chan int, 1)
	go func() { done <- runCheck(args, &out, &out) }()
	select {
	case code := <-done:
		return code, out.String()
	case <-time.After(checkGuard):
		t.Fatalf("callhook check %s did not return within %v (blocked reading a file)", strings.Join(args, " "), checkGuard)
		return 0, ""
	}
}

// TestCheckRefusesFiles: config, Liverpie config and flow files that are
// not regular files, or are too big, are refused at once, a flow with the
// file:line of the config entry that names it (issue 12, item 3: flow:
// /dev/zero grew check to 7.8 GB; a named pipe blocked it).
func TestCheckRefusesFiles(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "pipe.yaml")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	big := filepath.Join(dir, "big.yaml")
	if err := os.WriteFile(big, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(big, statemachine.MaxFileBytes+1); err != nil {
		t.Fatal(err)
	}
	write := func(name, data string) string {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	flowConfig := func(name, flow string) string {
		return write(name, "admin: ''\ndefault_app: ivr\napps:\n  ivr:\n    flow: "+flow+"\n")
	}
	liverpie := write("liverpie.conf", "admin: ''\ndefault_app: ivr\napps:\n  ivr: {url: 'http://127.0.0.1:8000/'}\n")
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"config is a named pipe", []string{"-config", fifo}, fifo + ": not a regular file (a named pipe)"},
		{"config is a directory", []string{"-config", dir}, dir + ": not a regular file (a directory)"},
		{"config too big", []string{"-config", big}, big + ": 1048577 bytes, over the 1048576 bytes a config file may have"},
		{"liverpie config is a named pipe", []string{"-config", liverpie, "-liverpie-config", fifo}, fifo + ": not a regular file (a named pipe)"},
		{"flow is a named pipe", []string{"-config", flowConfig("c1.yaml", fifo)},
			filepath.Join(dir, "c1.yaml") + ":5: apps.ivr.flow: read flow: " + fifo + ": not a regular file (a named pipe)"},
		{"flow too big", []string{"-config", flowConfig("c2.yaml", "big.yaml")},
			filepath.Join(dir, "c2.yaml") + ":5: apps.ivr.flow: read flow: " + big + ": 1048577 bytes, over the 1048576 bytes a flow file may have"},
		{"flow given is a named pipe", []string{fifo}, "read flow: " + fifo + ": not a regular file (a named pipe)"},
	}
	if fi, err := os.Stat("/dev/zero"); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
		tests = append(tests, struct {
			name string
			args []string
			want string
		}{"flow is /dev/zero", []string{"-config", flowConfig("c3.yaml", "/dev/zero")},
			filepath.Join(dir, "c3.yaml") + ":5: apps.ivr.flow: read flow: /dev/zero: not a regular file (a character device)"})
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, out := runCheckGuarded(t, tc.args...)
			if code != 1 || !strings.Contains(out, tc.want) {
				t.Errorf("callhook check %s = %d\n%s\nwant 1 and %q", strings.Join(tc.args, " "), code, out, tc.want)
			}
		})
	}
}

// TestReloaderNeverBlocks: a reload that does not return holds up neither
// the requests for more reloads nor stop, reloads run one at a time, and
// requests made during one reload are one more reload after it.
func TestReloaderNeverBlocks(t *testing.T) {
	var (
		running, most, runs atomic.Int32
		release             = make(chan struct{})
		started             = make(chan struct{}, 10)
		mu                  sync.Mutex
		ctxs                []context.Context
	)
	r := startReloader(func(ctx context.Context) {
		n := running.Add(1)
		if n > most.Load() {
			most.Store(n)
		}
		runs.Add(1)
		mu.Lock()
		ctxs = append(ctxs, ctx)
		mu.Unlock()
		started <- struct{}{}
		<-release
		running.Add(-1)
	})
	r.request()
	<-started // the first reload is stuck in release
	for range 5 {
		r.request() // returns at once: the signal loop goes on
	}
	close(release)
	<-started // the requests made meanwhile: one more reload
	guard := time.After(checkGuard)
	// A further request after the second reload ends runs a third: ask
	// until it has started, proving the second one ended.
	r.request()
	select {
	case <-started:
	case <-guard:
		t.Fatal("no reload after the second one ended")
	}
	r.stop()
	select {
	case <-r.Done():
	case <-guard:
		t.Fatal("the reloader did not stop")
	}
	if got := runs.Load(); got != 3 {
		t.Errorf("reloads run = %d, want 3 (the first, one for the five requests made during it, one more)", got)
	}
	if got := most.Load(); got != 1 {
		t.Errorf("reloads at once = %d, want 1", got)
	}
	mu.Lock()
	defer mu.Unlock()
	if err := ctxs[len(ctxs)-1].Err(); err == nil {
		t.Error("a reload's context is not done after stop: a reload running then would apply its config")
	}
}

// TestReloaderStopDoesNotWait: stop returns while a reload is stuck, so a
// drain never waits for a reload.
func TestReloaderStopDoesNotWait(t *testing.T) {
	stuck := make(chan struct{})
	t.Cleanup(func() { close(stuck) })
	started := make(chan context.Context, 1)
	r := startReloader(func(ctx context.Context) {
		started <- ctx
		<-stuck
	})
	r.request()
	ctx := <-started
	r.stop() // would hang here if stop waited for the reload
	if ctx.Err() == nil {
		t.Error("the stuck reload's context is not done after stop")
	}
}

// TestReloadNamedPipeThenDrain: a SIGHUP whose flow has become a named
// pipe is refused with the config entry's file:line, and a drain that
// follows it is not held up (issue 12, item 3: the reload blocked the
// signal loop until the pipe closed, and SIGTERM and POST /drain did
// nothing).
func TestReloadNamedPipeThenDrain(t *testing.T) {
	dir := t.TempDir()
	flow := filepath.Join(dir, "flow.yaml")
	if err := os.WriteFile(flow, []byte(flowVersion("v1")), 0o600); err != nil {
		t.Fatal(err)
	}
	d := startOpsDaemon(t, "default_app: ivr\napps:\n  ivr: {flow: "+flow+"}\n")
	if err := os.Remove(flow); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(flow, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := d.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	refused := d.log.wait(t, map[string]string{"level": "error", "msg": "reload refused: " + d.configPath + ":7: apps.ivr.flow: read flow: " + flow + ": not a regular file (a named pipe)"})
	if refused == nil {
		t.Fatal("no reload refused line")
	}
	if code, body := d.post(t, "/drain"); code != 202 {
		t.Fatalf("POST /drain = %d %s, want 202", code, body)
	}
	if code := d.waitExit(t); code != 0 {
		t.Errorf("callhook serve exited %d after the drain, want 0", code)
	}
}
