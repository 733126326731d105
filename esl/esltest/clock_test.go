package esltest

import (
	"net"
	"testing"
	"testing/synctest"
	"time"

	"github.com/callhook/callhook/esl"
)

// TestClockMediaFastDaemonRealTime: with Speed 100, a 1 s prompt takes
// 10 ms of real time and 1 s of call time, while the 3 s the daemon spends
// before its next command (waiting for its web app) are 3 s of call time,
// not 300 s. In a synctest bubble the daemon's wait is fake time, so the
// call's CDR durations are exact.
func TestClockMediaFastDaemonRealTime(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		simEnd, nc := net.Pipe()
		c := NewCall(simEnd, Options{Speed: 100, Park: ParkImmediately})
		t.Cleanup(func() { c.Close() })
		defer nc.Close()
		d := &daemon{t: t, nc: nc, r: esl.NewReader(nc, esl.Limits{})}
		start := time.Now()
		d.cmd("connect")
		d.cmd("myevents")
		d.cmd("linger 5")
		d.cmd(execute("answer", ""))
		d.until("CHANNEL_EXECUTE_COMPLETE(answer)")
		time.Sleep(3 * time.Second) // the web app thinks (fake time: the bubble's clock)
		d.cmd(execute("playback", "silence_stream://1000"))
		d.until("CHANNEL_EXECUTE_COMPLETE(playback)")
		if real := time.Since(start); real != 3*time.Second+10*time.Millisecond {
			t.Errorf("real time = %v, want 3.01s (3 s of waiting, a 1 s prompt at Speed 100)", real)
		}
		d.cmd(hangupCmd)
		f, _ := d.until("CHANNEL_HANGUP_COMPLETE")
		if got := ev(t, f).Var("mduration"); got != "4000" {
			t.Errorf("call duration = %s ms, want 4000 (3 s waiting on the daemon + a 1 s prompt)", got)
		}
	})
}
