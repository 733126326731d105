// Package testlog gives tests a logger they can read while the code under
// test still writes to it from its own goroutines: the text in a Buffer
// safe for concurrent writers, and each entry, structured, in logrus's
// test hook, so that a test asserts on fields rather than on text.
package testlog

import (
	"bytes"
	"fmt"
	"sync"

	"github.com/sirupsen/logrus"
	"github.com/sirupsen/logrus/hooks/test"
)

// Buffer is a bytes.Buffer safe for concurrent use: a log's or a trace's
// destination that a test reads while goroutines write.
type Buffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

// Printf writes one line, so a Buffer serves as esl.Server's ErrorLog.
func (b *Buffer) Printf(format string, args ...any) {
	b.mu.Lock()
	defer b.mu.Unlock()
	fmt.Fprintf(&b.b, format+"\n", args...)
}

// String returns what was written so far.
func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// Bytes returns a copy of what was written so far.
func (b *Buffer) Bytes() []byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	return bytes.Clone(b.b.Bytes())
}

// Log is a debug-level logrus logger writing text to Text, in the
// daemon's text format, and every entry to Hook.
type Log struct {
	*logrus.Logger
	Text *Buffer
	Hook *test.Hook
}

// New returns a Log at debug level.
func New() *Log {
	l := &Log{Logger: logrus.New(), Text: &Buffer{}}
	l.Out = l.Text
	l.Level = logrus.DebugLevel
	l.Formatter = &logrus.TextFormatter{FullTimestamp: true, DisableColors: true}
	l.Hook = test.NewLocal(l.Logger)
	return l
}

// String returns the text logged so far.
func (l *Log) String() string { return l.Text.String() }

// Entries returns the entries logged so far, oldest first.
func (l *Log) Entries() []*logrus.Entry { return l.Hook.AllEntries() }

// Count returns how many entries logged so far satisfy match.
func (l *Log) Count(match func(*logrus.Entry) bool) int {
	n := 0
	for _, e := range l.Hook.AllEntries() {
		if match(e) {
			n++
		}
	}
	return n
}

// Err returns the error an entry carries (WithError), or nil.
func Err(e *logrus.Entry) error {
	err, _ := e.Data[logrus.ErrorKey].(error)
	return err
}

// Find returns the entries whose message is msg.
func (l *Log) Find(msg string) []*logrus.Entry {
	var out []*logrus.Entry
	for _, e := range l.Hook.AllEntries() {
		if e.Message == msg {
			out = append(out, e)
		}
	}
	return out
}
