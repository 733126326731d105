package verb

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/callhook/callhook/esl"
)

// BareSpec is a verb that runs one application without an argument: answer,
// pre_answer, ring_ready and park (park completes only when the call ends).
type BareSpec struct {
	App string
}

func bareVerb(app string) func(a *args) Spec {
	return func(*args) Spec { return &BareSpec{App: app} }
}

func (s *BareSpec) check() error { return nil }

// Execs runs the application.
func (s *BareSpec) Execs(PlanContext) []Exec { return []Exec{{App: s.App}} }

// Result reports ok, or hangup.
func (s *BareSpec) Result(_ PlanContext, complete *esl.Event, hungUp bool) *Result {
	return baseResult(s.App, completionOf(complete, s.App), hungUp)
}

// MapText returns a copy: there is no text.
func (s *BareSpec) MapText(func(string) (string, error)) (Spec, error) {
	c := *s
	return &c, nil
}

// PauseSpec is the pause verb: sleep for Duration.
type PauseSpec struct {
	Duration time.Duration
}

func parsePause(a *args) Spec {
	if !a.has("duration") {
		a.failf(nil, "duration", "is required")
	}
	return &PauseSpec{Duration: a.duration("duration", 0)}
}

func (s *PauseSpec) check() error {
	return checkDuration("duration", s.Duration, time.Millisecond)
}

// Execs runs sleep with the duration in milliseconds.
func (s *PauseSpec) Execs(PlanContext) []Exec {
	return []Exec{{App: "sleep", Arg: strconv.FormatInt(s.Duration.Milliseconds(), 10)}}
}

// Result reports ok, or hangup.
func (s *PauseSpec) Result(_ PlanContext, complete *esl.Event, hungUp bool) *Result {
	return baseResult("pause", completionOf(complete, "sleep"), hungUp)
}

// MapText returns a copy: there is no text.
func (s *PauseSpec) MapText(func(string) (string, error)) (Spec, error) {
	c := *s
	return &c, nil
}

// SendDTMFSpec is the send_dtmf verb.
type SendDTMFSpec struct {
	// Digits are DTMF digits (0-9 * # A-D), w and W pauses (0.5 s and 1 s),
	// optionally followed by @<ms> for the tone length.
	Digits string
}

func parseSendDTMF(a *args) Spec {
	if !a.has("digits") {
		a.failf(nil, "digits", "is required")
	}
	return &SendDTMFSpec{Digits: a.str("digits", "")}
}

func (s *SendDTMFSpec) check() error {
	if err := checkDTMF(s.Digits); err != nil {
		return &optError{Opt: "digits", Msg: err.Error()}
	}
	return nil
}

// checkDTMF checks a send_dtmf string: digits and pauses, then an optional
// "@<ms>" (switch_channel_queue_dtmf_string). FreeSWITCH's '+' groups are
// not offered: one duration per verb is enough and keeps the check simple.
func checkDTMF(s string) error {
	digits, dur, hasDur := strings.Cut(s, "@")
	if digits == "" {
		return fmt.Errorf("must not be empty")
	}
	for _, r := range digits {
		if !strings.ContainsRune("0123456789*#ABCDabcdwW", r) {
			return fmt.Errorf("%q is not a DTMF digit (0-9 * # A-D, w or W to pause)", r)
		}
	}
	if hasDur {
		ms, err := strconv.Atoi(dur)
		if err != nil || ms < 1 || ms > 10000 {
			return fmt.Errorf("@%s: want a tone length in milliseconds, 1 to 10000", dur)
		}
	}
	return nil
}

// Execs runs send_dtmf.
func (s *SendDTMFSpec) Execs(PlanContext) []Exec {
	return []Exec{{App: "send_dtmf", Arg: s.Digits}}
}

// Result reports ok, or hangup.
func (s *SendDTMFSpec) Result(_ PlanContext, complete *esl.Event, hungUp bool) *Result {
	return baseResult("send_dtmf", completionOf(complete, "send_dtmf"), hungUp)
}

// MapText applies f to the digits.
func (s *SendDTMFSpec) MapText(f func(string) (string, error)) (Spec, error) {
	c := *s
	return mapped("send_dtmf", &c, mapStrings(f, &c.Digits))
}

// LogSpec is the log verb: a line in FreeSWITCH's log.
type LogSpec struct {
	Level string // one of logLevels
	Text  string
}

// logLevels are FreeSWITCH's log level names (switch_log_str2level).
var logLevels = []string{"CONSOLE", "ALERT", "CRIT", "ERR", "WARNING", "NOTICE", "INFO", "DEBUG"}

