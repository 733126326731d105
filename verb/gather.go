package verb

import (
	"errors"
	"regexp/syntax"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/callhook/callhook/esl"
)

// GatherSpec is the gather verb: play a prompt and collect DTMF digits with
// play_and_get_digits.
type GatherSpec struct {
	Play string // the prompt
	// PlayList is a prompt list (prompts.go), when play was given as a
	// list; Play is "" then. play_and_get_digits plays it as one
	// file_string://, so the first key stops it.
	PlayList     []Prompt
	Min, Max     int // digits wanted, 1..128, Min <= Max
	Tries        int // prompts before giving up, 1 or more
	Timeout      time.Duration
	DigitTimeout time.Duration // between digits; defaults to Timeout
	Terminators  string        // digits that end input early, or "none"
	Invalid      string        // played after invalid input
	// Regex the digits must match. FreeSWITCH matches it with PCRE; it is
	// checked with Go's RE2 syntax, so the PCRE-only constructs
	// (backreferences, lookaround) are refused rather than risked.
	Regex string
	// Files are the app's folders (ParseOptions.Files), for the prompts.
	Files *FileRules
}

// DefaultGatherInvalid is what a gather plays after invalid input when
// it names no invalid prompt: a quarter second of silence.
const DefaultGatherInvalid = "silence_stream://250"

// Gather's bounds and defaults.
const (
	maxDigits        = 128 // play_and_get_digits' digit buffer holds 128
	maxTries         = 100
	defaultPrompt    = "silence_stream://250" // a gather may follow a play
	defaultInvalid   = DefaultGatherInvalid
	defaultRegex     = `\d+`
	minGatherTimeout = time.Second // play_and_get_digits raises shorter timeouts to 1s
)

func parseGather(a *args) Spec {
	s := &GatherSpec{
		PlayList:    a.promptList("play"),
		Min:         a.integer("min", 1),
		Max:         a.integer("max", 1),
		Tries:       a.integer("tries", 1),
		Timeout:     a.duration("timeout", 5*time.Second),
		Terminators: a.str("terminators", "#"),
		Invalid:     a.str("invalid", defaultInvalid),
		Regex:       a.str("regex", defaultRegex),
		Files:       a.o.Files,
	}
	s.DigitTimeout = a.duration("digit_timeout", s.Timeout)
	if s.PlayList == nil {
		s.Play = a.str("play", defaultPrompt)
	}
	return s
}

func (s *GatherSpec) check() error {
	if s.PlayList != nil {
		if err := checkPrompts("play", s.PlayList, s.Files, true); err != nil {
			return err
		}
	}
	for _, f := range []struct{ opt, v string }{{"play", s.Play}, {"invalid", s.Invalid}} {
		if f.opt == "play" && s.PlayList != nil {
			continue
		}
		if err := checkPlayFile(f.v, s.Files); err != nil {
			return &optError{Opt: f.opt, Msg: err.Error()}
		}
	}
	if err := checkToken(s.Regex); err != nil {
		return &optError{Opt: "regex", Msg: err.Error()}
	}
	switch {
	case s.Min < 1 || s.Min > maxDigits:
		return optErrorf("min", "must be 1 to %d, got %d", maxDigits, s.Min)
	case s.Max < 1 || s.Max > maxDigits:
		return optErrorf("max", "must be 1 to %d, got %d", maxDigits, s.Max)
	case s.Max < s.Min:
		return optErrorf("max", "must be at least min (%d), got %d", s.Min, s.Max)
	case s.Tries < 1 || s.Tries > maxTries:
		return optErrorf("tries", "must be 1 to %d, got %d", maxTries, s.Tries)
	}
	if err := checkDuration("timeout", s.Timeout, time.Millisecond); err != nil {
		return err
	}
	if s.Timeout < minGatherTimeout {
		return optErrorf("timeout", "must be at least %s (play_and_get_digits waits at least that long), got %s", minGatherTimeout, s.Timeout)
	}
	if err := checkDuration("digit_timeout", s.DigitTimeout, time.Millisecond); err != nil {
		return err
	}
	if err := checkTerminators(s.Terminators); err != nil {
		return &optError{Opt: "terminators", Msg: err.Error()}
	}
	// regexp.Compile refuses a pattern only when syntax.Parse, with the
	// Perl flags it uses, does (compiling the parsed pattern cannot fail):
	// the parse alone gives the same answer and error without building a
	// program nobody runs, which grew the session's stack on every reply.
	if err := checkRegex(s.Regex); err != nil {
		return optErrorf("regex", "%s does not compile (RE2 syntax, a subset of the PCRE FreeSWITCH uses): %v", Quote(s.Regex), regexError(err))
	}
	return nil
}

// lastRegex is the last pattern other than the default that checkRegex
// accepted. An app gives the same regex in every reply, so it is parsed
// once, not per reply; one entry bounds what is kept, and a refused
// pattern is parsed (and refused) every time, so its error is the same.
var lastRegex atomic.Pointer[string]

