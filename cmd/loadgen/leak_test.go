package main

import (
	"testing"

	"github.com/callhook/callhook/internal/leakcheck"
)

// TestMain fails the run if a goroutine of this program or of the simulator it drives outlives the tests.
func TestMain(m *testing.M) { leakcheck.Main(m, leakcheck.Module, "main") }
