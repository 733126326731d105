package statemachine

import (
	"errors"
	"fmt"
)

// Error is one problem found in a flow file, at a line. Parse joins all the
// problems it finds (errors.Join) so a user fixes them in one pass; Errors
// lists them back.
type Error struct {
	File string
	Line int // 1-based; 0 when YAML gave the problem no line
	// Column is 1-based, given for YAML syntax errors only (0 otherwise).
	Column int
	Msg    string
}

// Error formats the problem the way compilers do, "file:line: message", so
// editors and terminals can jump to it.
func (e *Error) Error() string {
	if e.Line <= 0 {
		return fmt.Sprintf("%s: %s", e.File, e.Msg)
	}
	if e.Column > 0 {
		return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Line, e.Column, e.Msg)
	}
	return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
}

// Errors returns every *Error inside err (as Parse and ParseFile return
// them), in the order they were joined; nil when err holds none, as when
// ParseFile cannot read the file (print that error as it is).
func Errors(err error) []*Error {
	var out []*Error
	var walk func(error)
	walk = func(err error) {
		if err == nil {
			return
		}
		if e, ok := err.(*Error); ok {
			out = append(out, e)
			return
		}
		switch u := err.(type) {
		case interface{ Unwrap() []error }:
			for _, e := range u.Unwrap() {
				walk(e)
			}
		case interface{ Unwrap() error }:
			walk(u.Unwrap())
		}
	}
	walk(err)
	return out
}

// ErrNoTransition means a state has no route for the outcome its verbs had
// (for example a play state with only on.digits, or a failure with neither
// a route nor tries). The flow app then fails like a web app that does not
// answer: the session runs the app's on_failure.
var ErrNoTransition = errors.New("statemachine: no transition")
