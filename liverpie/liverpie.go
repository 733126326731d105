package liverpie

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/callhook/callhook/esl"
	"github.com/callhook/callhook/internal/nolog"
	"github.com/callhook/callhook/proxy"
	"github.com/callhook/callhook/verb"
	"github.com/sirupsen/logrus"
)

// App is a web app written for Liverpie, the Ruby proxy callhook
// descends from, served unchanged (README.md, "Coming from Liverpie"). It is a
// Backend whose dialogs are RawDialogs: the app answers with ESL commands,
// not verbs.
//
// What the app sees is what Liverpie 0.5 showed it: GET reset_uri at call
// start (no cookie), then POST state_machine_uri with every header seen on
// the call as a form, whenever a frame matches the expected_key and
// expected_value of its last reply, the first time when the myevents reply
// arrives; POST dtmf_uri with dtmf_code for each digit; its cookies sent
// back on every request. What Liverpie got wrong is fixed without breaking
// apps: frames are framed by Content-Length (two frames read together are
// two frames), every request has a timeout, a reply is parsed without
// crashing, msg is parsed as an ESL command, checked against AllowCommands
// (and a sendmsg held to its own call: reply.go) and written out
// again by esl, form values are encoded properly, cookies
// go back as name=value pairs, and HangupURI (opt-in) is told when the call
// ends.
//
// The zero values of the optional fields are the documented defaults. The
// fields must not change once calls use the app.
type App struct {
	// Name is the app's name in the config, for logs and errors.
	Name string
	// IP and Port are where the web app listens (Liverpie's ip and port;
	// IP may be a host name).
	IP   string
	Port int
	// StateMachineURI is POSTed with the call's headers (required).
	StateMachineURI string
	// ResetURI is fetched with GET at call start (required).
	ResetURI string
	// DTMFURI is POSTed with dtmf_code for each digit; "" sends nothing.
	DTMFURI string
	// HangupURI is POSTed with the call's headers when the call ends; ""
	// sends nothing (Liverpie had no such request).
	HangupURI string
	// AllowCommands are the ESL command words a reply's msg may use
	// (default [sendmsg]). Words are compared case-insensitively.
	AllowCommands []string
	// AllowCallCommands are the call-commands a sendmsg may carry beyond
	// execute and hangup: nomedia, unicast or xferext (reply.go).
	AllowCallCommands []string
	// AllowExecute are the applications a sendmsg execute may run beyond
	// LiverpieApps, compared case-insensitively (CheckAllowExecute's
	// refusals always hold).
	AllowExecute []string
	// AllowVars, AllowEndpoints and AllowDialplans allow more than the
	// defaults to the set, bridge and transfer applications an execute
	// runs: see ParseOptions.
	AllowVars      []string
	AllowEndpoints []string
	AllowDialplans []string
	// Timeout bounds each request (default 10s). An app that does not
	// answer in time has its call hung up with the reason logged.
	Timeout time.Duration
	// Files are the folders a msg's execute of playback, record or
	// play_and_get_digits may use (CheckExecuteFiles; nil: FileRules' zero
	// value).
	Files *verb.FileRules
	// MaxReplyBytes bounds a reply's body (default 1 MiB).
	MaxReplyBytes int
	// Client sends the requests (default: a client over
	// http.DefaultTransport). Redirects are never followed, whatever the
	// client says, because Liverpie did not follow them: a 302 from the
	// reset URI is an answer whose cookie counts. A daemon passes its
	// shared pool, whose dials a DialGuard checks (NewClient).
	Client *http.Client
}

// Defaults of App's optional fields.
const (
	defaultTimeout  = 10 * time.Second
	defaultMaxReply = 1 << 20
)

// defaultClient serves apps without a Client of their own. It is
// never modified: each dialog uses a copy that does not follow redirects.
var defaultClient = &http.Client{}

