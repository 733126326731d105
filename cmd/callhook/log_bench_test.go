package main

import (
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/callhook/callhook/internal/config"
	"github.com/sirupsen/logrus"
)

// BenchmarkCallLogLines: the two Info lines a call logs (call started,
// call ended), through serve's logger as the session makes them, written
// to nowhere (the CPU of the lines alone) and to a file (each line's
// write syscall too, as serve's stderr redirected to a file).
func BenchmarkCallLogLines(b *testing.B) {
	file, err := os.Create(filepath.Join(b.TempDir(), "callhook.log"))
	if err != nil {
		b.Fatal(err)
	}
	defer file.Close()
	for _, out := range []struct {
		name string
		w    io.Writer
	}{{"discard", io.Discard}, {"file", file}} {
		b.Run(out.name, func(b *testing.B) {
			log := newLogger(config.LogConfig{Level: "info", Format: "text"}, out.w)
			call := log.WithFields(logrus.Fields{"call_id": "15d0d288-e47c-47df-9fae-3e53fb53e2b8", "app": "menu"})
			started := time.Now()
			b.ReportAllocs()
			for b.Loop() {
				call.WithFields(logrus.Fields{"from": "1000", "to": "5000"}).Info("call started")
				call.WithFields(logrus.Fields{
					"from": "1000", "to": "5000", "outcome": "hangup", "cause": "NORMAL_CLEARING",
					"duration_s": time.Since(started).Seconds(), "verbs": 5,
					"requests": 2, "webhook_ms": int64(0),
				}).Info("call ended")
			}
		})
	}
}
