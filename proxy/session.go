package proxy

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/callhook/callhook/esl"
	"github.com/callhook/callhook/verb"
	"github.com/sirupsen/logrus"
)

// errCallGone means the channel hung up or the connection ended: there is
// no call left to drive. It is the normal way a session stops.
var errCallGone = errors.New("call is gone")

// session is one call. Its run method is the only goroutine that touches
// the call's state (the fields above mu); admin requests reach it through
// the fields below mu and the wake channel.
type session struct {
	p    *Proxy
	conn *esl.Conn
	rt   *Runtime
	call *Call
	log  logrus.FieldLogger
	obs  Observer

	dialog Dialog
	// callCtx is the context of every request to the app: it ends, with
	// cause errCallGone, as soon as the conn reports the hangup (an
	// AfterFunc on the conn's HungupContext), so an in-flight request is
	// cancelled at once.
	callCtx context.Context

	hungUp         bool       // the channel is down (CHANNEL_HANGUP, a notice, or the conn said so)
	hangupComplete *esl.Event // CHANNEL_HANGUP_COMPLETE, for cause, duration, billsec
	ended          bool       // final notice seen or the connection ended
	lastResult     *verb.Result
	outcome        string // set when the call leaves our hands other than by hangup
	failErr        error  // why the call failed (on_failure ran, or it was aborted)
	verbSeq        int
	coreUUID       string         // the switch's, from the connect reply (inventory.go)
	answerNotified bool           // AnswerNotifier.Answered was called
	callRec        *callRecording // the running whole-call recording (session_record.go)
	bridgeRec      *callRecording // the running recording bridge's recording
	recordStopSub  bool           // RECORD_STOP is subscribed
	nixed          bool           // the ignoredEvents were nixed at set-up (subscribe)
	stats          callStats
	endStats       CallStats   // the counts the observers are told at the end
	execHeaders    esl.Headers // reused by every execute (session_verbs.go)

	mu              sync.Mutex
	app             *App // changes on a handoff
	state           string
	verb            string
	redirectable    bool // the dialog takes live redirects (not a Liverpie one)
	pendingRedirect string
	wake            chan struct{}
}

func newSession(p *Proxy, c *esl.Conn, rt *Runtime, app *App, log logrus.FieldLogger) *session {
	ch := c.Channel()
	s := &session{
		p: p, conn: c, rt: rt, app: app, log: log,
		state: "starting",
		wake:  make(chan struct{}, 1),
	}
	s.obs = p.observer()
	s.coreUUID = strings.Clone(ch.Get("Core-UUID"))
	// Clones: a value can share the connect reply's memory, which the
	// call lets go of once its dialog has started (trimChannel).
	s.call = &Call{
		ID:          strings.Clone(ch.UniqueID()),
		App:         app.Name,
		From:        strings.Clone(ch.Get("Caller-Caller-ID-Number")),
		FromName:    strings.Clone(ch.Get("Caller-Caller-ID-Name")),
		To:          strings.Clone(destination(ch)),
		Direction:   strings.Clone(ch.Get("Call-Direction")),
		ChannelName: strings.Clone(ch.Get("Channel-Name")),
		StartedAt:   time.Now(),
		Answered:    ch.Get("Answer-State") == "answered",
		Channel:     ch,
		Log:         log,
		UserAgent:   p.userAgent(),
		// Backends report their requests here; the session counts them for
		// the call-end line and passes them on.
		Observer: requestCounter{Observer: s.obs, stats: &s.stats},
	}
	return s
}

// wireLog writes a call's wire trace to its log, one Debug line a frame,
// in the transcripts' wire.txt format.
type wireLog struct{ log logrus.FieldLogger }

func (w wireLog) Write(p []byte) (int, error) {
	w.log.WithField("wire", string(p)).Debug("esl frame")
	return len(p), nil
}

// LogsAt tells whether l logs at level, so that a caller (the session, a
// backend's request log) can spare the fields of a line nobody keeps;
// loggers other than logrus's own are assumed to.
func LogsAt(l logrus.FieldLogger, level logrus.Level) bool {
	switch x := l.(type) {
	case *logrus.Entry:
		return x.Logger.IsLevelEnabled(level)
	case *logrus.Logger:
		return x.IsLevelEnabled(level)
	}
	return true
}

func isTrue(v string) bool {
	switch strings.ToLower(v) {
	case "true", "yes", "on", "1":
		return true
	}
	return false
}

