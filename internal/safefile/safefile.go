// Package safefile reads the files an operator names in callhook's config
// (the config itself, a Liverpie liverpie.yml, flow files) without letting
// a wrong name hang or exhaust the daemon: only a regular file of a bounded
// size is read. A config entry pointing at /dev/zero grew `callhook check`
// to gigabytes, and one pointing at a named pipe blocked a reload, and with
// it the signal loop, until a writer came.
package safefile

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"syscall"
)

// Read reads the file at path, which must be a regular file of at most max
// bytes; what names the file's role in errors ("a flow file"). The file is
// opened with O_NONBLOCK, so that a named pipe is refused at once instead of
// blocking the open until a writer comes; O_NONBLOCK does nothing to a
// regular file's reads.
func Read(path string, max int64, what string) ([]byte, error) {
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
		return nil, fmt.Errorf("%s: not a regular file (%s)", path, Kind(fi.Mode()))
	}
	if fi.Size() > max {
		return nil, fmt.Errorf("%s: %d bytes, over the %d bytes %s may have", path, fi.Size(), max, what)
	}
	// The file may grow while it is read: read one byte past the limit.
	data, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > max {
		return nil, fmt.Errorf("%s: over the %d bytes %s may have", path, max, what)
	}
	return data, nil
}

// Kind names what a file that is not a regular file is.
func Kind(m fs.FileMode) string {
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
