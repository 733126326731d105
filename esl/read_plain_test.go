package esl

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strconv"
	"testing"
)

// FuzzReadPlainOrFrame: the Conn's reader (readPlainOrFrame) reads any
// stream as ReadFrame does, frame for frame: the same sizes and errors,
// the same frames, and for a plain event the event parsePlainLazy makes of
// ReadFrame's body (or its error).
func FuzzReadPlainOrFrame(f *testing.F) {
	addFrameSeeds(f)
	// A connect reply (its header block goes to a pooled buffer) and the
	// frames after it.
	for _, c := range captures {
		frames := captureFrames(f, c.name)
		var b []byte
		for _, fr := range frames[:min(len(frames), 4)] {
			b = append(b, fr.Encode()...)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		want := NewReader(bytes.NewReader(data), fuzzLimits)
		got := NewReader(bytes.NewReader(data), fuzzLimits)
		for i := 0; ; i++ {
			wf, wn, werr := want.ReadFrame()
			gf, gev, gn, gerr := got.readPlainOrFrame()
			if gn != wn {
				t.Fatalf("frame %d: %d bytes, ReadFrame took %d", i, gn, wn)
			}
			if werr != nil {
				if gerr == nil || gerr.Error() != werr.Error() {
					t.Fatalf("frame %d: error %v, ReadFrame's %v", i, gerr, werr)
				}
				if gf != nil || gev != nil {
					t.Fatalf("frame %d: a frame or event with error %v", i, gerr)
				}
				return
			}
			if wf.ContentType() != TypeEventPlain {
				if gerr != nil || gev != nil || !reflect.DeepEqual(gf, wf) {
					t.Fatalf("frame %d: got %+v, %v, %v; ReadFrame's %+v", i, gf, gev, gerr, wf)
				}
				continue
			}
			wev, perr := parsePlainLazy(wf.Body)
			if perr != nil {
				var bad *eventParseError
				if !errors.As(gerr, &bad) || gev != nil || gf != nil {
					t.Fatalf("frame %d: got %v, %v; the event does not parse: %v", i, gev, gerr, perr)
				}
				if !errors.Is(gerr, bad.err) || bad.err.Error() != "esl: parse text/event-plain: "+perr.Error() {
					t.Fatalf("frame %d: error %q, want the parse error %q", i, gerr, perr)
				}
				return
			}
			if gerr != nil || gf != nil || gev == nil {
				t.Fatalf("frame %d: got %v, %v, %v; want an event", i, gf, gev, gerr)
			}
			if gev.ContentType != TypeEventPlain || !bytes.Equal(gev.Body, wev.Body) ||
				!reflect.DeepEqual(gev.AllHeaders(), wev.AllHeaders()) {
				t.Fatalf("frame %d: event %+v, want %+v", i, gev.AllHeaders(), wev.AllHeaders())
			}
		}
	})
}

