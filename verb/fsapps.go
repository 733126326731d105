package verb

import (
	"fmt"
	"slices"
	"strings"
)

// This file knows what FreeSWITCH applications do with their argument,
// where that matters to safety: the applications that set variables, dial
// or transfer get the same checks as the verbs that do those things, even
// when an app's allow_execute lists them, and the applications whose
// argument cannot be confined to the call are refused whatever the config
// says. Application names are compared case-insensitively, as FreeSWITCH
// looks them up. Sources: src/mod/applications/mod_dptools/mod_dptools.c
// unless said otherwise.

// appArgChecks check the argument of the applications that set variables,
// dial or transfer.
var appArgChecks = map[string]func(p *Policy, arg string) error{
	// base_set: NAME=VALUE, or NAME,VALUE when there is no '='.
	"set":        checkSetArg,
	"push":       checkSetArg,
	"unshift":    checkSetArg,
	"set_global": checkSetArg, // a global variable reaches every call's execute_on_* (src/switch_channel.c merges them)
	// export, bridge_export: [nolocal:|_nolocal_]NAME=VALUE.
	"export":        checkExportArg,
	"bridge_export": checkExportArg,
	// multiset: [^^X]NAME=VALUE NAME=VALUE ..., split at ' ' or X.
	"multiset": checkMultisetArg,
	// unset NAME; multiunset [^^X]NAME NAME ...: see UnsetSpec.check.
	"unset": func(p *Policy, arg string) error { return p.checkUnsetVar(arg) },
	"multiunset": func(p *Policy, arg string) error {
		sep := " "
		if strings.HasPrefix(arg, "^^") && len(arg) > 2 {
			sep, arg = arg[2:3], arg[3:]
		}
		for name := range strings.SplitSeq(arg, sep) {
			if name == "" {
				continue
			}
			if err := p.checkUnsetVar(name); err != nil {
				return err
			}
		}
		return nil
	},
	// capture: NAME|DATA|REGEX sets NAME (and NAME's array).
	"capture": func(p *Policy, arg string) error {
		name, _, _ := strings.Cut(arg, "|")
		return p.checkVar(name)
	},
	// bridge and att_xfer dial.
	"bridge":   func(p *Policy, arg string) error { return p.checkDialString(arg) },
	"att_xfer": func(p *Policy, arg string) error { return p.checkDialString(arg) },
	// transfer [-bleg|-both] EXT [DIALPLAN [CONTEXT]]; execute_extension
	// EXT [DIALPLAN [CONTEXT]]; sched_transfer [+]SECS EXT [DIALPLAN [CONTEXT]].
	"transfer":          func(p *Policy, arg string) error { return checkTransferArg(p, arg, 0, true) },
	"execute_extension": func(p *Policy, arg string) error { return checkTransferArg(p, arg, 0, false) },
	"sched_transfer":    func(p *Policy, arg string) error { return checkTransferArg(p, arg, 1, false) },
	// play_and_get_digits: its 8th argument names the digits' variable, and
	// an 11th, transfer_on_failure, is "EXT DIALPLAN CONTEXT"
	// (src/switch_ivr_play_say.c), refused here.
	"play_and_get_digits": func(p *Policy, arg string) error { return checkDigitsArg(p, arg, 7, 10) },
	// read MIN MAX FILE VAR ...: its 4th argument names the variable.
	"read": func(p *Policy, arg string) error { return checkDigitsArg(p, arg, 3, 0) },
}

// refusedApps are the applications whose argument cannot be confined to
// the call: no allow_execute can let an app run them.
var refusedApps = map[string]string{
	"system":             "it runs a shell command on the FreeSWITCH host",
	"bgsystem":           "it runs a shell command on the FreeSWITCH host",
	"bind_digit_action":  "its actions run applications and API commands (exec:, api:) on a key press",
	"bind_meta_app":      "it runs an application on a key press",
	"sched_broadcast":    "it runs an application (app::arg) later",
	"set_profile_var":    "it rewrites the caller profile's dialplan and context, which decide what runs next",
	"limit_execute":      "it runs the application named in its argument",
	"limit_hash_execute": "it runs the application named in its argument",
	"page":               "it dials a list of destinations with their own variables",
	"set_zombie_exec":    "it keeps running applications after the hangup",
}

// CheckAllowExecute reports whether an app's config may list app in
// allow_execute: every application may be listed but those refusedApps
// names.
func CheckAllowExecute(app string) error {
	if why, ok := refusedApps[strings.ToLower(app)]; ok {
		return fmt.Errorf("%s cannot be allowed: %s", app, why)
	}
	return nil
}

// CheckApp checks an application an app asks to run and its argument: the
// refused ones never pass, the ones in appArgChecks pass only with a safe
// argument, and any other passes as is (whether it may run at all is the
// caller's allowlist's business). lua's "~code" form runs inline code and
// is refused too.
func (p *Policy) CheckApp(app, arg string) error {
	l := strings.ToLower(app)
	if why, ok := refusedApps[l]; ok {
		return fmt.Errorf("application %s is refused: %s", Quote(app), why)
	}
	if l == "lua" && strings.HasPrefix(strings.TrimLeft(arg, " "), "~") {
		return fmt.Errorf("lua ~ runs inline code, which is refused")
	}
	if check := appArgChecks[l]; check != nil {
		if err := check(p, arg); err != nil {
			return fmt.Errorf("%s: %w", l, err)
		}
	}
	return nil
}

