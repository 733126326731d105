package main

// simulate.go is `callhook simulate`: it places one call through the real
// session engine (proxy.Proxy with the config's runtime, behind an
// esl.Server on a loopback port) from the FreeSWITCH simulator
// (esl/esltest), and prints the call as it happens. So an app can be tried
// with no FreeSWITCH at all, and scripted in CI with -digits.

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/callhook/callhook/esl/esltest"
	"github.com/callhook/callhook/internal/config"
	"github.com/callhook/callhook/outbound"
	"github.com/callhook/callhook/proxy"
	"github.com/callhook/callhook/statemachine"
	"github.com/sirupsen/logrus"
)

// Simulator speeds: a scripted call (or one nobody answers) runs media and
// timeouts this many times faster than real time; an interactive one runs
// in real time, so a gather's 5s timeout is 5 seconds at the keyboard,
// while each prompt lasts the simulator's default second.
const (
	scriptedSpeed    = 100
	interactiveSpeed = 1
)

// shutdownWait bounds how long simulate waits, once the simulated call is
// over, for the engine to finish the call (call.end to the app, exit).
const shutdownWait = 15 * time.Second

// Exit statuses of simulate.
const (
	simOK     = 0 // the call ran as the app meant it to
	simFailed = 1 // the fallback or on_failure ran, or an error ended the call
	simUsage  = 2 // bad flags or config: no call was placed
)

// simOptions are simulate's flags.
type simOptions struct {
	config    string
	liverpie  string // -liverpie-config: a Liverpie liverpie.yml whose apps join the config's
	addr      string // -addr: dial this running callhook serve instead of running the engine here
	adminAddr string // -addr: the daemon's admin address, from the config when it loads
	// remotePrompts is set with -addr when the call's app is a Liverpie
	// app: the scripted keys are pressed while its prompts play.
	remotePrompts bool
	app           string
	from, to      string
	digits        []string
	scripted      bool
	hangupAfter   time.Duration
	jsonOut       bool
	verbose       bool
	// bridge says what each bridge target does (-bridge TARGET=OUTCOME,
	// repeatable); a target not listed answers.
	bridge map[string]esltest.BridgeOutcome
	// load are modules the simulated switch loads beyond FreeSWITCH's
	// stock set (-load, repeatable): mod_flite for speak, say languages.
	load []string
	// saveScenario is -save-scenario: where to write the call as a
	// scenario file.
	saveScenario string
	// originate is -originate: the call is placed (POST /calls) on a
	// simulated box instead of coming in; outcome is what its target
	// does (-outcome), fromSet says -from was given.
	originate bool
	outcome   esltest.OriginateOutcome
	fromSet   bool
}

// switchFor is the simulated FreeSWITCH of a call: the stock modules and
// -load's.
func (o *simOptions) switchFor() *esltest.Switch {
	sw := esltest.NewSwitch()
	for _, m := range o.load {
		sw.LoadModule(m)
	}
	return sw
}

// loadFlag is the repeatable -load MODULE.
type loadFlag struct{ list *[]string }

func (f loadFlag) String() string {
	if f.list == nil {
		return ""
	}
	return strings.Join(*f.list, " ")
}

func (f loadFlag) Set(s string) error {
	if !strings.HasPrefix(s, "mod_") || strings.ContainsAny(s, " \t/") {
		return fmt.Errorf("%q: want a module name such as mod_flite", s)
	}
	*f.list = append(*f.list, s)
	return nil
}

// bridgeFlag is the repeatable -bridge TARGET=answer|busy|noanswer|fail:CAUSE.
type bridgeFlag map[string]esltest.BridgeOutcome

func (f bridgeFlag) String() string {
	var parts []string
	for t, o := range f {
		parts = append(parts, t+"="+string(o))
	}
	slices.Sort(parts)
	return strings.Join(parts, " ")
}

func (f bridgeFlag) Set(s string) error {
	target, o, err := esltest.ParseBridgeTarget(s)
	if err != nil {
		return errors.New(strings.TrimPrefix(err.Error(), "esltest: "))
	}
	f[target] = o
	return nil
}

