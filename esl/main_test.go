package esl

import (
	"testing"

	"github.com/callhook/callhook/internal/leakcheck"
)

// TestMain fails the run if goroutines started by this package outlive the
// tests: every Conn reader, Server and handler goroutine has an exit, and
// this is where we check it is taken.
func TestMain(m *testing.M) { leakcheck.Main(m) }
