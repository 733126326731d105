package esltest

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/callhook/callhook/esl"
)

// AppRun is one execution of an application (one loop iteration).
type AppRun struct {
	App      string
	Arg      string // Application-Data (expanded), "" when none
	UUID     string // Application-UUID
	Response string // Application-Response; "" while it runs
	Loop     int    // 1-based loop iteration
	Start    time.Time
	End      time.Time // zero while it runs
}

// Outcome is how the call ended for the caller.
type Outcome string

const (
	// HungUp: the channel was hung up (Result.Cause, Result.By say how).
	HungUp Outcome = "hung up"
	// DialplanContinued: the daemon let go of a live call after resume, or
	// the dialplan has actions after socket (Options.ContinueDialplan).
	DialplanContinued Outcome = "dialplan continued"
	// Parked: the socket closed before connect in async mode; FreeSWITCH
	// still parks the channel (socket_function parks after the listener
	// ends) and nobody controls it any more: a daemon bug.
	Parked Outcome = "parked"
	// Stranded: a static (sync) socket got resume and then let go of the
	// live call. FreeSWITCH 1.10.12 puts the channel in CS_RESET at the end
	// of listener_run and leaves it there: the next dialplan action never
	// runs and the caller hears silence until something else hangs up
	// (measured: 60 s). A daemon refusing a static socket must send exit
	// without resume.
	Stranded Outcome = "stranded in CS_RESET"
	// Transferred: the transfer app moved the channel out of the socket
	// application (the socket itself stays open until the daemon exits).
	Transferred Outcome = "transferred"
	// Aborted: the simulator dropped the connection itself (Close or the
	// AbruptClose fault); the call's fate is unknown.
	Aborted Outcome = "aborted"
)

// HangupBy says who ended a hung-up call.
type HangupBy string

const (
	ByCaller HangupBy = "caller" // Call.Hangup, or uuid_kill of the caller's leg
	ByDaemon HangupBy = "daemon" // sendmsg hangup, or the daemon's api uuid_kill
	ByApp    HangupBy = "app"    // hangup app, failed bridge, unknown app
	ByAPI    HangupBy = "api"    // uuid_kill from an inbound listener
	// ByDialplan: the daemon let go of a live call (exit or close, no
	// resume) and the dialplan had nothing after socket, so FreeSWITCH hung
	// up with NORMAL_CLEARING (exit-before-hangup capture). A daemon that
	// forgets to hang up or resume shows up here.
	ByDialplan HangupBy = "dialplan"
)

// Result is how a simulated call ended.
type Result struct {
	Outcome Outcome
	Cause   string   // hangup cause (HungUp)
	By      HangupBy // who hung up (HungUp)
	Resumed bool     // the daemon sent resume
}

func (r *Result) String() string {
	if r.Outcome == HungUp {
		return fmt.Sprintf("%s (%s by %s)", r.Outcome, r.Cause, r.By)
	}
	return string(r.Outcome)
}

// notifyLocked wakes every waiter; c.mu must be held.
func (c *Call) notifyLocked() {
	close(c.changed)
	c.changed = make(chan struct{})
}

// UUID returns the controlled channel's Unique-ID.
func (c *Call) UUID() string { return c.o.UUID }

// CallerUUID returns the caller's loopback leg Unique-ID.
func (c *Call) CallerUUID() string { return c.o.CallerUUID }

// Var returns a channel variable as getvar would (falling back to the
// caller-profile fields), and whether it is set.
func (c *Call) Var(name string) (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.ch.lookupVar(name)
}

// Done is closed when the connection has ended and the simulator's
// goroutines have exited.
func (c *Call) Done() <-chan struct{} { return c.done }

// Received returns every command read from the daemon, in order.
func (c *Call) Received() []esl.Command {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.received)
}

// Written returns every frame sent to the daemon, in order. Frames are
// shared: do not modify them.
func (c *Call) Written() []*esl.Frame {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.written)
}

// Apps returns every application run so far, in start order.
func (c *Call) Apps() []AppRun {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.apps)
}

