package proxy

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/callhook/callhook/esl"
	"github.com/callhook/callhook/internal/nolog"
	"github.com/callhook/callhook/verb"
	"github.com/sirupsen/logrus"
)

// App is one configured app: a name, the Backend that drives its calls and
// its own limit.
type App struct {
	Name     string
	Backend  Backend
	MaxCalls int // 0: no limit of its own
	// OnFailure runs, once, when the app's dialog fails with an error (a
	// webhook app whose retries and fallback failed, a flow with no
	// transition, a Liverpie app that did not answer): the session runs it
	// for every kind of app. Empty hangs up with NORMAL_TEMPORARY_FAILURE;
	// observers are told Failed{OnFailure: true} either way.
	OnFailure []verb.Verb
}

// Route sends calls whose destination number matches to an app.
type Route struct {
	Destination *regexp.Regexp
	App         string
}

// Runtime is the reloadable part of the configuration. A call takes the
// Runtime in force when it starts and keeps it to its end, so a reload
// (SIGHUP) changes new calls only.
type Runtime struct {
	Apps       map[string]*App
	Routes     []Route
	DefaultApp string
	MaxCalls   int // all apps together; 0: no limit
	// RedirectBackend, when set, is what a live redirect to a URL switches
	// a call to when the call's own dialog cannot fetch URLs (a flow); it
	// comes before Proxy.RedirectBackend. It belongs to the Runtime so
	// that it carries the reloaded limits (a backend built once at start
	// kept the startup limits after every SIGHUP).
	RedirectBackend func(url string) Backend
}

// Refusal reasons, as observers and logs see them.
const (
	RefusedNotAsyncFull = "not_async_full"
	RefusedNoApp        = "no_app"
	RefusedLimit        = "limit"
	RefusedDraining     = "draining"
	// RefusedDuplicateID: a live call already has the Unique-ID; the
	// second would hide the first from the live-call registry (the admin
	// API, drain's hangups).
	RefusedDuplicateID = "duplicate_id"
)

// Proxy is the esl.Handler that turns each outbound connection into a
// session. Set the fields before serving; change apps only with SetRuntime.
type Proxy struct {
	// Log is the base logger; sessions add call_id and app.
	Log logrus.FieldLogger
	// Observer is told about every call (nil: nobody).
	Observer Observer
	// Linger bounds how long FreeSWITCH keeps sending after a hangup, so the
	// interrupted verb's completion and CHANNEL_HANGUP_COMPLETE still arrive
	// (default 30s).
	Linger time.Duration
	// RedirectBackend makes the backend a live redirect to a URL switches a
	// call to, when the call's own dialog cannot fetch URLs (a flow) and the
	// call's Runtime has no RedirectBackend.
	RedirectBackend func(url string) Backend
	// EndTimeout bounds the work done after a call ends (call.end request,
	// exit) so a dead web app cannot hold a finished call (default 10s).
	EndTimeout time.Duration
	// Recordings delivers recordings to apps (nil: none; a recording is
	// reported by its path on the switch's host).
	Recordings Recordings
	// Version is callhook's version, which the apps' requests carry in
	// their User-Agent (Call.UserAgent); empty says "dev".
	Version string

	runtime  atomic.Pointer[Runtime]
	draining atomic.Bool
	active   atomic.Int64

	mu       sync.Mutex
	sessions map[string]*session // live calls by call id
	perApp   map[string]int      // live calls by app name
	idle     []chan struct{}     // closed when no call is left (WaitIdle)

	inv inventories // what each switch has loaded (inventory.go)
	ua  atomic.Pointer[userAgent]
}

// SetRuntime installs the apps, routes and limits new calls use.
func (p *Proxy) SetRuntime(rt *Runtime) { p.runtime.Store(rt) }

// Runtime returns the configuration new calls use.
func (p *Proxy) Runtime() *Runtime { return p.runtime.Load() }

// Drain makes the proxy refuse new calls (handed back to the dialplan,
// esl.Conn.HandBack) while the calls in progress go on.
func (p *Proxy) Drain() {
	p.mu.Lock()
	p.draining.Store(true)
	p.mu.Unlock()
}

// Draining reports whether Drain was called.
func (p *Proxy) Draining() bool { return p.draining.Load() }

// Active returns the number of calls in progress.
func (p *Proxy) Active() int { return int(p.active.Load()) }

func (p *Proxy) logger() logrus.FieldLogger {
	if p.Log == nil {
		return nolog.Logger()
	}
	return p.Log
}

func (p *Proxy) observer() Observer {
	if p.Observer == nil {
		return NopObserver{}
	}
	return p.Observer
}

