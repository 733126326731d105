package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"os"
	"os/signal"
	"runtime/pprof"
	"strings"
	"syscall"
	"time"

	"github.com/callhook/callhook/esl"
	"github.com/callhook/callhook/internal/config"
	"github.com/callhook/callhook/internal/gcpace"
	"github.com/callhook/callhook/proxy"
	"github.com/callhook/callhook/recordings"
	"github.com/sirupsen/logrus"
)

// drainCause is the hangup cause of calls still up when drain_timeout ends.
const drainCause = "SYSTEM_SHUTDOWN"

// afterDrainWait bounds how long serve waits for calls it hung up at the
// drain deadline to end (their channels to hang up); the sockets of the
// calls still up then are closed.
const afterDrainWait = 10 * time.Second

// sessionsEndWait bounds how long serve waits, once no call is taken and
// every socket is closed, for the sessions to finish before it exits: a
// session whose socket was closed under it still tells its app (call.end,
// bounded by the proxy's EndTimeout, 10s) and logs its end. Exiting before
// that cut call.end mid-request and lost the log line.
const sessionsEndWait = 15 * time.Second

func runServe(args []string, stderr io.Writer) int {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	configPath := fs.String("config", "config.yaml", "config file")
	liverpiePath := fs.String("liverpie-config", "", "also serve the apps of a Liverpie liverpie.yml")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile to this file until exit (for benchmarks)")
	memProfile := fs.String("memprofile", "", "write a heap profile (allocations since start) to this file at exit (for benchmarks)")
	rest, err := parseArgs(fs, args)
	if err != nil {
		return 2
	}
	if len(rest) > 0 {
		fmt.Fprintf(stderr, "callhook serve: unexpected argument %q\n", rest[0])
		return 2
	}
	cfg, err := config.LoadWithLiverpie(*configPath, *liverpiePath, os.LookupEnv)
	if err != nil {
		fmt.Fprintf(stderr, "callhook: %v\n", err)
		return 1
	}
	log := newLogger(cfg.Log, stderr)
	if l := cfg.Liverpie; l != nil {
		logLiverpieSource(log, cfg, l)
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			log.WithError(err).Error("cpu profile")
			return 1
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			log.WithError(err).Error("cpu profile")
			return 1
		}
		defer func() { pprof.StopCPUProfile(); f.Close() }()
	}
	if *memProfile != "" {
		defer writeMemProfile(log, *memProfile)
	}
	defer paceGC(os.LookupEnv)()
	s, err := newServer(cfg, log)
	if err != nil {
		printErrors(stderr, err)
		return 1
	}
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		log.WithError(err).Error("listen")
		return 1
	}
	return s.run(ln)
}

// server is one running daemon: the event socket listener, the proxy and
// the admin API, with reload and drain. serve, the tests and simulate all
// build it with newServer and start it with serve.
type server struct {
	// cfg is the config the daemon started with: reloads read its files
	// again, and what they cannot apply is measured against it.
	cfg   *config.Config
	deps  *deps
	log   *logrus.Logger
	proxy *proxy.Proxy
	esl   *esl.Server
	ops   *operations
	// placing places calls on the config's boxes (nil: no boxes).
	placing *placing
	// The recordings delivery (recordings.go): nil without the config's
	// recordings key.
	store    *recordings.Store
	recLn    net.Listener // bound by the caller before serve (simulate), else serve binds it
	recHTTP  *http.Server
	recDone  chan struct{}
	recSweep chan struct{} // closed to stop the minutely sweep of expired recordings
}

