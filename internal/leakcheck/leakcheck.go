// Package leakcheck finds goroutines that outlive a package's tests.
//
// A test binary's TestMain calls Main: after the tests it looks at every
// goroutine's stack, function by function, and fails the run while any
// goroutine still runs a function of the packages named (by default the
// whole module). Goroutines end asynchronously after the test that stopped
// them returns (a closed connection's reader still has to see the error),
// so Main looks again until a deadline; a goroutine still there at the
// deadline is a leak, and its stack is printed.
//
// Stacks come from the goroutine profile in its debug=1 form, where each
// frame is a line "#\t0xPC\tpackage.Function+0xOFF\tfile:line": the
// function names are read from those fields, not searched for in a dump.
package leakcheck

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"runtime/pprof"
	"slices"
	"strings"
	"testing"
	"time"
)

// Module is the import path of this module: Main's default.
const Module = "github.com/callhook/callhook"

// Main runs the tests, then fails the run if goroutines running code of
// pkgs (import paths; a path covers the packages below it; none: Module)
// are still there after a few seconds. It does not return.
func Main(m *testing.M, pkgs ...string) {
	os.Exit(Check(m.Run(), pkgs...))
}

// Check is Main for a TestMain that has more to do: given m.Run's exit
// code, it returns the code to exit with, 1 when goroutines leaked. A
// failed run is not checked: its goroutines may be stuck by the failure.
func Check(code int, pkgs ...string) int {
	if code != 0 {
		return code
	}
	if left := Wait(10*time.Second, pkgs...); len(left) > 0 {
		fmt.Fprintf(os.Stderr, "leakcheck: goroutines outlived the tests:\n\n%s\n", strings.Join(left, "\n\n"))
		return 1
	}
	return code
}

// Wait returns once no goroutine other than the caller's runs code of
// pkgs, or at the deadline with those that still do, one stack each.
// It polls: a goroutine's end is no event anyone can wait on.
func Wait(limit time.Duration, pkgs ...string) []string {
	deadline := time.Now().Add(limit)
	for {
		left := Running(pkgs...)
		if len(left) == 0 || time.Now().After(deadline) {
			return left
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Running returns the stacks (one per goroutine, in the profile's text
// form) of the goroutines other than the caller's that run a function of
// pkgs (none: Module).
func Running(pkgs ...string) []string {
	if len(pkgs) == 0 {
		pkgs = []string{Module}
	}
	var left []string
	for _, g := range Goroutines() {
		if g.Runs(pkgs...) {
			for range g.Count {
				left = append(left, g.Stack)
			}
		}
	}
	return left
}

// Count returns how many goroutines other than the caller's have a frame
// whose function name satisfies match.
func Count(match func(function string) bool) int {
	n := 0
	for _, g := range Goroutines() {
		for _, f := range g.Functions {
			if match(f) {
				n += g.Count
				break
			}
		}
	}
	return n
}

// Goroutine is one record of the goroutine profile: Count goroutines
// with the same stack.
type Goroutine struct {
	Count     int
	Functions []string // innermost first, e.g. "github.com/callhook/callhook/esl.(*Conn).readLoop"
	Stack     string   // the record as the profile wrote it
}

// Runs says whether a frame of g is a function of one of pkgs (import
// paths, each covering the packages below it).
func (g Goroutine) Runs(pkgs ...string) bool {
	for _, f := range g.Functions {
		p := Package(f)
		for _, want := range pkgs {
			if p == want || strings.HasPrefix(p, want+"/") {
				return true
			}
		}
	}
	return false
}

// Package returns the import path of a function name as the runtime
// writes it: "a/b/c.(*T).M.func1" is in "a/b/c".
func Package(function string) string {
	slash := strings.LastIndexByte(function, '/')
	dot := strings.IndexByte(function[slash+1:], '.')
	if dot < 0 {
		return function
	}
	return function[:slash+1+dot]
}

// Goroutines returns the goroutine profile's records, except the one of
// the goroutine calling it (the one inside runtime/pprof) and those of the
// testing package running tests (testing.tRunner, testing.(*M).Run): the
// goroutines a package or its tests started are the others.
func Goroutines() []Goroutine {
	var buf bytes.Buffer
	if err := pprof.Lookup("goroutine").WriteTo(&buf, 1); err != nil {
		panic("leakcheck: goroutine profile: " + err.Error())
	}
	return parse(&buf)
}

func isTestRunner(function string) bool {
	return function == "testing.tRunner" || function == "testing.(*M).Run"
}

// parse reads the debug=1 goroutine profile: a header line, then records
// separated by blank lines, each "N @ 0x... 0x..." and one "#\t" line per
// frame.
func parse(r io.Reader) []Goroutine {
	var out []Goroutine
	var cur *Goroutine
	var stack strings.Builder
	flush := func() {
		if cur != nil && !cur.Runs("runtime/pprof") && !slices.ContainsFunc(cur.Functions, isTestRunner) {
			cur.Stack = stack.String()
			out = append(out, *cur)
		}
		cur = nil
		stack.Reset()
	}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "":
			flush()
		case strings.HasPrefix(line, "#\t"):
			if cur == nil {
				continue
			}
			stack.WriteString(line + "\n")
			fields := strings.Split(line, "\t")
			if len(fields) >= 3 {
				fn, _, _ := strings.Cut(fields[2], "+0x")
				cur.Functions = append(cur.Functions, fn)
			}
		default:
			var n int
			if _, err := fmt.Sscanf(line, "%d @", &n); err == nil {
				flush()
				cur = &Goroutine{Count: n}
				stack.WriteString(line + "\n")
			}
		}
	}
	flush()
	return out
}