func parseLog(a *args) Spec {
	if !a.has("text") {
		a.failf(nil, "text", "is required")
	}
	return &LogSpec{Text: a.str("text", ""), Level: strings.ToUpper(a.str("level", "INFO"))}
}

func (s *LogSpec) check() error {
	if !slices.Contains(logLevels, s.Level) {
		return optErrorf("level", "%s is not a FreeSWITCH log level (%s)", Quote(s.Level), strings.Join(logLevels, ", "))
	}
	if s.Text == "" {
		return optErrorf("text", "must not be empty")
	}
	if err := checkLine(s.Text); err != nil {
		return &optError{Opt: "text", Msg: err.Error()}
	}
	return nil
}

// Execs runs log: the level is its first word, the rest is the text.
func (s *LogSpec) Execs(PlanContext) []Exec {
	return []Exec{{App: "log", Arg: s.Level + " " + s.Text}}
}

// Result reports ok, or hangup.
func (s *LogSpec) Result(_ PlanContext, complete *esl.Event, hungUp bool) *Result {
	return baseResult("log", completionOf(complete, "log"), hungUp)
}

// MapText applies f to the text.
func (s *LogSpec) MapText(f func(string) (string, error)) (Spec, error) {
	c := *s
	return mapped("log", &c, mapStrings(f, &c.Text))
}

// ExecuteSpec is the execute verb: an application from the app's
// allow_execute list, with Arg as its argument.
type ExecuteSpec struct {
	App    string
	Arg    string
	Files  *FileRules // the app's folders, for file arguments (CheckExecuteFiles)
	policy *Policy    // the app's allow lists; nil for the defaults
}

func parseExecute(a *args) Spec {
	if !a.has("app") {
		a.failf(nil, "app", "is required")
	}
	s := &ExecuteSpec{App: a.str("app", ""), Arg: a.str("arg", ""), Files: a.o.Files, policy: a.o.policy()}
	if a.err == nil && !slices.ContainsFunc(a.o.AllowExecute, func(app string) bool { return strings.EqualFold(app, s.App) }) {
		// Checked here, not in check: MapText cannot change App, and an
		// application FreeSWITCH does not know hangs the call up.
		allowed := "the app's allow_execute list is empty"
		if len(a.o.AllowExecute) > 0 {
			allowed = "allow_execute lists " + strings.Join(a.o.AllowExecute, ", ")
		}
		a.failf(a.node("app"), "app", "%s is not allowed (%s)", Quote(s.App), allowed)
	}
	return s
}

func (s *ExecuteSpec) check() error {
	if err := CheckName(s.App, ""); err != nil {
		return &optError{Opt: "app", Msg: err.Error()}
	}
	if err := checkLine(s.Arg); err != nil {
		return &optError{Opt: "arg", Msg: err.Error()}
	}
	if err := CheckExecuteFiles(s.App, s.Arg, s.Files); err != nil {
		return &optError{Opt: "arg", Msg: err.Error()}
	}
	// An allow-listed set, bridge, transfer, ... gets the checks of the
	// verb that does the same (fsapps.go).
	if err := s.policy.CheckApp(s.App, s.Arg); err != nil {
		return &optError{Opt: "arg", Msg: err.Error()}
	}
	return nil
}

// Execs runs the application.
func (s *ExecuteSpec) Execs(PlanContext) []Exec {
	return []Exec{{App: s.App, Arg: s.Arg}}
}

// Result reports the application's response; ok, or hangup.
func (s *ExecuteSpec) Result(_ PlanContext, complete *esl.Event, hungUp bool) *Result {
	return baseResult("execute", completionOf(complete, s.App), hungUp)
}

// MapText applies f to the argument.
func (s *ExecuteSpec) MapText(f func(string) (string, error)) (Spec, error) {
	c := *s
	return mapped("execute", &c, mapStrings(f, &c.Arg))
}

// Args implements Spec: a bare verb takes none.
func (s *BareSpec) Args() []Arg { return nil }

// Args implements Spec.
func (s *PauseSpec) Args() []Arg { return []Arg{{"duration", s.Duration}} }

// Args implements Spec.
func (s *SendDTMFSpec) Args() []Arg { return []Arg{{"digits", s.Digits}} }

// Args implements Spec.
func (s *LogSpec) Args() []Arg { return []Arg{{"text", s.Text}, {"level", s.Level}} }

// Args implements Spec.
func (s *ExecuteSpec) Args() []Arg {
	a := []Arg{{"app", s.App}}
	if s.Arg != "" {
		a = append(a, Arg{"arg", s.Arg})
	}
	return a
}