// setArgName returns the variable name base_set reads from NAME=VALUE, or
// NAME,VALUE when there is no '='.
func setArgName(arg string) string {
	if i := strings.IndexByte(arg, '='); i >= 0 {
		return arg[:i]
	}
	name, _, _ := strings.Cut(arg, ",")
	return name
}

// setArgNameValue splits NAME=VALUE, or NAME,VALUE when there is no '=',
// as base_set does.
func setArgNameValue(arg string) (name, value string) {
	name = setArgName(arg)
	if len(name) < len(arg) {
		value = arg[len(name)+1:]
	}
	return name, value
}

// setArgItems returns the NAME=VALUE items of a variable-setting
// application's argument: multiset's list (split at ' ' or at X after a
// leading ^^X), else the argument itself.
func setArgItems(app, arg string) []string {
	if app != "multiset" {
		return []string{arg}
	}
	sep := " "
	if strings.HasPrefix(arg, "^^") && len(arg) > 2 {
		sep, arg = arg[2:3], arg[3:]
	}
	return strings.Split(arg, sep)
}

// stripNolocal strips the prefixes that make export skip the local channel
// (src/switch_channel.c compares them with strncasecmp).
func stripNolocal(name string) string {
	for _, pre := range []string{"nolocal:", "_nolocal_"} {
		if len(name) >= len(pre) && strings.EqualFold(name[:len(pre)], pre) {
			return name[len(pre):]
		}
	}
	return name
}

func checkSetArg(p *Policy, arg string) error {
	name, value := setArgNameValue(arg)
	if err := p.checkVar(name); err != nil {
		return err
	}
	return p.checkSetValue(name, value)
}

// checkExportArg strips the prefixes that make export skip the local
// channel (src/switch_channel.c compares them with strncasecmp).
func checkExportArg(p *Policy, arg string) error {
	name, value, _ := strings.Cut(arg, "=")
	name = stripNolocal(name)
	if err := p.checkExportVar(name); err != nil {
		return err
	}
	return p.checkSetValue(name, value)
}

func checkMultisetArg(p *Policy, arg string) error {
	for _, item := range setArgItems("multiset", arg) {
		if item == "" {
			continue
		}
		if err := checkSetArg(p, item); err != nil {
			return err
		}
	}
	return nil
}

// appFields splits an application argument at spaces. FreeSWITCH's
// splitter also joins quoted parts, so this never finds fewer fields than
// it does: a limit checked on these holds there.
func appFields(arg string) []string {
	return strings.Fields(arg)
}

// checkTransferArg checks EXT [DIALPLAN [CONTEXT]] after skip leading
// fields; bleg allows transfer's -bleg and -both flags.
func checkTransferArg(p *Policy, arg string, skip int, bleg bool) error {
	f := appFields(arg)
	if len(f) <= skip {
		return nil
	}
	f = f[skip:]
	if bleg && (strings.EqualFold(f[0], "-bleg") || strings.EqualFold(f[0], "-both")) {
		f = f[1:]
	}
	if len(f) > 3 {
		return fmt.Errorf("want EXTENSION [DIALPLAN [CONTEXT]], got %d fields", len(f))
	}
	if len(f) >= 2 {
		return p.checkDialplan(f[1])
	}
	return nil
}

// checkDigitsArg checks the variable named by field varAt and, when max >
// 0, that there are at most max fields.
func checkDigitsArg(p *Policy, arg string, varAt, max int) error {
	f := appFields(arg)
	if max > 0 && len(f) > max {
		return fmt.Errorf("at most %d arguments (the next one transfers the call on failure)", max)
	}
	if len(f) > varAt {
		return p.checkVar(f[varAt])
	}
	return nil
}

// LiverpieApps are the applications a Liverpie app's execute may run
// without allow_execute: ones that act on the call's own media and state
// only (and so cannot reach another call, the host or the dialplan),
// plus the ones that set variables, dial or transfer, whose arguments
// CheckApp checks. phrase is not one: a macro hands its data to its
// actions, and stock ones play it as a file (screen_confirm's
// play-file "$1", conf/vanilla/lang/en/ivr/sounds.xml), which no check
// here can keep to the app's folders.
var LiverpieApps = []string{
	// Call-local.
	"answer", "pre_answer", "ring_ready", "hangup", "playback", "endless_playback",
	"play_and_get_digits", "read", "speak", "say", "record",
	"record_session", "stop_record_session", "sleep", "send_dtmf", "gentones",
	"log", "info", "park", "echo", "flush_dtmf", "start_dtmf", "stop_dtmf", "break",
	// Checked by CheckApp.
	"set", "unset", "multiset", "multiunset", "export", "push", "unshift",
	"bridge", "transfer", "execute_extension",
}

// LiverpieAllowsApp reports whether a Liverpie app may execute app:
// LiverpieApps, or the app's own allow_execute, case-insensitively.
func LiverpieAllowsApp(app string, allow []string) bool {
	l := strings.ToLower(app)
	return slices.Contains(LiverpieApps, l) || slices.ContainsFunc(allow, func(a string) bool { return strings.EqualFold(a, app) })
}
