package main

import (
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/callhook/callhook/internal/config"
	"github.com/callhook/callhook/internal/safefile"
	"github.com/callhook/callhook/statemachine"
)

// runCheck validates a config and every flow it names, or the flow and
// scenario files given (and the config too when -config is given with them), printing
// every problem as file:line: message. Flags may come before or after the
// files. Exit status 1 when something is wrong.
func runCheck(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("check", flag.ContinueOnError)
	fs.SetOutput(stderr)
	configPath := fs.String("config", "config.yaml", "config file")
	liverpiePath := fs.String("liverpie-config", "", "a Liverpie liverpie.yml to check with it")
	flows, err := parseArgs(fs, args)
	if err != nil {
		return 2
	}
	configGiven := false
	fs.Visit(func(f *flag.Flag) { configGiven = configGiven || f.Name == "config" || f.Name == "liverpie-config" })
	status := 0
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
		if _, err := statemachine.ParseFile(path); err != nil {
			printErrors(stderr, err)
			status = 1
			continue
		}
		fmt.Fprintf(stdout, "%s: ok\n", path)
	}
	if len(flows) > 0 && !configGiven {
		return status
	}
	cfg, err := config.LoadWithLiverpie(*configPath, *liverpiePath, os.LookupEnv)
	if err == nil {
		_, err = buildRuntime(cfg, newDeps())
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
	fmt.Fprintf(stdout, "%s: ok (%d apps, %d flows, %d routes)\n", name, len(cfg.Apps), nflows, len(cfg.Routes))
	return status
}
