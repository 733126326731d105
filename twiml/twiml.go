package twiml

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/callhook/callhook/apphttp"
	"github.com/callhook/callhook/internal/nolog"
	"github.com/callhook/callhook/proxy"
	"github.com/callhook/callhook/verb"
	"github.com/sirupsen/logrus"
)

// App is a TwiML app: a web app written for Twilio's voice webhooks.
// Zero values of the optional fields mean the documented defaults. Set
// the fields before the first call and do not change them afterwards.
type App struct {
	Name string // the app's name in the config
	URL  string // the voice URL: the call's first document
	// Method fetches URL and FallbackURL: GET or POST ("" is POST).
	Method     string
	AccountSID string // AC and 32 hex digits, sent as AccountSid
	AuthToken  string // signs every request (X-Twilio-Signature)
	// FallbackURL is asked, with ErrorCode and ErrorUrl, when a document
	// cannot be fetched or carried out ("": the session runs on_failure).
	FallbackURL string
	// StatusCallback is told when the call ends ("": nobody is).
	StatusCallback string
	// Timeout bounds each request, reading the reply included (0: 15s,
	// Twilio's).
	Timeout time.Duration
	// Voices maps Say's voices (nil: DefaultVoices); Dial, how Dial's
	// nouns are dialed; ConferenceProfile, Conference's profile.
	Voices            map[string]Voice
	Dial              DialRules
	ConferenceProfile string
	// Files, AllowVars, AllowEndpoints and AllowDialplans are the app's
	// folders and allow lists, as a webhook app's.
	Files          *verb.FileRules
	AllowVars      []string
	AllowEndpoints []string
	AllowDialplans []string
	// MaxReplyBytes caps a document (0: 64 KiB); MaxVerbs its verbs (0:
	// 100); MaxRedirects a call's redirects in a row (0: 50; negative:
	// none), counted again after a Redirect that waited (Step.Waited).
	MaxReplyBytes int
	MaxVerbs      int
	MaxRedirects  int
	// Client is the process-wide HTTP client (nil: one made once by
	// apphttp.NewClient).
	Client *http.Client
	// Recordings says the proxy delivers recordings (the config's
	// recordings: section, proxy.Proxy.Recordings): a Record and a
	// recorded Dial give the RecordingUrl Twilio's apps fetch. Without it
	// they are unsupported (the fallback hears why).
	Recordings bool
	// Placed, when set, tells how a call placed through the Twilio API
	// (package twilioapi) starts, from the call's Unique-ID and channel
	// data (the full connect reply); a call it does not know starts at
	// URL (placed.go).
	Placed func(call *proxy.Call) (*Placed, bool)
}

// DefaultTimeout is Twilio's own timeout for a webhook.
const DefaultTimeout = 15 * time.Second

// DefaultMaxRedirects bounds a call's redirects in a row with no verb
// run between them, as for webhook apps (limits.max_redirects).
const DefaultMaxRedirects = 50

// Error codes a fallback receives as ErrorCode, Twilio's
// (https://www.twilio.com/docs/api/errors).
const (
	ErrHTTP        = "11200" // the app's answer: an HTTP error status
	ErrConnect     = "11205" // no answer: connection failure or timeout
	ErrParse       = "12100" // the document is not well formed
	ErrSchema      = "12200" // a verb or attribute callhook does not know or support
	ErrMissingTool = "12200" // the switch lacks a module the verb needs
)

// ErrTooManyRedirects is returned (wrapped) when a call went over the
// app's MaxRedirects.
var ErrTooManyRedirects = errors.New("twiml: too many redirects")

// Start implements proxy.Backend; it does no I/O.
func (a *App) Start(ctx context.Context, call *proxy.Call) (proxy.Dialog, error) {
	// Twilio keeps an app's cookies for the call, as a browser would.
	hc, err := apphttp.CallClient(a.Client)
	if err != nil {
		return nil, fmt.Errorf("twiml app %s: %w", a.Name, err)
	}
	log := call.Log
	if log == nil {
		log = nolog.Logger()
	}
	obs := call.Observer
	if obs == nil {
		obs = proxy.NopObserver{}
	}
	d := &dialog{app: a, call: call, httpc: hc, log: log, obs: obs, callSID: CallSID(call.ID)}
	if a.Placed != nil {
		d.placed, _ = a.Placed(call)
	}
	return proxy.Verbs(d), nil
}

// ReadsEveryEvent implements proxy.EventReader: a TwiML app's dialogs are
// verb dialogs, which never read the event types its calls nix at set-up.
func (a *App) ReadsEveryEvent() bool { return false }

// ChannelVars implements proxy.VarReader: a TwiML app reads none.
func (a *App) ChannelVars() []string { return []string{} }

func (a *App) method() string {
	if a.Method == "GET" {
		return "GET"
	}
	return "POST"
}

