//go:build !unix

package main

import (
	"testing"

	"github.com/callhook/callhook/internal/leakcheck"
)

// TestMain fails the run if a goroutine of this program or of the packages
// it wires outlives the tests (on unix, ops_test.go's TestMain does).
func TestMain(m *testing.M) { leakcheck.Main(m, leakcheck.Module, "main") }
