// Package nolog is the logger of a component that was given none.
package nolog

import (
	"io"
	"sync"

	"github.com/sirupsen/logrus"
)

// Logger returns a logger that writes nothing, the same one every time:
// built once, not per component or per call. At panic level it does not
// even format what it is given.
func Logger() logrus.FieldLogger { return discard() }

var discard = sync.OnceValue(func() logrus.FieldLogger {
	l := logrus.New()
	l.Out = io.Discard
	l.Level = logrus.PanicLevel
	return l
})
