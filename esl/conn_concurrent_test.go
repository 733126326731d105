//go:build unix

package esl

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
)

// TestConcurrentSendsOverTCPGetTheirOwnReplies: many goroutines send over
// one TCP connection (written raw, read raw, encoded in pooled buffers,
// replies in reused slots), some with contexts ended before they send,
// some with contexts the peer ends once it has read the command (so the
// reply races the sender's giving up, and slots are abandoned), some with
// commands big enough to bypass the pool, some with SendAll. The peer
// answers each command with its own line and body; every reply a sender
// gets must be its own, and the connection must stay in step. (A context
// that ends while its command waits for the write lock or is being
// written ends the connection, by design: that is not tested here.)
func TestConcurrentSendsOverTCPGetTheirOwnReplies(t *testing.T) {
	client, server := tcpPair(t)
	c := NewConn(client, ConnOptions{})
	t.Cleanup(func() { c.Close(); <-c.Done() })

	var cmu sync.Mutex
	cancels := map[string]context.CancelFunc{} // by command line

	// The peer: one api/response per command, its body the command's
	// line and its body, as FreeSWITCH answers in order.
	peerDone := make(chan error, 1)
	go func() {
		r := NewReader(server, Limits{MaxHeaderBytes: 1 << 20, MaxBodyBytes: 1 << 20})
		var out bytes.Buffer
		for {
			cmd, _, err := r.readCommand(false)
			if err != nil {
				peerDone <- err
				return
			}
			cmu.Lock()
			if cancel, ok := cancels[cmd.Line]; ok {
				cancel()
			}
			cmu.Unlock()
			out.Reset()
			out.WriteString(apiFrame(cmd.Line + "|" + string(cmd.Body)))
			if _, err := server.Write(out.Bytes()); err != nil {
				peerDone <- err
				return
			}
		}
	}()

	const senders, each = 8, 150
	var wg sync.WaitGroup
	errs := make(chan error, senders*each)
	for g := range senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				line := fmt.Sprintf("api echo %d-%d", g, i)
				body := ""
				if i%17 == 0 {
					body = strings.Repeat(string(rune('a'+g)), maxPooledWire+i)
				} else if i%3 == 0 {
					body = strings.Repeat("x", i)
				}
				want := line + "|" + body
				ctx := t.Context()
				var cancel context.CancelFunc = func() {}
				switch i % 4 {
				case 1:
					ctx, cancel = context.WithCancel(ctx)
					cancel() // before it is sent
				case 2:
					ctx, cancel = context.WithCancel(ctx)
					cmu.Lock()
					cancels[line] = cancel // once the peer has read it
					cmu.Unlock()
				}
				if i%5 == 0 {
					second := line + " second"
					fs, es := c.SendAll(ctx, Command{Line: line, Body: []byte(body)}, Command{Line: second})
					for k, w := range []string{want, second + "|"} {
						if es[k] == nil && string(fs[k].Body) != w {
							errs <- fmt.Errorf("SendAll %q reply %d = %.60q, want %.60q", line, k, fs[k].Body, w)
						}
					}
				} else {
					f, err := c.Send(ctx, Command{Line: line, Body: []byte(body)})
					switch {
					case err == nil && string(f.Body) != want:
						errs <- fmt.Errorf("Send %q got %.60q, want %.60q", line, f.Body, want)
					case err != nil && !errors.Is(err, context.Canceled):
						errs <- fmt.Errorf("Send %q: %w", line, err)
					}
				}
				cancel()
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	// Still in step: a last command gets its own reply.
	f, err := c.Send(t.Context(), Command{Line: "api echo last"})
	if err != nil || string(f.Body) != "api echo last|" {
		t.Fatalf("last Send = %v, %v; want its own reply", f, err)
	}
	c.Close()
	<-c.Done()
	if err := <-peerDone; err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Logf("peer ended: %v", err)
	}
}
