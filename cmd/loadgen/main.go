// Command loadgen measures callhook against a floor (issues 8 and 16). It
// places simulated FreeSWITCH calls (package replay: the frames of a real
// FreeSWITCH's menu call, replayed with each call's UUIDs; or, with -sim
// esltest, the simulator the tests use) against a running callhook or the
// floor (package floor, a minimal handler sharing no callhook code), plays
// the caller, and reports calls per second, failures by kind, the latency
// the daemon adds to each step, webhook latency, CPU per call and memory
// and goroutines per held call. -summary and -compare set callhook and the
// floor side by side (make bench).
//
//	loadgen -scenario throughput -webapp 127.0.0.1:8000 -pid PID [-rate R | -concurrency N] [-duration D | -calls N]
//	loadgen -scenario latency    -webapp 127.0.0.1:8000 -pid PID        (1,000 calls/s)
//	loadgen -scenario held       -webapp 127.0.0.1:8000 -pid PID -admin 127.0.0.1:9090 -calls 10000
//	loadgen -scenario slowapp    -webapp 127.0.0.1:8000                 (20 calls, 200 ms per request)
//	loadgen -baseline [-http] -scenario throughput ...                  the floor, in-process
//	loadgen -serve-baseline 127.0.0.1:8085 [-http -webapp ADDR]         the floor as its own process
//	loadgen -print-config -webapp 127.0.0.1:8000                        a callhook config for the above
//	loadgen ... -summary runs.jsonl -label floor; loadgen -compare runs.jsonl   the ratios
//
// loadgen and callhook are separate processes; callhook's config decides
// where calls go. With -webapp, loadgen also serves its own fast web app
// (see WebApp), whose handling time it can take out of the step latency.
// BENCHMARKS.md has the commands and the figures.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime/pprof"
	"syscall"
	"time"

	"github.com/callhook/callhook/cmd/loadgen/floor"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// options are loadgen's flags.
type options struct {
	scenario      string
	addr          string
	rate          float64
	concurrency   int
	calls         int
	duration      time.Duration
	speed         float64
	app           string
	appSet        bool
	digit         string
	webapp        string
	slowDelay     time.Duration
	slowCalls     int
	pid           int
	admin         string
	baseline      bool
	http          bool
	serveBaseline string
	printConfig   bool
	callTimeout   time.Duration
	holdTimeout   time.Duration
	settle        time.Duration
	cpuProfile    string
	sim           string
	summary       string
	label         string
	compare       string
	freePorts     int
}

