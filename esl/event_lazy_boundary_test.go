package esl

import (
	"fmt"
	"strings"
	"testing"
)

// TestLazyEventAtIndexBoundary: a plain event whose header block ends on
// either side of 64 KiB (where the line index moves from 16-bit to 32-bit
// offsets), with more lines than the index's inline room and the headers
// the index notes while parsing (first of duplicates, other case, encoded)
// past that boundary, reads as the eager parse reads it, Header included.
func TestLazyEventAtIndexBoundary(t *testing.T) {
	for _, total := range []int{65533, 65534, 65535, 65536, 65537, 70000, 140000} {
		for _, lines := range []int{1, 100, 200, 1000} {
			var b strings.Builder
			pad := total / lines
			for i := 0; i < lines; i++ {
				fmt.Fprintf(&b, "X-%d: %s\n", i, strings.Repeat("y", pad))
			}
			for b.Len() < total-40 {
				b.WriteString("P: z\n")
			}
			b.WriteString("Event-Name: LATE\nunique-id: u%41\nEvent-Name: second\nJob-UUID: j\n\n")
			body := []byte(b.String())
			checkLazyMatchesEager(t, body)
			eager, _ := ParseEvent(&Frame{Headers: Headers{{"Content-Type", TypeEventPlain}}, Body: body})
			lazy, _ := parsePlainLazy(body)
			for _, n := range []string{"Event-Name", "Unique-ID", "Job-UUID", "X-5", "P", "Application"} {
				eh, eok := eager.Header(n)
				lh, lok := lazy.Header(n)
				if eh != lh || eok != lok {
					t.Fatalf("%d/%d Header(%q): lazy %+v %v eager %+v %v", total, lines, n, lh, lok, eh, eok)
				}
			}
		}
	}
}

// TestConnectReplyLazyBigBlocks: connect replies whose header blocks fit
// the Reader's own buffer, the pooled one, or neither (past 32 KiB, past
// 64 KiB), read back to back so the second reuses the pooled buffer the
// first was read in, give channel data that reads as the eager parse does.
func TestConnectReplyLazyBigBlocks(t *testing.T) {
	for _, total := range []int{200, 600, 32700, 32768, 32800, 65530, 65540, 70000, 200000} {
		var b strings.Builder
		b.WriteString("Content-Type: command/reply\r\nReply-Text: +OK\nSocket-Mode: async\n")
		for i := 0; b.Len() < total; i++ {
			fmt.Fprintf(&b, "variable_v%d: %s%%20\n", i, strings.Repeat("q", i%300))
		}
		b.WriteString("Unique-ID: tail\nunique-id: dup\nEvent-Name: CHANNEL_DATA\n\n")
		// Two in a row: the second is read into the buffer the first used.
		s := b.String() + b.String() + "Content-Type: command/reply\nReply-Text: +OK\n\n"
		r := NewReader(strings.NewReader(s), Limits{})
		var frames []*Frame
		for {
			f, _, err := r.ReadFrame()
			if err != nil {
				break
			}
			frames = append(frames, f)
		}
		if len(frames) != 3 {
			t.Fatalf("%d: %d frames", total, len(frames))
		}
		for _, f := range frames[:2] {
			eager, err := ParseEvent(f)
			if err != nil {
				t.Fatal(err)
			}
			lazy := lazyChannel(t, f)
			sameChannel(t, lazy, eager)
		}
	}
}
