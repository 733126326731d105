package esltest

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestRecordSessionEvents: record_session fires RECORD_START and returns;
// stop_record_session fires RECORD_STOP (Record-File-Path, the channel's
// record_ms) before its completion; only a listener that asked for them
// gets them: myevents does not.
func TestRecordSessionEvents(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "call.wav")
	t.Run("subscribed", func(t *testing.T) {
		_, d := connected(t, Options{Park: ParkImmediately, WriteRecordings: true}, "")
		d.cmd("event plain RECORD_START RECORD_STOP")
		d.cmd(execute("answer", ""))
		d.cmd(execute("record_session", path))
		_, skipped := d.until("CHANNEL_EXECUTE_COMPLETE(record_session)")
		if got := names(skipped); !strings.Contains(got, "CHANNEL_EXECUTE(record_session) RECORD_START") {
			t.Errorf("frames = %s, want RECORD_START before the completion", got)
		}
		d.cmd(execute("sleep", "2000"))
		d.until("CHANNEL_EXECUTE_COMPLETE(sleep)")
		d.cmd(execute("stop_record_session", path))
		stop, _ := d.until("RECORD_STOP")
		e := ev(t, stop)
		if e.Get("Record-File-Path") != path || mustAtoi(e.Var("record_ms")) < 2000 || e.Get("Record-Completion-Cause") != "success-maxtime" {
			t.Errorf("RECORD_STOP: path %q, record_ms %q, cause %q", e.Get("Record-File-Path"), e.Var("record_ms"), e.Get("Record-Completion-Cause"))
		}
		d.until("CHANNEL_EXECUTE_COMPLETE(stop_record_session)")
		wav, err := os.ReadFile(path)
		if err != nil || string(wav[:4]) != "RIFF" || int64(len(wav)) != wavSize(mustAtoi(e.Var("record_ms")), 1) {
			t.Errorf("file: %d bytes, %v; want the WAV of record_ms", len(wav), err)
		}
	})
	t.Run("myevents only", func(t *testing.T) {
		c, d := connected(t, Options{Park: ParkImmediately}, "linger 5")
		d.cmd(execute("answer", ""))
		d.cmd(execute("record_session", path))
		d.until("CHANNEL_EXECUTE_COMPLETE(record_session)")
		c.Hangup("")
		if got := names(d.rest()); strings.Contains(got, "RECORD_") {
			t.Errorf("frames = %s, want no RECORD_* without a subscription", got)
		}
	})
}

func mustAtoi(s string) int64 { return int64(atoi(s)) }

// TestRecordSessionAtHangup: a record_session running at the hangup closes
// in CS_HANGUP: its RECORD_STOP comes after CHANNEL_HANGUP and before
// CHANNEL_HANGUP_COMPLETE.
func TestRecordSessionAtHangup(t *testing.T) {
	c, d := connected(t, Options{Park: ParkImmediately}, "linger 5")
	d.cmd("event plain RECORD_STOP")
	d.cmd(execute("answer", ""))
	d.cmd(execute("record_session", "/tmp/x.wav"))
	d.until("CHANNEL_EXECUTE_COMPLETE(record_session)")
	c.Hangup("")
	got := names(d.rest())
	h, s, hc := strings.Index(got, "CHANNEL_HANGUP "), strings.Index(got, "RECORD_STOP"), strings.Index(got, "CHANNEL_HANGUP_COMPLETE")
	if h < 0 || s < h || hc < s {
		t.Errorf("frames = %s, want CHANNEL_HANGUP, RECORD_STOP, CHANNEL_HANGUP_COMPLETE in that order", got)
	}
}

// TestRecordUploads: a record to an http:// URL is uploaded (PUT, the
// file as the body, mod_httapi's parameters in the query) when it closes,
// before the application completes.
func TestRecordUploads(t *testing.T) {
	var mu sync.Mutex
	var got []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		got = append(got, r.Method+" "+r.URL.Path+" "+r.URL.Query().Get("file_driver")+" "+string(b[:4]))
		mu.Unlock()
		w.WriteHeader(http.StatusCreated)
	}))
	t.Cleanup(srv.Close)
	c, d := connected(t, Options{Park: ParkImmediately, OnApp: func(c *Call, run AppRun) {
		if run.App == "record" {
			c.Talk(time.Second) // record writes the caller's audio
		}
	}}, "")
	d.cmd(execute("answer", ""))
	d.cmd(execute("record", srv.URL+"/up/msg.wav 5 0 0"))
	d.until("CHANNEL_EXECUTE_COMPLETE(record)")
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 1 || got[0] != "PUT /up/msg.wav true RIFF" {
		t.Errorf("uploads = %q, want one PUT of a WAV", got)
	}
	if out := c.Recordings(); len(out) != 1 || !out[0].Written || out[0].DurationMS != 1000 {
		t.Errorf("Recordings() = %+v", out)
	}
}