// callStats are a call's CallStats. Verbs are counted by the session
// goroutine, requests by whichever goroutine made them: a dialog may send
// a status event (a webhook app's call.answered) from a goroutine of its
// own while the session goes on, so the counts take a lock.
type callStats struct {
	mu sync.Mutex
	s  CallStats
}

func (c *callStats) addVerb() {
	c.mu.Lock()
	c.s.Verbs++
	c.mu.Unlock()
}

func (c *callStats) addRequest(took time.Duration) {
	c.mu.Lock()
	c.s.Requests++
	c.s.WebhookTime += took
	c.mu.Unlock()
}

// snapshot returns the counts so far.
func (c *callStats) snapshot() CallStats {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.s
}

// requestCounter counts a call's app requests into its callStats and
// passes them on. Requests are reported from the session goroutine, and
// from a dialog's background status request (AnswerNotifier), so the
// counting locks; the observers it passes them to are shared by all calls
// and safe for concurrent use already (Observer).
type requestCounter struct {
	Observer
	stats *callStats
}

func (rc requestCounter) Request(c *Call, r *RequestInfo) {
	rc.stats.addRequest(r.Took)
	rc.Observer.Request(c, r)
}

// run drives the call from after connect to exit.
func (s *session) run(ctx context.Context) {
	callCtx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	s.callCtx = callCtx
	// Cancel the app's requests at the hangup: a callback the conn's
	// hangup context runs, not a goroutine per call waiting for it.
	stop := context.AfterFunc(s.conn.HungupContext(), func() { cancel(errCallGone) })
	defer stop()
	// A wire trace for this call: every call at log level trace, a call
	// whose dialplan set callhook_trace=true at debug. Never when the log
	// would drop the lines: encoding every frame for nothing is not free.
	if LogsAt(s.log, logrus.TraceLevel) || (isTrue(s.call.Channel.Var("callhook_trace")) && LogsAt(s.log, logrus.DebugLevel)) {
		// From the connect command and the channel data reply on, though
		// the server sent connect before the session could ask.
		s.conn.TraceCall(wireLog{s.log})
		defer s.conn.SetTrace(nil)
	}
	myevents, err := s.subscribe(ctx)
	if err != nil {
		if s.connFailure() != nil {
			// FreeSWITCH stopped answering or broke the protocol: finish
			// reports it, once, as the call's failure.
		} else if s.gone() {
			// A caller who hangs up this early is a normal race (the socket
			// closes before FreeSWITCH reads our linger command, and it sends
			// no linger notice then).
			s.log.WithError(err).Info("caller hung up before the call was set up")
		} else {
			s.log.WithError(err).Error("call setup failed")
			s.failErr = err
		}
		s.finish(ctx)
		return
	}
	s.obs.CallStarted(s.call)
	s.log.WithFields(logrus.Fields{"from": s.call.From, "to": s.call.To}).Info("call started")

	d, err := s.currentApp().Backend.Start(ctx, s.call)
	if err == nil && d == nil {
		err = fmt.Errorf("app %s made no dialog", s.call.App)
	}
	if _, raw := d.(rawDialog); err == nil && raw && s.nixed {
		err = fmt.Errorf("app %s made a raw dialog, which reads every event, but its backend said it does not (EventReader)", s.call.App)
	}
	if err != nil {
		s.abort(ctx, fmt.Errorf("start app: %w", err))
	} else {
		s.setDialog(d)
		s.trimChannel()
		d.drive(ctx, s, myevents)
	}
	s.finish(ctx)
}

// subscribe sets a bounded linger, so a verb's late completion and
// CHANNEL_HANGUP_COMPLETE arrive after a hangup, then myevents, then, when
// the app's backend said its dialogs skip them (EventReader), nixevent for
// the types they never read. It returns the myevents reply (a Liverpie
// app's first request waits for it).
//
// They go out in one write (esl.Conn.SendAll): FreeSWITCH reads a
// socket's commands one at a time and answers each before it reads the
// next (mod_event_socket.c: listener_run's loop of read_packet, which
// reads a byte at a time, and parse_command), so they are answered in
// order as if sent one by one, and a call saves a write and a round trip
// for each command after the first. nixevent is answered the way
// nixIgnoredEvents answers it: a refusal is no failure.
func (s *session) subscribe(ctx context.Context) (*esl.Frame, error) {
	cmds := [3]esl.Command{esl.Linger(s.p.linger()), esl.MyEvents(esl.FormatPlain, "")}
	n := 2
	if er, ok := s.currentApp().Backend.(EventReader); ok && !er.ReadsEveryEvent() {
		cmds[2] = nixIgnored
		n = 3
	}
	replies, errs := s.conn.SendAll(ctx, cmds[:n]...)
	if errs[0] != nil {
		return nil, fmt.Errorf("linger: %w", errs[0])
	}
	if errs[1] != nil {
		return nil, fmt.Errorf("myevents: %w", errs[1])
	}
	if n == 3 {
		s.nixed = true
		if errs[2] != nil {
			s.log.WithError(errs[2]).Debug("nixevent refused; the ignored events keep coming")
		}
	}
	return replies[1], nil
}

