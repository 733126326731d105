//go:build unix

package main

import (
	"fmt"
	"syscall"
	"testing"

	"github.com/callhook/callhook/esl/esltest"
)

// A second SIGINT (Ctrl-C) during a drain ends it at once: the calls in
// progress are hung up and the daemon exits, though drain_timeout is ten
// minutes.
func TestDrainSecondInterruptHangsUp(t *testing.T) {
	d := startOpsDaemon(t, "drain_timeout: 10m\n"+opsAppConfig(opsLongPlayApp(t)))
	c := d.dial(t, esltest.Options{Speed: 1})
	opsWaitApp(t, c, "playback")
	if err := d.cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	e := d.log.wait(t, map[string]string{"msg": "draining", "signal": "interrupt"})
	if fmt.Sprint(e["calls"]) != "1" {
		t.Errorf("draining log line = %v, want calls=1", e)
	}
	if err := d.cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	if res := opsWaitResult(t, c); res.Outcome != esltest.HungUp || res.By != esltest.ByDaemon || res.Cause != "SYSTEM_SHUTDOWN" {
		t.Errorf("call up at the second Ctrl-C ended %v, want hung up SYSTEM_SHUTDOWN by the daemon", res)
	}
	d.log.wait(t, map[string]string{"level": "warning", "msg": "interrupted again: hanging up the calls still in progress", "calls": "1"})
	if code := d.waitExit(t); code != 0 {
		t.Errorf("callhook serve exited %d, want 0", code)
	}
}

// A second SIGTERM only logs the drain's progress: a supervisor that sends
// SIGTERM again must not cut live calls.
func TestDrainSecondTermOnlyLogsProgress(t *testing.T) {
	d := startOpsDaemon(t, "drain_timeout: 10m\n"+opsAppConfig(opsLongPlayApp(t)))
	c := d.dial(t, esltest.Options{Speed: 1})
	opsWaitApp(t, c, "playback")
	for range 2 {
		if err := d.cmd.Process.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		d.log.wait(t, map[string]string{"msg": "draining", "signal": "terminated"})
	}
	e := d.log.wait(t, map[string]string{"msg": "draining: SIGTERM again changes nothing, the calls in progress go on (SIGINT hangs them up now)"})
	if fmt.Sprint(e["calls"]) != "1" || e["drain_left"] == nil {
		t.Errorf("progress line = %v, want calls=1 and the time left", e)
	}
	select {
	case <-c.Done():
		t.Fatal("the call ended at the second SIGTERM")
	case <-d.exited:
		t.Fatalf("callhook serve exited (%v) at the second SIGTERM", d.err)
	default:
	}
	c.Hangup("NORMAL_CLEARING")
	if res := opsWaitResult(t, c); res.By != esltest.ByCaller {
		t.Errorf("call ended %v, want hung up by the caller", res)
	}
	if code := d.waitExit(t); code != 0 {
		t.Errorf("callhook serve exited %d, want 0", code)
	}
}