// Start implements Backend. It makes the call's dialog without any I/O: the
// reset request belongs in Begin, which the session calls once the myevents
// reply has arrived, because Start must not block on the network and a
// reset's failure must end the call the way any other app failure does.
func (a *App) Start(ctx context.Context, call *proxy.Call) (proxy.Dialog, error) {
	d, err := a.start(call)
	if err != nil {
		return nil, err
	}
	return proxy.Raw(d), nil
}

// ReadsEveryEvent implements proxy.EventReader: a Liverpie app is sent
// every event's headers, so its calls nix nothing.
func (a *App) ReadsEveryEvent() bool { return true }

// start makes the call's dialog for Start.
func (a *App) start(call *proxy.Call) (*dialog, error) {
	if err := a.check(); err != nil {
		return nil, err
	}
	base := a.Client
	if base == nil {
		base = defaultClient
	}
	client := *base
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	d := &dialog{
		app:    a,
		call:   call,
		log:    call.Log,
		obs:    call.Observer,
		client: &client,
		base:   "http://" + net.JoinHostPort(a.IP, strconv.Itoa(a.Port)),
		allow:  a.allowed(),
		calls:  a.callCommands(),
		policy: verb.NewPolicy(a.AllowVars, a.AllowEndpoints, a.AllowDialplans),
		expect: firstExpect,
	}
	if d.log == nil {
		d.log = nolog.Logger()
	}
	if d.obs == nil {
		d.obs = proxy.NopObserver{}
	}
	if call.Channel != nil {
		d.form.merge(eventView(call.Channel, &d.names), d.log)
	}
	return d, nil
}

// ChannelVars implements VarReader for the app: its dialogs read no
// channel variables through Call.Var (Start copies the channel data into
// the call's form).
func (a *App) ChannelVars() []string { return nil }

// check reports an app that cannot drive a call.
func (a *App) check() error {
	var errs []error
	if a.IP == "" {
		errs = append(errs, errors.New("no ip"))
	}
	if a.Port < 1 || a.Port > 65535 {
		errs = append(errs, fmt.Errorf("port %d is not 1..65535", a.Port))
	}
	if a.StateMachineURI == "" {
		errs = append(errs, errors.New("no state_machine_uri"))
	}
	if a.ResetURI == "" {
		errs = append(errs, errors.New("no reset_uri"))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("liverpie app %s: %w", a.Name, err)
	}
	return nil
}

// allowed returns AllowCommands lower-cased, or the default.
func (a *App) allowed() []string {
	if len(a.AllowCommands) == 0 {
		return []string{"sendmsg"}
	}
	out := make([]string, len(a.AllowCommands))
	for i, w := range a.AllowCommands {
		out[i] = strings.ToLower(w)
	}
	return out
}

// callCommands returns execute, hangup and AllowCallCommands, lower-cased.
func (a *App) callCommands() []string {
	out := []string{"execute", "hangup"}
	for _, c := range a.AllowCallCommands {
		out = append(out, strings.ToLower(c))
	}
	return out
}

func (a *App) timeout() time.Duration {
	if a.Timeout > 0 {
		return a.Timeout
	}
	return defaultTimeout
}

func (a *App) maxReply() int {
	if a.MaxReplyBytes > 0 {
		return a.MaxReplyBytes
	}
	return defaultMaxReply
}

// Liverpie request kinds, as RequestInfo.Event names them.
const (
	eventReset        = "reset"
	eventStateMachine = "state_machine"
	eventDTMF         = "dtmf"
	eventHangup       = "hangup"
)

// dialog is one call of a Liverpie app. The session calls it from
// the call's goroutine only.
type dialog struct {
	app    *App
	call   *proxy.Call
	log    logrus.FieldLogger
	obs    proxy.Observer
	client *http.Client
	base   string       // http://ip:port
	allow  []string     // lower-case command words a msg may use
	calls  []string     // lower-case call-commands a sendmsg may carry
	policy *verb.Policy // the app's allow lists, for what an execute runs

	cookies jar
	form    form      // every header seen on the call, merged
	names   nameCache // header names normalised so far
	expect  expect    // what fires the next state-machine request
	reset   bool      // the reset request was answered
	hungUp  bool      // the channel hung up: no more app requests but hangup_uri
}

