package esl_test

import (
	"context"
	"net"
	"slices"
	"testing"

	"github.com/callhook/callhook/esl"
	"github.com/callhook/callhook/esl/esltest"
)

// TestServerMaxConnsHandsBackBySocketMode: the max-connections refusal
// hands the call back by the socket's mode: a static (sync) socket gets
// connect and exit without resume (resumed, real FreeSWITCH 1.10.12 leaves
// it in CS_RESET), an async one connect, resume, exit.
func TestServerMaxConnsHandsBackBySocketMode(t *testing.T) {
	tests := []struct {
		mode string
		want []string
	}{
		{esltest.ModeStatic, []string{"connect", "exit"}},
		{esltest.ModeStaticFull, []string{"connect", "exit"}},
		{esltest.ModeAsync, []string{"connect", "resume", "exit"}},
		{esltest.ModeAsyncFull, []string{"connect", "resume", "exit"}},
	}
	for _, tc := range tests {
		t.Run(tc.mode, func(t *testing.T) {
			started := make(chan struct{}, 1)
			release := make(chan struct{})
			s := &esl.Server{
				Handler: esl.HandlerFunc(func(ctx context.Context, c *esl.Conn) {
					started <- struct{}{}
					<-release
				}),
				MaxConns: 1,
				ErrorLog: discardLog{},
			}
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			go s.Serve(ln)
			t.Cleanup(func() { s.Close() })
			ctx := t.Context()
			first, err := esltest.Dial(ctx, ln.Addr().String(), esltest.Options{})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { first.Close() })
			select {
			case <-started:
			case <-ctx.Done():
				t.Fatal("first call never reached the handler")
			}
			over, err := esltest.Dial(ctx, ln.Addr().String(), esltest.Options{Mode: tc.mode, ContinueDialplan: true})
			if err != nil {
				t.Fatal(err)
			}
			res, err := over.Wait(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if res.Outcome != esltest.DialplanContinued {
				t.Errorf("refused call ended %v, want the dialplan to continue", res)
			}
			var got []string
			for _, cmd := range over.Received() {
				got = append(got, cmd.Line)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("commands = %q, want %q", got, tc.want)
			}
			close(release)
		})
	}
}

type discardLog struct{}

func (discardLog) Printf(string, ...any) {}
