package main

import (
	"cmp"
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"

	"github.com/callhook/callhook/internal/config"
	"github.com/callhook/callhook/internal/safefile"
	"github.com/callhook/callhook/proxy"
	"github.com/callhook/callhook/statemachine"
)

// runCheck validates a config and every flow it names, or the flow and
// scenario files given (and the config too when -config is given with them), printing
// every problem as file:line: message. Flags may come before or after the
// files. Exit status 1 when something is wrong. With -switch it also
// warns about the verbs whose FreeSWITCH module that switch lacks
// (check_modules.go); warnings leave the exit status alone.
func runCheck(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("check", flag.ContinueOnError)
	fs.SetOutput(stderr)
	configPath := fs.String("config", "config.yaml", "config file")
	liverpiePath := fs.String("liverpie-config", "", "a Liverpie liverpie.yml to check with it")
	switchAddr := fs.String("switch", "", "also warn about verbs whose module the FreeSWITCH at this inbound event socket (host:port) lacks")
	password := fs.String("password", "", "the event socket password of -switch (default: $"+switchPasswordEnv+", else "+defaultSwitchPassword+")")
	flows, err := parseArgs(fs, args)
	if err != nil {
		return 2
	}
	configGiven := false
	fs.Visit(func(f *flag.Flag) { configGiven = configGiven || f.Name == "config" || f.Name == "liverpie-config" })
	status := 0
	var sites []verbSite // the verbs -switch checks
	// checkSwitch ends the check: the switch is asked only about files
	// that are valid.
	checkSwitch := func() int {
		if *switchAddr != "" {
			pw := *password
			if pw == "" {
				pw = cmp.Or(os.Getenv(switchPasswordEnv), defaultSwitchPassword)
			}
			checkSwitchModules(context.Background(), *switchAddr, pw, sites, stderr)
		}
		return status
	}
	for _, path := range flows {
		// A scenario file (callhook test's) is told from a flow by its name
		// or its shape (isScenarioFile).
		if data, err := safefile.Read(path, maxScenarioFileBytes, "a scenario file"); err == nil && isScenarioFile(path, data) {
			scs, err := parseScenarios(path, data)
			if err != nil {
				printErrors(stderr, err)
				status = 1
				continue
			}
			fmt.Fprintf(stdout, "%s: ok (%s)\n", path, count(len(scs), "scenario"))
			continue
		}
		flow, err := statemachine.ParseFile(path)
		if err != nil {
			printErrors(stderr, err)
			status = 1
			continue
		}
		sites = append(sites, flowSites(flow)...)
		fmt.Fprintf(stdout, "%s: ok\n", path)
	}
	if len(flows) > 0 && !configGiven {
		return checkSwitch()
	}
	cfg, err := config.LoadWithLiverpie(*configPath, *liverpiePath, os.LookupEnv)
	var rt *proxy.Runtime
	if err == nil {
		rt, err = buildRuntime(cfg, newDeps())
	}
	if err != nil {
		printErrors(stderr, err)
		return 1
	}
	nflows := 0
	for _, a := range cfg.Apps {
		if a.Kind == config.KindFlow {
			nflows++
		}
	}
	name := cfg.File
	if l := cfg.Liverpie; l != nil {
		name = l.File
		if !l.NoConfigFile {
			name = cfg.File + " and " + l.File
		}
	}
	if err := checkTwilioTLS(cfg, stderr); err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	fmt.Fprintf(stdout, "%s: ok (%d apps, %d flows, %d routes)\n", name, len(cfg.Apps), nflows, len(cfg.Routes))
	for _, w := range twimlRecordingWarnings(cfg) {
		fmt.Fprintln(stderr, w) // a warning leaves the exit status alone
	}
	sites = append(sites, configSites(cfg, rt)...)
	return checkSwitch()
}

// checkTwilioTLS loads twilio_api's certificate and key as serve does at
// start, so a missing or mismatched file fails the check rather than the
// start. A file this user may not read (a key only the daemon's user
// reads) is a warning: serve may well read it.
func checkTwilioTLS(cfg *config.Config, stderr io.Writer) error {
	t := cfg.TwilioAPI
	if t == nil || t.CertFile == "" {
		return nil
	}
	if _, err := tls.LoadX509KeyPair(t.CertFile, t.KeyFile); err != nil {
		if errors.Is(err, fs.ErrPermission) {
			fmt.Fprintf(stderr, "%s:%d: warning: twilio_api.tls: %v (not checked: serve must read it)\n", cfg.File, t.Line, err)
			return nil
		}
		return fmt.Errorf("%s:%d: twilio_api.tls: %w", cfg.File, t.Line, err)
	}
	return nil
}
