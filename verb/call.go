package verb

import (
	"fmt"
	"strings"

	"github.com/callhook/callhook/esl"
)

// TransferSpec is the transfer verb: the call leaves callhook for a
// dialplan extension.
type TransferSpec struct {
	Extension string
	Dialplan  string  // xml by default
	Context   string  // default by default
	policy    *Policy // the app's allow lists; nil for the defaults
}

func parseTransfer(a *args) Spec {
	if !a.has("extension") {
		a.failf(nil, "extension", "is required")
	}
	return &TransferSpec{
		Extension: a.str("extension", ""),
		Dialplan:  a.str("dialplan", "xml"),
		Context:   a.str("context", "default"),
		policy:    a.o.policy(),
	}
}

func (s *TransferSpec) check() error {
	if err := checkFirstToken(s.Extension); err != nil {
		return &optError{Opt: "extension", Msg: err.Error()}
	}
	if strings.HasPrefix(s.Extension, "-") {
		// transfer reads a first argument -bleg or -both as "transfer the
		// other leg too".
		return optErrorf("extension", "must not start with '-', got %s", Quote(s.Extension))
	}
	if err := s.policy.checkDialplan(s.Dialplan); err != nil {
		return &optError{Opt: "dialplan", Msg: err.Error()}
	}
	if err := CheckName(s.Context, ""); err != nil {
		return &optError{Opt: "context", Msg: err.Error()}
	}
	return nil
}

// Execs runs transfer <extension> <dialplan> <context>.
func (s *TransferSpec) Execs(PlanContext) []Exec {
	return []Exec{{App: "transfer", Arg: fsArg(s.Extension) + " " + s.Dialplan + " " + s.Context}}
}

// Result reports ok, or hangup.
func (s *TransferSpec) Result(_ PlanContext, complete *esl.Event, hungUp bool) *Result {
	return baseResult("transfer", completionOf(complete, "transfer"), hungUp)
}

// MapText applies f to the extension and the context.
func (s *TransferSpec) MapText(f func(string) (string, error)) (Spec, error) {
	c := *s
	return mapped("transfer", &c, mapStrings(f, &c.Extension, &c.Context))
}

// ConferenceSpec is the conference verb. The conference application
// returns only when the caller leaves the conference (or hangs up).
type ConferenceSpec struct {
	Name    string
	Profile string   // default by default
	Flags   []string // member flags: mute, deaf, moderator, ...
}

func parseConference(a *args) Spec {
	if !a.has("name") {
		a.failf(nil, "name", "is required")
	}
	return &ConferenceSpec{Name: a.str("name", ""), Profile: a.str("profile", "default"), Flags: a.list("flags")}
}

func (s *ConferenceSpec) check() error {
	// conference splits its data at '@' (profile), '+' (pin, flags) and
	// '{' (flags), so none may appear in a name.
	if err := CheckName(s.Name, ""); err != nil {
		return &optError{Opt: "name", Msg: err.Error()}
	}
	if err := CheckName(s.Profile, ""); err != nil {
		return &optError{Opt: "profile", Msg: err.Error()}
	}
	for _, f := range s.Flags {
		if err := CheckName(f, ""); err != nil {
			return &optError{Opt: "flags", Msg: err.Error()}
		}
	}
	return nil
}

// Execs runs conference <name>@<profile>[+flags{a|b}].
func (s *ConferenceSpec) Execs(PlanContext) []Exec {
	arg := s.Name + "@" + s.Profile
	if len(s.Flags) > 0 {
		arg += "+flags{" + strings.Join(s.Flags, "|") + "}"
	}
	return []Exec{{App: "conference", Arg: arg}}
}

// Result reports ok, or hangup.
func (s *ConferenceSpec) Result(_ PlanContext, complete *esl.Event, hungUp bool) *Result {
	return baseResult("conference", completionOf(complete, "conference"), hungUp)
}

// MapText applies f to the name.
func (s *ConferenceSpec) MapText(f func(string) (string, error)) (Spec, error) {
	c := *s
	c.Flags = append([]string(nil), s.Flags...)
	return mapped("conference", &c, mapStrings(f, &c.Name))
}

