package main

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/callhook/callhook/esl"
	"github.com/callhook/callhook/internal/config"
	"github.com/callhook/callhook/proxy"
	"github.com/callhook/callhook/statemachine"
	"github.com/callhook/callhook/verb"
)

// check -switch: the verbs callhook knows before any call (flows' states,
// apps' on_failure) are checked against what a running FreeSWITCH has
// loaded, asked on its inbound event socket as the daemon asks each switch
// on a call's socket (proxy.AskInterfaces: `show interfaces`). A verb
// whose module is missing would end with reason error at run time
// (speak without mod_flite, say in French without mod_say_fr): check
// warns with the verb's file:line. Warnings do not fail the check, and a
// switch check cannot make: unreachable, a refused password, no
// inventory, is one warning, since the files themselves are fine.

// switchPasswordEnv is the environment variable check -switch reads the
// event socket's password from when -password is not given, so that it
// stays out of shell histories and process lists.
const switchPasswordEnv = "CALLHOOK_SWITCH_PASSWORD"

// defaultSwitchPassword is FreeSWITCH's stock event socket password
// (conf/vanilla/autoload_configs/event_socket.conf.xml), as fs_cli's.
const defaultSwitchPassword = "ClueCon"

// switchCheckTimeout bounds connecting, authenticating and asking.
const switchCheckTimeout = 10 * time.Second

// verbSite is a verb and where it is written.
type verbSite struct {
	File  string
	Line  int
	Where string // "state menu", "apps.support.on_failure"
	Verb  verb.Verb
}

// flowSites returns the verbs of every state of f.
func flowSites(f *statemachine.Flow) []verbSite {
	var out []verbSite
	for _, s := range f.States() {
		for _, v := range s.Verbs {
			line := v.Line
			if line == 0 {
				line = s.Line
			}
			out = append(out, verbSite{File: f.File, Line: line, Where: "state " + s.Name, Verb: v})
		}
	}
	return out
}

// configSites returns the verbs of the config's apps that callhook knows
// before a call: flow apps' states and every app's on_failure.
func configSites(cfg *config.Config, rt *proxy.Runtime) []verbSite {
	var out []verbSite
	for _, a := range cfg.Apps {
		if app := rt.Apps[a.Name]; app != nil {
			if b, ok := app.Backend.(*statemachine.Backend); ok {
				out = append(out, flowSites(b.Flow)...)
			}
		}
		for _, v := range a.OnFailure {
			out = append(out, verbSite{File: cfg.File, Line: cmp.Or(v.Line, a.Line), Where: "apps." + a.Name + ".on_failure", Verb: v})
		}
	}
	return out
}

// moduleWarning is one verb whose switch lacks what it needs.
type moduleWarning struct {
	Site verbSite
	Need verb.Need
}

func (w moduleWarning) String() string {
	return fmt.Sprintf("%s:%d: warning: %s: %s", w.Site.File, w.Site.Line, w.Site.Where, verb.MissingError(w.Need))
}

// missingModules returns, in file and line order, each need of the sites'
// verbs that the switch lacks, once per file:line. A need written as a
// template ({{vars.lang}}) is known only during a call, and not checked.
func missingModules(sites []verbSite, have *proxy.Interfaces) []moduleWarning {
	type key struct {
		file      string
		line      int
		typ, name string
	}
	seen := map[key]bool{}
	var out []moduleWarning
	for _, s := range sites {
		n, ok := s.Verb.Spec.(verb.Needer)
		if !ok {
			continue
		}
		for _, need := range have.Missing(n.Needs()) {
			k := key{s.File, s.Line, need.Type, need.Name}
			if seen[k] || strings.Contains(need.Name, "{{") {
				continue
			}
			seen[k] = true
			out = append(out, moduleWarning{Site: s, Need: need})
		}
	}
	slices.SortStableFunc(out, func(a, b moduleWarning) int {
		return cmp.Or(strings.Compare(a.Site.File, b.Site.File), cmp.Compare(a.Site.Line, b.Site.Line))
	})
	return out
}

// checkSwitchModules asks the switch at addr what it has and prints a
// warning to w for each verb of sites that needs what it lacks, or one
// warning saying why the switch could not be asked. It returns the
// number of verbs warned about. The password is never printed.
func checkSwitchModules(ctx context.Context, addr, password string, sites []verbSite, w io.Writer) int {
	ctx, cancel := context.WithTimeout(ctx, switchCheckTimeout)
	defer cancel()
	have, err := askSwitch(ctx, addr, password)
	if err != nil {
		fmt.Fprintf(w, "callhook check: warning: modules not checked: %v\n", err)
		return 0
	}
	warnings := missingModules(sites, have)
	for _, mw := range warnings {
		fmt.Fprintln(w, mw)
	}
	return len(warnings)
}

// askSwitch connects to the switch's inbound event socket and asks for
// its interfaces.
func askSwitch(ctx context.Context, addr, password string) (*proxy.Interfaces, error) {
	conn, err := esl.Dial(ctx, addr, password, esl.ConnOptions{})
	if err != nil {
		return nil, fmt.Errorf("cannot reach the switch: %w", err)
	}
	defer func() {
		conn.Close()
		<-conn.Done()
	}()
	have, err := proxy.AskInterfaces(ctx, conn)
	if err != nil {
		return nil, fmt.Errorf("switch %s: %w", addr, err)
	}
	return have, nil
}