// SIPResponse returns the final SIP response a sofia channel (ChannelName
// "sofia/...") that hung up unanswered sent its caller: the code of a
// respond, else the one mod_sofia's hangup_cause_to_sip gives the hangup
// cause (src/mod/endpoints/mod_sofia/mod_sofia.c, sofia_on_hangup; the
// causes callhook's verbs use). 0 for other channels, an answered or a
// live one.
func (c *Call) SIPResponse() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch := &c.ch
	if !strings.HasPrefix(ch.name, "sofia/") || ch.up || ch.prof.answered != 0 {
		return 0
	}
	if c.responded != 0 {
		return c.responded
	}
	switch ch.cause {
	case "USER_BUSY":
		return 486
	case "CALL_REJECTED", "DECLINE", "REJECT_ALL":
		return 603
	case "NO_USER_RESPONSE":
		return 408
	case "NO_ANSWER", "SUBSCRIBER_ABSENT", "NORMAL_UNSPECIFIED":
		return 480
	case "UNALLOCATED_NUMBER", "NO_ROUTE_TRANSIT_NET", "NO_ROUTE_DESTINATION":
		return 404
	case "NORMAL_TEMPORARY_FAILURE", "SWITCH_CONGESTION", "NORMAL_CIRCUIT_CONGESTION":
		return 503
	}
	return 480 // sofia_on_hangup's fallback for the causes the table leaves out
}

// Wait waits until the call is over and returns how it ended.
func (c *Call) Wait(ctx context.Context) (*Result, error) {
	select {
	case <-c.done:
		c.mu.Lock()
		defer c.mu.Unlock()
		return c.result, nil
	case <-ctx.Done():
		return nil, fmt.Errorf("esltest: wait for call end: %w", ctx.Err())
	}
}

// WaitCommand returns the first command received (from the start of the
// call) for which match is true, waiting for it if needed.
func (c *Call) WaitCommand(ctx context.Context, match func(esl.Command) bool) (esl.Command, error) {
	seen := 0
	for {
		c.mu.Lock()
		for ; seen < len(c.received); seen++ {
			if match(c.received[seen]) {
				cmd := c.received[seen]
				c.mu.Unlock()
				return cmd, nil
			}
		}
		ch, over := c.changed, c.result != nil
		c.mu.Unlock()
		if over {
			return esl.Command{}, fmt.Errorf("esltest: wait for command: %w", errNoCall)
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return esl.Command{}, fmt.Errorf("esltest: wait for command: %w", ctx.Err())
		}
	}
}

// WaitApp returns the next start of app: each call returns a later run
// than the previous WaitApp for the same app name (the first call returns
// its first run), so a test can act at every prompt in turn.
func (c *Call) WaitApp(ctx context.Context, app string) (AppRun, error) {
	for {
		c.mu.Lock()
		for i := c.appCursor[app]; i < len(c.apps); i++ {
			if c.apps[i].App == app {
				c.appCursor[app] = i + 1
				run := c.apps[i]
				c.mu.Unlock()
				return run, nil
			}
		}
		c.appCursor[app] = len(c.apps)
		ch, over := c.changed, c.result != nil
		c.mu.Unlock()
		if over {
			return AppRun{}, fmt.Errorf("esltest: wait for app %s: %w", app, errNoCall)
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return AppRun{}, fmt.Errorf("esltest: wait for app %s: %w", app, ctx.Err())
		}
	}
}

// WaitFrames waits until at least n frames have been written (or the call
// ended) and returns them all.
func (c *Call) WaitFrames(ctx context.Context, n int) ([]*esl.Frame, error) {
	for {
		c.mu.Lock()
		if len(c.written) >= n || c.result != nil {
			fs := slices.Clone(c.written)
			c.mu.Unlock()
			return fs, nil
		}
		ch := c.changed
		c.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return nil, fmt.Errorf("esltest: wait for %d frames: %w", n, ctx.Err())
		}
	}
}
