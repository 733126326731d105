package admin_test

import (
	"testing"

	"github.com/callhook/callhook/internal/leakcheck"
)

// TestMain fails the run if a goroutine of this module (a session, a connection's reader, the admin API's) outlives the tests.
func TestMain(m *testing.M) { leakcheck.Main(m) }
