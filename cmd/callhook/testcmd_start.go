package main

// testcmd_start.go is callhook test's -start: the web app the scenarios
// call is started by the test run itself, so that one command in an
// app's CI builds nothing by hand, waits for nothing by hand and leaves
// nothing running. The command runs in a process group of its own (its
// children too: `npm start`, a shell script), the run waits until the
// app answers HTTP at its URL, fails at once with the app's output if it
// exits first, and stops the group when the scenarios are done (SIGTERM,
// then SIGKILL). The app's output is kept (its end) and shown when a
// scenario fails, or always with -v.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/callhook/callhook/internal/config"
)

// Bounds of a started app's life.
const (
	// defaultStartTimeout is -start-timeout's default: time enough for an
	// interpreter to start, or `go run` to compile, on a busy CI machine.
	defaultStartTimeout = time.Minute
	// readyPoll is how often the app's URL is tried until it answers:
	// another process's listening socket sends no event to wait on.
	readyPoll = 50 * time.Millisecond
	// readyAttemptTimeout bounds one readiness request.
	readyAttemptTimeout = 2 * time.Second
	// stopGrace is how long the app has to exit after SIGTERM before the
	// group is killed.
	stopGrace = 5 * time.Second
	// appOutputBytes is how much of the app's output is kept: its end.
	appOutputBytes = 64 << 10
)

// stringList is a repeatable string flag.
type stringList []string

func (l *stringList) String() string     { return strings.Join(*l, ", ") }
func (l *stringList) Set(v string) error { *l = append(*l, v); return nil }

// appProcess is one web app started by -start.
type appProcess struct {
	cmdline string
	cmd     *exec.Cmd
	out     *tailBuffer
	exited  chan struct{} // closed when the process has been waited for
	waitErr error         // its exit, once exited is closed
}

// startApp starts cmdline (through the shell, as it would be typed) with
// its output going to a bounded buffer.
func startApp(cmdline string) (*appProcess, error) {
	p := &appProcess{cmdline: cmdline, out: &tailBuffer{max: appOutputBytes}, exited: make(chan struct{})}
	p.cmd = shellCommand(cmdline)
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	p.cmd.Stdin = nil
	p.cmd.Env = os.Environ()
	// A child that keeps the output pipe open after the app exited must
	// not keep Wait (and the test run) waiting.
	p.cmd.WaitDelay = stopGrace
	if err := p.cmd.Start(); err != nil {
		return nil, fmt.Errorf("-start %q: %w", cmdline, err)
	}
	go func() {
		p.waitErr = p.cmd.Wait()
		close(p.exited)
	}()
	return p, nil
}

// waitReady waits until every URL answers HTTP (any status: a POST-only
// path answering GET with 405 is up), one of the apps exits, or ctx ends.
func waitReady(ctx context.Context, urls []string, procs []*appProcess) error {
	watch, stopWatching := context.WithCancel(ctx)
	defer stopWatching()
	exited := make(chan *appProcess, len(procs))
	for _, p := range procs {
		go func() {
			select {
			case <-p.exited:
				exited <- p
			case <-watch.Done():
			}
		}()
	}
	client := &http.Client{Timeout: readyAttemptTimeout, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}
	defer client.CloseIdleConnections()
	tick := time.NewTicker(readyPoll)
	defer tick.Stop()
	left := slices.Clone(urls)
	for {
		left = slices.DeleteFunc(left, func(u string) bool { return answers(ctx, client, u) })
		if len(left) == 0 {
			return nil
		}
		select {
		case p := <-exited:
			return fmt.Errorf("-start %q: the app exited before %s answered: %s", p.cmdline, left[0], exitText(p.waitErr))
		case <-ctx.Done():
			return fmt.Errorf("-start: %s did not answer within -start-timeout", strings.Join(left, ", "))
		case <-tick.C:
		}
	}
}

// answers reports whether an HTTP server answers GET u.
func answers(ctx context.Context, client *http.Client, u string) bool {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return false
	}
	resp, err := client.Do(req)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return true
}

func exitText(err error) string {
	if err == nil {
		return "exit status 0"
	}
	return err.Error()
}

// stop ends the app's process group: SIGTERM, then SIGKILL after
// stopGrace. It returns once the process has been waited for.
func (p *appProcess) stop() {
	select {
	case <-p.exited:
		return
	default:
	}
	signalGroup(p.cmd, false)
	select {
	case <-p.exited:
	case <-time.After(stopGrace):
		signalGroup(p.cmd, true)
		<-p.exited
	}
}

