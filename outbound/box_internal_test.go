package outbound

import (
	"context"
	"net"
	"testing"
	"time"
)

// TestFlappingBoxBacksOff: a box that takes the password and the
// subscriptions and then drops the connection at once is reconnected
// with a wait that keeps doubling, as a box that refuses connections is,
// not at BackoffMin's pace for ever.
func TestFlappingBoxBacksOff(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	up := make(chan struct{})
	close(up)
	go func() {
		for {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			go ServeFakeBox(nc, up, nil) // subscribes callhook, then hangs up
		}
	}()
	const n = 8
	waits := make(chan time.Duration, n)
	m := &Manager{Instance: "t1", BackoffMin: time.Millisecond, BackoffMax: time.Hour,
		Boxes: []BoxConfig{{Name: "flap", Addr: ln.Addr().String(), Password: "pw", ConnectBack: "127.0.0.1:8084"}},
		onBackoff: func(d time.Duration) {
			select {
			case waits <- d:
			default:
			}
		}}
	if err := m.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	var last time.Duration
	for i := range n {
		select {
		case last = <-waits:
		case <-time.After(20 * time.Second):
			t.Fatalf("reconnection %d never came", i+1)
		}
	}
	// The n-th wait is drawn between half and all of BackoffMin<<(n-1).
	if min := time.Millisecond << (n - 1) / 2; last < min {
		t.Errorf("wait before reconnection %d = %v, want at least %v: the backoff started again after each drop", n, last, min)
	}
}
