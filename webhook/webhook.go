package webhook

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/callhook/callhook/apphttp"
	"github.com/callhook/callhook/internal/nolog"
	"github.com/callhook/callhook/proxy"
	"github.com/callhook/callhook/recordings/delivery"
	"github.com/callhook/callhook/verb"
	"github.com/sirupsen/logrus"
)

// App is a web app that speaks callhook's native protocol (README.md,
// "Webhook apps: the protocol"): each step of a call is a POST whose reply is a list of
// verbs. Zero values of the optional fields mean the documented defaults, so
// an App needs only Name and URL. Set the fields before the first call
// and do not change them afterwards: calls in progress read them.
type App struct {
	Name string // the app's name in the config, sent as app
	URL  string // where call.start goes, and what relative URLs resolve against
	// Form sends bodies form-encoded (format: form) instead of as JSON.
	Form bool
	// FallbackURL receives the failed request, with error, when URL fails
	// ("": the dialog returns the error at once, and the session runs the
	// App's on_failure).
	FallbackURL string
	// Timeout bounds each attempt, reading the reply included (0: 5s).
	Timeout time.Duration
	// Retries is how many more attempts a request gets after a connection
	// error, a timeout, a 5xx or a 429 (0: none; negative counts as 0).
	Retries int
	// Secret, when set, signs every attempt (X-Callhook-Signature).
	Secret string
	// StatusURL receives call.end ("": nobody is told), and the status
	// events StatusEvents names.
	StatusURL string
	// StatusEvents are the status events the app wants at StatusURL, of
	// StatusEventNames (CheckStatusEvents): call.answered.
	StatusEvents []string
	// Vars names the channel variables sent in vars (none by default).
	Vars []string
	// AllowExecute lists the applications the execute verb may run
	// (case-insensitive; set, bridge, transfer and the like still get
	// their checks, and CheckAllowExecute's refusals always hold).
	AllowExecute []string
	// Files are the folders the app's verbs may record into and play from
	// (nil: FileRules' zero value).
	Files *verb.FileRules
	// AllowVars, AllowEndpoints and AllowDialplans allow more than the
	// defaults: see ParseOptions.
	AllowVars      []string
	AllowEndpoints []string
	AllowDialplans []string
	// MaxReplyBytes caps a reply's body; a longer one is invalid (0: 1 MiB).
	MaxReplyBytes int64
	// MaxVerbs caps the verbs of one reply (0: 100).
	MaxVerbs int
	// MaxRedirects caps the redirects of one call (0: 50; negative: none
	// allowed).
	MaxRedirects int
	// Client is the process-wide HTTP client, the connection pool every
	// call's requests share (nil: a default made once by
	// apphttp.NewClient). It must not retry by itself: the dialog makes
	// each attempt, as Retry says.
	Client *http.Client
	// Retry is the policy of a failed request's Retries: what is tried
	// again and how long to wait first (zero: apphttp's defaults).
	Retry apphttp.Retry

	// now is the clock that dates signatures; nil means time.Now. Tests set
	// it to see a fresh t on each retry without waiting for a second to pass.
	now func() time.Time
	// parsed is URL parsed, made by the first call that starts (appURL).
	parsed atomic.Pointer[appURL]
	// sig signs with Secret, made by the first signed request (signer).
	sig atomic.Pointer[apphttp.Signer]
}

// signer returns the App's apphttp.Signer of Secret (X-Callhook-Signature),
// made once for all its calls, or anew should Secret have changed.
func (a *App) signer() *apphttp.Signer {
	if s := a.sig.Load(); s != nil && s.Secret() == a.Secret {
		return s
	}
	s := apphttp.NewSigner(a.Secret)
	a.sig.Store(s)
	return s
}

// appURL is an App's URL parsed once for all its calls: relative URLs
// resolve against base, and self is the URL resolved against itself, what
// each request to the app's own URL goes to. Calls share them, read only.
type appURL struct {
	raw     string // the App's URL these were made from
	base    *url.URL
	self    *url.URL
	selfStr string // self.String()
}