// firstExpect is Liverpie's initial expectation: the first
// command/reply after its own myevents, that is the myevents reply.
var firstExpect = expect{key: "content_type", hasKey: true, value: esl.TypeCommandReply, hasValue: true}

// Begin implements RawDialog: it resets the app's state machine, then, as
// the myevents reply is the command/reply Liverpie first waits for, makes
// the first state-machine request. The myevents reply itself is not merged
// into the form: it answers callhook's own command, and Liverpie did not
// merge it either, so the first request carries the channel data alone.
func (d *dialog) Begin(ctx context.Context, myeventsReply *esl.Frame) ([]esl.Command, error) {
	if err := d.resetApp(ctx); err != nil {
		return nil, err
	}
	if myeventsReply == nil || !d.expect.matches(frameView(myeventsReply, &d.names)) {
		return nil, nil
	}
	return d.step(ctx)
}

// Event implements RawDialog: the event is merged into the form, fires the
// state-machine request when it matches the expectation, and a DTMF event
// is then posted to dtmf_uri, in that order, as Liverpie did. The frame
// that tells of the hangup still fires its state-machine request when it
// matches (hangupStep); after it nothing more is asked: hangup_uri is the
// reliable way to hear about the end.
func (d *dialog) Event(ctx context.Context, ev *esl.Event) ([]esl.Command, error) {
	v := eventView(ev, &d.names)
	d.form.merge(v, d.log)
	if d.hungUp {
		return nil, nil
	}
	if ev.IsDisconnectNotice() || ev.Name() == esl.EventChannelHangup || ev.Name() == esl.EventChannelHangupComplete {
		d.hungUp = true
		d.hangupStep(ctx, v)
		return nil, nil
	}
	var cmds []esl.Command
	if d.expect.matches(v) {
		var err error
		if cmds, err = d.step(ctx); err != nil {
			return nil, err
		}
	}
	if h, ok := v.lookup("dtmf_digit"); ok && d.app.DTMFURI != "" {
		more, err := d.dtmf(ctx, h.value)
		if err != nil {
			return nil, err
		}
		cmds = append(cmds, more...)
	}
	return cmds, nil
}

// hangupStep makes the state-machine request a hangup frame fires (an app
// that expects event_name CHANNEL_HANGUP cleans up there, as it did under
// Liverpie). The call's context ends with the hangup, so the request runs
// on a context that does not, bounded by the app's Timeout as any request;
// there is no channel left for its msg, and a failure is only logged.
func (d *dialog) hangupStep(ctx context.Context, v view) {
	if !d.expect.matches(v) {
		return
	}
	if _, err := d.step(context.WithoutCancel(ctx)); err != nil {
		d.log.WithError(err).Warn("liverpie state machine request for the hangup failed")
	}
}

// Reply implements RawDialog: the reply to a command of the app is a frame
// like any other, merged and matched (content_type: command/reply and
// api/response expectations fire here).
func (d *dialog) Reply(ctx context.Context, cmd esl.Command, reply *esl.Frame) ([]esl.Command, error) {
	if reply == nil {
		return nil, nil
	}
	v := frameView(reply, &d.names)
	d.form.merge(v, d.log)
	if d.hungUp || !d.expect.matches(v) {
		return nil, nil
	}
	return d.step(ctx)
}