// newServer builds the daemon cfg describes, wired as serve runs it: the
// runtime (every flow parsed and checked), the metrics and the admin API,
// the proxy reporting calls to the metrics, and the event socket server
// with the config's ACL, connection options, frame counter, error log and
// refusal hook. Nothing listens yet: serve does that. A config whose
// runtime cannot be built returns every problem (errors.Join).
func newServer(cfg *config.Config, log *logrus.Logger) (*server, error) {
	d := newDeps()
	rt, err := buildRuntime(cfg, d)
	if err != nil {
		return nil, err
	}
	store, err := newRecordings(cfg)
	if err != nil {
		return nil, err
	}
	s := &server{cfg: cfg, deps: d, log: log, ops: newOperations(cfg, log), store: store}
	for _, w := range twimlRecordingWarnings(cfg) {
		log.Warn(w)
	}
	var obs proxy.Observer = s.ops.observer()
	if s.placing = newPlacing(cfg, d, log, newOutboundMetrics(s.ops.metrics)); s.placing != nil {
		// The placed calls' sockets start and end in the engine.
		obs = proxy.Observers{obs, s.placing.m}
		s.ops.placer = s.placing.m
	}
	s.proxy = &proxy.Proxy{
		Log:      log,
		Observer: obs,
		Linger:   cfg.Linger,
		Version:  version,
	}
	if store != nil {
		s.proxy.Recordings = store
	}
	s.proxy.SetRuntime(rt)
	s.esl = &esl.Server{
		Handler:        s.proxy,
		ACL:            cfg.ACL,
		ErrorLog:       log.WithField("component", "esl"),
		ConnectTimeout: cfg.EventSocket.ReplyTimeout,
		Conn:           connOptions(cfg.EventSocket, s.ops.frameCounter()),
		Refused:        s.ops.refused,
	}
	return s, nil
}

func (s *server) run(ln net.Listener) int {
	// Signals are caught before the daemon says it serves: a SIGHUP sent
	// on that line would otherwise end the process (its default action).
	signals := make(chan os.Signal, 4)
	signal.Notify(signals, syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP)
	defer signal.Stop(signals)

	served, err := s.serve(ln)
	if err != nil {
		// Any listener or the boxes may fail here (admin, recordings,
		// twilio_api); the error names which.
		s.log.WithError(err).Error("cannot start")
		return 1
	}
	defer s.ops.stop()
	defer s.placing.stop()
	defer s.stopRecordings()
	defer s.stopTwilioAPI()
	s.log.WithFields(logrus.Fields{"listen": ln.Addr().String(), "admin": s.ops.addr(), "apps": len(s.proxy.Runtime().Apps)}).
		Info("callhook serving")

	// Reloads run on a goroutine of their own: a reload stuck reading a
	// file must not hold up this loop, or SIGTERM and POST /drain would
	// wait for it.
	reloads := startReloader(s.reload)
	defer reloads.stop()
	for {
		select {
		case sig := <-signals:
			if sig == syscall.SIGHUP {
				reloads.request()
				continue
			}
			reloads.stop()
			return s.drain(logrus.Fields{"signal": sig.String()}, signals)
		case <-s.ops.drainRequested():
			reloads.stop()
			return s.drain(logrus.Fields{"by": "admin"}, signals)
		case err := <-served:
			if errors.Is(err, esl.ErrServerClosed) {
				return 0
			}
			s.log.WithError(err).Error("event socket listener failed")
			return 1
		}
	}
}

// serve starts the admin API (when the config has one) and then serves the
// event socket on ln in the background; served gets Serve's end. The
// caller binds ln first, so that a port taken fails before anything
// serves. Both addresses go to the dial guard before the first call is
// taken: an app has no business with the admin API, nor with the event
// socket, where a request would pose as FreeSWITCH to callhook itself. A
// failure closes ln and leaves nothing running.
func (s *server) serve(ln net.Listener) (served <-chan error, err error) {
	if ap, err := netip.ParseAddrPort(ln.Addr().String()); err == nil {
		s.deps.guard.Refuse(ap, "callhook's event socket")
	}
	if err := s.ops.start(s.proxy, s.drainNow, s.deps.guard); err != nil {
		ln.Close()
		return nil, err
	}
	if err := s.startRecordings(s.recLn); err != nil {
		s.ops.stop()
		ln.Close()
		return nil, err
	}
	ch := make(chan error, 1)
	go func() { ch <- s.esl.Serve(ln) }()
	// What started so far stops again when a later part cannot start.
	undo := func() {
		s.esl.Close()
		s.stopRecordings()
		s.ops.stop()
	}
	// The boxes bring answered calls to ln: connect once it serves.
	if err := s.placing.start(s.log); err != nil {
		undo()
		return nil, err
	}
	if err := s.startTwilioAPI(); err != nil {
		s.placing.stop()
		undo()
		return nil, err
	}
	return ch, nil
}

// drainNow is what POST /drain calls: it starts the same drain as SIGTERM.
func (s *server) drainNow() { s.ops.requestDrain() }