// urls returns the App's URL parsed, parsing it when the App's first
// call starts (or when URL has changed since, which the App's doc rules
// out but which must not reuse a stale parse).
func (a *App) urls() (*appURL, error) {
	if p := a.parsed.Load(); p != nil && p.raw == a.URL {
		return p, nil
	}
	base, err := url.Parse(a.URL)
	if err != nil {
		return nil, err
	}
	p := &appURL{raw: a.URL, base: base}
	if self, err := base.Parse(a.URL); err == nil {
		p.self, p.selfStr = self, self.String()
	}
	a.parsed.Store(p)
	return p, nil
}

// Defaults of App's zero-valued fields.
const (
	DefaultTimeout       = 5 * time.Second
	DefaultMaxReplyBytes = 1 << 20
	DefaultMaxVerbs      = 100
	DefaultMaxRedirects  = 50
)

// Webhook events, the body's event field.
const (
	EventCallStart  = "call.start"
	EventVerbResult = "verb.result"
	EventRedirect   = "redirect"
	EventCallEnd    = "call.end"
	// EventCallAnswered is a status event: sent to StatusURL once, when
	// the call is answered, if StatusEvents lists it.
	EventCallAnswered = "call.answered"
)

// ErrTooManyRedirects is returned (wrapped) by a dialog's Redirect when a
// call went over its app's MaxRedirects, without asking the fallback, whose
// answer could only redirect again: the session then runs the app's
// on_failure verbs.
var ErrTooManyRedirects = errors.New("webhook: too many redirects")

// Start implements Backend. It makes the call's dialog and does no I/O: the
// first request is the dialog's Begin.
func (a *App) Start(ctx context.Context, call *proxy.Call) (proxy.Dialog, error) {
	urls, err := a.urls()
	if err != nil {
		return nil, fmt.Errorf("webhook app %s: url: %w", a.Name, err)
	}
	// A per-call client over the shared pool: the app's cookies last the
	// call.
	hc, err := apphttp.CallClient(a.Client)
	if err != nil {
		return nil, fmt.Errorf("webhook app %s: %w", a.Name, err)
	}
	log := call.Log
	if log == nil {
		log = nolog.Logger()
	}
	obs := call.Observer
	if obs == nil {
		obs = proxy.NopObserver{}
	}
	d := &dialog{app: a, call: call, base: urls.base, self: urls.self, selfStr: urls.selfStr,
		fixed: []string{call.UserAgent, call.ID}, httpc: hc, log: log, obs: obs}
	if !call.StartedAt.IsZero() {
		d.startedAt = call.StartedAt.UTC().Format(time.RFC3339)
	}
	return proxy.Verbs(d), nil
}

// ReadsEveryEvent implements proxy.EventReader: a webhook app's dialogs
// are verb dialogs, which never read the event types its calls nix at
// set-up.
func (a *App) ReadsEveryEvent() bool { return false }

// ChannelVars implements VarReader for the app: its calls read its Vars.
func (a *App) ChannelVars() []string { return a.Vars }

func (a *App) timeout() time.Duration {
	if a.Timeout > 0 {
		return a.Timeout
	}
	return DefaultTimeout
}

func (a *App) attempts() int {
	return 1 + max(a.Retries, 0)
}

func (a *App) maxReplyBytes() int64 {
	if a.MaxReplyBytes > 0 {
		// The reply is read with a limit of one more byte, to tell a
		// reply at the limit from one over it: that must not wrap.
		return min(a.MaxReplyBytes, math.MaxInt64-1)
	}
	return DefaultMaxReplyBytes
}

func (a *App) maxVerbs() int {
	if a.MaxVerbs > 0 {
		return a.MaxVerbs
	}
	return DefaultMaxVerbs
}

func (a *App) maxRedirects() int {
	switch {
	case a.MaxRedirects < 0:
		return 0
	case a.MaxRedirects > 0:
		return a.MaxRedirects
	}
	return DefaultMaxRedirects
}

func (a *App) clock() time.Time {
	if a.now != nil {
		return a.now()
	}
	return time.Now()
}

