package esl_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/callhook/callhook/esl"
)

// TestAppendExecuteReusesHeaders: executes built one after another in one
// reused array encode exactly as Execute's own, whatever the one before
// held (an argument in a header or in the body, loops, a UUID).
func TestAppendExecuteReusesHeaders(t *testing.T) {
	cases := []struct {
		app, arg string
		o        esl.ExecuteOptions
	}{
		{"playback", "/tmp/a.wav", esl.ExecuteOptions{EventLock: true, EventUUID: "a6f0c2d4-1b2c-4d5e-8f90-123456789abc"}},
		{"speak", strings.Repeat("long ", 300), esl.ExecuteOptions{EventLock: true, Loops: 3}},
		{"answer", "", esl.ExecuteOptions{}},
		{"set", "x=line\nbreak", esl.ExecuteOptions{Async: true, UUID: "b7e1d3e5-2c3d-4e6f-9a01-23456789abcd"}},
		{"playback", "/tmp/b.wav", esl.ExecuteOptions{EventLock: true, EventUUID: "c8f2e4f6-3d4e-4f70-8b12-3456789abcde"}},
	}
	var h esl.Headers
	for _, c := range cases {
		want, err := esl.Execute(c.app, c.arg, c.o).Encode()
		if err != nil {
			t.Fatal(err)
		}
		cmd := esl.AppendExecute(h[:0], c.app, c.arg, c.o)
		h = cmd.Headers
		got, err := cmd.Encode()
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("AppendExecute(%s) encodes %q, want %q", c.app, got, want)
		}
	}
}