// parseFlags reads the flags and refuses combinations that mean nothing.
func parseFlags(args []string, stderr io.Writer) (*options, error) {
	o := &options{}
	fs := flag.NewFlagSet("loadgen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.scenario, "scenario", "throughput", "throughput, latency, held or slowapp")
	fs.StringVar(&o.addr, "addr", "127.0.0.1:8084", "callhook's event socket (its listen address)")
	fs.Float64Var(&o.rate, "rate", 0, "calls started per second; 0: as fast as -concurrency allows (latency: default 1000)")
	fs.IntVar(&o.concurrency, "concurrency", 0, "calls in flight at most (default 100 without -rate; with -rate, 2000: a daemon that far behind is overloaded, and more would only exhaust file descriptors)")
	fs.IntVar(&o.calls, "calls", 0, "calls to place (held: calls to hold, default 1000)")
	fs.DurationVar(&o.duration, "duration", 0, "how long to keep placing calls (throughput: default 10s, latency: 30s)")
	fs.Float64Var(&o.speed, "speed", 0, "media runs this many times faster than real time (default 1e6: prompts take no time; held: 1)")
	fs.StringVar(&o.app, "app", "", `the callhook_app channel variable (default: unset, so callhook's default_app; held: "hold"; slowapp: "slow")`)
	fs.StringVar(&o.digit, "digit", "1", "the key the caller presses when a gather starts")
	fs.StringVar(&o.webapp, "webapp", "", "serve loadgen's fast web app on this address (with -serve-baseline: the web app to call)")
	fs.DurationVar(&o.slowDelay, "slow-delay", 200*time.Millisecond, "how long the web app takes per request of the slow app")
	fs.IntVar(&o.slowCalls, "slow-calls", 20, "slowapp: calls placed at once")
	fs.IntVar(&o.pid, "pid", 0, "callhook's process id, for CPU and RSS from /proc")
	fs.StringVar(&o.admin, "admin", "", "callhook's admin address, for goroutines (and RSS, CPU without -pid) from /metrics")
	fs.BoolVar(&o.baseline, "baseline", false, "drive the thinnest correct outbound handler, in-process, instead of callhook")
	fs.BoolVar(&o.http, "http", false, "baseline: the same keep-alive HTTP requests per call as callhook's menu app (2; 1 held)")
	fs.StringVar(&o.summary, "summary", "", "append this run's figures as one JSON line to this file (for -compare)")
	fs.StringVar(&o.label, "label", "callhook", "the daemon's name in the -summary record (callhook, floor)")
	fs.StringVar(&o.compare, "compare", "", "print callhook against the floor from this -summary file, with the ratios, and exit (1 if a run failed calls)")
	fs.StringVar(&o.sim, "sim", "replay", "the simulated FreeSWITCH: replay (the real menu trace's frames, no callhook code) or esltest")
	fs.StringVar(&o.serveBaseline, "serve-baseline", "", "serve the baseline handler on this address until SIGINT or SIGTERM (the floor as its own process)")
	fs.BoolVar(&o.printConfig, "print-config", false, "print a callhook config for loadgen's web app (-webapp) on -addr, admin on -admin, and exit")
	fs.DurationVar(&o.callTimeout, "call-timeout", 60*time.Second, "a call not over by then (held: once released) is a failure")
	fs.DurationVar(&o.holdTimeout, "hold-timeout", 5*time.Minute, "held: how long to wait for every call to be holding")
	fs.DurationVar(&o.settle, "settle", 3*time.Second, "held: how long the held calls sit idle before the daemon's memory is read (>2m includes Go's periodic GC)")
	fs.IntVar(&o.freePorts, "free-ports", 0, "print this many free loopback TCP ports, one a line, and exit (for scripts)")
	fs.StringVar(&o.cpuProfile, "cpuprofile", "", "write loadgen's own CPU profile to this file (with -baseline it covers the baseline too)")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	fs.Visit(func(f *flag.Flag) {
		if f.Name == "app" {
			o.appSet = true
		}
	})
	switch o.scenario {
	case "throughput", "latency", "held", "slowapp":
	default:
		return nil, fmt.Errorf("unknown scenario %q (throughput, latency, held, slowapp)", o.scenario)
	}
	if o.sim != "replay" && o.sim != "esltest" {
		return nil, fmt.Errorf("unknown -sim %q (replay, esltest)", o.sim)
	}
	if o.http && !o.baseline && o.serveBaseline == "" {
		return nil, errors.New("-http goes with -baseline or -serve-baseline")
	}
	if o.serveBaseline != "" && o.http && o.webapp == "" {
		return nil, errors.New("-serve-baseline -http needs -webapp, the address of the web app to call")
	}
	if o.printConfig && o.webapp == "" {
		return nil, errors.New("-print-config needs -webapp, where loadgen's web app will listen")
	}
	return o, nil
}

// run is main with its environment as parameters; it returns the exit
// status: 0, 1 when a call failed or the run could not be made, 2 on bad
// usage.
func run(args []string, stdout, stderr io.Writer) int {
	o, err := parseFlags(args, stderr)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		fmt.Fprintf(stderr, "loadgen: %v\n", err)
		return 2
	}
	if o.printConfig {
		writeConfig(stdout, o.addr, o.admin, o.webapp)
		return 0
	}
	if o.compare != "" {
		rs, err := readRecords(o.compare)
		if err != nil {
			fmt.Fprintf(stderr, "loadgen: %v\n", err)
			return 1
		}
		if !compare(stdout, rs, "callhook", "floor") {
			return 1
		}
		return 0
	}
	if o.freePorts > 0 {
		ports, err := freePorts(o.freePorts)
		if err != nil {
			fmt.Fprintf(stderr, "loadgen: %v\n", err)
			return 1
		}
		for _, p := range ports {
			fmt.Fprintln(stdout, p)
		}
		return 0
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if o.cpuProfile != "" {
		stopProfile, err := startProfile(o.cpuProfile)
		if err != nil {
			fmt.Fprintf(stderr, "loadgen: %v\n", err)
			return 1
		}
		defer stopProfile()
	}
	if o.serveBaseline != "" {
		if err := serveBaseline(ctx, o, stderr); err != nil {
			fmt.Fprintf(stderr, "loadgen: %v\n", err)
			return 1
		}
		return 0
	}
	ok, err := runScenario(ctx, o, stdout)
	if err != nil {
		fmt.Fprintf(stderr, "loadgen: %v\n", err)
		return 1
	}
	if !ok {
		return 1
	}
	return 0
}

// freePorts finds n distinct free loopback ports by listening on port 0
// with all n listeners open at once, so no port is given twice.
func freePorts(n int) ([]int, error) {
	ports := make([]int, 0, n)
	for range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("free port: %w", err)
		}
		defer ln.Close()
		ports = append(ports, ln.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// startProfile starts a CPU profile written to path.
func startProfile(path string) (stop func(), err error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("cpu profile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("cpu profile: %w", err)
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}, nil
}

// runScenario sets up the web app and the daemon under test and runs the
// scenario; ok is false when calls failed.
func runScenario(ctx context.Context, o *options, out io.Writer) (ok bool, err error) {
	var web *WebApp
	webURL := ""
	if o.webapp != "" || (o.baseline && o.http) || (o.baseline && o.scenario == "slowapp") {
		addr := o.webapp
		if addr == "" {
			addr = "127.0.0.1:0"
		}
		web = &WebApp{Delay: o.slowDelay}
		bound, stopWeb, err := serveWebApp(addr, web)
		if err != nil {
			return false, err
		}
		defer stopWeb()
		webURL = "http://" + bound
	}
	env := &environment{opts: o, web: web, addr: o.addr, name: "the daemon", load0: loadAvg()}
	if o.pid > 0 || o.admin != "" {
		env.target = &target{pid: o.pid, client: &http.Client{}}
		if o.admin != "" {
			env.target.metrics = "http://" + o.admin + "/metrics"
		}
	}
	if o.baseline {
		if o.scenario == "slowapp" {
			return false, errors.New("the baseline has no slow app: it makes no webhook requests of its own")
		}
		web := ""
		if o.http {
			web = webURL
		}
		b := floor.New(web)
		addr, stopBase, err := serveFloor("127.0.0.1:0", b)
		if err != nil {
			return false, err
		}
		defer stopBase()
		env.addr, env.baseline, env.target = addr, b, nil
		env.name = "baseline (in-process)"
		if o.http {
			env.name = "baseline+http (in-process)"
		}
	}
	return env.run(ctx, out)
}

// serveWebApp serves w on addr until stop is called; bound is the address
// it listens on.
func serveWebApp(addr string, w *WebApp) (bound string, stop func(), err error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", nil, fmt.Errorf("web app: %w", err)
	}
	srv := &http.Server{Handler: w, ReadHeaderTimeout: 10 * time.Second, ErrorLog: log.New(&w.serverErrors, "", 0)}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(ln)
	}()
	return ln.Addr().String(), func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			srv.Close()
		}
		<-done
	}, nil
}

// serveFloor serves the floor handler on addr until stop is called.
func serveFloor(addr string, h *floor.Handler) (bound string, stop func(), err error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", nil, fmt.Errorf("event socket: %w", err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = h.Serve(ln)
	}()
	return ln.Addr().String(), func() {
		ln.Close()
		<-done
	}, nil
}

// serveBaseline runs the baseline handler as its own process until ctx
// ends, so the floor can be measured from outside exactly as callhook is.
func serveBaseline(ctx context.Context, o *options, stderr io.Writer) error {
	web := ""
	if o.http {
		web = "http://" + o.webapp
	}
	b := floor.New(web)
	addr, stop, err := serveFloor(o.serveBaseline, b)
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "loadgen: baseline serving on %s (pid %d)\n", addr, os.Getpid())
	<-ctx.Done()
	stop()
	if n, text := b.Failures(); n > 0 {
		return fmt.Errorf("baseline: %d calls failed: %s", n, text)
	}
	return nil
}