// drainProgressEvery is how often a drain logs the calls it waits for.
const drainProgressEvery = 5 * time.Second

// drain stops taking calls (new ones are handed back to the dialplan,
// esl.Conn.HandBack), lets calls in progress finish up to drain_timeout,
// hangs up the rest with a logged reason, closes the sockets of the calls
// still up after that, waits (bounded) for every session to finish, and
// exits 0. While it waits it logs the calls left every few seconds. A
// SIGINT (a second Ctrl-C) ends the wait at once: the calls are hung up as
// at the deadline. A SIGTERM only logs the progress, so a supervisor that
// sends SIGTERM again does not cut live calls.
func (s *server) drain(why logrus.Fields, signals <-chan os.Signal) int {
	s.proxy.Drain()
	// Logged once new calls are refused, so "draining" in the log means it.
	s.log.WithFields(why).WithFields(logrus.Fields{"drain_timeout": s.cfg.DrainTimeout.String(), "calls": s.proxy.Active(),
		"hint": "Ctrl-C again (SIGINT) hangs up the calls in progress now; SIGTERM again only logs progress"}).
		Info("draining")
	ctx, cancel := context.WithTimeout(context.Background(), s.cfg.DrainTimeout)
	idle := make(chan error, 1)
	go func() { idle <- s.proxy.WaitIdle(ctx) }()
	deadline := time.Now().Add(s.cfg.DrainTimeout)
	tick := time.NewTicker(drainProgressEvery)
	progress := func(msg string) {
		s.log.WithFields(logrus.Fields{"calls": s.proxy.Active(), "drain_left": time.Until(deadline).Round(time.Second).String()}).Info(msg)
	}
	var err error
	cause := "drain timeout: hanging up the calls still in progress"
wait:
	for {
		select {
		case err = <-idle:
			break wait
		case <-tick.C:
			progress("draining: waiting for the calls in progress")
		case sig := <-signals:
			switch sig {
			case syscall.SIGINT:
				cause = "interrupted again: hanging up the calls still in progress"
				cancel()
				err = <-idle
				break wait
			case syscall.SIGTERM:
				progress("draining: SIGTERM again changes nothing, the calls in progress go on (SIGINT hangs them up now)")
			default:
				s.log.WithField("signal", sig.String()).Info("draining: no reload while draining")
			}
		}
	}
	tick.Stop()
	cancel()
	if err != nil {
		ctx, cancel := context.WithTimeout(context.Background(), afterDrainWait)
		n := s.proxy.HangupAll(ctx, drainCause)
		s.log.WithFields(logrus.Fields{"calls": n, "cause": drainCause, "drain_timeout": s.cfg.DrainTimeout.String()}).
			Warn(cause)
		if err := s.proxy.WaitIdle(ctx); err != nil {
			s.log.WithField("calls", s.proxy.Active()).Error("calls did not end after hangup; closing their sockets")
			// Their sessions see the connection end, tell their apps
			// and log how they ended; Shutdown below waits for that.
			s.esl.Close()
		}
		cancel()
	}
	// No session may be cut short by the exit: wait for every connection's
	// handler (a call ending, a refusal) to return.
	ctx, cancel = context.WithTimeout(context.Background(), sessionsEndWait)
	defer cancel()
	if err := s.esl.Shutdown(ctx); err != nil {
		s.log.WithField("calls", s.proxy.Active()).Error("sessions did not finish in time; exiting without them")
		s.esl.Close()
	}
	s.log.Info("drained; exiting")
	return 0
}

// reload re-reads the config and its flows (SIGHUP). New calls get the new
// apps, routes and limits; calls in progress finish on theirs. A broken file
// is refused with its errors and the old config keeps serving. A reload
// that ends after ctx (the drain began meanwhile) applies nothing.
func (s *server) reload(ctx context.Context) {
	liverpiePath := ""
	if s.cfg.Liverpie != nil {
		liverpiePath = s.cfg.Liverpie.File
	}
	cfg, err := config.LoadWithLiverpie(s.cfg.File, liverpiePath, os.LookupEnv)
	if err == nil {
		var rt *proxy.Runtime
		if rt, err = buildRuntime(cfg, s.deps); err == nil {
			if ctx.Err() != nil {
				s.log.Warn("reload abandoned: the daemon is draining")
				return
			}
			if restart := config.RestartOnly(s.cfg, cfg); len(restart) > 0 {
				s.log.WithField("keys", strings.Join(restart, ", ")).
					Warn("reload: these settings need a restart to take effect; the rest is applied")
			}
			s.proxy.SetRuntime(rt)
			if s.placing != nil {
				s.placing.setApps(cfg)
			}
			s.deps.twilio.setAccounts(cfg)
			if lvl, err := logrus.ParseLevel(cfg.Log.Level); err == nil {
				s.log.SetLevel(lvl)
			}
			s.log.WithField("apps", len(rt.Apps)).Info("reloaded")
			return
		}
	}
	for _, line := range splitErrorLines(err) {
		s.log.Error("reload refused: " + line)
	}
	s.log.Error("reload refused: the previous config keeps serving")
}

