package twilioapi_test

import (
	"testing"

	"github.com/callhook/callhook/internal/leakcheck"
)

// TestMain fails the run if a goroutine of this module outlives the tests.
func TestMain(m *testing.M) { leakcheck.Main(m) }
