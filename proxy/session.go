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

// wakeUp is what nextEvent returns when an admin request woke the session
// rather than an event: callers compare it by identity and re-check.
var wakeUp = &esl.Event{}

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
	lastResult     *verb.VerbResult
	outcome        string // set when the call leaves our hands other than by hangup
	failErr        error  // why the call failed (on_failure ran, or it was aborted)
	verbSeq        int
	stats          CallStats

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

// logsAt tells whether l logs at level; loggers other than logrus's own are
// assumed to.
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

// requestCounter counts a call's app requests into its CallStats. Requests
// are reported from the session goroutine (dialogs run on it), so the
// counts need no lock.
type requestCounter struct {
	Observer
	stats *CallStats
}

func (rc requestCounter) Request(c *Call, r *RequestInfo) {
	rc.stats.Requests++
	rc.stats.WebhookTime += r.Took
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
			// closes before linger is read, esl-protocol.md §5.3).
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
	if err != nil {
		s.abort(ctx, fmt.Errorf("start app: %w", err))
	} else {
		s.setDialog(d)
		s.trimChannel()
		switch d := d.(type) {
		case VerbDialog:
			s.runVerbs(ctx, d)
		case RawDialog:
			s.runRaw(ctx, d, myevents)
		default:
			s.abort(ctx, fmt.Errorf("app %s: dialog %T is neither a VerbDialog nor a RawDialog", s.call.App, d))
		}
	}
	s.finish(ctx)
}