// gone reports whether the call is over for driving purposes: the channel
// hung up or the connection ended, whether or not the session has read the
// events that say so yet (the conn knows first).
func (s *session) gone() bool {
	if s.hungUp || s.ended {
		return true
	}
	select {
	case <-s.conn.Hungup():
		s.hungUp = true
		return true
	default:
		return false
	}
}

// callGone reports whether the app's request ended because the call is
// gone: the session's context ended, or the conn reported the hangup.
func (s *session) callGone(ctx context.Context) bool {
	return ctx.Err() != nil || context.Cause(s.callCtx) == errCallGone
}

// hangup asks FreeSWITCH to hang the call up and reads events until the
// channel is down.
func (s *session) hangup(ctx context.Context, cause string) {
	if s.gone() {
		return
	}
	s.setState("hanging up", "")
	if _, err := s.conn.Send(ctx, esl.Hangup("", cause)); err != nil {
		if !s.gone() {
			s.log.WithError(err).Warn("hangup failed")
		}
		return
	}
	for !s.hungUp && !s.ended {
		if _, err := s.nextEvent(ctx); err != nil {
			return
		}
	}
}

// abort ends a call the app can no longer drive: it logs why and hangs up.
func (s *session) abort(ctx context.Context, err error) {
	s.failErr = err
	s.log.WithError(err).Error("call failed")
	s.hangup(ctx, "NORMAL_TEMPORARY_FAILURE")
}

// finish reads the hangup tail (the interrupted verb's completion,
// CHANNEL_HANGUP_COMPLETE), tells the app once, sends exit and logs the
// call's end.
func (s *session) finish(ctx context.Context) {
	s.setState("ending", "")
	if s.outcome != OutcomeTransferred {
		if !s.gone() {
			// Nothing hung up yet (setup failed): end the call ourselves.
			s.hangup(ctx, "NORMAL_TEMPORARY_FAILURE")
		}
		deadline := time.Now().Add(s.p.linger() + time.Second)
		if s.hungUp && s.hangupComplete == nil && !s.ended {
			// One timer for the whole tail, not one per event read (nor a
			// context, which would also register with ctx).
			t := time.NewTimer(time.Until(deadline))
			for s.hungUp && s.hangupComplete == nil && !s.ended && time.Now().Before(deadline) {
				if _, err := s.nextEventUntil(ctx, t.C); err != nil {
					break
				}
			}
			t.Stop()
		}
	}
	callRec := s.endCallRecording(ctx)
	if s.failErr == nil && s.outcome == "" {
		if err := s.connFailure(); err != nil {
			s.failErr = fmt.Errorf("connection to FreeSWITCH failed: %w", err)
		}
	}
	var held time.Duration
	if s.outcome == OutcomeTransferred {
		// The call has left callhook's hands, but FreeSWITCH keeps the
		// socket open and streams the new extension's events until exit
		// (captured on 1.10.12): let go first, then tell the app how long
		// callhook held the call.
		s.exit(ctx)
		held = time.Since(s.call.StartedAt)
	}
	end := s.callEnd()
	end.Held = held
	end.Recording = callRec
	if s.dialog != nil {
		ectx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.p.endTimeout())
		s.dialog.End(ectx, end)
		cancel()
	}
	if s.outcome != OutcomeTransferred {
		s.exit(ctx)
	}
	s.endStats = s.stats.snapshot() // a field: a local would escape to the heap
	stats := &s.endStats
	s.obs.CallEnded(s.call, end, stats)
	fields := logrus.Fields{
		"from": s.call.From, "to": s.call.To, "outcome": end.Outcome, "cause": end.Cause,
		"duration_s": time.Since(s.call.StartedAt).Seconds(), "verbs": stats.Verbs,
		"requests": stats.Requests, "webhook_ms": stats.WebhookTime.Milliseconds(),
	}
	if s.failErr != nil {
		s.log.WithFields(fields).WithError(s.failErr).Warn("call ended")
	} else {
		s.log.WithFields(fields).Info("call ended")
	}
}

