package statemachine

import "github.com/callhook/callhook/internal/safefile"

// MaxFileBytes bounds a flow file. The largest example flow is a few KiB;
// a flow named by mistake after /dev/zero or a log file must be refused,
// not read until memory runs out.
const MaxFileBytes = 1 << 20

// readFile reads the flow file at path: a regular file of at most
// MaxFileBytes (a named pipe is refused at once, so a reload never blocks
// on one).
func readFile(path string) ([]byte, error) {
	return safefile.Read(path, MaxFileBytes, "a flow file")
}
