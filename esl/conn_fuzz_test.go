package esl

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"testing"
)

// FuzzConnInput feeds arbitrary bytes from "FreeSWITCH" into a Conn that
// has sent connect and one more command. Whatever arrives, the Conn must
// not panic, must end with an error once the peer closes, and must deliver
// what it queued before that error.
func FuzzConnInput(f *testing.F) {
	seeds, _ := filepath.Glob(filepath.Join("testdata", "*.fs.raw"))
	for _, s := range seeds {
		b, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(replyFrame("+OK") + replyFrame("+OK") + replyFrame("+OK")))
	f.Add([]byte("Content-Type: command/reply\n\n"))
	f.Add([]byte("Content-Length: 5\nContent-Type: text/event-plain\n\n%%%%\n"))
	f.Add([]byte("Content-Type: text/disconnect-notice\nContent-Disposition: linger\n\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		a, b := net.Pipe()
		c := NewConn(a, ConnOptions{Outbound: true, MaxQueuedEvents: 64})
		defer func() {
			c.Close()
			<-c.Done()
		}()
		ctx := context.Background()
		connect := goCall(func() (*Frame, error) { return c.Send(ctx, Connect()) })
		// The peer swallows what the Conn writes, so Sends never block
		// on the pipe, and writes the fuzz input, then closes.
		go func() {
			buf := make([]byte, 4096)
			for {
				if _, err := b.Read(buf); err != nil {
					return
				}
			}
		}()
		wrote := make(chan struct{})
		go func() {
			defer close(wrote)
			defer b.Close()
			b.Write(in)
		}()
		if _, err := connect.wait(t); err == nil {
			// Connected: a second command must get its own reply or the
			// connection's end, never hang.
			if _, err := c.Send(ctx, Command{Line: "myevents"}); err != nil && c.Err() == nil {
				var re *ReplyError
				if !errors.As(err, &re) {
					t.Fatalf("Send(myevents) = %v on a live connection", err)
				}
			}
		}
		<-wrote
		waitDone(t, c)
		if c.Err() == nil {
			t.Fatalf("Err() = nil after the peer closed")
		}
		for {
			if _, err := c.NextEvent(ctx); err != nil {
				if err != c.Err() {
					t.Fatalf("NextEvent() = %v at the end, want Err() %v", err, c.Err())
				}
				break
			}
		}
	})
}