// checkRegex returns syntax.Parse's error on re with the flags
// regexp.Compile uses, or nil. The default pattern parses
// (TestGatherDefaultRegexParses), so it is not parsed again.
func checkRegex(re string) error {
	if re == defaultRegex {
		return nil
	}
	if last := lastRegex.Load(); last != nil && *last == re {
		return nil
	}
	if _, err := syntax.Parse(re, syntax.Perl); err != nil {
		return err
	}
	lastRegex.Store(&re)
	return nil
}

// regexError returns the reason of a regexp syntax error without the
// pattern, which the message already quotes.
func regexError(err error) string {
	var se *syntax.Error
	if errors.As(err, &se) {
		return se.Code.String()
	}
	return err.Error()
}

// DigitsVar is the channel variable a gather's digits land in: a fresh name
// per verb of the call, since on no input FreeSWITCH leaves the variable
// absent rather than empty, and a reused name would hand back the digits of
// an earlier gather.
func (s *GatherSpec) DigitsVar(pc PlanContext) string {
	return "callhook_digits_" + strconv.Itoa(pc.Seq)
}

// Execs runs play_and_get_digits <min> <max> <tries> <timeout_ms>
// <terminators> <prompt> <invalid> <var> <regex> <digit_timeout_ms>.
// A prompt list is one file_string:// (gatherPrompt); its say items play
// once the session has prepared them (Prepare).
func (s *GatherSpec) Execs(pc PlanContext) []Exec {
	prompt := s.Play
	if s.PlayList != nil {
		prompt = gatherPrompt(s.PlayList)
	}
	arg := strings.Join([]string{
		strconv.Itoa(s.Min), strconv.Itoa(s.Max), strconv.Itoa(s.Tries),
		strconv.FormatInt(s.Timeout.Milliseconds(), 10), s.Terminators,
		fsArg(prompt), fsArg(s.Invalid), s.DigitsVar(pc), fsArg(s.Regex),
		strconv.FormatInt(s.DigitTimeout.Milliseconds(), 10),
	}, " ")
	return []Exec{{App: "play_and_get_digits", Arg: arg}}
}

// Result reads the outcome from the completion's variables:
//   - read_result success: ok, with the digits;
//   - failure with no digits anywhere: timeout;
//   - failure with digits: invalid. Digits that failed the regex are moved
//     to <var>_invalid (switch_ivr_play_and_get_digits); too few digits stay
//     in <var>. Neither case is in the captures yet (both were read from
//     FreeSWITCH's source); the digits are reported either way.
//
// A gather cut off by a hangup reports hangup, with any digits it had.
func (s *GatherSpec) Result(pc PlanContext, complete *esl.Event, hungUp bool) *Result {
	c := completionOf(complete, "play_and_get_digits")
	r := baseResult("gather", c, hungUp)
	if c == nil {
		return r
	}
	name := s.DigitsVar(pc)
	digits := c.Var(name)
	invalid := c.Var(name + "_invalid")
	switch result := c.Var("read_result"); {
	case result == "success" && digits != "":
		r.Digits = digits
		// switch_ivr_read sets it when a terminator ended the input
		// (src/switch_ivr_play_say.c).
		r.Terminator = c.Var("read_terminator_used")
	case hungUp:
		r.Digits = digits
	case digits != "":
		r.Reason, r.Digits = ReasonInvalid, digits
	case invalid != "":
		r.Reason, r.Digits = ReasonInvalid, invalid
	default:
		r.Reason = ReasonTimeout
	}
	return r
}

// MapText applies f to the prompts.
func (s *GatherSpec) MapText(f func(string) (string, error)) (Spec, error) {
	c := *s
	list, err := mapPrompts(s.PlayList, f)
	if err != nil {
		return mapped("gather", &c, err)
	}
	c.PlayList = list
	return mapped("gather", &c, mapStrings(f, &c.Play, &c.Invalid))
}

// Args implements Spec; digit_timeout only when it is not timeout's.
func (s *GatherSpec) Args() []Arg {
	// What the reply or state wrote: one try and the silent invalid prompt
	// a gather plays when it names none are not shown.
	a := []Arg{{"play", s.Play}, {"min", s.Min}, {"max", s.Max}}
	if s.PlayList != nil {
		a[0].Value = promptArgs(s.PlayList)
	}
	if s.Tries != 1 {
		a = append(a, Arg{"tries", s.Tries})
	}
	a = append(a, Arg{"timeout", s.Timeout})
	if s.DigitTimeout != s.Timeout {
		a = append(a, Arg{"digit_timeout", s.DigitTimeout})
	}
	a = append(a, Arg{"terminators", s.Terminators}, Arg{"regex", s.Regex})
	if s.Invalid != DefaultGatherInvalid {
		a = append(a, Arg{"invalid", s.Invalid})
	}
	return a
}
