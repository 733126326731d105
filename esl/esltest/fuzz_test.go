package esltest

import (
	"bytes"
	"io"
	"net"
	"os"
	"path/filepath"
	"testing"

	"github.com/callhook/callhook/esl"
)

// FuzzSimulator feeds arbitrary command bytes to a simulated call: the
// simulator must never panic on what a daemon sends, and Close must end
// any call at once. Seeds: every capture's commands, plus malformed
// packets.
func FuzzSimulator(f *testing.F) {
	files, _ := filepath.Glob("../testdata/*.wire.txt")
	for _, path := range files {
		data, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		entries, err := esl.ReadWire(data)
		if err != nil {
			f.Fatal(err)
		}
		var cmds bytes.Buffer
		for _, e := range entries {
			if e.Dir == "C>" {
				cmds.Write(e.Raw)
			}
		}
		f.Add(cmds.Bytes(), byte(0))
	}
	f.Add([]byte("connect\n\nsendmsg\ncontent-length: 99999999999\n\n"), byte(1))
	f.Add([]byte("connect\n\napi uuid_kill\n\napi uuid_setvar\n\nfilter delete\n\nbgapi \n\n"), byte(2))
	f.Add([]byte("connect\n\nsendmsg\ncall-command: execute\nexecute-app-name: play_and_get_digits\nexecute-app-arg: 1\n\n"), byte(0))
	f.Add([]byte("connect\n\nlinger\n\nsendmsg\ncall-command: execute\nexecute-app-name: bridge\nexecute-app-arg: {a=b\nloops: -1\n\n"), byte(3))
	// A static-mode app looping forever with a command behind it (found by
	// the fuzzer: the call used to outlive the daemon).
	f.Add([]byte("connec\x80inger\n\nsendmsg\ncall-command: execute\nexecute-app-name: bridge\nexecute-app-arg: {a=b\nloops: -1\n\ngetvar x\n\n"), byte(2))
	f.Fuzz(func(t *testing.T, cmds []byte, mode byte) {
		o := Options{Speed: 1e6, Mode: []string{ModeAsyncFull, ModeAsync, ModeStatic, ModeAsyncFull}[mode%4],
			Park: ParkTiming(int(mode%5) - 1), LingerNotice: LingerNotice(mode / 8 % 3)}
		simEnd, nc := net.Pipe()
		c := NewCall(simEnd, o)
		drained := make(chan struct{})
		go func() {
			_, _ = io.Copy(io.Discard, nc)
			close(drained)
		}()
		c.Digits("1#")
		_, _ = nc.Write(cmds)
		nc.Close()
		// A static-mode app may legitimately run forever (loops: -1, a
		// stream without end): Close must end any call at once.
		c.Close()
		if _, err := c.Wait(t.Context()); err != nil {
			t.Fatalf("Wait: %v", err)
		}
		<-drained
	})
}
