package proxy

// The session's verb loop: a VerbDialog's instructions run verb by verb,
// each as FreeSWITCH applications awaited by Application-UUID.

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/callhook/callhook/esl"
	"github.com/callhook/callhook/verb"
)

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
		s.notifyAnswered(d)
		switch spec := v.Spec.(type) {
		case *verb.HangupSpec:
			s.sessionVerb(v, func() { s.hangup(ctx, spec.Cause) })
			return nil, nil, nil
		case *verb.RejectSpec:
			if s.call.Answered {
				// Too late to refuse: the app's instructions do not fit
				// the call, as an invalid reply does not (on_failure).
				return nil, nil, verb.RejectAfterAnswer(v)
			}
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
			// The call has left callhook's hands (a transfer ends its part);
			// the socket closing behind it is no hangup.
			s.outcome = OutcomeTransferred
			return nil, nil, nil
		}
		if s.gone() {
			// A verb cut off by a hangup makes no action request: there
			// is no call to drive. Its result goes to call.end.
			return nil, nil, nil
		}
		s.notifyAnswered(d)
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
	s.stats.addVerb()
	s.obs.VerbFinished(s.call, v, &verb.Result{Verb: v.Name, Reason: verb.ReasonOK}, time.Since(start))
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
	vd, ok := d.(verbDialog)
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
	vd, ok := nd.(verbDialog)
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
func (s *session) runVerb(ctx context.Context, v verb.Verb) (res *verb.Result, ran bool) {
	if s.redirectPending() {
		return nil, false
	}
	s.verbSeq++
	pc := verb.PlanContext{Seq: s.verbSeq, CallID: s.call.ID}
	s.setState("verb", v.Name)
	s.obs.VerbStarted(s.call, v)
	start := time.Now()
	spec, res, err := s.prepareVerb(ctx, v)
	if err != nil || res != nil {
		if res == nil { // the call went while the verb was prepared
			res = v.Spec.Result(pc, nil, true)
		}
		s.stats.addVerb()
		s.obs.VerbFinished(s.call, v, res, time.Since(start))
		return res, true
	}
	rp, res, err := s.beginRecording(ctx, v, spec, &pc)
	if err != nil || res != nil {
		if res == nil { // the call went while the recording was planned
			res = v.Spec.Result(pc, nil, true)
		}
		s.stats.addVerb()
		s.obs.VerbFinished(s.call, v, res, time.Since(start))
		return res, true
	}
	var complete *esl.Event
	for i, ex := range spec.Execs(pc) {
		// An After app (stop_record_session) runs even with a redirect
		// pending; its completion is not the verb's.
		if s.gone() || (i > 0 && s.redirectPending() && !ex.After) {
			if !ex.After {
				complete = nil // cut off before its last app: no completion to read
			}
			break
		}
		ev, err := s.execute(ctx, ex)
		if err != nil {
			if !errors.Is(err, errCallGone) {
				s.log.WithError(err).WithField("verb", v.Name).Warn("verb failed")
			}
			if !ex.After {
				complete = nil
			}
			break
		}
		if !ex.After {
			complete = ev
		}
	}
	// hungUp comes from the events read up to the completion (a completion
	// cut short by the hangup says Answer-State: hangup), not from later
	// news, so a prompt that played to its end is not reported as cut off.
	res = spec.Result(pc, complete, s.hungUp)
	s.endRecording(ctx, rp, res, complete)
	s.stats.addVerb()
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
	// The headers go in the session's array, free again once Send returns.
	cmd := esl.AppendExecute(s.execHeaders[:0], ex.App, ex.Arg, esl.ExecuteOptions{EventUUID: id, EventLock: true})
	s.execHeaders = cmd.Headers
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
		ev, woken, err := s.awaitEvent(ctx)
		if err != nil {
			return nil, err
		}
		switch {
		case woken:
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

// notifyAnswered tells a dialog that wants to know (AnswerNotifier), once
// a call, that the call is answered.
func (s *session) notifyAnswered(d VerbDialog) {
	if s.answerNotified || !s.call.Answered {
		return
	}
	s.answerNotified = true
	if n, ok := d.(AnswerNotifier); ok {
		n.Answered(s.callCtx)
	}
}
