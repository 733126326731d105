package proxy

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/callhook/callhook/esl"
	"github.com/callhook/callhook/verb"
	"github.com/sirupsen/logrus"
)

// Call is what a backend knows about the call it drives. The session owns it;
// backends read it only from the session goroutine (in Begin, Result, ...).
type Call struct {
	ID          string // FreeSWITCH Unique-ID
	App         string // the app's name in the config
	From        string // Caller-Caller-ID-Number
	FromName    string // Caller-Caller-ID-Name
	To          string // Caller-Destination-Number
	Direction   string // Call-Direction
	ChannelName string // Channel-Name
	StartedAt   time.Time
	Answered    bool
	// Channel is the channel data of the connect reply. Once the call's
	// first dialog has started, it holds only the headers callhook reads
	// and the variables the call's apps read (when each says which, as a
	// VarReader), so a big reply is not kept for the call's life.
	Channel *esl.Event
	// Log is the call's logger, with call_id and app fields.
	Log logrus.FieldLogger
	// Observer is told what happens on the call (never nil).
	Observer Observer
	// UserAgent is what the call's requests to its apps say they are:
	// UserAgent(Proxy.Version). Empty (a Call made outside a Proxy) sends
	// none of callhook's.
	UserAgent string
	// The call's view of its channel variables, replaced (never merged) by
	// each event that carries the whole variable set (esl.Event
	// CarriesAllVars): a variable absent from such an event is unset, so
	// it leaves the view; events without variables (DTMF, CHANNEL_STATE)
	// change nothing. Until the first such event after connect, the view
	// is the connect reply's channel data.
	//
	// varsEvent is the latest such event, kept without copying ~200
	// variables per event, when the dialog did not say which variables it
	// reads. wanted, when not nil, lists the only variables the dialog
	// reads (VarReader); vars then holds their values from the latest such
	// event, so a held call keeps a few strings rather than a whole ~10 KiB
	// event. varsSeen says that an event has replaced the connect reply's
	// view.
	varsEvent *esl.Event
	wanted    []string
	vars      map[string]string
	varsSeen  bool
}

// Var returns a channel variable's value as the latest event carrying the
// whole variable set showed it (the connect reply until another comes),
// and whether it is set. A variable unset on the channel (the unset verb,
// or a dialplan action) is reported absent from the first event after it.
// A dialog that is a VarReader sees only the variables it listed.
func (c *Call) Var(name string) (string, bool) {
	switch {
	case !c.varsSeen:
		if c.Channel != nil {
			return c.Channel.LookupVar(name)
		}
		return "", false
	case c.wanted == nil:
		if c.varsEvent != nil {
			return c.varsEvent.LookupVar(name)
		}
		return "", false
	default:
		v, ok := c.vars[name]
		return v, ok
	}
}

// keepVars replaces the call's view of its variables with ev, an event
// that carries all of them.
func (c *Call) keepVars(ev *esl.Event) {
	c.varsSeen = true
	if c.wanted == nil {
		c.varsEvent = ev
		return
	}
	for _, name := range c.wanted {
		v, ok := ev.LookupVar(name)
		if !ok {
			delete(c.vars, name) // not set any more
			continue
		}
		if c.vars == nil {
			c.vars = make(map[string]string, len(c.wanted))
		}
		if old, seen := c.vars[name]; !seen || old != v {
			// A clone: the value shares the event's memory.
			c.vars[name] = strings.Clone(v)
		}
	}
}

