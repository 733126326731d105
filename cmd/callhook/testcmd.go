package main

// testcmd.go is `callhook test`: it runs scenario files (scenario.go)
// through the engine against the FreeSWITCH simulator, every scenario in
// parallel with its own engine and simulator, and reports each as ok or
// FAIL, with what was expected beside what happened and the call's
// transcript; -junit writes the results for CI systems.

import (
	"encoding/xml"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/callhook/callhook/internal/config"
	"github.com/callhook/callhook/internal/suggest"
	"github.com/sirupsen/logrus"
)

// Exit statuses of test.
const (
	testOK     = 0
	testFailed = 1 // a scenario failed
	testUsage  = 2 // bad flags, config or scenario files: nothing ran
)

// runTest is `callhook test`; it returns the exit status.
func runTest(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, `usage: callhook test [-config FILE] [-liverpie-config FILE] [-run REGEXP] [-junit FILE] [-v]
       [-start COMMAND [-ready URL] [-start-timeout D]] FILES...

Runs the scenarios of each file through the real engine against the
simulated FreeSWITCH, in parallel, each its own call: media at simulated
speed, the app's time real. -start runs the web app first (through sh),
waits until it answers at its URL, and stops it at the end. Exit status 1
when a scenario failed or the app did not start, 2 for bad flags, config
or scenario files.

`)
		fs.PrintDefaults()
	}
	configPath := fs.String("config", config.DefaultPath, "config file: the apps the scenarios call")
	liverpiePath := fs.String("liverpie-config", "", "also a Liverpie liverpie.yml's apps")
	runPat := fs.String("run", "", "run only the scenarios whose name matches `REGEXP`")
	junit := fs.String("junit", "", "write the results as JUnit XML to `FILE`")
	verbose := fs.Bool("v", false, "print every scenario's transcript, not only failed ones'")
	var starts, readies stringList
	fs.Var(&starts, "start", "start the web app with `COMMAND` (run by sh) before the scenarios, stop it after; repeatable")
	fs.Var(&readies, "ready", "wait until `URL` answers HTTP before the scenarios (default: the URLs of the web apps they call); repeatable")
	startTimeout := fs.Duration("start-timeout", defaultStartTimeout, "how long -start waits for the app to answer")
	files, err := parseArgs(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		return testOK
	}
	if err != nil {
		return testUsage
	}
	if len(files) == 0 {
		fmt.Fprintln(stderr, "callhook test: no scenario files given")
		return testUsage
	}
	var only *regexp.Regexp
	if *runPat != "" {
		if only, err = regexp.Compile(*runPat); err != nil {
			fmt.Fprintf(stderr, "callhook test: -run: %v\n", err)
			return testUsage
		}
	}
	cfg, err := config.LoadWithLiverpie(*configPath, *liverpiePath, os.LookupEnv)
	if err != nil {
		fmt.Fprintln(stderr, "callhook test: the config has errors:")
		printErrors(stderr, err)
		return testUsage
	}
	var all []*scenario
	bad := false
	for _, f := range files {
		scs, err := loadScenarios(f)
		if err != nil {
			printErrors(stderr, err)
			bad = true
			continue
		}
		for _, sc := range scs {
			if sc.App != "" && cfg.AppByName(sc.App) == nil {
				names := make([]string, len(cfg.Apps))
				for i, a := range cfg.Apps {
					names[i] = a.Name
				}
				fmt.Fprintf(stderr, "%s:%d: app %q: %s has no such app%s\n", sc.File, sc.Line, sc.App, cfg.File, suggest.Hint(sc.App, names))
				bad = true
				continue
			}
			if only == nil || only.MatchString(sc.Name) {
				all = append(all, sc)
			}
		}
	}
	if bad {
		return testUsage
	}
	if len(all) == 0 {
		fmt.Fprintln(stderr, "callhook test: no scenario matches -run")
		return testUsage
	}
	var urls []string
	switch {
	case len(starts) > 0:
		if urls, err = readyURLs(cfg, all, readies); err != nil {
			fmt.Fprintf(stderr, "callhook test: %v\n", err)
			return testUsage
		}
	case len(readies) > 0:
		fmt.Fprintln(stderr, "callhook test: -ready without -start")
		return testUsage
	}

	start := time.Now()
	apps := &appGroup{}
	if len(starts) > 0 {
		release := apps.stopOnSignal(stderr)
		defer release()
		if err := apps.start(starts, urls, *startTimeout); err != nil {
			fmt.Fprintf(stdout, "FAIL: the app did not start: %v\n", err)
			return testFailed
		}
	}
	results := runScenarios(cfg, all, newLogger(config.LogConfig{Level: "error", Format: cfg.Log.Format}, stderr))
	// Stopped before the report, so that its output is all there.
	apps.stop()
	failed := 0
	for _, r := range results {
		if r.failure == "" {
			fmt.Fprintf(stdout, "ok   %s (%s:%d) %.2fs\n", r.sc.Name, r.sc.File, r.sc.Line, r.took.Seconds())
			if *verbose {
				fmt.Fprint(stdout, indent(r.transcript, "    "))
			}
			continue
		}
		failed++
		fmt.Fprintf(stdout, "FAIL %s (%s:%d) %.2fs\n%s", r.sc.Name, r.sc.File, r.sc.Line, r.took.Seconds(), indent(r.failure, "  "))
		fmt.Fprintf(stdout, "  transcript:\n%s", indent(r.transcript, "    "))
	}
	if failed > 0 || *verbose {
		for _, a := range apps.list() {
			fmt.Fprint(stdout, appOutputText(a))
		}
	}
	took := time.Since(start)
	if failed > 0 {
		fmt.Fprintf(stdout, "FAIL: %d of %d scenarios failed (%.2fs)\n", failed, len(results), took.Seconds())
	} else {
		fmt.Fprintf(stdout, "ok: %s passed (%.2fs)\n", count(len(results), "scenario"), took.Seconds())
	}
	if *junit != "" {
		var appOutput strings.Builder
		for _, a := range apps.list() {
			appOutput.WriteString(appOutputText(a))
		}
		if err := writeJUnit(*junit, results, took, appOutput.String()); err != nil {
			fmt.Fprintf(stderr, "callhook test: -junit: %v\n", err)
			return testUsage
		}
	}
	if failed > 0 {
		return testFailed
	}
	return testOK
}

