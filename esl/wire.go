package esl

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// WireFrame is one entry of a .wire.txt transcript (testdata/README.md,
// "File formats"): a frame either way, or a note about something that
// happened off this socket.
type WireFrame struct {
	Dir  string        // "C>" daemon to FreeSWITCH, "F>" FreeSWITCH to daemon, "#" a note
	At   time.Duration // since the start of the scenario (millisecond resolution)
	Raw  []byte        // the frame's exact bytes (shares data's memory); nil for a note
	Note string        // the note's text; "" for a frame
}

// ReadWire parses a .wire.txt transcript. Each entry starts with a marker
// line "--- +<ms> C>", "--- +<ms> F>" or "--- +<ms> # text". A frame ends
// where its own framing says: FreeSWITCH's command framing (ReadCommand) for
// C>, Content-Length framing (ReadFrame) for F>; the one "\n" the recorder
// adds after a frame that does not end in a newline is skipped.
func ReadWire(data []byte) ([]WireFrame, error) {
	var out []WireFrame
	for pos := 0; pos < len(data); {
		eol := bytes.IndexByte(data[pos:], '\n')
		if eol < 0 {
			return nil, fmt.Errorf("esl: wire line %d: marker without a newline", lineNumber(data, pos))
		}
		w, err := parseWireMarker(string(data[pos : pos+eol]))
		if err != nil {
			return nil, fmt.Errorf("esl: wire line %d: %w", lineNumber(data, pos), err)
		}
		start := pos
		pos += eol + 1
		if w.Dir != "#" {
			n, err := wireFrameSize(w.Dir, data[pos:])
			if err != nil {
				return nil, fmt.Errorf("esl: wire line %d: %s frame: %w", lineNumber(data, start), w.Dir, err)
			}
			w.Raw = data[pos : pos+n : pos+n]
			pos += n
			if n > 0 && w.Raw[n-1] != '\n' && pos < len(data) && data[pos] == '\n' {
				pos++
			}
		}
		out = append(out, w)
	}
	return out, nil
}

// parseWireMarker parses a marker line without its newline.
func parseWireMarker(line string) (WireFrame, error) {
	rest, ok := strings.CutPrefix(line, "--- +")
	if !ok {
		return WireFrame{}, fmt.Errorf("want a %q marker, got %q", "--- +<ms>", clip(line))
	}
	sp := 0
	for sp < len(rest) && rest[sp] != ' ' {
		sp++
	}
	ms, err := strconv.ParseUint(rest[:sp], 10, 32)
	if err != nil || sp == len(rest) {
		return WireFrame{}, fmt.Errorf("malformed marker %q", clip(line))
	}
	w := WireFrame{At: time.Duration(ms) * time.Millisecond}
	switch kind := rest[sp+1:]; {
	case kind == "C>" || kind == "F>":
		w.Dir = kind
	case kind == "#" || len(kind) > 2 && kind[:2] == "# ":
		w.Dir = "#"
		if len(kind) > 2 {
			w.Note = kind[2:]
		}
	default:
		return WireFrame{}, fmt.Errorf("unknown marker kind %q", clip(kind))
	}
	return w, nil
}

// wireFrameSize returns the length of the frame at the start of data.
func wireFrameSize(dir string, data []byte) (int, error) {
	r := NewReader(bytes.NewReader(data), Limits{})
	var (
		n   int
		err error
	)
	if dir == "C>" {
		_, n, err = r.ReadCommand()
	} else {
		_, n, err = r.ReadFrame()
	}
	return n, err
}

// lineNumber returns the 1-based line of data[pos].
func lineNumber(data []byte, pos int) int {
	return bytes.Count(data[:pos], []byte{'\n'}) + 1
}
