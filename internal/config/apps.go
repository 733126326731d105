package config

// The app decoders: webhook, flow and Liverpie apps, their allow keys and
// on_failure.

import (
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/callhook/callhook/internal/yamlx"

	"github.com/callhook/callhook/verb"
	"gopkg.in/yaml.v3"
)

// Kinds of apps that take a key, for appKeys.
var (
	webhookOnly = []string{KindWebhook}
	twimlOnly   = []string{KindTwiML}
	fetching    = []string{KindWebhook, KindTwiML}
	everyKind   = []string{KindWebhook, KindLiverpie, KindFlow, KindTwiML}
	notTwiML    = []string{KindWebhook, KindLiverpie, KindFlow}
)

// Names an app's keys hold. App names appear in logs, metrics and the
// callhook_app channel variable; variable and application names go into
// FreeSWITCH commands, so they are kept to characters that need no quoting.
var (
	appNamePattern  = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]*$`)
	varNamePattern  = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]*$`)
	execNamePattern = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_-]*$`)
)

// appKeys are an app's keys, each with the kinds of app that take it.
var appKeys = []struct {
	key   string
	kinds []string
}{
	{"url", webhookOnly},
	{"format", webhookOnly},
	{"fallback_url", fetching},
	{"timeout", fetching},
	{"retries", webhookOnly},
	{"secret", []string{KindWebhook, KindFlow}},
	{"status_url", webhookOnly},
	{"status_events", webhookOnly},
	{"vars", webhookOnly},
	{"allow_execute", notTwiML},
	{"allow_vars", everyKind},
	{"allow_endpoints", everyKind},
	{"allow_dialplans", everyKind},
	{"allow_to", everyKind},
	{"allow_from", everyKind},
	{"max_calls", everyKind},
	{"recordings_dir", everyKind},
	{"media_dirs", everyKind},
	{"on_failure", everyKind},
	{"liverpie", []string{KindLiverpie}},
	{"flow", []string{KindFlow}},
	{"twiml", twimlOnly},
	{"account_sid", twimlOnly},
	{"auth_token", twimlOnly},
	{"method", twimlOnly},
	{"status_callback", twimlOnly},
	{"voices", twimlOnly},
	{"dial", twimlOnly},
	{"conference_profile", twimlOnly},
}

// appKeyNames lists appKeys' keys.
func appKeyNames() []string {
	names := make([]string, len(appKeys))
	for i, k := range appKeys {
		names[i] = k.key
	}
	return names
}

// appKeyKinds returns the kinds of app that take key.
func appKeyKinds(key string) []string {
	for _, k := range appKeys {
		if k.key == key {
			return k.kinds
		}
	}
	return nil
}

// apps decodes the apps mapping, in file order. It returns nil when the
// mapping itself is unusable, so that references to apps are not checked
// against nothing.
func (d *decoder) apps(n *yaml.Node, path string, c *Config) []*App {
	f := d.mapping(n, path, nil)
	if f == nil {
		return nil
	}
	if len(f) == 0 {
		d.errorf(n, path, "empty: no call could be driven without an app")
		return nil
	}
	defOnFailure, err := defaultOnFailureVerbs()
	if err != nil {
		d.errorf(n, path, "default on_failure: %v", err)
	}
	out := make([]*App, 0, len(f))
	for _, fl := range f {
		p := join(path, fl.key.Value)
		if !appNamePattern.MatchString(fl.key.Value) {
			d.errorf(fl.key, p, "invalid app name (letters, digits, _ . - and a letter or digit first)")
		}
		out = append(out, d.app(fl, p, c, defOnFailure))
	}
	return out
}

// defaultOnFailureVerbs is the on_failure of an app that sets none: a
// hangup, the verb an app writing {hangup: NORMAL_TEMPORARY_FAILURE}
// would get. Its verbs come from no file, so their Line is 0.
func defaultOnFailureVerbs() ([]verb.Verb, error) {
	v, err := verb.Hangup(defaultOnFailureCause)
	if err != nil {
		return nil, err
	}
	return []verb.Verb{v}, nil
}

// app decodes one app; fl is its name and value.
func (d *decoder) app(fl field, path string, c *Config, defOnFailure []verb.Verb) *App {
	a := &App{Name: fl.key.Value, Line: fl.key.Line, OnFailure: slices.Clone(defOnFailure),
		RecordingsDir: c.RecordingsDir + "/" + fl.key.Value, MediaDirs: c.MediaDirs}
	f := d.mapping(fl.value, path, appKeyNames())
	if f == nil {
		return a
	}
	a.Kind = d.appKind(f, fl.key, path)
	if a.Kind == "" {
		return a
	}
	f = d.keysOfKind(f, a.Kind, path)
	switch a.Kind {
	case KindWebhook:
		d.webhook(a, f, path)
	case KindLiverpie:
		a.Liverpie, _ = d.liverpie(f.get("liverpie"), join(path, "liverpie"))
	case KindFlow:
		a.Flow = d.flowPath(f.get("flow"), join(path, "flow"))
		a.FlowLine = f.get("flow").Line
		// A flow's requests (fetches, recordings' uploads and status
		// callbacks) are signed as a webhook app's are.
		if v := f.get("secret"); v != nil {
			a.Secret = d.str(v, join(path, "secret"))
		}
	case KindTwiML:
		d.twiml(a, f, path)
	}
	d.allows(a, f, path)
	if v := f.get("allow_to"); v != nil {
		a.AllowTo = d.allowPatterns(v, join(path, "allow_to"))
	}
	if v := f.get("allow_from"); v != nil {
		a.AllowFrom = d.allowPatterns(v, join(path, "allow_from"))
	}
	if v := f.get("max_calls"); v != nil {
		a.MaxCalls = d.intRange(v, join(path, "max_calls"), 0, maxMaxCalls)
	}
	if v := f.get("recordings_dir"); v != nil {
		a.RecordingsDir = d.folder(v, join(path, "recordings_dir"))
	}
	if v := f.get("media_dirs"); v != nil {
		a.MediaDirs = d.folders(v, join(path, "media_dirs"))
	}
	if v := f.get("on_failure"); v != nil {
		o := verb.ParseOptions{MaxVerbs: c.Limits.MaxVerbs, AllowExecute: a.AllowExecute, Files: a.Files(),
			AllowVars: a.AllowVars, AllowEndpoints: a.AllowEndpoints, AllowDialplans: a.AllowDialplans}
		if a.Kind == KindWebhook && a.URL != "" {
			o.Base, _ = url.Parse(a.URL) // a.URL is validated
		}
		a.OnFailure = d.onFailure(v, join(path, "on_failure"), o)
	}
	return a
}

// appKind returns the kind of the app whose keys are f: the one of url,
// liverpie, flow and twiml that it has; "" (and an error) when it has not
// exactly one.
func (d *decoder) appKind(f fields, name *yaml.Node, path string) string {
	var kinds, keys []string
	for _, k := range []struct{ key, kind string }{{"url", KindWebhook}, {"liverpie", KindLiverpie}, {"flow", KindFlow}, {"twiml", KindTwiML}} {
		if f.get(k.key) != nil {
			kinds = append(kinds, k.kind)
			keys = append(keys, k.key)
		}
	}
	switch len(kinds) {
	case 1:
		return kinds[0]
	case 0:
		d.errorf(name, path, "needs one of url, liverpie, flow or twiml")
	default:
		d.errorf(name, path, "has %s, but an app has exactly one of url, liverpie, flow or twiml", orList(keys, "and"))
	}
	return ""
}

// keysOfKind reports the keys of f that an app of kind does not take, and
// returns the others.
func (d *decoder) keysOfKind(f fields, kind, path string) fields {
	var out fields
	for _, fl := range f {
		kinds := appKeyKinds(fl.key.Value)
		if !slices.Contains(kinds, kind) {
			d.errorf(fl.key, join(path, fl.key.Value), "only for %s apps", orList(kinds, "and"))
			continue
		}
		out = append(out, fl)
	}
	return out
}

// webhook decodes a webhook app's own keys.
func (d *decoder) webhook(a *App, f fields, path string) {
	a.Format = defaultWebhookFormat
	a.Timeout = defaultWebhookTimeout
	a.Retries = defaultWebhookRetries
	a.URL = d.httpURL(f.get("url"), join(path, "url"), true)
	if v := f.get("format"); v != nil {
		a.Format = d.oneOf(v, join(path, "format"), "json", "form")
	}
	if v := f.get("fallback_url"); v != nil {
		a.FallbackURL = d.httpURL(v, join(path, "fallback_url"), false)
	}
	if v := f.get("timeout"); v != nil {
		a.Timeout = d.atMost(v, join(path, "timeout"), d.positive(v, join(path, "timeout")), maxHTTPTimeout)
	}
	if v := f.get("retries"); v != nil {
		a.Retries = d.intRange(v, join(path, "retries"), 0, maxRetries)
	}
	if v := f.get("secret"); v != nil {
		a.Secret = d.str(v, join(path, "secret"))
	}
	if v := f.get("status_url"); v != nil {
		a.StatusURL = d.httpURL(v, join(path, "status_url"), false)
	}
	if v := f.get("vars"); v != nil {
		a.Vars = d.names(v, join(path, "vars"), varNamePattern, "channel variable name")
	}
	if v := f.get("status_events"); v != nil {
		p := join(path, "status_events")
		a.StatusEvents = d.names(v, p, statusEventPattern, "status event name")
		seen := map[string]bool{}
		for _, e := range a.StatusEvents {
			switch {
			case !slices.Contains(StatusEventNames, e):
				d.errorf(v, p, "unknown status event %q (status events: %s)", e, strings.Join(StatusEventNames, ", "))
			case seen[e]:
				d.errorf(v, p, "status event %q given twice", e)
			}
			seen[e] = true
		}
		if len(a.StatusEvents) > 0 && a.StatusURL == "" {
			d.errorf(v, p, "status events go to status_url, which the app does not have")
		}
	}
}

// StatusEventNames are the status events a webhook app may ask for in
// status_events. The config knows no backend, so this is the file
// format's list; cmd/callhook's tests hold it equal to
// webhook.StatusEventNames, which the webhook backend sends.
var StatusEventNames = []string{"call.answered"}

// statusEventPattern is the shape of a status event name.
var statusEventPattern = regexp.MustCompile(`^[a-z]+\.[a-z]+$`)

// liverpieKeys are the keys of a Liverpie app's liverpie mapping.
var liverpieKeys = []string{
	"ip", "port", "state_machine_uri", "reset_uri", "dtmf_uri", "hangup_uri",
	"allow_commands", "allow_call_commands", "timeout",
}

// allowKeys are the keys that allow an app more than the defaults.
var allowKeys = []string{"allow_execute", "allow_vars", "allow_endpoints", "allow_dialplans"}

// Patterns of the allow keys' names.
var (
	allowVarPattern = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]*\*?$`)
	endpointPattern = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]*$`)
)

// allows decodes the allow keys of f into a. Applications that no config
// can allow (verb.CheckAllowExecute) and the inline dialplan are errors.
func (d *decoder) allows(a *App, f fields, path string) {
	if v := f.get("allow_execute"); v != nil {
		p := join(path, "allow_execute")
		a.AllowExecute = d.names(v, p, execNamePattern, "application name")
		d.eachName(v, p, func(it *yaml.Node, s string) error { return verb.CheckAllowExecute(s) })
	}
	if v := f.get("allow_vars"); v != nil {
		a.AllowVars = d.names(v, join(path, "allow_vars"), allowVarPattern, "variable name (a trailing * allows a prefix)")
	}
	if v := f.get("allow_endpoints"); v != nil {
		a.AllowEndpoints = d.names(v, join(path, "allow_endpoints"), endpointPattern, "endpoint type")
	}
	if v := f.get("allow_dialplans"); v != nil {
		p := join(path, "allow_dialplans")
		a.AllowDialplans = d.names(v, p, endpointPattern, "dialplan name")
		d.eachName(v, p, func(it *yaml.Node, s string) error {
			if strings.EqualFold(s, "inline") {
				return errors.New("inline cannot be allowed: it runs the applications named in the extension (list them in allow_execute and use the execute verb)")
			}
			return nil
		})
	}
}

// eachName runs check on each scalar of the list at n (already decoded by
// d.names, which reported the rest) and reports its errors.
func (d *decoder) eachName(n *yaml.Node, path string, check func(it *yaml.Node, s string) error) {
	n = yamlx.Deref(n)
	if n.Kind != yaml.SequenceNode {
		return
	}
	for i, it := range n.Content {
		it = yamlx.Deref(it)
		if it.Kind != yaml.ScalarNode || d.reported[it] {
			continue
		}
		if err := check(it, it.Value); err != nil {
			d.errorf(it, index(path, i), "%v", err)
		}
	}
}

// liverpieCallCommands are the call-commands allow_call_commands may name.
var liverpieCallCommands = []string{"execute", "hangup", "nomedia", "unicast", "xferext"}

// liverpie decodes a Liverpie app's liverpie mapping. ip, port,
// state_machine_uri and reset_uri are required, as Liverpie always used
// them; dtmf_uri and hangup_uri are optional there too. extra are further
// keys the mapping may have, returned undecoded in f.
func (d *decoder) liverpie(n *yaml.Node, path string, extra ...string) (l *LiverpieApp, f fields) {
	l = &LiverpieApp{AllowCommands: []string{"sendmsg"}, Timeout: defaultLiverpieTimeout}
	f = d.mapping(n, path, slices.Concat(liverpieKeys, extra))
	if f == nil {
		return l, f
	}
	for _, k := range []string{"ip", "port", "state_machine_uri", "reset_uri"} {
		if f.get(k) == nil {
			d.errorf(n, join(path, k), "required")
		}
	}
	if v := f.get("ip"); v != nil {
		p := join(path, "ip")
		var ok bool
		if l.IP, ok = d.scalar(v, p); ok && !validHost(l.IP) {
			d.errorf(v, p, "invalid IP or host name %q", l.IP)
		}
	}
	if v := f.get("port"); v != nil {
		l.Port = d.intRange(v, join(path, "port"), 1, 65535)
	}
	uris := []struct {
		key      string
		dst      *string
		required bool
	}{
		{"state_machine_uri", &l.StateMachineURI, true},
		{"reset_uri", &l.ResetURI, true},
		{"dtmf_uri", &l.DTMFURI, false},
		{"hangup_uri", &l.HangupURI, false},
	}
	for _, u := range uris {
		if v := f.get(u.key); v != nil {
			*u.dst = d.uriPath(v, join(path, u.key), u.required)
		}
	}
	if v := f.get("allow_commands"); v != nil {
		l.AllowCommands = d.commands(v, join(path, "allow_commands"))
	}
	if v := f.get("allow_call_commands"); v != nil {
		p := join(path, "allow_call_commands")
		for i, it := range d.seq(v, p) {
			s, ok := d.scalar(it, index(p, i))
			if !ok {
				continue
			}
			if !slices.Contains(liverpieCallCommands, s) {
				d.errorf(it, index(p, i), "unknown call-command %q (one of %s)", s, orList(liverpieCallCommands, "or"))
				continue
			}
			l.AllowCallCommands = append(l.AllowCallCommands, s)
		}
	}
	if v := f.get("timeout"); v != nil {
		l.Timeout = d.atMost(v, join(path, "timeout"), d.positive(v, join(path, "timeout")), maxHTTPTimeout)
	}
	return l, f
}

// commands decodes allow_commands: ESL command words, at least one.
func (d *decoder) commands(n *yaml.Node, path string) []string {
	items := d.seq(n, path)
	if items != nil && len(items) == 0 {
		d.errorf(n, path, "empty: the app could send no command")
	}
	var out []string
	for i, it := range items {
		p := index(path, i)
		s, ok := d.scalar(it, p)
		if !ok {
			continue
		}
		if !slices.Contains(liverpieCommands, s) {
			d.errorf(it, p, "unknown ESL command %q (one of %s)", s, orList(liverpieCommands, "or"))
			continue
		}
		out = append(out, s)
	}
	return out
}

// uriPath decodes a Liverpie URI: a path on the app's host, such as
// /ivr/state_machine; "" when not required.
func (d *decoder) uriPath(n *yaml.Node, path string, required bool) string {
	s, ok := d.text(n, path, required)
	if !ok {
		return s
	}
	if _, err := url.ParseRequestURI(s); err != nil || !strings.HasPrefix(s, "/") || strings.ContainsAny(s, " \t") {
		d.errorf(n, path, "must be a path starting with /, got %q", s)
	}
	return s
}

// flowPath decodes a flow app's file, resolved against the config file's
// directory so that the config works from any working directory.
func (d *decoder) flowPath(n *yaml.Node, path string) string {
	s, ok := d.scalar(n, path)
	if !ok {
		return s
	}
	if s == "" {
		d.errorf(n, path, "must name a flow file")
		return ""
	}
	if filepath.IsAbs(s) {
		return filepath.Clean(s)
	}
	return filepath.Join(d.dir, s)
}

// onFailure decodes on_failure verbs with the proxy's own verb parser, so
// they are checked exactly as an app's reply is.
func (d *decoder) onFailure(n *yaml.Node, path string, o verb.ParseOptions) []verb.Verb {
	seq := yamlx.Deref(n)
	if yamlx.IsNull(seq) {
		return []verb.Verb{}
	}
	if seq.Kind != yaml.SequenceNode {
		d.errorf(n, path, "must be a list of verbs")
		return nil
	}
	verbs, err := verb.ParseVerbs(seq, o)
	var invalid *verb.InvalidReplyError
	switch {
	case errors.As(err, &invalid) && invalid.Line > 0:
		// Point at the verb's own line, in this file.
		d.wrap(invalid.Line, path, errors.New(invalid.Msg))
		return nil
	case err != nil:
		d.wrap(n.Line, path, err)
		return nil
	}
	// on_failure runs when the app can no longer answer: a verb that asks
	// the app again (an action, a redirect) would fail, and loop.
	for _, v := range verbs {
		if v.Action != "" || v.Name == "redirect" {
			d.wrap(v.Line, path, fmt.Errorf("%s: on_failure verbs cannot ask the app again (no action or redirect)", v.Name))
			return nil
		}
	}
	return verbs
}
