package esl

import (
	"context"
	"errors"
	"net"
	"testing"
)

// BenchmarkConnSendTCP measures command round trips over loopback TCP, the
// socket a session writes to, with a peer that answers each command at
// once (outbound, after connect):
//
//   - call_context: every command with the call's context;
//   - two_contexts: the context changes from command to command, as it
//     does at connect and exit (each with a context of its own);
//   - sendall: linger and myevents in one SendAll;
//   - sendall_then_nixevent: that, then nixevent with Send (a verb
//     dialog's set-up before the nixevent joined the set-up write);
//   - sendall_nixevent: linger, myevents and nixevent in one SendAll.
func BenchmarkConnSendTCP(b *testing.B) {
	b.Run("call_context", func(b *testing.B) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		benchmarkSendTCP(b, func(c *Conn) error {
			_, err := c.Send(ctx, Command{Line: "getvar x"})
			return err
		})
	})
	b.Run("two_contexts", func(b *testing.B) {
		ctxA, cancelA := context.WithCancel(context.Background())
		defer cancelA()
		ctxB, cancelB := context.WithCancel(context.Background())
		defer cancelB()
		flip := false
		benchmarkSendTCP(b, func(c *Conn) error {
			ctx := ctxA
			if flip = !flip; flip {
				ctx = ctxB
			}
			_, err := c.Send(ctx, Command{Line: "getvar x"})
			return err
		})
	})
	b.Run("sendall", func(b *testing.B) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		cmds := []Command{Linger(30), MyEvents(FormatPlain, "")}
		benchmarkSendTCP(b, func(c *Conn) error {
			_, errs := c.SendAll(ctx, cmds...)
			if errs[0] != nil {
				return errs[0]
			}
			return errs[1]
		})
	})
	nix := NixEvents("CHANNEL_STATE", "CHANNEL_PARK", "CHANNEL_UNPARK", "DTMF")
	b.Run("sendall_then_nixevent", func(b *testing.B) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		cmds := []Command{Linger(30), MyEvents(FormatPlain, "")}
		benchmarkSendTCP(b, func(c *Conn) error {
			if _, errs := c.SendAll(ctx, cmds...); errs[0] != nil || errs[1] != nil {
				return errors.Join(errs...)
			}
			_, err := c.Send(ctx, nix)
			return err
		})
	})
	b.Run("sendall_nixevent", func(b *testing.B) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		cmds := []Command{Linger(30), MyEvents(FormatPlain, ""), nix}
		benchmarkSendTCP(b, func(c *Conn) error {
			_, errs := c.SendAll(ctx, cmds...)
			return errors.Join(errs...)
		})
	})
}

func benchmarkSendTCP(b *testing.B, op func(*Conn) error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	served := make(chan struct{})
	go func() {
		defer close(served)
		peer, err := l.Accept()
		if err != nil {
			return
		}
		defer peer.Close()
		r := NewReader(peer, Limits{})
		if _, _, err := r.ReadCommand(); err != nil {
			return
		}
		if _, err := peer.Write([]byte(connectFrame(testChannelUUID))); err != nil {
			return
		}
		reply := []byte(replyFrame("+OK"))
		for {
			if _, _, err := r.ReadCommand(); err != nil {
				return
			}
			if _, err := peer.Write(reply); err != nil {
				return
			}
		}
	}()
	nc, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		b.Fatal(err)
	}
	c := NewConn(nc, ConnOptions{Outbound: true})
	defer func() {
		c.Close()
		<-c.Done()
		<-served
	}()
	if _, err := c.Connect(context.Background()); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := op(c); err != nil {
			b.Fatal(err)
		}
	}
}
