package esltest

import (
	"testing"

	"github.com/callhook/callhook/internal/leakcheck"
)

// TestMain fails the run if a simulator goroutine (a call's loop or
// reader, an inbound server's) outlives the tests: every test waits for
// its calls (Close, Wait) and servers (Close).
func TestMain(m *testing.M) { leakcheck.Main(m) }
