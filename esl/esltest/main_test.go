package esltest

import (
	"fmt"
	"os"
	"testing"
)

// TestMain fails the run if any simulator goroutine outlives the tests:
// every test waits for its calls (Close, Wait) and servers (Close), and
// each goroutine leaves the running count before it signals its end.
func TestMain(m *testing.M) {
	code := m.Run()
	if n := running.Load(); code == 0 && n != 0 {
		fmt.Fprintf(os.Stderr, "esltest: %d simulator goroutines still running after the tests\n", n)
		code = 1
	}
	os.Exit(code)
}
