package main

import (
	"testing"

	"github.com/callhook/callhook/internal/leakcheck"
)

// TestMain fails the run if a goroutine of this program or of callhook's engine outlives the tests.
func TestMain(m *testing.M) { leakcheck.Main(m, leakcheck.Module, "main") }
