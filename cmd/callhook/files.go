package main

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"syscall"
)

// maxConfigBytes bounds the config file and a Liverpie liverpie.yml: the
// root config.yaml is 5 KiB. A config named by mistake after /dev/zero or a
// log file must be refused, not read until memory runs out (flow files
// have their own bound, statemachine.MaxFileBytes).
const maxConfigBytes = 1 << 20

// readConfigFile reads the file at path, which must be a regular file of
// at most maxConfigBytes. It is opened with O_NONBLOCK, so that a named
// pipe is refused at once instead of blocking the open until a writer
// comes; O_NONBLOCK does nothing to a regular file's reads.
func readConfigFile(path string) ([]byte, error) {
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
	if fi.Size() > maxConfigBytes {
		return nil, fmt.Errorf("%s: %d bytes, over the %d bytes a config file may have", path, fi.Size(), maxConfigBytes)
	}
	// The file may grow while it is read: read one byte past the limit.
	data, err := io.ReadAll(io.LimitReader(f, maxConfigBytes+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxConfigBytes {
		return nil, fmt.Errorf("%s: over the %d bytes a config file may have", path, maxConfigBytes)
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