// ServeESL implements esl.Handler: it drives one call from the connect reply
// to the final exit.
func (p *Proxy) ServeESL(ctx context.Context, c *esl.Conn) {
	ch := c.Channel()
	// A clone: the logger lives as long as the call, the reply need not.
	id := strings.Clone(ch.UniqueID())
	log := p.logger().WithField("call_id", id)
	rt := p.runtime.Load()

	if mode, control := ch.Get("Socket-Mode"), ch.Get("Control"); mode != "async" || control != "full" {
		log.WithFields(logrus.Fields{"socket_mode": mode, "control": control}).Error(
			`refusing call: the socket is not "async full"; callhook needs both. Fix the dialplan: ` +
				`<action application="socket" data="127.0.0.1:8084 async full"/>`)
		p.refuse(ctx, c, "", RefusedNotAsyncFull, log)
		return
	}
	if rt == nil {
		log.Error("refusing call: no apps configured")
		p.refuse(ctx, c, "", RefusedNoApp, log)
		return
	}
	app, how := rt.selectApp(ch)
	if app == nil {
		log.WithField("destination", destination(ch)).Warn("refusing call: no app for it " + how)
		p.refuse(ctx, c, "", RefusedNoApp, log)
		return
	}
	log = log.WithField("app", app.Name)
	if reason := p.admit(rt, app, id); reason != "" {
		log.WithField("reason", reason).Warn("refusing call")
		p.refuse(ctx, c, app.Name, reason, log)
		return
	}
	defer p.release(app.Name, id)

	s := newSession(p, c, rt, app, log)
	p.register(s)
	defer p.unregister(s)
	s.run(ctx)
}

// refuse hands a call back to the dialplan, so its next action runs
// instead of leaving the caller parked with nobody driving the call, or
// stranded in CS_RESET: resume then exit in async mode, exit alone in
// static (sync) mode (esl.Conn.HandBack says why).
func (p *Proxy) refuse(ctx context.Context, c *esl.Conn, app, reason string, log logrus.FieldLogger) {
	p.observer().CallRefused(c.Channel(), app, reason)
	ctx, cancel := context.WithTimeout(ctx, p.endTimeout())
	defer cancel()
	if err := c.HandBack(ctx); err != nil {
		log.WithError(err).Warn("refusing call: handing it back to the dialplan failed")
	}
}

// UserAgent is the User-Agent of the apps' requests made by a callhook
// of the given version ("" is "dev").
func UserAgent(version string) string {
	if version == "" {
		version = "dev"
	}
	return "callhook/" + version
}

// userAgent returns UserAgent(p.Version), made once rather than per call
// (Version is set before serving; a change is still honoured).
func (p *Proxy) userAgent() string {
	if ua := p.ua.Load(); ua != nil && ua.version == p.Version {
		return ua.ua
	}
	ua := &userAgent{version: p.Version, ua: UserAgent(p.Version)}
	p.ua.Store(ua)
	return ua.ua
}

// userAgent is a Proxy's User-Agent and the Version it was made for.
type userAgent struct{ version, ua string }

func (p *Proxy) endTimeout() time.Duration {
	if p.EndTimeout > 0 {
		return p.EndTimeout
	}
	return 10 * time.Second
}

func (p *Proxy) linger() time.Duration {
	if p.Linger > 0 {
		return p.Linger
	}
	return 30 * time.Second
}

// admit counts a new call against the global and per-app limits and
// reserves its id in the live-call registry, or says why it is refused.
// The draining check is under the same lock as the count, so WaitIdle never
// returns while a call is being admitted; the id check too, so two
// connections with one Unique-ID cannot both pass.
func (p *Proxy) admit(rt *Runtime, app *App, id string) (refused string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.perApp == nil {
		p.perApp = make(map[string]int)
	}
	if p.sessions == nil {
		p.sessions = make(map[string]*session)
	}
	_, taken := p.sessions[id]
	switch {
	case p.draining.Load():
		return RefusedDraining
	case taken:
		return RefusedDuplicateID
	case rt.MaxCalls > 0 && p.active.Load() >= int64(rt.MaxCalls):
		return RefusedLimit
	case app.MaxCalls > 0 && p.perApp[app.Name] >= app.MaxCalls:
		return RefusedLimit
	}
	p.active.Add(1)
	p.perApp[app.Name]++
	p.sessions[id] = nil // reserved until register fills it in
	return ""
}

// release gives back what admit took: the call's place in the limits, and
// its id if no session was registered under it (a panic in between).
func (p *Proxy) release(app, id string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if s, ok := p.sessions[id]; ok && s == nil {
		delete(p.sessions, id)
	}
	p.perApp[app]--
	if p.active.Add(-1) == 0 {
		for _, ch := range p.idle {
			close(ch)
		}
		p.idle = nil
	}
}

// WaitIdle returns when no call is in progress, or with ctx's error when ctx
// ends first (drain uses it with drain_timeout).
func (p *Proxy) WaitIdle(ctx context.Context) error {
	p.mu.Lock()
	if p.active.Load() == 0 {
		p.mu.Unlock()
		return nil
	}
	ch := make(chan struct{})
	p.idle = append(p.idle, ch)
	p.mu.Unlock()
	select {
	case <-ch:
		return nil
	case <-ctx.Done():
		p.mu.Lock()
		p.idle = slices.DeleteFunc(p.idle, func(c chan struct{}) bool { return c == ch })
		p.mu.Unlock()
		return ctx.Err()
	}
}

