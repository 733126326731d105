package esltest_test

import (
	"context"
	"fmt"
	"net"

	"github.com/callhook/callhook/esl"
	"github.com/callhook/callhook/esl/esltest"
)

// ExampleDial places a simulated call into a daemon built on esl.Server:
// the scripted caller presses 1 when the gather starts, and the test reads
// how the call ended.
func ExampleDial() {
	ctx := context.Background()
	chose := make(chan string, 1)
	srv := &esl.Server{Handler: esl.HandlerFunc(func(ctx context.Context, c *esl.Conn) {
		if _, err := c.Send(ctx, esl.MyEvents(esl.FormatPlain, "")); err != nil {
			return
		}
		o := esl.ExecuteOptions{EventLock: true}
		if _, err := c.Execute(ctx, "answer", "", o); err != nil {
			return
		}
		ev, err := c.Execute(ctx, "play_and_get_digits",
			`1 1 3 5000 # /sounds/menu.wav silence_stream://250 choice \d`, o)
		if err != nil {
			return
		}
		chose <- ev.Var("choice")
		_, _ = c.Send(ctx, esl.Hangup("", "NORMAL_CLEARING"))
	})}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Println(err)
		return
	}
	go srv.Serve(ln)
	defer srv.Close()

	call, err := esltest.Dial(ctx, ln.Addr().String(), esltest.Options{
		Speed: 1000, // the 1 s prompt plays in 1 ms
		OnApp: func(c *esltest.Call, run esltest.AppRun) {
			if run.App == "play_and_get_digits" {
				c.Digits("1")
			}
		},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	r, err := call.Wait(ctx)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("caller chose", <-chose)
	fmt.Println(r)
	// Output:
	// caller chose 1
	// hung up (NORMAL_CLEARING by daemon)
}