// exit ends the socket session (bounded by EndTimeout, even when ctx has
// ended).
func (s *session) exit(ctx context.Context) {
	if s.conn.Err() != nil {
		// Over already (and a failure is in failErr): nothing to exit.
		s.conn.Close()
		return
	}
	ectx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.p.endTimeout())
	defer cancel()
	if err := s.conn.Exit(ectx); err != nil && !errors.Is(err, esl.ErrDisconnected) && !errors.Is(err, esl.ErrClosed) {
		s.log.WithError(err).Debug("exit")
	}
}

// callEnd builds the call.end description from what the tail carried.
func (s *session) callEnd() *CallEnd {
	end := &CallEnd{Outcome: OutcomeHangup, LastResult: s.lastResult, Err: s.failErr}
	if s.failErr != nil {
		end.Outcome = OutcomeFailed
	}
	if s.outcome != "" {
		end.Outcome = s.outcome
	}
	if ev := s.hangupComplete; ev != nil {
		end.Cause = ev.HangupCause()
		end.Duration, _ = strconv.ParseInt(ev.Var("duration"), 10, 64)
		end.Billsec, _ = strconv.ParseInt(ev.Var("billsec"), 10, 64)
	} else if ev := s.conn.HangupEvent(); ev != nil {
		end.Cause = ev.HangupCause()
	}
	return end
}

// nextEvent returns the call's next event after updating the call's state
// with it; a wake-up by an admin request is left to the next check of
// whoever waits (awaitEvent returns it to those that act on it). It fails
// with errCallGone when the connection is over or ctx ends.
func (s *session) nextEvent(ctx context.Context) (*esl.Event, error) {
	return s.nextEventUntil(ctx, nil)
}

// nextEventUntil is nextEvent that also fails with errCallGone when until
// fires (nil: never).
func (s *session) nextEventUntil(ctx context.Context, until <-chan time.Time) (*esl.Event, error) {
	for {
		ev, woken, err := s.awaitEventUntil(ctx, until)
		if !woken {
			return ev, err
		}
	}
}

// awaitEvent returns the call's next event after updating the call's state
// with it, or woken when an admin request (a live redirect) came first. It
// fails with errCallGone when the connection is over or ctx ends.
func (s *session) awaitEvent(ctx context.Context) (ev *esl.Event, woken bool, err error) {
	return s.awaitEventUntil(ctx, nil)
}

// awaitEventUntil is awaitEvent that also fails with errCallGone when
// until fires (nil: never).
func (s *session) awaitEventUntil(ctx context.Context, until <-chan time.Time) (ev *esl.Event, woken bool, err error) {
	for {
		if ev, ok := s.conn.TryEvent(); ok {
			s.handle(ev)
			return ev, false, nil
		}
		if s.ended {
			return nil, false, errCallGone
		}
		select {
		case <-s.conn.Ready():
		case <-s.wake:
			return nil, true, nil
		case <-s.conn.Done():
			if ev, ok := s.conn.TryEvent(); ok {
				s.handle(ev)
				return ev, false, nil
			}
			s.ended = true
			s.hungUp = true
			return nil, false, errCallGone
		case <-ctx.Done():
			return nil, false, errCallGone
		case <-until:
			return nil, false, errCallGone
		}
	}
}

// handle updates the call's state with one event.
func (s *session) handle(ev *esl.Event) {
	if ev.IsDisconnectNotice() {
		s.hungUp = true
		if ev.IsFinalNotice() {
			s.ended = true
		}
		return
	}
	if ev.CarriesAllVars() && ev.UniqueID() == s.call.ID {
		s.call.keepVars(ev)
	}
	switch ev.Get("Answer-State") {
	case "answered":
		s.call.Answered = true
	case "hangup":
		// Events of different threads can come in either order: a
		// completion cut short by the hangup already says so.
		s.hungUp = true
	}
	switch ev.Name() {
	case eventRecordStop:
		s.seeRecordStop(ev)
	case esl.EventChannelHangup:
		s.hungUp = true
	case esl.EventChannelHangupComplete:
		s.hungUp = true
		s.hangupComplete = ev
	}
}

func (s *session) setDialog(d Dialog) {
	s.dialog = d
	if names, ok := d.channelVars(); ok {
		s.call.readVars(append([]string{}, names...))
	} else {
		s.call.readVars(nil)
	}
	_, verbs := d.(verbDialog)
	s.mu.Lock()
	s.redirectable = verbs
	s.mu.Unlock()
}