// runScenarios runs every scenario, a few at a time (each has its own
// engine and simulator), and returns their results in the order given.
func runScenarios(cfg *config.Config, all []*scenario, log *logrus.Logger) []*scenarioResult {
	results := make([]*scenarioResult, len(all))
	// The scenarios mostly wait (on the app, on simulated media): more run
	// at once than there are CPUs.
	sem := make(chan struct{}, 4*runtime.GOMAXPROCS(0))
	var wg sync.WaitGroup
	for i, sc := range all {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			results[i] = runScenario(cfg, sc, log)
		}()
	}
	wg.Wait()
	return results
}

// indent puts prefix before every line of s.
func indent(s, prefix string) string {
	if s == "" {
		return ""
	}
	lines := strings.SplitAfter(s, "\n")
	var b strings.Builder
	for _, l := range lines {
		if l == "" {
			continue
		}
		b.WriteString(prefix + l)
	}
	if !strings.HasSuffix(s, "\n") {
		b.WriteByte('\n')
	}
	return b.String()
}

// JUnit XML, as CI systems (Jenkins, GitLab, GitHub actions' reporters)
// read it: a suite per scenario file, a test case per scenario.
type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Time     string       `xml:"time,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name     string      `xml:"name,attr"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Time     string      `xml:"time,attr"`
	Cases    []junitCase `xml:"testcase"`
	// SystemErr is the output of the apps -start started, which served
	// every suite's scenarios.
	SystemErr string `xml:"system-err,omitempty"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Time      string        `xml:"time,attr"`
	Failure   *junitFailure `xml:"failure,omitempty"`
	SystemOut string        `xml:"system-out,omitempty"`
}

type junitFailure struct {
	Message string `xml:"message,attr"`
	Text    string `xml:",chardata"`
}

func seconds(d time.Duration) string { return fmt.Sprintf("%.3f", d.Seconds()) }

// writeJUnit writes the results to path, with appOutput (the output of
// the apps -start started, "" for none) as each suite's system-err.
func writeJUnit(path string, results []*scenarioResult, took time.Duration, appOutput string) error {
	doc := junitSuites{Tests: len(results), Time: seconds(took)}
	at := map[string]int{}
	for _, r := range results {
		i, ok := at[r.sc.File]
		if !ok {
			i = len(doc.Suites)
			at[r.sc.File] = i
			doc.Suites = append(doc.Suites, junitSuite{Name: r.sc.File, SystemErr: appOutput})
		}
		s := &doc.Suites[i]
		c := junitCase{Name: r.sc.Name, Classname: r.sc.File, Time: seconds(r.took), SystemOut: r.transcript}
		if r.failure != "" {
			first, _, _ := strings.Cut(r.failure, "\n")
			c.Failure = &junitFailure{Message: first, Text: r.failure}
			s.Failures++
			doc.Failures++
		}
		s.Tests++
		s.Cases = append(s.Cases, c)
	}
	for i := range doc.Suites {
		var t time.Duration
		for _, r := range results {
			if r.sc.File == doc.Suites[i].Name {
				t += r.took
			}
		}
		doc.Suites[i].Time = seconds(t)
	}
	data, err := xml.MarshalIndent(doc, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append([]byte(xml.Header), append(data, '\n')...), 0o644)
}
