package esl

import (
	"bytes"
	"fmt"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"
)

// TestMain fails the run if goroutines started by this package outlive the
// tests: every Conn reader, Server and handler goroutine has an exit, and
// this is where we check it is taken.
func TestMain(m *testing.M) {
	code := m.Run()
	if code == 0 {
		if leaked := waitForLeaks(10 * time.Second); leaked != "" {
			fmt.Fprintf(os.Stderr, "esl: goroutines leaked by the tests:\n\n%s\n", leaked)
			code = 1
		}
	}
	os.Exit(code)
}

// waitForLeaks polls the goroutine dump until no goroutine runs code of
// this package (goroutines end asynchronously after a test returns, so a
// single look would be flaky), and returns the stacks still there at the
// deadline.
func waitForLeaks(limit time.Duration) string {
	deadline := time.Now().Add(limit)
	for {
		leaked := packageGoroutines()
		if len(leaked) == 0 {
			return ""
		}
		if time.Now().After(deadline) {
			return strings.Join(leaked, "\n\n")
		}
		time.Sleep(10 * time.Millisecond) // polling is the point here: there is no event to wait on
	}
}

// packageGoroutines returns the stacks of goroutines, other than this one,
// that are running code of package esl.
func packageGoroutines() []string {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	var out []string
	for i, g := range bytes.Split(buf, []byte("\n\n")) {
		if i == 0 {
			continue // the goroutine running TestMain
		}
		if bytes.Contains(g, []byte("callhook/callhook/esl.")) {
			out = append(out, string(g))
		}
	}
	return out
}
