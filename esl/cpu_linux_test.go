package esl

import (
	"syscall"
	"time"
)

// threadCPU returns the CPU time (user and system) of the calling thread:
// lock the goroutine to its thread first. A benchmark on a machine shared
// with other work reports it per operation beside its wall-clock time,
// which the other work inflates.
func threadCPU() time.Duration {
	var ru syscall.Rusage
	const rusageThread = 1 // RUSAGE_THREAD, Linux only
	if err := syscall.Getrusage(rusageThread, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
