//go:build !linux

package esl

import "time"

// threadCPU is Linux only (RUSAGE_THREAD); elsewhere it reports nothing.
func threadCPU() time.Duration { return 0 }
