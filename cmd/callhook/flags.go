package main

import "flag"

// parseArgs parses args with fs, taking flags wherever they are among the
// other arguments: `callhook check demo.yaml -config config.yaml` and
// `callhook graph demo.yaml -format dot` mean what they say. (Go's flag
// package stops at the first non-flag argument, which made those read
// "-config" as a flow file and print bare usage.) "--" ends the flags: what
// follows is taken as it is. It returns the non-flag arguments in order.
// Every subcommand parses its flags with it.
func parseArgs(fs *flag.FlagSet, args []string) ([]string, error) {
	var rest []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		left := fs.Args()
		if len(left) == 0 {
			return rest, nil
		}
		if used := len(args) - len(left); used > 0 && args[used-1] == "--" {
			return append(rest, left...), nil
		}
		rest = append(rest, left[0])
		args = left[1:]
	}
}
