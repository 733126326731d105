package esl

import (
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// inboundCapture holds the raw frames of testdata/inbound-auth.fs.raw, by
// what they are.
type inboundCapture struct {
	authRequest, refused, goodbye, accepted, statusReply, bye string
}

func loadInboundCapture(t *testing.T) inboundCapture {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", "inbound-auth.fs.raw"))
	if err != nil {
		t.Fatal(err)
	}
	var ic inboundCapture
	r := NewReader(bytes.NewReader(raw), Limits{})
	for off := 0; ; {
		f, n, err := r.ReadFrame()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("inbound-auth.fs.raw: ReadFrame() error = %v", err)
		}
		b := string(raw[off : off+n])
		off += n
		switch text := f.ReplyText(); {
		case f.ContentType() == TypeAuthRequest:
			ic.authRequest = b
		case f.ContentType() == TypeDisconnectNotice:
			ic.goodbye = b
		case f.ContentType() == TypeAPIResponse:
			ic.statusReply = b
		case text == "-ERR invalid":
			ic.refused = b
		case text == "+OK accepted":
			ic.accepted = b
		case text == "+OK bye":
			ic.bye = b
		}
	}
	for name, v := range map[string]string{"auth/request": ic.authRequest, "-ERR invalid": ic.refused, "notice": ic.goodbye, "+OK accepted": ic.accepted, "api/response": ic.statusReply, "+OK bye": ic.bye} {
		if v == "" {
			t.Fatalf("inbound-auth.fs.raw has no %s frame", name)
		}
	}
	return ic
}

// fakeInbound is a one-connection-at-a-time inbound event socket that
// answers with the captured frames; the password is ClueCon.
func fakeInbound(t *testing.T, ic inboundCapture) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	t.Cleanup(func() {
		l.Close()
		<-done
	})
	go func() {
		defer close(done)
		for {
			nc, err := l.Accept()
			if err != nil {
				return
			}
			serveInbound(nc, ic)
		}
	}()
	return l.Addr().String()
}

// serveInbound plays FreeSWITCH's side of one inbound connection. It runs
// outside the test goroutine, so it reports nothing: the client's checks
// show whether the conversation went right.
func serveInbound(nc net.Conn, ic inboundCapture) {
	defer nc.Close()
	r := NewReader(nc, Limits{})
	write := func(frames ...string) {
		for _, f := range frames {
			if _, err := io.WriteString(nc, f); err != nil {
				return
			}
		}
	}
	write(ic.authRequest)
	cmd, _, err := r.ReadCommand()
	if err != nil {
		return
	}
	if cmd.Line != "auth ClueCon" {
		write(ic.refused, ic.goodbye)
		return
	}
	write(ic.accepted)
	for {
		cmd, _, err := r.ReadCommand()
		if err != nil {
			return
		}
		switch {
		case cmd.Line == "api status":
			write(ic.statusReply)
		case cmd.Line == "exit":
			write(ic.bye, ic.goodbye)
			return
		default:
			write(replyFrame("-ERR command not found"))
		}
	}
}

func TestDialCapture(t *testing.T) {
	ic := loadInboundCapture(t)
	addr := fakeInbound(t, ic)

	t.Run("wrong password", func(t *testing.T) {
		c, err := Dial(t.Context(), addr, "wrongpass", ConnOptions{})
		if !errors.Is(err, ErrAuth) || !strings.Contains(err.Error(), "-ERR invalid") {
			t.Fatalf("Dial(wrongpass) = %v, %v; want ErrAuth naming the -ERR invalid reply", c, err)
		}
		if c != nil {
			t.Errorf("Dial(wrongpass) returned a Conn")
		}
	})
	t.Run("right password", func(t *testing.T) {
		c, err := Dial(t.Context(), addr, "ClueCon", ConnOptions{})
		if err != nil {
			t.Fatalf("Dial(ClueCon) error = %v", err)
		}
		defer c.Close()
		status, err := c.API(t.Context(), "status")
		if err != nil || !strings.HasPrefix(status, "UP 0 years") {
			t.Fatalf("API(status) = %q, %v; want the captured status", status, err)
		}
		if err := c.Exit(t.Context()); err != nil {
			t.Fatalf("Exit() error = %v", err)
		}
		if ev, err := c.NextEvent(t.Context()); err != nil || !ev.IsFinalNotice() {
			t.Errorf("NextEvent() after exit = %+v, %v; want the final notice", ev, err)
		}
		if err := c.Err(); err != ErrDisconnected {
			t.Errorf("Err() after exit = %v, want ErrDisconnected", err)
		}
	})
	t.Run("rude rejection", func(t *testing.T) {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		served := make(chan struct{})
		go func() {
			defer close(served)
			nc, err := l.Accept()
			if err != nil {
				return
			}
			defer nc.Close()
			io.WriteString(nc, "Content-Type: text/rude-rejection\nContent-Length: 24\n\nAccess Denied, go away.\n")
		}()
		_, err = Dial(t.Context(), l.Addr().String(), "ClueCon", ConnOptions{})
		<-served
		if !errors.Is(err, ErrDisconnected) || !strings.Contains(err.Error(), "Access Denied") {
			t.Fatalf("Dial() to a refusing peer error = %v, want ErrDisconnected naming the rejection", err)
		}
	})
	t.Run("nothing listening", func(t *testing.T) {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		dead := l.Addr().String()
		l.Close()
		if _, err := Dial(t.Context(), dead, "ClueCon", ConnOptions{}); err == nil || errors.Is(err, ErrAuth) {
			t.Fatalf("Dial(closed port) error = %v, want a dial error", err)
		}
	})
}
