package proxy

// Live control: what admin goroutines do to a call (hang it up, redirect
// it, list it), through the fields under session.mu and the wake channel.

import (
	"context"
	"time"
)

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

func (s *session) currentApp() *App {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.app
}
