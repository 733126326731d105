package safefile

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

func TestRead(t *testing.T) {
	dir := t.TempDir()
	ok := filepath.Join(dir, "ok.yaml")
	if err := os.WriteFile(ok, []byte("a: 1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	big := filepath.Join(dir, "big.yaml")
	if err := os.WriteFile(big, make([]byte, 11), 0o600); err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	if data, err := Read(ok, 10, "a test file"); err != nil || string(data) != "a: 1\n" {
		t.Errorf("Read(ok) = %q, %v", data, err)
	}
	for _, tc := range []struct{ path, want string }{
		{big, "11 bytes, over the 10 bytes a test file may have"},
		{fifo, "not a regular file (a named pipe)"},
		{dir, "not a regular file (a directory)"},
		{"/dev/zero", "not a regular file (a character device)"},
		{filepath.Join(dir, "missing"), "no such file"},
	} {
		// A named pipe with no writer must be refused, not waited on: the
		// test itself would hang here otherwise.
		if _, err := Read(tc.path, 10, "a test file"); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Read(%s) = %v, want an error with %q", tc.path, err, tc.want)
		}
	}
}