// logLiverpieSource says what serve made of a liverpie.yml: where the
// config came from and which app takes the calls nothing else routes.
func logLiverpieSource(log *logrus.Logger, cfg *config.Config, l *config.LiverpieSource) {
	names := make([]string, len(l.Apps))
	for i, a := range l.Apps {
		names[i] = a.Name
	}
	e := log.WithFields(logrus.Fields{"liverpie_config": l.File, "liverpie_apps": names, "default_app": cfg.DefaultApp})
	if l.NoConfigFile {
		e = e.WithField("config", "none: "+cfg.File+" does not exist, the defaults apply")
	}
	if l.ReplacedDefaultApp != "" && l.ReplacedDefaultApp != cfg.DefaultApp {
		e.Warnf("the Liverpie app %q takes every call no route names, in place of default_app %q of %s (a flat liverpie.yml has one app, which took every call)",
			cfg.DefaultApp, l.ReplacedDefaultApp, cfg.File)
		return
	}
	e.Info("serving the apps of a Liverpie config")
}

// newLogger configures logrus as the config says; only cmd does this.
func newLogger(lc config.LogConfig, out io.Writer) *logrus.Logger {
	log := logrus.New()
	log.Out = out
	if lvl, err := logrus.ParseLevel(lc.Level); err == nil {
		log.SetLevel(lvl)
	}
	if lc.Format == "json" {
		log.Formatter = &logrus.JSONFormatter{}
	} else {
		log.Formatter = newTextFormatter() // logrus's TextFormatter's bytes (log_text.go)
	}
	return log
}

// splitErrorLines splits a joined error into its lines (each config or flow
// problem is one "file:line: message").
func splitErrorLines(err error) []string {
	if err == nil {
		return nil
	}
	var lines []string
	for _, l := range strings.Split(err.Error(), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			lines = append(lines, l)
		}
	}
	return lines
}

func printErrors(w io.Writer, err error) {
	for _, l := range splitErrorLines(err) {
		fmt.Fprintln(w, l)
	}
}

// serveGCPercent and serveGCHeadroom pace the garbage collector when GOGC
// is not set: the heap may grow by 150% of what is live between
// collections, and by at least 64 MiB (package gcpace says why). A call
// allocates about 100 KiB that is garbage within milliseconds and keeps a
// few KiB, so with a small live heap the usual pacing ran the collector
// dozens of times a second under load; BENCHMARKS.md (issue 16's fifth
// round) has the figures. With thousands of held calls the percentage gives
// the larger goal and the headroom adds nothing. GOGC, when set, decides as
// usual and turns the headroom off.
const (
	serveGCPercent  = 150
	serveGCHeadroom = 64 << 20
)

// paceGC starts the collector's pacing unless GOGC is set; the returned
// function stops it.
func paceGC(lookupEnv func(string) (string, bool)) (stop func()) {
	if _, set := lookupEnv("GOGC"); set {
		return func() {}
	}
	return gcpace.Start(serveGCPercent, serveGCHeadroom).Stop
}

// writeMemProfile writes the heap profile, whose alloc_space and
// alloc_objects samples count everything allocated since the start: with
// a load run, the allocations per call (BENCHMARKS.md).
func writeMemProfile(log logrus.FieldLogger, path string) {
	f, err := os.Create(path)
	if err != nil {
		log.WithError(err).Error("heap profile")
		return
	}
	defer f.Close()
	if err := pprof.Lookup("allocs").WriteTo(f, 0); err != nil {
		log.WithError(err).Error("heap profile")
	}
}
