package esltest

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"
)

// globalAPI answers the api commands that need no channel; ok is false for
// commands it does not know.
func (sw *Switch) globalAPI(name, args string) (string, bool) {
	switch name {
	case "version":
		return fsVersion + "\n", true
	case "status":
		return sw.statusText(), true
	case "uptime":
		return fmt.Sprintf("%d\n", int(time.Since(sw.boot).Seconds())), true
	case "hostname":
		return fsHostname, true
	case "module_exists":
		// mod_commands' module_exists_function: "true" or "false", no
		// newline; nothing for no argument (then "-ERR no reply").
		if args == "" {
			return "", true
		}
		return strconv.FormatBool(sw.HasModule(args)), true
	case "say_string":
		return sw.sayString(args), true
	case "global_getvar":
		if args == "hostname" {
			return fsHostname, true
		}
		return "", true
	}
	return "", false
}

// statusText is `api status` in 1.10.12's layout (inbound-auth capture),
// trailing spaces included.
func (sw *Switch) statusText() string {
	up := time.Since(sw.boot)
	d := up / (24 * time.Hour)
	h := up % (24 * time.Hour) / time.Hour
	m := up % time.Hour / time.Minute
	s := up % time.Minute / time.Second
	ms := up % time.Second / time.Millisecond
	us := up % time.Millisecond / time.Microsecond
	live := sw.live.Load()
	return fmt.Sprintf("UP 0 years, %d days, %d hours, %d minutes, %d seconds, %d milliseconds, %d microseconds\n"+
		"FreeSWITCH (Version 1.10.12-release  64bit) is ready\n"+
		"%d session(s) since startup\n"+
		"%d session(s) - peak %d, last 5min %d \n"+
		"0 session(s) per Sec out of max 30, peak 0, last 5min 0 \n"+
		"1000 session(s) max\n"+
		"min idle cpu 0.00/98.03\n"+
		"Current Stack Size/Max 240K/8192K\n",
		d, h, m, s, ms, us, sw.sessions.Load(), live, live, live)
}

// api runs one api command against this call (on the loop), as
// mod_commands would: uuid commands for our channel or our caller's leg
// (a loopback pair: killing or sending DTMF from the A leg reaches us).
// by says who asked, for the hangup outcome.
func (c *Call) api(line string, by HangupBy) string {
	name, args, _ := strings.Cut(strings.TrimSpace(line), " ")
	args = strings.TrimSpace(args)
	if name == "show" && strings.EqualFold(args, "interfaces") {
		return c.o.Switch.showInterfaces(slices.Sorted(maps.Keys(c.o.ExtraApps)))
	}
	if out, ok := c.o.Switch.globalAPI(name, args); ok {
		if out == "" {
			return "-ERR no reply\n"
		}
		return out
	}
	uuid, rest, _ := strings.Cut(args, " ")
	rest = strings.TrimSpace(rest)
	ours := uuid == c.ch.uuid
	caller := c.aleg != nil && uuid == c.aleg.uuid
	switch name {
	case "uuid_kill", "uuid_break", "uuid_getvar", "uuid_setvar", "uuid_send_dtmf", "uuid_exists":
	default:
		return "-ERR " + name + " Command not found!\n"
	}
	if name == "uuid_exists" {
		return fmt.Sprintf("%t", (ours || caller) && c.ch.up)
	}
	if !(ours || caller) || !c.ch.up {
		return noSuchChannel
	}
	switch name {
	case "uuid_kill":
		cause := rest
		if cause == "" || caller {
			// Killing the A leg hangs the B leg up NORMAL_CLEARING
			// (caller-hangup-mid-playback).
			cause = "NORMAL_CLEARING"
		}
		if caller {
			by = ByCaller
		}
		c.callerActs()
		c.hangup(causeName(cause), by)
		return "+OK\n"
	case "uuid_break":
		if ours && c.act != nil {
			c.act.stop(c, stopBreak)
		}
		return "+OK\n"
	case "uuid_getvar":
		ch := &c.ch
		if caller {
			ch = c.aleg
		}
		if v, ok := ch.lookupVar(rest); ok && v != "" {
			return v
		}
		return "_undef_"
	case "uuid_setvar":
		k, v, _ := strings.Cut(rest, " ")
		if k == "" {
			return "-USAGE: <uuid> <var> [value]\n"
		}
		if ours {
			c.setVar(k, strings.TrimSpace(v))
		} else {
			c.aleg.vars.set(k, strings.TrimSpace(v))
		}
		return "+OK\n"
	default: // uuid_send_dtmf
		if caller {
			c.callerActs()
			c.digits = append(c.digits, rest...)
			c.readDigits()
		}
		return "+OK " + uuid + " sent DTMF " + rest + ".\n"
	}
}

// backgroundJob builds the BACKGROUND_JOB event of a bgapi: prep headers,
// Job-UUID, Job-Owner-UUID (the session; "" for inbound listeners),
// Job-Command, Job-Command-Arg when there are arguments, the output as body.
func (sw *Switch) backgroundJob(jobUUID, owner, line, out string, now time.Time) *event {
	name, args, _ := strings.Cut(strings.TrimSpace(line), " ")
	e := &event{name: "BACKGROUND_JOB", body: []byte(out)}
	e.h = sw.prep(make([]header, 0, 18), "BACKGROUND_JOB", now)
	e.h = append(e.h, header{"Job-UUID", jobUUID})
	if owner != "" {
		e.h = append(e.h, header{"Job-Owner-UUID", owner})
	}
	e.h = append(e.h, header{"Job-Command", name})
	if args = strings.TrimSpace(args); args != "" {
		e.h = append(e.h, header{"Job-Command-Arg", args})
	}
	return e
}
