//go:build unix

package main

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/callhook/callhook/esl/esltest"
)

// make run (scripts/run.sh) at the first Ctrl-C: the terminal sends SIGINT
// to the script's whole process group. callhook drains; the example web app
// must go on answering the call it drains, and be stopped once callhook has
// exited.
func TestRunScriptKeepsTheWebAppWhileDraining(t *testing.T) {
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("no bash")
	}
	bin := opsBinary(t) // callhook, in a directory the script builds the web app into
	ports := opsFreePorts(t, 3)
	listen, admin, web := ports[0], ports[1], ports[2]
	cfg := fmt.Sprintf("listen: %s\nadmin: %s\nlog: {level: debug, format: json}\ndrain_timeout: 10m\n"+
		"default_app: support\napps:\n  support:\n    url: http://%s/ivr\n    retries: 0\n", listen, admin, web)
	path := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	script, err := filepath.Abs("../../scripts/run.sh")
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("bash", script)
	cmd.Env = append(os.Environ(), "CALLHOOK_CONFIG="+path, "WEBAPP_LISTEN="+web, "BIN="+filepath.Dir(bin))
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // the group a terminal's Ctrl-C would reach
	// The web app runs in a session of its own and shares the script's
	// stderr: should the script be killed before it stops the web app (a
	// failed test), the pipe would never reach EOF. WaitDelay ends the
	// wait for it once the script is gone.
	pr, pw := io.Pipe()
	cmd.Stderr, cmd.Stdout = pw, pw
	cmd.WaitDelay = opsGuard
	d := &opsDaemon{listen: listen, admin: admin, cmd: cmd, log: newOpsLog(), exited: make(chan struct{})}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go d.log.read(pr)
	go func() {
		d.err = cmd.Wait()
		pw.Close()
		close(d.exited)
	}()
	t.Cleanup(func() {
		select {
		case <-d.exited:
		default:
			syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-d.exited
		}
		if t.Failed() {
			t.Logf("run.sh output:\n%s", d.log)
		}
	})
	if !d.serving(t) {
		t.Fatalf("callhook could not bind its ports; log:\n%s", d.log)
	}
	d.log.wait(t, map[string]string{"msg": "webapp-go listening on http://" + web})

	// A call waits at the web app's menu (real speed: its gather waits
	// seconds for a key).
	c := d.dial(t, esltest.Options{Speed: 1})
	opsWaitApp(t, c, "play_and_get_digits")

	// Ctrl-C, as a terminal sends it: to the whole foreground group.
	if err := syscall.Kill(-cmd.Process.Pid, syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	d.log.wait(t, map[string]string{"msg": "draining", "signal": "interrupt"})

	// The caller presses 3: the result goes to the web app, whose reply
	// (say the caller's number) must arrive: it is still up.
	c.Digits("3")
	opsWaitApp(t, c, "say")
	c.Hangup("NORMAL_CLEARING")
	opsWaitResult(t, c)
	end := d.log.wait(t, map[string]string{"msg": "call ended", "call_id": c.UUID()})
	if end["outcome"] != "hangup" {
		t.Errorf("call-end line = %v, want outcome hangup (the web app answered throughout)", end)
	}
	if code := d.waitExit(t); code != 0 {
		t.Errorf("run.sh exited %d, want 0", code)
	}
	// The script stopped the web app on its way out.
	if resp, err := http.Get("http://" + web + "/ivr"); err == nil {
		resp.Body.Close()
		t.Errorf("the web app still answers after run.sh exited")
	}
}
