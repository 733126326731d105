package main

import "runtime/debug"

// version is callhook's version: `make build` sets it with
// -ldflags "-X main.version=..."; otherwise main replaces "dev" with what
// versionFrom finds, once, before anything reads it.
var version = "dev"

// versionFrom says which build this is when no -ldflags version was given
// (go install, go run): the module version a `go install ...@vX` records,
// else the VCS revision a build inside a git checkout records (with
// "-dirty" for uncommitted changes), else "dev".
func versionFrom(info *debug.BuildInfo, ok bool) string {
	if !ok || info == nil {
		return "dev"
	}
	if v := info.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	var rev string
	dirty := false
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if rev == "" {
		return "dev"
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if dirty {
		rev += "-dirty"
	}
	return rev
}