// End implements Dialog: with a hangup_uri, the app is told the call is
// over, with the form of the state-machine requests plus callhook_outcome
// and callhook_hangup_cause. An app whose reset failed has no session to
// end and is not asked.
func (d *dialog) End(ctx context.Context, end *proxy.CallEnd) {
	if d.app.HangupURI == "" || !d.reset {
		return
	}
	if end != nil {
		d.form.set("callhook_outcome", end.Outcome, d.log)
		d.form.set("callhook_hangup_cause", end.Cause, d.log)
	}
	resp, err := d.do(ctx, eventHangup, http.MethodPost, d.app.HangupURI, d.form.body())
	switch {
	case err != nil:
		d.log.WithError(err).Warn("liverpie hangup_uri failed")
	case resp.status/100 != 2 && resp.status/100 != 3:
		d.log.WithField("status", resp.status).Warn("liverpie hangup_uri answered with an error status")
	}
}

// resetApp GETs reset_uri without a cookie and keeps the cookies it sets.
// Any 2xx or 3xx is an answer (Liverpie took 200 and 302); anything else,
// or no answer, fails the call.
func (d *dialog) resetApp(ctx context.Context) error {
	resp, err := d.do(ctx, eventReset, http.MethodGet, d.app.ResetURI, "")
	if err != nil {
		return err
	}
	if resp.status/100 != 2 && resp.status/100 != 3 {
		return fmt.Errorf("liverpie reset %s: HTTP status %d", resp.url, resp.status)
	}
	d.reset = true
	return nil
}

// step POSTs the form to state_machine_uri and takes the reply's
// expectation and msg. An empty reply (or a redirect) leaves the
// expectation as it was, as in Liverpie, so an app may answer nothing and
// act on a later DTMF; an error status fails the call, where Liverpie left
// it waiting for good.
func (d *dialog) step(ctx context.Context) ([]esl.Command, error) {
	resp, err := d.do(ctx, eventStateMachine, http.MethodPost, d.app.StateMachineURI, d.form.body())
	if err != nil {
		return nil, err
	}
	switch {
	case resp.status/100 == 3:
		d.log.WithField("status", resp.status).Warn("liverpie state machine answered with a redirect; waiting as before")
		return nil, nil
	case resp.status/100 != 2:
		return nil, fmt.Errorf("liverpie state machine %s: HTTP status %d", resp.url, resp.status)
	}
	rep, err := parseReply(resp.body)
	if err != nil {
		return nil, fmt.Errorf("liverpie state machine %s: %w", resp.url, err)
	}
	if rep.empty {
		// Legitimate (an app waiting for a digit answers nothing), but
		// the first thing to look at when a call goes quiet.
		d.log.WithFields(logrus.Fields{"expected_key": d.expect.key, "expected_value": d.expect.value}).
			Info("liverpie state machine answered nothing; waiting as before")
		return nil, nil
	}
	d.expect = rep.expect
	cmds, err := d.commands(rep.msg)
	if err != nil {
		return nil, fmt.Errorf("liverpie state machine %s: %w", resp.url, err)
	}
	return cmds, nil
}

// dtmf POSTs one digit to dtmf_uri. Its reply's msg is sent; its
// expectations are ignored, as in Liverpie. An error status is logged and
// ignored (the digit was only news to the app, and Liverpie ignored it
// too); no answer at all fails the call like any request.
func (d *dialog) dtmf(ctx context.Context, digit string) ([]esl.Command, error) {
	resp, err := d.do(ctx, eventDTMF, http.MethodPost, d.app.DTMFURI, "dtmf_code="+escape(digit))
	if err != nil {
		return nil, err
	}
	if resp.status/100 != 2 {
		if resp.status/100 != 3 {
			d.log.WithField("status", resp.status).Warn("liverpie dtmf_uri answered with an error status; digit ignored")
		}
		return nil, nil
	}
	rep, err := parseReply(resp.body)
	if err != nil {
		return nil, fmt.Errorf("liverpie dtmf %s: %w", resp.url, err)
	}
	cmds, err := d.commands(rep.msg)
	if err != nil {
		return nil, fmt.Errorf("liverpie dtmf %s: %w", resp.url, err)
	}
	return cmds, nil
}

// ChannelVars implements VarReader: a Liverpie dialog keeps its own merged
// view of every header and reads no variables through the call.
func (d *dialog) ChannelVars() []string { return nil }
