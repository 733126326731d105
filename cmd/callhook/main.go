// Command callhook is the daemon that lets web apps and YAML flows drive
// FreeSWITCH calls through the outbound event socket.
//
//	callhook serve    [-config FILE] [-liverpie-config FILE]   run the daemon
//	callhook check    [-config FILE] [-switch HOST:PORT] [FILE ...] validate a config, its flows and scenarios
//	callhook simulate [-config FILE] [-app NAME] [-digits ...]  place a call without FreeSWITCH
//	callhook simulate -addr HOST:PORT [-digits ...]            place a call into a running serve
//	callhook originate -to TARGET -app NAME [-from N] ...        place a call through a running serve
//	callhook test     [-config FILE] [-start COMMAND] FILES        run scenario files
//	callhook graph    [-format mermaid|dot] FLOW.yaml           draw a flow
//	callhook version
//
// Flags may come before or after the other arguments (parseArgs).
//
// This is the only package that configures logrus and wires the packages
// together (newServer); the config file format is internal/config's, and
// everything else takes plain structs.
package main

import (
	"fmt"
	"io"
	"os"
	"runtime/debug"
)

func main() {
	if version == "dev" { // not set with -ldflags (make build does)
		version = versionFrom(debug.ReadBuildInfo())
	}
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

const usage = `usage:
  callhook serve    [-config FILE] [-liverpie-config FILE]
  callhook check    [-config FILE] [-liverpie-config FILE] [-switch HOST:PORT [-password PW]] [FLOW.yaml|SCENARIO.yaml ...]
  callhook simulate [-config FILE] [-liverpie-config FILE] [-addr HOST:PORT] [-app NAME] [-from N] [-to N] [-digits "1 2 #"] [-hangup-after D] [-bridge TARGET=OUTCOME] [-load MODULE] [-save-scenario FILE] [-originate [-outcome O]] [-json] [-v]
  callhook originate -to TARGET -app NAME [-from N] [-from-name NAME] [-var NAME=VALUE] [-timeout S] [-status-url URL] [-admin URL] [-token T] [-config FILE]
  callhook test     [-config FILE] [-liverpie-config FILE] [-run REGEXP] [-junit FILE] [-v] [-start COMMAND [-ready URL] [-start-timeout D]] SCENARIO.yaml ...
  callhook graph    [-format mermaid|dot] FLOW.yaml
  callhook version
`

// run dispatches a subcommand and returns the process exit status.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	switch args[0] {
	case "serve":
		return runServe(args[1:], stderr)
	case "check":
		return runCheck(args[1:], stdout, stderr)
	case "simulate":
		return runSimulate(args[1:], stdin, stdout, stderr)
	case "originate":
		return runOriginate(args[1:], stdout, stderr)
	case "test":
		return runTest(args[1:], stdout, stderr)
	case "graph":
		return runGraph(args[1:], stdout, stderr)
	case "version", "-version", "--version":
		fmt.Fprintf(stdout, "callhook %s\n", version)
		return 0
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "callhook: unknown command %q\n%s", args[0], usage)
		return 2
	}
}