// dialog is one call's conversation with a webhook app. Like every
// Dialog it is used by the call's session goroutine only.
type dialog struct {
	app  *App
	call *proxy.Call
	base *url.URL // the app's URL: relative URLs resolve against it
	// self and selfStr are the app's URL as a request's target resolves
	// it (nil when it does not); shared with the app's other calls.
	self    *url.URL
	selfStr string
	// fixed holds the values of the headers that are the same on each of
	// the call's requests: User-Agent, then X-Callhook-Call-Id.
	fixed []string
	// startedAt is the body's call.started_at, the call's StartedAt
	// printed once ("" when unknown).
	startedAt string
	httpc     *http.Client // the shared pool, with this call's cookie jar
	log       logrus.FieldLogger
	obs       proxy.Observer

	seq       int             // requests made so far; the next one is seq+1
	session   json.RawMessage // as the app's last reply set it; nil until then
	redirects int
	ended     bool
	answered  bool // call.answered was sent (or not wanted)
	// status is call.answered in flight on its own goroutine (nil
	// when none was sent): End waits for it.
	status *statusRequest
}

// StatusEventNames are the status events an app may ask for in
// StatusEvents. (Calls callhook places itself will add the others of the
// originate API: call.initiated, call.ringing, call.completed.)
var StatusEventNames = []string{EventCallAnswered}

// CheckStatusEvents checks a StatusEvents list: known names, none twice.
func CheckStatusEvents(names []string) error {
	seen := map[string]bool{}
	for _, n := range names {
		if !slices.Contains(StatusEventNames, n) {
			return fmt.Errorf("unknown status event %q (status events: %s)", n, strings.Join(StatusEventNames, ", "))
		}
		if seen[n] {
			return fmt.Errorf("status event %q given twice", n)
		}
		seen[n] = true
	}
	return nil
}

// Answered implements proxy.AnswerNotifier: call.answered to StatusURL,
// once, when StatusEvents asks for it. Like call.end it is retried as
// Retries says, every attempt with the same X-Callhook-Seq, and its
// failure is only logged. It is sent from a goroutine of its own, so the
// call goes on at once whatever the status URL does; End waits for it.
func (d *dialog) Answered(ctx context.Context) {
	if d.answered || d.app.StatusURL == "" || !slices.Contains(d.app.StatusEvents, EventCallAnswered) {
		return
	}
	d.answered = true
	// The message is made here, on the session goroutine: it takes the
	// next seq and reads the session data, which the call's later
	// requests change.
	m := d.message(EventCallAnswered)
	// Not cancelled by the hangup: the app asked to hear of the answer,
	// and a short call is still an answered one. End bounds it.
	d.status = d.startStatus(context.WithoutCancel(ctx), m)
}

// statusRequest is a status event sent in the background.
type statusRequest struct {
	cancel context.CancelFunc
	done   chan struct{} // closed when the request has finished
}

// startStatus sends m to StatusURL from a goroutine of its own. The
// request touches only what is safe to share with the session goroutine:
// the app's settings, the call's fixed fields, the HTTP client, the
// logger and the observer (proxy.AnswerNotifier), and m, which is its own.
func (d *dialog) startStatus(ctx context.Context, m *message) *statusRequest {
	ctx, cancel := context.WithCancel(ctx)
	sr := &statusRequest{cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(sr.done)
		defer cancel()
		// request logs the failure.
		_, _ = d.request(ctx, d.app.StatusURL, m, false, false)
	}()
	return sr
}

// waitStatus waits for a status event in flight to finish, for half of
// what is left of ctx at most, so that call.end, sent next under the same
// ctx, keeps the other half: a status URL that hangs on call.answered
// must not cost the app its call.end too. Past that it cancels the
// request and waits for its goroutine to return, which the cancelled
// request's attempt does at once.
func (d *dialog) waitStatus(ctx context.Context) {
	sr := d.status
	if sr == nil {
		return
	}
	if deadline, ok := ctx.Deadline(); ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, time.Until(deadline)/2)
		defer cancel()
	}
	select {
	case <-sr.done:
	case <-ctx.Done():
		sr.cancel()
		<-sr.done
	}
}

