package statemachine

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"syscall"
)

// MaxFileBytes bounds a flow file. The largest example flow is a few KiB;
// a flow named by mistake after /dev/zero or a log file must be refused,
// not read until memory runs out.
const MaxFileBytes = 1 << 20

// readFile reads the flow file at path, which must be a regular file of at
// most MaxFileBytes. It is opened with O_NONBLOCK, so that a named pipe is
// refused at once instead of blocking the open until a writer comes (a
// reload that blocked there held up the daemon's signal loop); O_NONBLOCK
// does nothing to a regular file's reads.
func readFile(path string) ([]byte, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: not a regular file (%s)", path, fileKind(fi.Mode()))
	}
	if fi.Size() > MaxFileBytes {
		return nil, fmt.Errorf("%s: %d bytes, over the %d bytes a flow file may have", path, fi.Size(), MaxFileBytes)
	}
	// The file may grow while it is read: read one byte past the limit.
	data, err := io.ReadAll(io.LimitReader(f, MaxFileBytes+1))
	if err != nil {
		return nil, err
	}
	if len(data) > MaxFileBytes {
		return nil, fmt.Errorf("%s: over the %d bytes a flow file may have", path, MaxFileBytes)
	}
	return data, nil
}

// fileKind names what a file that is not a regular file is.
func fileKind(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "a directory"
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a device"
	}
	return m.Type().String()
}
