package config

// liverpie.go reads Liverpie's own config file, liverpie.yml, so that
// a Liverpie user switches with `callhook serve -liverpie-config
// liverpie.yml` and changes nothing else. Both of Liverpie's formats are
// read:
//
//	# Liverpie 0.5 and later: one entry per web app, chosen by the channel
//	# variable liverpie_webapp_id; the ids become app names.
//	configuration: {bind_ip: 0.0.0.0, bind_port: 8084}
//	webapps:
//	  my_webapp: {ip: 192.168.0.19, port: 3002, state_machine_uri: /ivr/state_machine,
//	              reset_uri: /ivr/reset, dtmf_uri: /ivr/dtmf}
//
//	# Liverpie 0.4 and earlier: a single web app, named "default" here.
//	configuration:
//	  bind_ip: 0.0.0.0
//	  bind_port: 8084
//	  webapp_ip: 192.168.0.19
//	  webapp_port: 3002
//	  webapp_uri: /ivr/state_machine
//	  webapp_reset_uri: /ivr/reset
//	  webapp_dtmf_uri: /ivr/dtmf
//
// A webapps entry also takes callhook's own Liverpie keys (hangup_uri,
// allow_commands, allow_call_commands, timeout), as an app's liverpie
// mapping in config.yaml does, and the app keys allow_execute, allow_vars,
// allow_endpoints and allow_dialplans. bind_ip and bind_port are checked but not used: callhook listens
// where its own config (listen, acl) says, which defaults to Liverpie's
// port, 8084. When a file has webapps, the flat webapp_* keys are ignored,
// as Liverpie 0.5 ignored them.

import (
	"fmt"
	"slices"

	"gopkg.in/yaml.v3"
)

// LiverpieDefaultApp is the name of the single app of Liverpie's flat
// (0.4) config format. Its calls carry no liverpie_webapp_id, so make it
// the default_app (or route to it).
const LiverpieDefaultApp = "default"

// liverpieFileKeys are the top-level keys of liverpie.yml.
var liverpieFileKeys = []string{"configuration", "webapps"}

// liverpieConfigurationKeys are the keys of its configuration mapping,
// flat-format ones included.
var liverpieConfigurationKeys = []string{
	"bind_ip", "bind_port",
	"webapp_ip", "webapp_port", "webapp_uri", "webapp_reset_uri", "webapp_dtmf_uri",
}

// LoadLiverpie reads a Liverpie liverpie.yml and returns its web apps
// as Liverpie apps of callhook, in file order, with callhook's defaults
// (allow_commands [sendmsg], timeout 10s, the default on_failure). Every
// problem is reported at once, each as "file:line: key.path: message".
func LoadLiverpie(path string) ([]*App, error) {
	data, err := readConfigFile(path)
	if err != nil {
		return nil, fmt.Errorf("read Liverpie config: %w", err)
	}
	return ParseLiverpie(path, data)
}

// ParseLiverpie is LoadLiverpie for a file's contents; name is
// used in error messages.
func ParseLiverpie(name string, data []byte) ([]*App, error) {
	root, err := parseDocument(name, data)
	if err != nil {
		return nil, err
	}
	d := &decoder{
		file:     name,
		reported: map[*yaml.Node]bool{},
		merging:  map[*yaml.Node]bool{},
	}
	defOnFailure, err := defaultOnFailureVerbs()
	if err != nil {
		return nil, fmt.Errorf("%s: default on_failure: %w", name, err)
	}
	f := d.mapping(root, "", liverpieFileKeys)
	var conf fields
	if n := f.get("configuration"); n != nil {
		conf = d.mapping(n, "configuration", liverpieConfigurationKeys)
		d.liverpieBind(conf)
	}
	var apps []*App
	switch {
	case f.get("webapps") != nil:
		apps = d.liverpieWebapps(f.get("webapps"), "webapps")
	case conf.get("webapp_ip") != nil || conf.get("webapp_uri") != nil:
		apps = []*App{d.liverpieFlat(conf, f.keyNode("configuration"))}
	default:
		d.errorf(root, "", "no web app: a Liverpie config has webapps (Liverpie 0.5) or configuration.webapp_ip and webapp_uri (0.4)")
	}
	if err := d.err(); err != nil {
		return nil, err
	}
	for _, a := range apps {
		a.OnFailure = slices.Clone(defOnFailure)
	}
	return apps, nil
}

// liverpieBind checks bind_ip and bind_port, which callhook does not use.
func (d *decoder) liverpieBind(conf fields) {
	if v := conf.get("bind_ip"); v != nil {
		if s, ok := d.scalar(v, "configuration.bind_ip"); ok && s != "" && !validHost(s) {
			d.errorf(v, "configuration.bind_ip", "invalid IP or host name %q", s)
		}
	}
	if v := conf.get("bind_port"); v != nil {
		d.intRange(v, "configuration.bind_port", 1, 65535)
	}
}

// liverpieWebapps decodes the webapps mapping: one app per id.
func (d *decoder) liverpieWebapps(n *yaml.Node, path string) []*App {
	f := d.mapping(n, path, nil)
	if f != nil && len(f) == 0 {
		d.errorf(n, path, "empty: no call could be driven without a web app")
	}
	var apps []*App
	for _, fl := range f {
		p := join(path, fl.key.Value)
		if !appNamePattern.MatchString(fl.key.Value) {
			d.errorf(fl.key, p, "invalid app name (letters, digits, _ . - and a letter or digit first)")
		}
		// An entry is the whole app here, so it also takes the app's
		// allow keys.
		l, lf := d.liverpie(fl.value, p, allowKeys...)
		a := &App{Name: fl.key.Value, Line: fl.key.Line, Kind: KindLiverpie, Liverpie: l}
		d.allows(a, lf, p)
		apps = append(apps, a)
	}
	return apps
}

// liverpieFlat decodes the flat format's single app from the configuration
// mapping (whose key is at key).
func (d *decoder) liverpieFlat(conf fields, key *yaml.Node) *App {
	l := &LiverpieApp{AllowCommands: []string{"sendmsg"}, Timeout: defaultLiverpieTimeout}
	for _, k := range []string{"webapp_ip", "webapp_port", "webapp_uri", "webapp_reset_uri"} {
		if conf.get(k) == nil {
			d.errorf(key, join("configuration", k), "required")
		}
	}
	if v := conf.get("webapp_ip"); v != nil {
		p := "configuration.webapp_ip"
		var ok bool
		if l.IP, ok = d.scalar(v, p); ok && !validHost(l.IP) {
			d.errorf(v, p, "invalid IP or host name %q", l.IP)
		}
	}
	if v := conf.get("webapp_port"); v != nil {
		l.Port = d.intRange(v, "configuration.webapp_port", 1, 65535)
	}
	for _, u := range []struct {
		key      string
		dst      *string
		required bool
	}{
		{"webapp_uri", &l.StateMachineURI, true},
		{"webapp_reset_uri", &l.ResetURI, true},
		{"webapp_dtmf_uri", &l.DTMFURI, false},
	} {
		if v := conf.get(u.key); v != nil {
			*u.dst = d.uriPath(v, join("configuration", u.key), u.required)
		}
	}
	l.Flat = true
	return &App{Name: LiverpieDefaultApp, Line: key.Line, Kind: KindLiverpie, Liverpie: l}
}