// output returns the app's output kept so far.
func (p *appProcess) output() string { return p.out.String() }

// readyURLs are the URLs -start waits for: the -ready ones when given,
// else the URL of every web app the scenarios call (by app:, or the
// config's default_app and routes for a scenario that names none).
func readyURLs(cfg *config.Config, scs []*scenario, given []string) ([]string, error) {
	if len(given) > 0 {
		for _, u := range given {
			if pu, err := url.Parse(u); err != nil || (pu.Scheme != "http" && pu.Scheme != "https") || pu.Host == "" {
				return nil, fmt.Errorf("-ready %q: want an http(s) URL", u)
			}
		}
		return given, nil
	}
	var names []string
	for _, sc := range scs {
		if sc.App != "" {
			names = append(names, sc.App)
			continue
		}
		names = append(names, cfg.DefaultApp)
		for _, r := range cfg.Routes {
			names = append(names, r.App)
		}
	}
	var out []string
	for _, n := range names {
		a := cfg.AppByName(n)
		if a == nil {
			continue
		}
		var u string
		switch a.Kind {
		case config.KindWebhook:
			u = a.URL
		case config.KindLiverpie:
			u = a.Liverpie.BaseURL() + "/"
		case config.KindTwiML:
			u = a.TwiML.URL
		}
		if u != "" && !slices.Contains(out, u) {
			out = append(out, u)
		}
	}
	if len(out) == 0 {
		return nil, errors.New("-start: the scenarios call no web app whose URL could be waited for: give -ready URL")
	}
	return out, nil
}

// appGroup is the apps -start started, stopped together.
type appGroup struct {
	mu    sync.Mutex
	procs []*appProcess
}

// startInto starts cmdline and adds it to g in one step under g's lock:
// an interrupt that comes once the app runs (it may already have said so
// to the world) stops it too, since stop's list waits for the lock.
func (g *appGroup) startInto(cmdline string) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	p, err := startApp(cmdline)
	if err != nil {
		return err
	}
	g.procs = append(g.procs, p)
	return nil
}

func (g *appGroup) list() []*appProcess {
	g.mu.Lock()
	defer g.mu.Unlock()
	return slices.Clone(g.procs)
}

// stop stops every app (and waits for each).
func (g *appGroup) stop() {
	for _, p := range g.list() {
		p.stop()
	}
}

// start starts every command into g, then waits until the URLs answer.
// On failure it stops what it started and returns the error with the
// apps' output.
func (g *appGroup) start(cmdlines, urls []string, timeout time.Duration) error {
	for _, c := range cmdlines {
		if err := g.startInto(c); err != nil {
			g.stop()
			return err
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	if err := waitReady(ctx, urls, g.list()); err != nil {
		g.stop()
		var b strings.Builder
		b.WriteString(err.Error() + "\n")
		for _, p := range g.list() {
			b.WriteString(appOutputText(p))
		}
		return errors.New(strings.TrimRight(b.String(), "\n"))
	}
	return nil
}

// stopOnSignal stops the group's apps when callhook test is interrupted
// (Ctrl-C, SIGTERM) and exits with status 1: in process groups of their
// own, the apps would not get the terminal's Ctrl-C, and would be left
// running. release undoes it.
func (g *appGroup) stopOnSignal(stderr io.Writer) (release func()) {
	sigc := make(chan os.Signal, 1)
	signal.Notify(sigc, os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		select {
		case sig := <-sigc:
			fmt.Fprintf(stderr, "callhook test: %v: stopping the app\n", sig)
			g.stop()
			os.Exit(testFailed)
		case <-done:
		}
	})
	return func() {
		signal.Stop(sigc)
		close(done)
		wg.Wait()
	}
}

// appOutputText is the app's output for a report, indented, or a line
// saying there was none.
func appOutputText(p *appProcess) string {
	out := p.output()
	if strings.TrimSpace(out) == "" {
		return fmt.Sprintf("app output (%s): none\n", p.cmdline)
	}
	return fmt.Sprintf("app output (%s):\n%s", p.cmdline, indent(out, "    "))
}

// tailBuffer keeps the last max bytes written to it, safe for the
// process's two output copiers.
type tailBuffer struct {
	mu      sync.Mutex
	max     int
	buf     bytes.Buffer
	dropped bool
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf.Write(p)
	if over := t.buf.Len() - t.max; over > 0 {
		t.buf.Next(over)
		t.dropped = true
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.dropped {
		return "[... earlier output dropped]\n" + t.buf.String()
	}
	return t.buf.String()
}