// readVars makes the view keep only names (nil: every variable), for a new
// dialog. What the view knew carries over; a variable the old view did not
// keep comes from the connect reply until the next event that carries the
// whole set.
func (c *Call) readVars(names []string) {
	known := func(name string) (string, bool) {
		if c.varsSeen && (c.wanted == nil || slices.Contains(c.wanted, name)) {
			return c.Var(name)
		}
		if c.Channel != nil {
			return c.Channel.LookupVar(name)
		}
		return "", false
	}
	if names == nil {
		// Every variable: only a whole event can answer; until the next
		// one, the connect reply does.
		c.wanted, c.vars, c.varsEvent, c.varsSeen = nil, nil, nil, false
		return
	}
	vars := make(map[string]string, len(names))
	for _, name := range names {
		if v, ok := known(name); ok {
			vars[name] = v
		}
	}
	c.wanted = append([]string{}, names...) // never nil: "none" keeps nothing
	c.vars, c.varsEvent, c.varsSeen = vars, nil, true
}

// VarReader is a Dialog that says which channel variables it reads through
// Call.Var (none is fine), so the session keeps only those. A Backend that
// is a VarReader says the same of all its dialogs, so that a call can let
// go of the rest of its connect reply (Call.Channel).
type VarReader interface {
	ChannelVars() []string
}

// Backend is an app: it makes one Dialog per call. Start must not block on
// the network for long; a webhook backend's first request belongs in Begin.
type Backend interface {
	Start(ctx context.Context, call *Call) (Dialog, error)
}

// EventReader is a Backend that says, before its Start, whether the
// dialogs it makes read every event of their calls. A backend whose
// dialogs are all verb dialogs (Verbs: webhook apps, flows) answers false:
// its calls then nix the event types a verb dialog never reads
// (IgnoredEvents) in the same write as linger and myevents, one write and
// one round trip for the three, before its Start. A backend that answers
// true (Liverpie apps: a RawDialog gets every event), or is no
// EventReader, has its calls nix nothing at set-up; a verb dialog of a
// backend that is no EventReader nixes the types after Start, in a
// command of its own. A backend that answers false and then makes a raw
// dialog fails the call: that dialog would miss events.
type EventReader interface {
	ReadsEveryEvent() bool
}

// Dialog is one call's conversation with its app, of one of two kinds
// fixed when its Backend makes it: Verbs wraps a VerbDialog (webhook apps,
// flows), Raw a RawDialog (Liverpie apps). Only those two make a Dialog,
// so the session never meets a dialog of a third kind: the compiler
// checks what a run-time type switch used to.
type Dialog interface {
	// End tells the dialog the call is over, exactly once, whatever ended
	// it. A dialog that handed the call on (a handoff, or a live redirect
	// away from a flow) is done with it and is not told.
	End(ctx context.Context, end *CallEnd)
	// drive runs the call with the dialog until the call is over.
	drive(ctx context.Context, s *session, myevents *esl.Frame)
	// channelVars is the dialog's VarReader answer; ok is false when it
	// is no VarReader.
	channelVars() (names []string, ok bool)
}

// Verbs makes a VerbDialog the Dialog a Backend returns.
func Verbs(d VerbDialog) Dialog { return verbDialog{d} }

// Raw makes a RawDialog the Dialog a Backend returns.
func Raw(d RawDialog) Dialog { return rawDialog{d} }

type verbDialog struct{ VerbDialog }

func (d verbDialog) drive(ctx context.Context, s *session, _ *esl.Frame) {
	if !s.nixed {
		s.nixIgnoredEvents(ctx)
	}
	s.runVerbs(ctx, d.VerbDialog)
}

func (d verbDialog) channelVars() ([]string, bool) { return varsOf(d.VerbDialog) }

type rawDialog struct{ RawDialog }

func (d rawDialog) drive(ctx context.Context, s *session, myevents *esl.Frame) {
	s.runRaw(ctx, d.RawDialog, myevents)
}

func (d rawDialog) channelVars() ([]string, bool) { return varsOf(d.RawDialog) }

// varsOf returns what x, when it is a VarReader, says it reads.
func varsOf(x any) ([]string, bool) {
	if vr, ok := x.(VarReader); ok {
		return vr.ChannelVars(), true
	}
	return nil, false
}