// usageError is a bad flag value (exit status 2).
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func parseSimulateFlags(args []string, stderr io.Writer) (*simOptions, error) {
	fs := flag.NewFlagSet("simulate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, `usage: callhook simulate [-config FILE] [-liverpie-config FILE] [-addr HOST:PORT] [-app NAME] [-from N] [-to N] [-digits "1 2 #"] [-hangup-after D] [-bridge TARGET=OUTCOME ...] [-load MODULE ...] [-save-scenario FILE] [-originate [-outcome O]] [-json] [-v]

Places one call through the real engine, from a simulated FreeSWITCH, and
prints each request to the app, each verb, the caller's keys and the end.
With -digits the caller is scripted: each space-separated token is what
the caller types at the next gather or record ("-" types nothing). Without
-digits, on a terminal, you are the caller: type digits while the prompts
play, h hangs up. Otherwise nobody presses anything. Exit status 1 when the
app failed (its fallback or on_failure ran, or an error ended the call).
Each -bridge says what a bridge target does: answer (the default), busy,
noanswer (rings until the bridge's timeout) or fail:CAUSE.
The simulated switch has FreeSWITCH's stock modules (no mod_flite, no
mod_ssml, say in English only); each -load adds one (-load mod_flite).

With -addr, the simulated FreeSWITCH dials a callhook serve that is already
running (its listen address) instead of running the engine here: it prints
the switch's side (applications, keys, responses, the end) and sets
callhook_trace=true, so the daemon logs the call's wire trace at log level
debug; the requests and replies are in the daemon's log and /calls.
For a Liverpie app, each -digits token is pressed while the next prompt
(playback, say, speak) plays, as a caller would answer its menus.

`)
		fs.PrintDefaults()
	}
	o := &simOptions{}
	fs.StringVar(&o.config, "config", config.DefaultPath, "config file")
	fs.StringVar(&o.liverpie, "liverpie-config", "", "also a Liverpie liverpie.yml's apps (as serve -liverpie-config)")
	fs.StringVar(&o.addr, "addr", "", "dial a running `callhook serve` at `HOST:PORT` (its listen address) as FreeSWITCH would, instead of running the engine here")
	fs.StringVar(&o.app, "app", "", "the app to call (sets the channel variable callhook_app); default: routes and default_app decide")
	fs.StringVar(&o.from, "from", "1000", "the caller's number")
	fs.StringVar(&o.to, "to", "7000", "the dialled number (routes match it)")
	digits := fs.String("digits", "", `scripted keys, one token per gather or record: "1 2 #", "-" for none`)
	fs.DurationVar(&o.hangupAfter, "hangup-after", 0, "the caller hangs up after this much call time (0: never)")
	fs.StringVar(&o.saveScenario, "save-scenario", "", "write what the call did as a scenario file for callhook test to `FILE`")
	fs.BoolVar(&o.originate, "originate", false, "place the call as POST /calls does, on a simulated FreeSWITCH box, instead of taking it in (-to is the target: 1000 means user/1000; -app is required)")
	outcome := fs.String("outcome", "answer", "with -originate, what the called target does: `answer|busy|noanswer|fail:CAUSE`")
	fs.BoolVar(&o.jsonOut, "json", false, "print one JSON object per line instead of text")
	fs.BoolVar(&o.verbose, "v", false, "also log the engine's debug lines to stderr, with the call's wire trace (every ESL frame both ways)")
	o.bridge = map[string]esltest.BridgeOutcome{}
	fs.Var(loadFlag{&o.load}, "load", "a module the simulated switch loads besides the stock ones: `MODULE` such as mod_flite (repeatable)")
	fs.Var(bridgeFlag(o.bridge), "bridge", "what a bridge target does: `TARGET=answer|busy|noanswer|fail:CAUSE` (repeatable; default answer)")
	rest, err := parseArgs(fs, args)
	if err != nil {
		return nil, err
	}
	if len(rest) > 0 {
		return nil, &usageError{msg: fmt.Sprintf("unexpected argument %q", rest[0])}
	}
	outcomeSet := false
	fs.Visit(func(f *flag.Flag) {
		o.scripted = o.scripted || f.Name == "digits"
		o.fromSet = o.fromSet || f.Name == "from"
		outcomeSet = outcomeSet || f.Name == "outcome"
	})
	if outcomeSet && !o.originate {
		// Ignoring it would answer a call the user meant to be busy.
		return nil, &usageError{msg: "-outcome needs -originate (for a bridge target's outcome use -bridge TARGET=OUTCOME)"}
	}
	switch *outcome {
	case "answer", "busy", "noanswer":
		o.outcome = esltest.OriginateOutcome(*outcome)
	default:
		cause, ok := strings.CutPrefix(*outcome, "fail:")
		if !ok || cause == "" {
			return nil, &usageError{msg: fmt.Sprintf("-outcome %q: want answer, busy, noanswer or fail:CAUSE", *outcome)}
		}
		o.outcome = esltest.OriginateFail(cause)
	}
	if o.originate && (o.addr != "" || o.app == "") {
		return nil, &usageError{msg: "-originate needs -app and the engine here (not -addr)"}
	}
	if o.digits, err = parseDigits(*digits); err != nil {
		return nil, err
	}
	if o.saveScenario != "" && o.addr != "" {
		return nil, &usageError{msg: "-save-scenario needs the engine here: not with -addr"}
	}
	if o.hangupAfter < 0 {
		return nil, &usageError{msg: "-hangup-after must not be negative"}
	}
	for _, n := range []struct{ flag, v string }{{"-from", o.from}, {"-to", o.to}} {
		if n.v == "" || strings.ContainsAny(n.v, " \t\r\n") {
			return nil, &usageError{msg: fmt.Sprintf("%s %q: want a number without spaces", n.flag, n.v)}
		}
	}
	return o, nil
}

// runSimulate is `callhook simulate`; it returns the exit status.
func runSimulate(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	o, err := parseSimulateFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return simOK
	}
	if err != nil {
		if ue, ok := errors.AsType[*usageError](err); ok {
			fmt.Fprintf(stderr, "callhook simulate: %s\n", ue.msg)
		}
		return simUsage
	}
	if o.addr != "" {
		// The config, when there is one, says which app takes the call and
		// where the daemon's admin API is; the call goes to the daemon
		// anyway.
		if cfg, err := config.LoadWithLiverpie(o.config, o.liverpie, os.LookupEnv); err == nil {
			o.adminAddr = cfg.Admin
			a := cfg.AppByName(cfg.AppFor(o.app, o.to))
			o.remotePrompts = a != nil && a.Kind == config.KindLiverpie
		}
		return runRemote(o, stdin, stdout, stderr)
	}
	cfg, err := config.LoadWithLiverpie(o.config, o.liverpie, os.LookupEnv)
	if err != nil {
		fmt.Fprintln(stderr, "callhook simulate: the config has errors:")
		printErrors(stderr, err)
		return simUsage
	}
	log := newLogger(config.LogConfig{Level: "error", Format: cfg.Log.Format}, stderr)
	if o.verbose {
		log.SetLevel(logrus.DebugLevel)
	}
	// The simulated call is the only one, dialled from this process on a
	// loopback port: the config's ACL (FreeSWITCH's addresses) is not for
	// it, and the admin API is not served (a daemon may hold its port).
	local := *cfg
	local.ACL, local.Admin = nil, ""
	recLn, recNote, err := simRecordings(&local)
	if err != nil {
		fmt.Fprintf(stderr, "callhook simulate: %v\n", err)
		return simFailed
	}
	srv, err := newServer(&local, log)
	if err != nil {
		if recLn != nil {
			recLn.Close()
		}
		fmt.Fprintln(stderr, "callhook simulate: the config has errors:")
		printErrors(stderr, err)
		return simUsage
	}
	srv.recLn = recLn
	// The apps of the config may not reach the admin API of a daemon
	// running it either.
	guardConfiguredAdmin(srv.deps.guard, cfg.Admin)
	rt := srv.proxy.Runtime()
	if o.app != "" && rt.Apps[o.app] == nil {
		names := make([]string, 0, len(rt.Apps))
		for name := range rt.Apps {
			names = append(names, name)
		}
		slices.Sort(names)
		fmt.Fprintf(stderr, "callhook simulate: -app %q: %s has no such app (it has: %s)\n", o.app, o.config, strings.Join(names, ", "))
		return simUsage
	}

	var term *simTerminal
	if !o.scripted {
		term, _ = openTerminal(stdin)
	}
	s := &simulation{o: o, cfg: cfg, srv: srv, term: term, stderr: stderr}
	s.print = newSimPrinter(stdout, o.jsonOut)
	s.print.recordings = recNote
	for _, a := range rt.Apps {
		// A flow says which transition each result took, and why.
		if b, ok := a.Backend.(*statemachine.Backend); ok {
			b.OnMove = s.print.Transitions
		}
	}
	return s.run()
}

// simulation is one run of simulate: the engine, its listener and the
// simulated call.
type simulation struct {
	o      *simOptions
	cfg    *config.Config
	srv    *server      // serve's daemon, without the admin API
	term   *simTerminal // nil unless the caller is at the keyboard
	stderr io.Writer
	print  *simPrinter
	// cleanup runs when the run ends (simulate -originate's box and
	// Manager); completed, for a placed call that answered, gets its
	// call.completed.
	cleanup   []func()
	completed chan outbound.StatusEvent
}

func (s *simulation) run() int {
	caller := &simCaller{print: s.print, speed: scriptedSpeed, tokens: s.o.digits, liverpieApps: map[string]bool{}}
	for _, a := range s.cfg.Apps {
		caller.liverpieApps[a.Name] = a.Kind == config.KindLiverpie
	}
	// The printer and the caller see the call as the metrics do.
	s.srv.proxy.Observer = proxy.Observers{s.srv.proxy.Observer, s.print, caller}
	var rec *scenarioRecorder
	if s.o.saveScenario != "" {
		rec = &scenarioRecorder{o: s.o}
		s.print.onCaller = rec.caller
		s.srv.proxy.Observer = proxy.Observers{s.srv.proxy.Observer, rec}
	}
	// The call's HTTP connections end with the run, not when a test's or a
	// process's goroutines are counted.
	defer s.srv.deps.client.CloseIdleConnections()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintf(s.stderr, "callhook simulate: listen on a loopback port: %v\n", err)
		return simFailed
	}
	served, err := s.srv.serve(ln)
	if err != nil {
		fmt.Fprintf(s.stderr, "callhook simulate: %v\n", err)
		return simFailed
	}
	defer s.srv.stopRecordings()
	if r := s.srv.cfg.Recordings; r != nil && !r.Local {
		// The folder stays only when a recording was kept in it.
		defer os.Remove(r.Dir)
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), shutdownWait)
		defer cancel()
		if err := s.srv.esl.Shutdown(ctx); err != nil {
			s.srv.esl.Close()
		}
		<-served
	}()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	if s.term != nil {
		if err := s.term.raw(); err != nil {
			fmt.Fprintf(s.stderr, "callhook simulate: %v; nobody will press anything\n", err)
			s.term = nil
		}
	}
	if s.term != nil {
		defer s.term.restore()
		caller.interactive, caller.speed = true, interactiveSpeed
	}
	defer caller.close()
	s.intro(caller)

	vars := map[string]string{}
	if s.o.app != "" {
		vars["callhook_app"] = s.o.app
	}
	if s.o.verbose {
		// -v: the engine logs the call's wire trace (every frame both
		// ways) at debug, as a daemon does for a call with this variable.
		vars["callhook_trace"] = "true"
	}
	defer func() {
		for i := len(s.cleanup) - 1; i >= 0; i-- {
			s.cleanup[i]()
		}
	}()
	opts := esltest.Options{
		CallerIDNumber:    s.o.from,
		DestinationNumber: s.o.to,
		Vars:              vars,
		Speed:             caller.speed,
		OnApp:             caller.onApp,
		BridgeTargets:     s.o.bridge,
		// With a local delivery callhook reads the file where the switch
		// wrote it: the simulated switch writes it there.
		WriteRecordings: s.cfg.Recordings != nil && s.cfg.Recordings.Local,
		Switch:          s.o.switchFor(),
	}
	var call *esltest.Call
	if s.o.originate {
		opts.CallerIDNumber, opts.DestinationNumber, opts.Vars = "", "", nil
		if call, err = s.originate(ctx, ln.Addr().String(), caller, opts); err == nil && call == nil {
			return simOK // it did not answer: its call.completed said how it ended
		}
	} else {
		call, err = esltest.Dial(ctx, ln.Addr().String(), opts)
	}
	if err != nil {
		s.print.Error(err)
		return simFailed
	}
	caller.attach(call)
	if s.o.hangupAfter > 0 {
		// Call time as the simulator counts it: media fast, the web app's
		// time as it passes.
		why := " (-hangup-after " + s.o.hangupAfter.String() + ")"
		call.HangupAfter(s.o.hangupAfter, "NORMAL_CLEARING", func() {
			caller.print.Caller("hangup", "     caller hangs up"+why, simField{"why", strings.TrimPrefix(why, " ")})
		})
	}
	keys := make(chan struct{})
	if s.term != nil {
		go func() {
			defer close(keys)
			caller.readKeys(ctx, s.term)
		}()
	} else {
		close(keys)
	}

	select {
	case <-call.Done():
	case <-ctx.Done():
		// A second Ctrl-C ends the process the default way.
		stop()
		caller.hangup(" (interrupted)")
		<-call.Done()
	}
	if s.term != nil {
		s.term.stopReading()
	}
	<-keys
	s.waitEngine(s.srv.proxy)
	if s.completed != nil {
		select {
		case <-s.completed: // printed as it came
		case <-time.After(shutdownWait):
			s.print.Error(errors.New("the placed call's call.completed did not come"))
		}
	}
	res, err := call.Wait(context.Background()) // done already: it returns at once
	if err != nil {
		res = nil
	}
	s.print.End(res)
	if left := caller.unused(); len(left) > 0 {
		s.print.Note(fmt.Sprintf("(-digits %q were not used: the call had fewer gathers and records)", strings.Join(left, " ")))
	}
	if rec != nil {
		if err := rec.write(s.o.saveScenario); err != nil {
			fmt.Fprintf(s.stderr, "callhook simulate: %v\n", err)
			return simFailed
		}
		run := "callhook test -config " + s.o.config
		if s.o.liverpie != "" {
			// The scenario's app may be the liverpie.yml's: the test needs it too.
			run += " -liverpie-config " + s.o.liverpie
		}
		s.print.Note("(the call is saved as a scenario in " + s.o.saveScenario + ": " + run + " " + s.o.saveScenario + ")")
	}
	if err := s.print.WriteErr(); err != nil {
		fmt.Fprintf(s.stderr, "callhook simulate: %v\n", err)
	}
	if s.print.CallFailed() {
		return simFailed
	}
	return simOK
}

// intro says how the call will go, for people.
func (s *simulation) intro(c *simCaller) {
	switch {
	case c.interactive:
		s.print.Note("you are the caller: type digits while prompts play; h hangs up")
	case s.o.scripted && len(s.o.digits) > 0:
		s.print.Note(fmt.Sprintf("scripted caller: %s (media runs %dx faster)", strings.Join(s.o.digits, " "), scriptedSpeed))
	default:
		s.print.Note(fmt.Sprintf("nobody presses anything (media runs %dx faster)", scriptedSpeed))
	}
}

// waitEngine waits for the engine to report the call's end (or its
// refusal): the simulated call is over first, while the engine still tells
// the app (call.end) and sends exit.
func (s *simulation) waitEngine(p *proxy.Proxy) {
	select {
	case <-s.print.Done():
		return
	default:
	}
	ctx, cancel := context.WithTimeout(context.Background(), shutdownWait)
	defer cancel()
	if err := p.WaitIdle(ctx); err != nil {
		s.print.Error(fmt.Errorf("the engine did not finish the call within %s", shutdownWait))
		return
	}
	select {
	case <-s.print.Done():
	default:
		s.print.Error(errors.New("the call ended before the engine took it"))
	}
}