// Begin implements VerbDialog: call.start to the app's URL.
func (d *dialog) Begin(ctx context.Context) (*proxy.Instructions, error) {
	return d.ask(ctx, d.message(EventCallStart), d.app.URL)
}

// Result implements VerbDialog: verb.result to v.Action (which ParseReply
// resolved against the document's URL), or to the app's URL when v has no
// action.
func (d *dialog) Result(ctx context.Context, v verb.Verb, r *verb.Result) (*proxy.Instructions, error) {
	target := v.Action
	if target == "" {
		target = d.app.URL
	}
	m := d.message(EventVerbResult)
	m.Result = r
	return d.ask(ctx, m, target)
}

// Redirect implements VerbDialog: event redirect to target (resolved
// against the app's URL when relative). Past the app's MaxRedirects on
// this call it fails with ErrTooManyRedirects (the session logs it and runs
// the app's on_failure).
func (d *dialog) Redirect(ctx context.Context, target string) (*proxy.Instructions, error) {
	d.redirects++
	if d.redirects > d.app.maxRedirects() {
		return nil, fmt.Errorf("redirect to %s: more than %d on this call: %w", target, d.app.maxRedirects(), ErrTooManyRedirects)
	}
	return d.ask(ctx, d.message(EventRedirect), target)
}

// End implements Dialog: call.end to the app's StatusURL, once, after a
// call.answered in flight has finished (or been cancelled, half of ctx's
// time gone: waitStatus). Its failure is logged, since nobody could act
// on it.
func (d *dialog) End(ctx context.Context, end *proxy.CallEnd) {
	if d.ended {
		return
	}
	d.ended = true
	// call.answered first: the app hears of the end after the answer, and
	// its goroutine ends with the call.
	d.waitStatus(ctx)
	if d.app.StatusURL == "" {
		return
	}
	m := d.message(EventCallEnd)
	if end.Outcome == proxy.OutcomeTransferred {
		// Not hung up: it went on to another extension. No hangup
		// object, the time callhook held it instead, rounded up to
		// whole milliseconds: a call callhook held never reads as held
		// for 0 ms (a fast switch transfers well within one).
		ms := (end.Held + time.Millisecond - 1).Milliseconds()
		m.HeldMS = &ms
	} else {
		m.Hangup = &hangupInfo{Cause: end.Cause, Duration: end.Duration, Billsec: end.Billsec}
	}
	m.Outcome = end.Outcome
	m.LastResult = end.LastResult
	if end.Recording != nil {
		m.Recording = &delivery.Status{Recording: end.Recording, Verb: "record_call"}
	}
	// request logs the failure.
	_, _ = d.request(ctx, d.app.StatusURL, m, false, false)
}

// ask makes one step's request and returns the call's next instructions:
// the app's, or the fallback's (with a Failure saying why). When the app
// failed and there is no fallback, or the fallback failed too, it returns
// the *RequestError (both joined, the app's first, when the fallback was
// tried): on_failure is the session's, which runs the App's on_failure
// for every kind of app. When ctx ends (the caller hung up) the fallback
// is not tried.
func (d *dialog) ask(ctx context.Context, m *message, target string) (*proxy.Instructions, error) {
	rep, err := d.request(ctx, target, m, false, true)
	if err == nil {
		return &proxy.Instructions{Verbs: rep.Verbs}, nil
	}
	if ctx.Err() != nil || d.app.FallbackURL == "" {
		// The failed request was logged as it failed.
		return nil, err
	}
	// The same request, seq included, told what failed.
	m.Error = errorField(err, target)
	rep, ferr := d.request(ctx, d.app.FallbackURL, m, true, true)
	if ferr == nil {
		return &proxy.Instructions{Verbs: rep.Verbs, Failure: &proxy.Failure{Err: err, Fallback: true}}, nil
	}
	if ctx.Err() != nil {
		return nil, ferr
	}
	return nil, fmt.Errorf("%w; fallback: %w", err, ferr)
}

// ChannelVars implements VarReader: the app's vars are all a webhook
// dialog reads.
func (d *dialog) ChannelVars() []string { return d.app.Vars }