// register fills in the id admit reserved.
func (p *Proxy) register(s *session) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.sessions[s.call.ID] = s
}

func (p *Proxy) unregister(s *session) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.sessions[s.call.ID] == s {
		delete(p.sessions, s.call.ID)
	}
}

func (p *Proxy) lookup(id string) *session {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.sessions[id]
}

// liveLocked lists the registered sessions (not the ids admit reserved).
func (p *Proxy) liveLocked() []*session {
	list := make([]*session, 0, len(p.sessions))
	for _, s := range p.sessions {
		if s != nil {
			list = append(list, s)
		}
	}
	return list
}

// Errors of the live-call operations.
var (
	ErrNoSuchCall      = errors.New("proxy: no such call")
	ErrNotRedirectable = errors.New("proxy: this call's app takes no redirects (Liverpie)")
)

// CallInfo is a live call, as the admin API lists it.
type CallInfo struct {
	ID          string        `json:"id"`
	App         string        `json:"app"`
	From        string        `json:"from"`
	To          string        `json:"to"`
	State       string        `json:"state"`
	CurrentVerb string        `json:"current_verb,omitempty"`
	StartedAt   time.Time     `json:"started_at"`
	Age         time.Duration `json:"-"`
	AgeSeconds  float64       `json:"age_seconds"`
}

// Calls lists the live calls, oldest first.
func (p *Proxy) Calls() []CallInfo {
	p.mu.Lock()
	list := p.liveLocked()
	p.mu.Unlock()
	now := time.Now()
	infos := make([]CallInfo, 0, len(list))
	for _, s := range list {
		infos = append(infos, s.info(now))
	}
	sort.Slice(infos, func(i, j int) bool { return infos[i].StartedAt.Before(infos[j].StartedAt) })
	return infos
}

// Call returns the live call id, as Calls lists it, without listing the
// others.
func (p *Proxy) Call(id string) (CallInfo, bool) {
	s := p.lookup(id)
	if s == nil {
		return CallInfo{}, false
	}
	return s.info(time.Now()), true
}

// Hangup ends a live call at once, even in the middle of a long verb: a
// queued sendmsg would wait behind the running application, so this uses
// api uuid_kill, which FreeSWITCH runs at once on its own thread.
func (p *Proxy) Hangup(ctx context.Context, id, cause string) error {
	s := p.lookup(id)
	if s == nil {
		return ErrNoSuchCall
	}
	return s.kill(ctx, cause)
}

// Redirect switches a live call to the document at url at once: the running
// verb is cut short with api uuid_break (the call's session sends it, once
// the verb's application has started), then the call's app is asked for the
// URL (a webhook app gets a redirect request; a flow is switched to a
// webhook backend for it). Liverpie calls cannot be redirected
// (ErrNotRedirectable).
func (p *Proxy) Redirect(ctx context.Context, id, url string) error {
	s := p.lookup(id)
	if s == nil {
		return ErrNoSuchCall
	}
	return s.redirect(ctx, url)
}

// HangupAll ends every live call with cause (drain's deadline) and returns
// how many it asked to end.
func (p *Proxy) HangupAll(ctx context.Context, cause string) int {
	p.mu.Lock()
	list := p.liveLocked()
	p.mu.Unlock()
	for _, s := range list {
		if err := s.kill(ctx, cause); err != nil {
			p.logger().WithField("call_id", s.call.ID).WithError(err).Warn("hangup for drain failed")
		}
	}
	return len(list)
}

// selectApp picks the call's app: channel variable callhook_app, else
// Liverpie's liverpie_webapp_id, else the first route whose destination
// pattern matches, else the default app. how says what was tried when no
// app is found.
func (rt *Runtime) selectApp(ch *esl.Event) (*App, string) {
	for _, v := range []string{"callhook_app", "liverpie_webapp_id"} {
		if name, ok := ch.LookupVar(v); ok && name != "" {
			if app := rt.Apps[name]; app != nil {
				return app, ""
			}
			return nil, fmt.Sprintf("(channel variable %s=%q names no configured app)", v, name)
		}
	}
	dest := destination(ch)
	for _, r := range rt.Routes {
		if r.Destination.MatchString(dest) {
			if app := rt.Apps[r.App]; app != nil {
				return app, ""
			}
		}
	}
	if app := rt.Apps[rt.DefaultApp]; app != nil {
		return app, ""
	}
	return nil, "(no callhook_app variable, no route matches and there is no default_app)"
}

func destination(ch *esl.Event) string {
	if d := ch.Get("Caller-Destination-Number"); d != "" {
		return d
	}
	return ch.Get("Channel-Destination-Number")
}
