//go:build unix

package esl

import (
	"bytes"
	"reflect"
	"strings"
	"testing"
)

// TestEventHeadOnlyFreeSWITCHForm: the header block is taken from the
// buffer (eventHead) only in the exact form FreeSWITCH writes; any other
// form, a limit passed or an incomplete block is left to the general
// path, which reads it as ReadFrame does.
func TestEventHeadOnlyFreeSWITCHForm(t *testing.T) {
	body := "Event-Name: HEARTBEAT\nUnique-ID: u1\n"
	canonical := plainEventFrame(body)
	for _, c := range []struct {
		name string
		wire string
		lim  Limits
		fast bool
	}{
		{"freeswitch", canonical, Limits{}, true},
		{"header limit", canonical, Limits{MaxHeaderBytes: 40}, false},
		{"body limit", canonical, Limits{MaxBodyBytes: len(body) - 1}, false},
		{"crlf", strings.Replace(canonical, "\n", "\r\n", 2), Limits{}, false},
		{"type first", "Content-Type: text/event-plain\nContent-Length: 36\n\n" + body, Limits{}, false},
		{"two spaces", strings.Replace(canonical, ": ", ":  ", 1), Limits{}, false},
		{"no digits", "Content-Length: \nContent-Type: text/event-plain\n\n", Limits{}, false},
		{"ten digits", "Content-Length: 0000000036\nContent-Type: text/event-plain\n\n" + body, Limits{}, false},
		{"json", strings.Replace(canonical, "plain", "json", 1), Limits{}, false},
		{"blank line first", "\n" + canonical, Limits{}, false},
		{"lower case", strings.Replace(canonical, "Content-Length", "content-length", 1), Limits{}, false},
		{"cut", canonical[:30], Limits{}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := NewReader(strings.NewReader(c.wire), c.lim)
			if _, err := r.br.ReadByte(); err != nil { // fill the buffer
				t.Fatal(err)
			}
			if err := r.br.UnreadByte(); err != nil {
				t.Fatal(err)
			}
			before := len(r.br.buffered())
			if _, _, ok := r.eventHead(); ok != c.fast {
				t.Fatalf("eventHead: %v, want %v", ok, c.fast)
			}
			if !c.fast && len(r.br.buffered()) != before {
				t.Fatalf("eventHead consumed %d bytes and gave up", before-len(r.br.buffered()))
			}
			// Either way the frame reads as ReadFrame reads it.
			r = NewReader(strings.NewReader(c.wire), c.lim)
			wf, wn, werr := NewReader(strings.NewReader(c.wire), c.lim).ReadFrame()
			gf, gev, gn, gerr := r.readPlainOrFrame()
			if gn != wn || (werr == nil) != (gerr == nil) || (werr != nil && gerr.Error() != werr.Error()) {
				t.Fatalf("read %d bytes, error %v; ReadFrame: %d, %v", gn, gerr, wn, werr)
			}
			if werr != nil {
				return
			}
			if wf.ContentType() != TypeEventPlain {
				if !reflect.DeepEqual(gf, wf) {
					t.Fatalf("frame %+v, ReadFrame's %+v", gf, wf)
				}
				return
			}
			want, err := parsePlainLazy(wf.Body)
			if err != nil || gev == nil || !reflect.DeepEqual(gev.AllHeaders(), want.AllHeaders()) || !bytes.Equal(gev.Body, want.Body) {
				t.Fatalf("event %+v, want %+v (%v)", gev, want, err)
			}
		})
	}
}

// TestEventHeadSplitOverTCP: events arriving over a socket cut at every
// byte of their header block and around it read the same as whole ones,
// through the socket path's buffer (the one production reads).
func TestEventHeadSplitOverTCP(t *testing.T) {
	client, server := tcpPair(t)
	r := NewReader(client, Limits{})
	rc := countReads(rawOf(t, r))
	frame := plainEventFrame("Event-Name: CHANNEL_EXECUTE_COMPLETE\nUnique-ID: u1\nApplication-UUID: a1\nContent-Length: 5\n\nhello")
	want, err := parsePlainLazy([]byte(frame[strings.Index(frame, "\n\n")+2:]))
	if err != nil {
		t.Fatal(err)
	}
	var written int64
	for k := 0; k <= strings.Index(frame, "\n\n")+4; k++ {
		if _, err := server.Write([]byte(frame[:k])); err != nil {
			t.Fatal(err)
		}
		// Let the reader take the first piece on its own before the rest.
		type result struct {
			ev  *Event
			n   int
			err error
		}
		done := make(chan result, 1)
		go func() {
			_, ev, n, err := r.readPlainOrFrame()
			done <- result{ev, n, err}
		}()
		rc.waitFor(t, written+int64(k))
		if _, err := server.Write([]byte(frame[k:])); err != nil {
			t.Fatal(err)
		}
		written += int64(len(frame))
		res := <-done
		if res.err != nil || res.n != len(frame) || res.ev == nil {
			t.Fatalf("cut at %d: %v, %d bytes, %v", k, res.ev, res.n, res.err)
		}
		if !reflect.DeepEqual(res.ev.AllHeaders(), want.AllHeaders()) || !bytes.Equal(res.ev.Body, want.Body) || res.ev.AppUUID() != "a1" {
			t.Fatalf("cut at %d: event %+v, want %+v", k, res.ev.AllHeaders(), want.AllHeaders())
		}
	}
}