// HangupSpec is the hangup verb. The session sends it as a sendmsg
// call-command hangup; it runs no application.
type HangupSpec struct {
	// Cause is a FreeSWITCH cause name in upper case (NORMAL_CLEARING), or a
	// Q.850 cause code in decimal.
	Cause string
}

func parseHangup(a *args) Spec {
	return &HangupSpec{Cause: strings.ToUpper(a.str("cause", "NORMAL_CLEARING"))}
}

func (s *HangupSpec) check() error {
	if !validCause(s.Cause) {
		return optErrorf("cause", "%s is not a FreeSWITCH hangup cause (a name such as NORMAL_CLEARING or USER_BUSY, or a Q.850 code 1-127)", Quote(s.Cause))
	}
	return nil
}

// Execs is nil: the session hangs up itself.
func (s *HangupSpec) Execs(PlanContext) []Exec { return nil }

// Result reports hangup: the verb ends the call.
func (s *HangupSpec) Result(_ PlanContext, complete *esl.Event, _ bool) *Result {
	return &Result{Verb: "hangup", Reason: ReasonHangup, Response: response(complete)}
}

// MapText returns a copy: a cause is not a template.
func (s *HangupSpec) MapText(func(string) (string, error)) (Spec, error) {
	c := *s
	return &c, nil
}

// RedirectSpec is the redirect verb: the session fetches a new document
// from URL and runs it instead of what is left.
type RedirectSpec struct {
	URL string // absolute http or https
}

func parseRedirect(a *args) Spec {
	if !a.has("url") {
		a.failf(nil, "url", "is required")
	}
	s := &RedirectSpec{URL: a.str("url", "")}
	if a.err == nil && a.o.Base != nil && checkLine(s.URL) == nil {
		u, err := resolveURL(a.o.Base, s.URL)
		if err != nil {
			a.failf(a.node("url"), "url", "%v", err)
		}
		s.URL = u
	}
	return s
}

func (s *RedirectSpec) check() error {
	if err := checkLine(s.URL); err != nil {
		return &optError{Opt: "url", Msg: err.Error()}
	}
	if _, err := absoluteURL(s.URL); err != nil {
		return &optError{Opt: "url", Msg: err.Error()}
	}
	return nil
}

// Execs is nil: the session fetches the new document itself.
func (s *RedirectSpec) Execs(PlanContext) []Exec { return nil }

// Result reports ok: nothing ran on the channel.
func (s *RedirectSpec) Result(_ PlanContext, _ *esl.Event, hungUp bool) *Result {
	r := &Result{Verb: "redirect", Reason: ReasonOK}
	if hungUp {
		r.Reason = ReasonHangup
	}
	return r
}

// MapText applies f to the URL.
func (s *RedirectSpec) MapText(f func(string) (string, error)) (Spec, error) {
	c := *s
	return mapped("redirect", &c, mapStrings(f, &c.URL))
}

// Args implements Spec.
func (s *TransferSpec) Args() []Arg {
	return []Arg{{"extension", s.Extension}, {"dialplan", s.Dialplan}, {"context", s.Context}}
}

// Args implements Spec.
func (s *ConferenceSpec) Args() []Arg {
	a := []Arg{{"name", s.Name}, {"profile", s.Profile}}
	if len(s.Flags) > 0 {
		a = append(a, Arg{"flags", s.Flags})
	}
	return a
}

// Args implements Spec.
func (s *HangupSpec) Args() []Arg { return []Arg{{"cause", s.Cause}} }

// Args implements Spec.
func (s *RedirectSpec) Args() []Arg { return []Arg{{"url", s.URL}} }

// Hangup returns the hangup verb with cause ("": NORMAL_CLEARING), checked
// as a parsed one is: a flow's hangup: key and the config's default
// on_failure are this verb, with no YAML document to parse. Line is 0.
func Hangup(cause string) (Verb, error) {
	if cause == "" {
		cause = "NORMAL_CLEARING"
	}
	s := &HangupSpec{Cause: strings.ToUpper(cause)}
	if err := s.check(); err != nil {
		return Verb{}, fmt.Errorf("hangup: %w", err)
	}
	return Verb{Name: "hangup", Spec: s}, nil
}