// VerbDialog answers with verbs (webhook apps, flows). Every method is
// called from the call's session goroutine only, so it needs no locks.
type VerbDialog interface {
	// Begin returns the call's first instructions (event call.start).
	Begin(ctx context.Context) (*Instructions, error)
	// Result reports the result of a verb that had an Action, and returns the
	// instructions that replace whatever was left.
	Result(ctx context.Context, v verb.Verb, r *verb.Result) (*Instructions, error)
	// Redirect fetches new instructions from url (a redirect verb, or a live
	// redirect from the admin API).
	Redirect(ctx context.Context, url string) (*Instructions, error)
	// End is Dialog's.
	End(ctx context.Context, end *CallEnd)
}

// AnswerNotifier is implemented by verb dialogs that tell their app when
// the call is answered (a webhook app's call.answered status event). The
// session calls Answered once a call, from the call's goroutine, with the
// call's context: before the first verb when the call came answered, else
// after the verb during which it was answered.
//
// Answered must not hold the call up: a notifier that makes a request
// sends it from a goroutine of its own and returns at once, and End waits
// for that request (bounded by End's context) before it reports the end,
// so the app never hears of the end before the answer, and no goroutine
// outlives the call. The request may report to the Call's Observer from
// that goroutine: the session's counting of it is safe for that.
type AnswerNotifier interface {
	Answered(ctx context.Context)
}

// RawDialog speaks ESL commands instead of verbs (Liverpie apps). The
// dialog checks each command against its app's allowlist before returning
// it; the session sends it with esl (encoded and validated), never raw.
// Every method is called from the call's session goroutine only.
type RawDialog interface {
	// Begin is called when the reply to myevents has arrived, with that reply.
	Begin(ctx context.Context, myeventsReply *esl.Frame) ([]esl.Command, error)
	// Event is called with each event of the call, in order.
	Event(ctx context.Context, ev *esl.Event) ([]esl.Command, error)
	// Reply is called with the reply to each command the dialog returned.
	Reply(ctx context.Context, cmd esl.Command, reply *esl.Frame) ([]esl.Command, error)
	// End is Dialog's.
	End(ctx context.Context, end *CallEnd)
}

// Instructions are what a VerbDialog answers: verbs to run top to bottom, or
// a handoff of the call to another app.
type Instructions struct {
	Verbs []verb.Verb
	// Handoff names an app of the config; the session switches the call to
	// it (its Backend's Start, then Begin) once the verbs before it have run.
	Handoff string
	// Failure is set when these instructions come from a fallback that
	// answered for a failed app; it says why. The session reports it to
	// observers. (When the fallback fails too, the dialog returns an error
	// and the session runs the app's on_failure.)
	Failure *Failure
}

// Failure says how an app failed and what replaced its answer.
type Failure struct {
	Err       error
	Fallback  bool // fallback_url answered
	OnFailure bool // on_failure verbs ran
}

// CallEnd describes how a call ended. A transferred call has not hung up:
// it has no Cause, Duration or Billsec, and Held says how long callhook
// held it.
type CallEnd struct {
	Outcome  string `json:"outcome"`  // hangup, transferred, failed
	Cause    string `json:"cause"`    // Hangup-Cause
	Duration int64  `json:"duration"` // seconds (variable_duration)
	Billsec  int64  `json:"billsec"`
	// Held is, for a transferred call, the time from connect to callhook's
	// exit (0 for other outcomes).
	Held       time.Duration `json:"-"`
	LastResult *verb.Result  `json:"last_result,omitempty"`
	// Recording is the whole-call recording (record_call) the hangup
	// stopped, delivered (or failed) as the call ended.
	Recording *verb.Recording `json:"recording,omitempty"`
	// Err is why the call failed, when Outcome is failed.
	Err error `json:"-"`
}

// Call end outcomes.
const (
	OutcomeHangup      = "hangup"
	OutcomeTransferred = "transferred"
	OutcomeFailed      = "failed"
)
