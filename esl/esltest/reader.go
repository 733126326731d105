package esltest

import (
	"io"
	"slices"
	"time"

	"github.com/callhook/callhook/esl"
)

// readLoop reads commands with FreeSWITCH's input rules and hands them to
// the loop, one at a time (FreeSWITCH reads nothing while it executes).
func (c *Call) readLoop() {
	defer close(c.stopped)
	var rec *recordingReader
	var src io.Reader = c.nc
	if c.o.Trace != nil {
		rec = &recordingReader{r: c.nc}
		src = rec
	}
	r := esl.NewReader(src, esl.Limits{MaxHeaderBytes: 10 << 20, MaxBodyBytes: 16 << 20})
	var pause *time.Timer
	for {
		cmd, n, err := r.ReadCommand()
		if err != nil {
			// Errors have their own channel: the loop takes them even while
			// a static-mode app keeps it from reading commands.
			c.readErr <- err
			return
		}
		in := cmdIn{cmd: cmd}
		if rec != nil {
			in.raw = rec.take(n)
		}
		select {
		case c.cmds <- in:
		case <-c.quit:
			return
		}
		if c.o.SlowReader > 0 {
			if pause == nil {
				pause = time.NewTimer(c.o.SlowReader)
			} else {
				pause.Reset(c.o.SlowReader)
			}
			select {
			case <-pause.C:
			case <-c.quit:
				pause.Stop()
				return
			}
		}
	}
}

// recordingReader keeps what the Reader consumed so the trace shows the
// daemon's exact bytes.
type recordingReader struct {
	r   io.Reader
	buf []byte
}

func (rr *recordingReader) Read(p []byte) (int, error) {
	n, err := rr.r.Read(p)
	rr.buf = append(rr.buf, p[:n]...)
	return n, err
}

func (rr *recordingReader) take(n int) []byte {
	n = min(n, len(rr.buf))
	out := slices.Clone(rr.buf[:n])
	rr.buf = append(rr.buf[:0], rr.buf[n:]...)
	return out
}