// subscribe sets a bounded linger, so a verb's late completion and
// CHANNEL_HANGUP_COMPLETE arrive after a hangup, then myevents. It returns
// the myevents reply (a Liverpie app's first request waits for it).
func (s *session) subscribe(ctx context.Context) (*esl.Frame, error) {
	if _, err := s.conn.Send(ctx, esl.Linger(s.p.linger())); err != nil {
		return nil, fmt.Errorf("linger: %w", err)
	}
	reply, err := s.conn.Send(ctx, esl.MyEvents(esl.FormatPlain, ""))
	if err != nil {
		return nil, fmt.Errorf("myevents: %w", err)
	}
	return reply, nil
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

// runVerbs drives a webhook or flow dialog: ask, run verbs, report results,
// until the call is over.
func (s *session) runVerbs(ctx context.Context, d VerbDialog) {
	ins, err := s.ask(ctx, d.Begin)
	onFailureRan := false
	for {
		if err != nil {
			if errors.Is(err, errCallGone) {
				return
			}
			if onFailureRan {
				s.abort(ctx, err)
				return
			}
			// The app cannot go on: its on_failure verbs take over, once.
			onFailureRan = true
			if ins = s.onFailure(ctx, err); ins == nil {
				return
			}
			err = nil
		}
		if f := ins.Failure; f != nil {
			// A fallback that answered: the call goes on normally.
			s.obs.Failed(s.call, f)
		}
		var next VerbDialog
		ins, next, err = s.perform(ctx, d, ins)
		if ins == nil && err == nil {
			return
		}
		if next != nil {
			d = next
		}
	}
}

// perform runs instructions top to bottom. It returns the instructions that
// replace the rest (after a verb with an action, a redirect or a handoff),
// with the dialog that now drives the call when it changed. It returns no
// instructions and no error when the call is over.
func (s *session) perform(ctx context.Context, d VerbDialog, ins *Instructions) (*Instructions, VerbDialog, error) {
	for _, v := range ins.Verbs {
		if url := s.takeRedirect(); url != "" {
			return s.liveRedirect(ctx, d, url)
		}
		if s.gone() {
			return nil, nil, nil
		}
		switch spec := v.Spec.(type) {
		case *verb.HangupSpec:
			s.sessionVerb(v, func() { s.hangup(ctx, spec.Cause) })
			return nil, nil, nil
		case *verb.RedirectSpec:
			var next *Instructions
			var err error
			s.sessionVerb(v, func() {
				next, err = s.ask(ctx, func(rctx context.Context) (*Instructions, error) { return d.Redirect(rctx, spec.URL) })
			})
			return next, nil, err
		}
		res, ran := s.runVerb(ctx, v)
		if !ran {
			continue // a live redirect came first: served at the top of the loop
		}
		s.lastResult = res
		if v.Name == "transfer" && res.Reason != verb.ReasonHangup {
			// The call has left callhook's hands (DESIGN.md lifecycle 7);
			// the socket closing behind it is no hangup.
			s.outcome = OutcomeTransferred
			return nil, nil, nil
		}
		if s.gone() {
			// A verb cut off by a hangup makes no action request: there
			// is no call to drive. Its result goes to call.end.
			return nil, nil, nil
		}
		if url := s.takeRedirect(); url != "" {
			return s.liveRedirect(ctx, d, url)
		}
		if v.Action != "" {
			next, err := s.ask(ctx, func(rctx context.Context) (*Instructions, error) { return d.Result(rctx, v, res) })
			return next, nil, err
		}
	}
	if url := s.takeRedirect(); url != "" {
		return s.liveRedirect(ctx, d, url)
	}
	if ins.Handoff != "" {
		return s.handoff(ctx, ins.Handoff)
	}
	// When the list runs out the call hangs up.
	s.hangup(ctx, "NORMAL_CLEARING")
	return nil, nil, nil
}

// sessionVerb runs a verb the session carries out itself (hangup,
// redirect), telling observers about it like any other verb.
func (s *session) sessionVerb(v verb.Verb, run func()) {
	s.setState("verb", v.Name)
	s.obs.VerbStarted(s.call, v)
	start := time.Now()
	run()
	s.stats.Verbs++
	s.obs.VerbFinished(s.call, v, &verb.VerbResult{Verb: v.Name, Reason: verb.ReasonOK}, time.Since(start))
}

// handoff switches the call to another app of the runtime the call started
// with (a flow handing over to a webhook app). The dialog handing over is
// done with the call and is not told when it ends.
func (s *session) handoff(ctx context.Context, name string) (*Instructions, VerbDialog, error) {
	app := s.rt.Apps[name]
	if app == nil {
		return nil, nil, fmt.Errorf("handoff to unknown app %q", name)
	}
	s.log.WithField("to_app", name).Info("call handed off")
	s.log = s.log.WithField("app", name)
	s.call.Log = s.log
	s.call.App = name
	s.mu.Lock()
	s.app = app
	s.mu.Unlock()
	d, err := app.Backend.Start(ctx, s.call)
	if err != nil {
		return nil, nil, fmt.Errorf("handoff to %s: %w", name, err)
	}
	vd, ok := d.(VerbDialog)
	if !ok {
		return nil, nil, fmt.Errorf("handoff to %s: only webhook and flow apps can take a call mid-way", name)
	}
	s.setDialog(vd)
	ins, err := s.ask(ctx, vd.Begin)
	return ins, vd, err
}

// liveRedirect serves an admin redirect: the call's dialog fetches url; a
// dialog that cannot (a flow) is replaced by the proxy's redirect backend.
func (s *session) liveRedirect(ctx context.Context, d VerbDialog, url string) (*Instructions, VerbDialog, error) {
	s.log.WithField("url", url).Info("live redirect")
	ins, err := s.ask(ctx, func(rctx context.Context) (*Instructions, error) { return d.Redirect(rctx, url) })
	backend := s.rt.RedirectBackend // the call's runtime: the limits it runs under
	if backend == nil {
		backend = s.p.RedirectBackend
	}
	if !errors.Is(err, ErrNoRedirect) || backend == nil {
		return ins, nil, err
	}
	nd, err := backend(url).Start(ctx, s.call)
	if err != nil {
		return nil, nil, fmt.Errorf("redirect to %s: %w", url, err)
	}
	vd, ok := nd.(VerbDialog)
	if !ok {
		return nil, nil, fmt.Errorf("redirect to %s: backend made no VerbDialog", url)
	}
	s.setDialog(vd)
	ins, err = s.ask(ctx, func(rctx context.Context) (*Instructions, error) { return vd.Redirect(rctx, url) })
	return ins, vd, err
}

// ErrNoRedirect is returned by a dialog's Redirect when it cannot fetch
// documents (flows); the session then switches the call to a webhook backend.
var ErrNoRedirect = errors.New("proxy: this app cannot be redirected to a URL")

// ask calls the app with the call's context (callCtx), so an in-flight
// request is cancelled as soon as the caller hangs up. It returns
// errCallGone when the call is gone, before or during the request.
func (s *session) ask(ctx context.Context, f func(context.Context) (*Instructions, error)) (*Instructions, error) {
	if s.gone() {
		return nil, errCallGone
	}
	s.setState("requesting", "")
	ins, err := f(s.callCtx)
	if s.callGone(ctx) {
		return nil, errCallGone
	}
	if err != nil {
		return nil, err
	}
	if ins == nil {
		ins = &Instructions{}
	}
	return ins, nil
}

// runVerb runs one verb's applications, each to its completion, and reads
// its result. ran is false when a live redirect arrived before anything of
// the verb was sent: the verb is skipped and reported nowhere.
func (s *session) runVerb(ctx context.Context, v verb.Verb) (res *verb.VerbResult, ran bool) {
	if s.redirectPending() {
		return nil, false
	}
	s.verbSeq++
	pc := verb.PlanContext{Seq: s.verbSeq}
	s.setState("verb", v.Name)
	s.obs.VerbStarted(s.call, v)
	start := time.Now()
	var complete *esl.Event
	for i, ex := range v.Spec.Execs(pc) {
		if s.gone() || (i > 0 && s.redirectPending()) {
			complete = nil // cut off before its last app: no completion to read
			break
		}
		ev, err := s.execute(ctx, ex)
		if err != nil {
			if !errors.Is(err, errCallGone) {
				s.log.WithError(err).WithField("verb", v.Name).Warn("verb failed")
			}
			complete = nil
			break
		}
		complete = ev
	}
	// hungUp comes from the events read up to the completion (a completion
	// cut short by the hangup says Answer-State: hangup), not from later
	// news, so a prompt that played to its end is not reported as cut off.
	res = v.Spec.Result(pc, complete, s.hungUp)
	s.stats.Verbs++
	s.obs.VerbFinished(s.call, v, res, time.Since(start))
	return res, true
}

// execute runs one application with event-lock and a fresh Event-UUID and
// waits for the CHANNEL_EXECUTE_COMPLETE with that Application-UUID. After a
// hangup it keeps reading, because FreeSWITCH sends CHANNEL_HANGUP before the
// interrupted app's completion (which carries its result); it stops at
// CHANNEL_HANGUP_COMPLETE, which comes after every app's completion, or when
// the connection ends.
func (s *session) execute(ctx context.Context, ex verb.Exec) (*esl.Event, error) {
	id := esl.NewUUID()
	cmd := esl.Execute(ex.App, ex.Arg, esl.ExecuteOptions{EventUUID: id, EventLock: true})
	if _, err := s.conn.Send(ctx, cmd); err != nil {
		if s.gone() {
			return nil, errCallGone
		}
		return nil, fmt.Errorf("execute %s: %w", ex.App, err)
	}
	// running: the app's CHANNEL_EXECUTE came, so a break reaches it;
	// broken: this run of it was broken already (a wake-up can come after
	// the CHANNEL_EXECUTE that carried out the break it asks for).
	running, broken := false, false
	for {
		ev, err := s.nextEvent(ctx)
		if err != nil {
			return nil, err
		}
		switch {
		case ev == wakeUp:
			// A live redirect: break the app if it runs; a queued one is
			// broken when its CHANNEL_EXECUTE comes.
			if running && !broken && s.redirectPending() {
				s.breakApp(ctx)
				broken = true
			}
		case ev.AppUUID() != id:
		case ev.Name() == esl.EventChannelExecuteComplete:
			return ev, nil
		case ev.Name() == esl.EventChannelExecute:
			// Each start (loops repeat it) clears the break flag.
			running, broken = true, false
			if s.redirectPending() {
				s.breakApp(ctx)
				broken = true
			}
		}
		if s.hangupComplete != nil || s.ended {
			return nil, errCallGone
		}
	}
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

// onFailure is the one place on_failure happens, for every kind of app
// (a webhook app's dialog fails only once its fallback failed too): it
// logs why, tells observers (Failed, OnFailure) and returns the app's
// on_failure verbs as the instructions that replace the app. The call is
// no longer the app's: it ends as failed. An app with no on_failure gets
// the default, hanging up with NORMAL_TEMPORARY_FAILURE, which onFailure
// does itself (abort), returning nil.
func (s *session) onFailure(ctx context.Context, err error) *Instructions {
	s.obs.Failed(s.call, &Failure{Err: err, OnFailure: true})
	verbs := s.currentApp().OnFailure
	if len(verbs) == 0 {
		s.abort(ctx, err)
		return nil
	}
	s.failErr = err
	s.log.WithError(err).Error("app failed; running on_failure")
	return &Instructions{Verbs: verbs}
}

// fail ends a call whose raw dialog failed: the app's on_failure verbs run
// (they can neither redirect nor report a result: the config refuses
// those).
func (s *session) fail(ctx context.Context, err error) {
	ins := s.onFailure(ctx, err)
	if ins == nil {
		return
	}
	if _, _, err := s.perform(ctx, nil, ins); err != nil {
		s.abort(ctx, err)
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
		for s.hungUp && s.hangupComplete == nil && !s.ended && time.Now().Before(deadline) {
			wctx, cancel := context.WithDeadline(ctx, deadline)
			_, err := s.nextEvent(wctx)
			cancel()
			if err != nil {
				break
			}
		}
	}
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
	if s.dialog != nil {
		ectx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.p.endTimeout())
		s.dialog.End(ectx, end)
		cancel()
	}
	if s.outcome != OutcomeTransferred {
		s.exit(ctx)
	}
	s.obs.CallEnded(s.call, end, &s.stats)
	fields := logrus.Fields{
		"from": s.call.From, "to": s.call.To, "outcome": end.Outcome, "cause": end.Cause,
		"duration_s": time.Since(s.call.StartedAt).Seconds(), "verbs": s.stats.Verbs,
		"requests": s.stats.Requests, "webhook_ms": s.stats.WebhookTime.Milliseconds(),
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
// with it, or wakeUp when an admin request came instead. It fails with
// errCallGone when the connection is over or ctx ends.
func (s *session) nextEvent(ctx context.Context) (*esl.Event, error) {
	for {
		if ev, ok := s.conn.TryEvent(); ok {
			s.handle(ev)
			return ev, nil
		}
		if s.ended {
			return nil, errCallGone
		}
		select {
		case <-s.conn.Ready():
		case <-s.wake:
			return wakeUp, nil
		case <-s.conn.Done():
			if ev, ok := s.conn.TryEvent(); ok {
				s.handle(ev)
				return ev, nil
			}
			s.ended = true
			s.hungUp = true
			return nil, errCallGone
		case <-ctx.Done():
			return nil, errCallGone
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
	case esl.EventChannelHangup:
		s.hungUp = true
	case esl.EventChannelHangupComplete:
		s.hungUp = true
		s.hangupComplete = ev
	}
}

// runRaw drives a RawDialog (Liverpie): every event goes to the dialog and
// every command it returns is sent, its reply handed back.
func (s *session) runRaw(ctx context.Context, d RawDialog, myevents *esl.Frame) {
	cmds, err := s.rawAsk(ctx, func(rctx context.Context) ([]esl.Command, error) { return d.Begin(rctx, myevents) })
	for {
		if err != nil {
			if !errors.Is(err, errCallGone) {
				s.fail(ctx, err)
			}
			return
		}
		if len(cmds) > 0 {
			cmds, err = s.sendRaw(ctx, d, cmds)
			continue
		}
		if s.hungUp || s.ended {
			// The dialog has seen the hangup events (it may report them,
			// e.g. Liverpie's hangup_uri is told in End).
			return
		}
		s.setState("waiting", "")
		ev, nerr := s.nextEvent(ctx)
		if nerr != nil {
			return
		}
		if ev == wakeUp {
			continue
		}
		cmds, err = s.rawAsk(ctx, func(rctx context.Context) ([]esl.Command, error) { return d.Event(rctx, ev) })
	}
}

// sendRaw sends a RawDialog's commands one by one, handing each reply back.
func (s *session) sendRaw(ctx context.Context, d RawDialog, cmds []esl.Command) ([]esl.Command, error) {
	var next []esl.Command
	for _, cmd := range cmds {
		reply, err := s.conn.Send(ctx, cmd)
		var re *esl.ReplyError
		if err != nil && !errors.As(err, &re) {
			if s.gone() {
				return nil, errCallGone
			}
			return nil, fmt.Errorf("send %q: %w", cmd.Line, err)
		}
		more, err := s.rawAsk(ctx, func(rctx context.Context) ([]esl.Command, error) { return d.Reply(rctx, cmd, reply) })
		if err != nil {
			return nil, err
		}
		next = append(next, more...)
	}
	return next, nil
}

// rawAsk is ask for RawDialogs. Unlike verb dialogs, a raw dialog still
// sees the events of a hung-up call (its app may act on them), so the call
// being gone is only an error once the connection has ended, or when a
// request failed because the hangup cancelled it (callCtx is already
// cancelled after a hangup: a dialog that must still reach its app then
// detaches from it, as Liverpie's hangup step does).
func (s *session) rawAsk(ctx context.Context, f func(context.Context) ([]esl.Command, error)) ([]esl.Command, error) {
	if s.ended {
		return nil, errCallGone
	}
	cmds, err := f(s.callCtx)
	if ctx.Err() != nil || (err != nil && context.Cause(s.callCtx) == errCallGone) {
		return nil, errCallGone
	}
	return cmds, err
}

// kill ends the call at once with api uuid_kill; called from admin goroutines.
func (s *session) kill(ctx context.Context, cause string) error {
	if cause == "" {
		cause = "NORMAL_CLEARING"
	}
	return s.uuidAPI(ctx, "uuid_kill", cause)
}

// redirect records a live redirect and wakes the session, which cuts the
// running verb short (breakApp); called from admin goroutines.
func (s *session) redirect(ctx context.Context, url string) error {
	if err := checkCallID(s.call.ID); err != nil {
		return err // no break could be sent: take no redirect either
	}
	s.mu.Lock()
	if !s.redirectable {
		s.mu.Unlock()
		return ErrNotRedirectable
	}
	s.pendingRedirect = url
	s.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
	return nil
}

// breakApp cuts the running application short with api uuid_break, for a
// live redirect. The session sends it, once the app's CHANNEL_EXECUTE has
// come, and not the admin goroutine at once: FreeSWITCH clears the break
// flag as an app starts, as it fires CHANNEL_EXECUTE (switch_core_session_exec
// in src/switch_core_session.c), so a break that lands while the app is
// still queued is lost; and whether the session had seen the CHANNEL_EXECUTE
// yet was a race that sent the break once or twice. Not "all": that would also
// flush a queued execute, whose completion the session then waits for in
// vain.
func (s *session) breakApp(ctx context.Context) {
	if err := s.uuidAPI(ctx, "uuid_break", ""); err != nil && !s.gone() {
		s.log.WithError(err).Warn("uuid_break for a live redirect failed")
	}
}

func (s *session) setDialog(d Dialog) {
	s.dialog = d
	if vr, ok := d.(VarReader); ok {
		s.call.readVars(append([]string{}, vr.ChannelVars()...))
	} else {
		s.call.readVars(nil)
	}
	_, verbs := d.(VerbDialog)
	s.mu.Lock()
	s.redirectable = verbs
	s.mu.Unlock()
}

func (s *session) currentApp() *App {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.app
}

func (s *session) takeRedirect() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	url := s.pendingRedirect
	s.pendingRedirect = ""
	return url
}

func (s *session) redirectPending() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.pendingRedirect != ""
}

func (s *session) setState(state, verb string) {
	s.mu.Lock()
	s.state, s.verb = state, verb
	s.mu.Unlock()
}

func (s *session) info(now time.Time) CallInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	age := now.Sub(s.call.StartedAt)
	return CallInfo{
		ID: s.call.ID, App: s.app.Name, From: s.call.From, To: s.call.To,
		State: s.state, CurrentVerb: s.verb, StartedAt: s.call.StartedAt,
		Age: age, AgeSeconds: age.Seconds(),
	}
}
