package main

import (
	"fmt"
	"io"
)

// runSimulate is replaced by the simulate command (issue 6).
func runSimulate(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fmt.Fprintln(stderr, "callhook simulate: not built in yet")
	return 2
}