// TestReadPlainOrFrameAllocations: a real completion read by the Conn's
// reader costs two allocations (its body, its index), a command reply one
// (the frame with its headers and their text), and a stream's big header
// block (the connect reply) no growing buffer in the Reader.
func TestReadPlainOrFrameAllocations(t *testing.T) {
	var event, connect []byte
	for _, fr := range captureFrames(t, "menu-call") {
		switch {
		case isConnectReply(fr):
			connect = fr.Encode()
		case fr.ContentType() == TypeEventPlain && bytes.Contains(fr.Body, []byte("CHANNEL_EXECUTE_COMPLETE")):
			event = fr.Encode()
		}
	}
	if event == nil || connect == nil {
		t.Fatal("no completion or connect reply in menu-call")
	}
	for _, c := range []struct {
		name string
		wire []byte
		want float64
	}{
		{"completion", event, 2},
		{"command reply", []byte("Content-Type: command/reply\nReply-Text: +OK\n\n"), 1},
	} {
		r := NewReader(&repeatReader{data: c.wire}, Limits{})
		n := testing.AllocsPerRun(100, func() {
			if _, _, _, err := r.readPlainOrFrame(); err != nil {
				t.Fatal(err)
			}
		})
		if n != c.want {
			t.Errorf("%s: %v allocations, want %v", c.name, n, c.want)
		}
	}
	// The connect reply, then an event, as on a new connection: the
	// reply's header block moves to a pooled buffer, which goes back to
	// the pool when the next frame is read.
	r := NewReader(bytes.NewReader(append(append([]byte{}, connect...), event...)), Limits{})
	if f, _, _, err := r.readPlainOrFrame(); err != nil || !isConnectReply(f) {
		t.Fatalf("connect reply: %v, %v", f, err)
	}
	if r.big == nil {
		t.Errorf("the connect reply's header block is not in a pooled buffer")
	}
	if _, ev, _, err := r.readPlainOrFrame(); err != nil || ev == nil {
		t.Fatalf("event after the connect reply: %v, %v", ev, err)
	}
	if r.big != nil || cap(r.block) > smallBlockBytes {
		t.Errorf("after a small frame the Reader still holds %d bytes of header buffer (pooled: %v)", cap(r.block), r.big != nil)
	}
	if _, _, _, err := r.readPlainOrFrame(); err != io.EOF {
		t.Errorf("end of stream: %v, want io.EOF", err)
	}
}

// TestReadFrameHeaderTextSizes: a header block whose text fits the frame's
// own room, fills it, or just passes it reads the same headers.
func TestReadFrameHeaderTextSizes(t *testing.T) {
	for _, n := range []int{42, 110, 111, 112, 113, 114, 200} {
		// "Content-Type: command/reply" (27 bytes) and "Reply-Text: +OK"
		// (15) and the padding make n bytes without their line ends.
		pad := n - 42
		text := "+OK" + string(bytes.Repeat([]byte{'x'}, pad))
		wire := "Content-Type: command/reply\nReply-Text: " + text + "\n\n"
		f, _, err := NewReader(bytes.NewReader([]byte(wire)), Limits{}).ReadFrame()
		if err != nil {
			t.Fatalf("%d: %v", n, err)
		}
		if f.ContentType() != TypeCommandReply || f.ReplyText() != text || len(f.Headers) != 2 {
			t.Errorf("%d: headers %q", n, f.Headers)
		}
	}
}

// TestConnEndsOnUnreadablePlainEvent: a well-framed plain event that does
// not parse ends the connection with the same error whether the Conn reads
// it lazily (readPlainOrFrame) or eagerly.
func TestConnEndsOnUnreadablePlainEvent(t *testing.T) {
	body := "Event-Name: CUSTOM\nno colon here\n\n"
	frame := "Content-Length: " + strconv.Itoa(len(body)) + "\nContent-Type: text/event-plain\n\n" + body
	var errs []string
	for _, eager := range []bool{false, true} {
		c, p := pipeConn(t, ConnOptions{EagerEvents: eager})
		p.write(frame)
		waitDone(t, c)
		errs = append(errs, fmt.Sprint(c.Err()))
	}
	want := `parse text/event-plain frame: esl: parse text/event-plain: header line without ':': "no colon here"`
	if errs[0] != want || errs[1] != want {
		t.Errorf("lazy: %s\neager: %s\nwant:  %s", errs[0], errs[1], want)
	}
}

// BenchmarkReadPlainOrFrame: the Conn's reader on a real completion, the
// frame as FreeSWITCH writes it, from memory: the outer header block, the
// body copy and the lazy index, without the socket.
func BenchmarkReadPlainOrFrame(b *testing.B) {
	wire := benchFrame(b, "menu-call", isEvent(TypeEventPlain, EventChannelExecuteComplete)).Encode()
	r := NewReader(&repeatReader{data: wire}, Limits{})
	b.SetBytes(int64(len(wire)))
	b.ReportAllocs()
	for b.Loop() {
		if _, ev, _, err := r.readPlainOrFrame(); err != nil || ev == nil {
			b.Fatal(ev, err)
		}
	}
}
