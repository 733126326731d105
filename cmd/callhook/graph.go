package main

import (
	"flag"
	"fmt"
	"io"

	"github.com/callhook/callhook/statemachine"
)

// runGraph prints a flow as Mermaid (default) or Graphviz DOT.
func runGraph(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("graph", flag.ContinueOnError)
	fs.SetOutput(stderr)
	format := fs.String("format", "mermaid", "mermaid or dot")
	files, err := parseArgs(fs, args)
	if err != nil {
		return 2
	}
	if len(files) != 1 {
		fmt.Fprintln(stderr, "usage: callhook graph [-format mermaid|dot] FLOW.yaml")
		return 2
	}
	flow, err := statemachine.ParseFile(files[0])
	if err != nil {
		printErrors(stderr, err)
		return 1
	}
	switch *format {
	case "mermaid":
		fmt.Fprint(stdout, flow.Mermaid())
	case "dot":
		fmt.Fprint(stdout, flow.DOT())
	default:
		fmt.Fprintf(stderr, "callhook graph: unknown format %q (mermaid or dot)\n", *format)
		return 2
	}
	return 0
}
