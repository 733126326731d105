package verb

import (
	"fmt"

	"github.com/callhook/callhook/internal/yamlx"
)

// InvalidReplyError says why a reply (or a flow's verb list) was rejected and
// where. The webhook backend tells it apart from transport failures with
// errors.As, because an invalid reply is reported to the fallback as
// invalid_reply.
type InvalidReplyError struct {
	Line int    // 1-based line of the offending node; 0 when unknown
	Msg  string // "<verb>: <option>: <what>" for a verb's error

	cause error // the check's own error, when a MapText re-check failed
}

// Error returns "line N: <msg>", or the message alone when the line is
// unknown.
func (e *InvalidReplyError) Error() string {
	if e.Line <= 0 {
		return e.Msg
	}
	return fmt.Sprintf("line %d: %s", e.Line, e.Msg)
}

// optError is a spec's validation failure. It names the option at fault so
// the parser can point at that option's line, and MapText can name it.
type optError struct {
	Opt string // "" when the verb as a whole is at fault
	Msg string
}

func (e *optError) Error() string {
	if e.Opt == "" {
		return e.Msg
	}
	return e.Opt + ": " + e.Msg
}

func optErrorf(opt, format string, a ...any) error {
	return &optError{Opt: opt, Msg: fmt.Sprintf(format, a...)}
}

// syntaxError turns a yaml.v3 parse error into an InvalidReplyError, with the
// line number taken out of its message.
func syntaxError(err error) *InvalidReplyError {
	pos := yamlx.Split(err)
	return &InvalidReplyError{Line: pos.Line, Msg: "syntax error: " + pos.Msg}
}
