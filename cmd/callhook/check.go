package main

import (
	"flag"
	"fmt"
	"io"

	"github.com/callhook/callhook/statemachine"
)

// runCheck validates a config and every flow it names, or the flow files
// given, printing every problem as file:line: message. Exit status 1 when
// something is wrong.
func runCheck(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("check", flag.ContinueOnError)
	fs.SetOutput(stderr)
	configPath := fs.String("config", "config.yaml", "config file")
	liverpiePath := fs.String("liverpie-config", "", "a Liverpie liverpie.yml to check with it")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		status := 0
		for _, path := range fs.Args() {
			if _, err := statemachine.ParseFile(path); err != nil {
				printErrors(stderr, err)
				status = 1
				continue
			}
			fmt.Fprintf(stdout, "%s: ok\n", path)
		}
		return status
	}
	cfg, err := loadServeConfig(*configPath, *liverpiePath)
	if err == nil {
		_, err = buildRuntime(cfg, newDeps())
	}
	if err != nil {
		printErrors(stderr, err)
		return 1
	}
	flows := 0
	for _, a := range cfg.Apps {
		if a.Kind == KindFlow {
			flows++
		}
	}
	fmt.Fprintf(stdout, "%s: ok (%d apps, %d flows, %d routes)\n", *configPath, len(cfg.Apps), flows, len(cfg.Routes))
	return 0
}