func (a *App) timeout() time.Duration {
	if a.Timeout > 0 {
		return a.Timeout
	}
	return DefaultTimeout
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

// dialog is one call's conversation with a TwiML app, used by the call's
// session goroutine only.
type dialog struct {
	app     *App
	call    *proxy.Call
	httpc   *http.Client
	log     logrus.FieldLogger
	obs     proxy.Observer
	callSID string
	placed  *Placed // a call placed through the Twilio API, or nil

	// steps are the instructions the session runs now, each with what
	// comes after it; docs counts the documents of the call.
	steps []Step
	docs  int
	// fallbackDoc says steps are the fallback's document: a verb of it
	// that fails ends the call instead of asking the fallback again,
	// whose answer would fail the same way, with no verb run between
	// requests, for as long as the call lasts.
	fallbackDoc bool
	dials       int
	redirects   int
	ended       bool
}

// Begin implements proxy.VerbDialog: the voice URL's document.
func (d *dialog) Begin(ctx context.Context) (*proxy.Instructions, error) {
	if d.placed != nil {
		return d.beginPlaced(ctx)
	}
	return d.fetch(ctx, d.app.URL, d.app.method(), nil)
}

// Result implements proxy.VerbDialog. Every TwiML verb that may have to
// do more than go on gets an Action (plan's), so the session asks here;
// this keeps Twilio's rules: a Gather with no digits and an empty Record
// go on with the document, a Dial without action too; otherwise the
// action's document replaces the rest. A verb the switch lacks a module
// for goes to the fallback.
func (d *dialog) Result(ctx context.Context, v verb.Verb, r *verb.Result) (*proxy.Instructions, error) {
	i := d.find(v)
	if i < 0 {
		return nil, fmt.Errorf("twiml: result of a verb the dialog did not plan (%s)", v.Name)
	}
	s, rest := d.steps[i], d.steps[i+1:]
	if r.Reason == verb.ReasonError && r.Message != "" {
		err := fmt.Errorf("twiml: line %d: <%s>: %s", s.Verb.Line, s.TwiML, r.Message)
		if d.fallbackDoc {
			return nil, fmt.Errorf("the fallback's document: %w", err)
		}
		return d.failed(ctx, err, ErrMissingTool, s.Action, nil)
	}
	p := d.params(liveStatus(d.call))
	switch s.TwiML {
	case "Gather":
		if r.Digits == "" && !s.OnEmpty {
			return d.goOn(rest), nil
		}
		p["Digits"] = r.Digits
		p["FinishedOnKey"] = r.Terminator
	case "Record":
		rec := r.Recording
		if rec == nil || rec.DurationMS == 0 {
			return d.goOn(rest), nil
		}
		if rec.URL == "" {
			return d.noRecordingURL(ctx, s)
		}
		recordingParams(p, rec)
		if r.Terminator != "" {
			p["Digits"] = r.Terminator // the key that ended it
		}
	case "Dial":
		if s.Action == "" {
			return d.goOn(rest), nil
		}
		d.dialParams(p, r)
		if rec := r.Recording; rec != nil && s.Recording != "" {
			if rec.URL == "" {
				return d.noRecordingURL(ctx, s)
			}
			recordingParams(p, rec)
		}
	default:
		return d.goOn(rest), nil
	}
	return d.fetch(ctx, s.Action, s.Method, p)
}

// find returns the index in d.steps of the step v came from.
func (d *dialog) find(v verb.Verb) int {
	for i := range d.steps {
		if d.steps[i].Verb.Spec == v.Spec {
			return i
		}
	}
	return -1
}

// goOn is the rest of the document.
func (d *dialog) goOn(rest []Step) *proxy.Instructions {
	d.steps = rest
	return &proxy.Instructions{Verbs: verbsOf(rest)}
}

func verbsOf(steps []Step) []verb.Verb {
	out := make([]verb.Verb, len(steps))
	for i, s := range steps {
		out[i] = s.Verb
	}
	return out
}

// Redirect implements proxy.VerbDialog: a Redirect verb's URL with its
// method, or a live redirect (POST). Past the app's MaxRedirects on this
// call it fails with ErrTooManyRedirects (the session runs on_failure):
// a document that only redirects would otherwise request forever with no
// verb run. A Redirect that waited (Step.Waited) starts the count again:
// a hold loop lasts as long as the caller holds, as on Twilio.
func (d *dialog) Redirect(ctx context.Context, target string) (*proxy.Instructions, error) {
	m := "POST"
	for _, s := range d.steps {
		if rs, ok := s.Verb.Spec.(*verb.RedirectSpec); ok && s.TwiML == "Redirect" && rs.URL == target {
			m = s.Method
			if s.Waited {
				d.redirects = 0
			}
			break
		}
	}
	d.redirects++
	if d.redirects > d.app.maxRedirects() {
		return nil, fmt.Errorf("redirect to %s: more than %d on this call: %w", target, d.app.maxRedirects(), ErrTooManyRedirects)
	}
	return d.fetch(ctx, target, m, d.params(liveStatus(d.call)))
}

// End implements proxy.Dialog: the status callback, once, with the call's
// final CallStatus and CallDuration (seconds from the answer).
func (d *dialog) End(ctx context.Context, end *proxy.CallEnd) {
	if d.ended {
		return
	}
	d.ended = true
	if d.app.StatusCallback == "" || d.placed != nil {
		// A placed call's status callbacks are its request's (placed.go).
		return
	}
	p := d.params(endStatus(end, d.call.Answered))
	// Twilio's duration counts from the answer, and is nothing for a call
	// never answered: FreeSWITCH's billsec, not its duration (which
	// counts the ringing too).
	p["CallDuration"] = strconv.FormatInt(end.Billsec, 10)
	p["Timestamp"] = time.Now().UTC().Format(time.RFC1123Z)
	_, _ = d.request(ctx, d.app.StatusCallback, "POST", p, "status", false)
}

// fetch requests a document and plans it: the call's next instructions,
// or the fallback's when the request or the document failed.
func (d *dialog) fetch(ctx context.Context, target, method string, p map[string]string) (*proxy.Instructions, error) {
	if p == nil {
		p = d.params(liveStatus(d.call))
	}
	ins, code, err := d.document(ctx, target, method, p, false)
	if err == nil {
		return ins, nil
	}
	if ctx.Err() != nil {
		return nil, err
	}
	return d.failed(ctx, err, code, target, p)
}

// failed asks the fallback after err (of code, at target), with the
// request's parameters p (nil: the call's).
func (d *dialog) failed(ctx context.Context, err error, code, target string, p map[string]string) (*proxy.Instructions, error) {
	if d.app.FallbackURL == "" {
		return nil, err
	}
	if p == nil {
		p = d.params(liveStatus(d.call))
	}
	p["ErrorCode"] = code
	p["ErrorUrl"] = target
	p["ErrorMessage"] = err.Error()
	ins, _, ferr := d.document(ctx, d.app.FallbackURL, d.app.method(), p, true)
	if ferr == nil {
		ins.Failure = &proxy.Failure{Err: err, Fallback: true}
		return ins, nil
	}
	if ctx.Err() != nil {
		return nil, ferr
	}
	return nil, fmt.Errorf("%w; fallback: %w", err, ferr)
}

// document fetches one document and plans it. code is the ErrorCode of
// its failure.
func (d *dialog) document(ctx context.Context, target, method string, p map[string]string, fallback bool) (*proxy.Instructions, string, error) {
	rep, err := d.request(ctx, target, method, p, "document", fallback)
	if err != nil {
		var re *apphttp.RequestError
		if errors.As(err, &re) && re.Status != 0 {
			return nil, ErrHTTP, err
		}
		return nil, ErrConnect, err
	}
	return d.plan(rep, fallback)
}

// plan parses and plans a reply (a fetched document, or a placed call's
// inline TwiML); fallback says it is the fallback's. code is the ErrorCode
// of its failure.
func (d *dialog) plan(rep *reply, fallback bool) (*proxy.Instructions, string, error) {
	docURL := rep.url
	doc, err := parseReply(rep, Limits{MaxBytes: d.app.MaxReplyBytes})
	if err != nil {
		var pe *ParseError
		if errors.As(err, &pe) && pe.Malformed {
			return nil, ErrParse, err
		}
		return nil, ErrSchema, err
	}
	d.docs++
	docNo := d.docs
	steps, err := Plan(doc, PlanOptions{
		URL: docURL, Answered: d.call.Answered,
		Voices: d.app.Voices, Dial: d.app.Dial, ConferenceProfile: d.app.ConferenceProfile, Account: d.app.AccountSID,
		Recordings: d.app.Recordings,
		// A recording's name is its RecordingSid (and .wav): unique to the
		// call, the document and the verb, and the last part of its URL.
		RecordingName: func(i int) string {
			return sid("RE", fmt.Sprintf("%s/recording/%d/%d", d.call.ID, docNo, i+1)) + ".wav"
		},
		Verb: verb.ParseOptions{Files: d.app.Files, AllowVars: d.app.AllowVars,
			AllowEndpoints: d.app.AllowEndpoints, AllowDialplans: d.app.AllowDialplans},
		MaxVerbs: d.app.MaxVerbs,
	})
	if err != nil {
		return nil, ErrSchema, err
	}
	// Every verb whose result may do more than go on is shown to Result:
	// one with an action (Gather and Record always have one), one that
	// needs a module the switch may lack (its result then says so, and
	// goes to the fallback), and a recorded Dial (its recording may
	// fail). Their Action is where the result would go: the document's
	// URL when the verb has no action of its own.
	for i := range steps {
		s := &steps[i]
		n, needs := s.Verb.Spec.(verb.Needer)
		switch {
		case s.Action != "":
			s.Verb.Action = s.Action
		case s.TwiML != "" && (needs && len(n.Needs()) > 0 || s.Recording != ""):
			s.Verb.Action = docURL.String()
		}
	}
	d.steps, d.fallbackDoc = steps, fallback
	return &proxy.Instructions{Verbs: verbsOf(steps)}, "", nil
}

// checkURL parses an absolute http(s) URL.
func checkURL(s string) (*url.URL, error) {
	u, err := url.Parse(s)
	if err != nil || !verb.IsHTTPURL(s) {
		return nil, fmt.Errorf("%s is not an absolute http(s) URL", verb.Quote(s))
	}
	return u, nil
}
