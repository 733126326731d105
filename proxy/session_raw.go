package proxy

// The raw driver: a RawDialog (Liverpie) sees every event and reply, and
// its commands go to FreeSWITCH as it returns them.

import (
	"context"
	"errors"
	"fmt"

	"github.com/callhook/callhook/esl"
)

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
