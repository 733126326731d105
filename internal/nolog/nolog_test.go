package nolog

import (
	"io"
	"testing"

	"github.com/sirupsen/logrus"
)

func TestLoggerIsOneThatWritesNothing(t *testing.T) {
	a, b := Logger(), Logger()
	if a != b {
		t.Error("Logger() built a second logger")
	}
	l, ok := a.(*logrus.Logger)
	if !ok || l.Out != io.Discard || l.IsLevelEnabled(logrus.ErrorLevel) {
		t.Errorf("Logger() = %#v, want a logrus.Logger to io.Discard that formats nothing below panic", a)
	}
}
