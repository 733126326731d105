package testlog

import (
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/sirupsen/logrus"
)

func TestBufferConcurrentWriters(t *testing.T) {
	var b Buffer
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 100 {
				b.Write([]byte("x"))
				b.Printf("%s", "y")
			}
		})
	}
	wg.Wait()
	if s := b.String(); strings.Count(s, "x") != 800 || strings.Count(s, "y\n") != 800 || len(b.Bytes()) != len(s) {
		t.Errorf("buffer holds %d x and %d lines of y (%d bytes), want 800 each", strings.Count(s, "x"), strings.Count(s, "y\n"), len(s))
	}
}

func TestLogEntries(t *testing.T) {
	l := New()
	boom := errors.New("boom")
	l.WithError(boom).WithField("call_id", "c1").Warn("call ended")
	l.Debug("detail")
	if got := l.Find("call ended"); len(got) != 1 || got[0].Level != logrus.WarnLevel || got[0].Data["call_id"] != "c1" || Err(got[0]) != boom {
		t.Errorf("Find(call ended) = %v, want the warning with call_id c1 and its error", got)
	}
	if n := l.Count(func(e *logrus.Entry) bool { return e.Level == logrus.DebugLevel }); n != 1 {
		t.Errorf("Count(debug) = %d, want 1 (the log is at debug level)", n)
	}
	if len(l.Entries()) != 2 || !strings.Contains(l.String(), `msg="call ended"`) || !strings.Contains(l.String(), "error=boom") {
		t.Errorf("entries %d, text %q; want 2 entries, both in the text", len(l.Entries()), l.String())
	}
	if Err(l.Find("detail")[0]) != nil {
		t.Error("Err of an entry without an error is not nil")
	}
}
