package main

// config.go is the only code that knows the config file format (README.md,
// "Configuration"). It turns config.yaml into plain structs whose values are
// already validated, converted and defaulted, so the rest of cmd/callhook
// maps them onto the runtime without checking anything again.
//
// The file is decoded from a yaml.v3 node tree rather than into tagged
// structs, so that every problem can name its file, line and key path
// ("config.yaml:14: apps.support.timeout: invalid duration \"3x\"") and so
// that all problems are reported at once, as `callhook check` needs.

import (
	"bytes"
	"errors"
	"fmt"
	"github.com/callhook/callhook/internal/suggest"
	"github.com/callhook/callhook/internal/yamlpos"
	"github.com/callhook/callhook/webhook"
	"io"
	"math"
	"net"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"regexp/syntax"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/callhook/callhook/verb"
	"github.com/sirupsen/logrus"
	"gopkg.in/yaml.v3"
)

// Config is a loaded config file. Every field holds its final value: keys the
// file leaves out hold the defaults documented beside them and in the root
// config.yaml.
type Config struct {
	// File is the config file's name, as given to LoadConfig or ParseConfig.
	File string
	// Listen is the host:port FreeSWITCH's socket application connects to
	// (default 127.0.0.1:8084; "[::]:8084" for IPv6).
	Listen string
	// ACL lists the peers that may connect, as masked prefixes; a bare IP in
	// the file is a /32 or /128 (default 127.0.0.0/8 and ::1/128).
	ACL []netip.Prefix
	// Admin is the admin HTTP host:port; "" disables it (default
	// 127.0.0.1:9090).
	Admin string
	// AdminToken is the admin API's token; it is never "" when Admin is not
	// on loopback.
	AdminToken string
	// Log configures logrus.
	Log LogConfig
	// Linger is how long FreeSWITCH keeps sending after a hangup, in whole
	// seconds as its linger command takes (default 30s).
	Linger time.Duration
	// DrainTimeout is how long calls may go on after SIGTERM (default 30s;
	// 0 ends them at once).
	DrainTimeout time.Duration
	// Limits bound what one instance and one call may use.
	Limits Limits
	// EventSocket bounds, in time and bytes, what one connection from
	// FreeSWITCH may take.
	EventSocket EventSocket
	// DefaultApp names the app of calls that no route matches; "" refuses
	// them (handed back to the dialplan, esl.Conn.HandBack, so it goes on).
	DefaultApp string
	// Liverpie says where apps came from a Liverpie liverpie.yml (serve
	// -liverpie-config); nil without one.
	Liverpie *LiverpieSource
	// Routes choose an app by destination number, first match wins.
	Routes []Route
	// RecordingsDir is the folder under which each app records into a
	// folder of its own name, unless the app sets its own recordings_dir
	// (default verb.DefaultRecordingsDir, /var/lib/freeswitch/recordings).
	RecordingsDir string
	// MediaDirs are the folders whose files every app may play by absolute
	// path, unless the app sets its own media_dirs (default none).
	MediaDirs []string
	// Apps are the apps in file order; AppByName finds one.
	Apps []*App
}

// LogConfig is the log key.
type LogConfig struct {
	Level  string // a logrus level name, canonical: trace, debug, info (default), warning, error, fatal, panic
	Format string // text (default) or json
}

// Limits is the limits key.
type Limits struct {
	MaxCalls      int   // concurrent calls; beyond it calls are refused (default 10000)
	MaxReplyBytes int64 // size of one app reply (default 1MiB)
	MaxVerbs      int   // verbs in one reply (default 100)
	MaxRedirects  int   // redirects in one call (default 50; 0 forbids them)
}

// EventSocket is the event_socket key: the deadlines and byte bounds of
// each connection from FreeSWITCH (esl.ConnOptions). They need a restart.
type EventSocket struct {
	// ReplyTimeout is how long FreeSWITCH may take to answer connect and
	// every command but api (default 5s, 100ms to 1m).
	ReplyTimeout time.Duration
	// APITimeout is how long an api command may take (default 2m, 1s to 1h).
	APITimeout time.Duration
	// ProbeAfter is how long a call may stay silent before it is probed
	// (default 30s, 1s to 24h; 0 never probes).
	ProbeAfter time.Duration
	// MaxFrameBytes bounds one frame's header block and body (default
	// 1MiB, 64KiB to 16MiB, FreeSWITCH's own MAX_CONTENT_LENGTH).
	MaxFrameBytes int64
	// MaxQueuedBytes bounds the events waiting for a call's session
	// (default 4MiB, max_frame_bytes to 256MiB).
	MaxQueuedBytes int64
}

// Route sends calls whose destination number matches to an app.
type Route struct {
	// Destination is matched against the destination number as written: a
	// Go regular expression, unanchored unless it says ^ and $.
	Destination *regexp.Regexp
	App         string // an app of Config.Apps
	Line        int    // the route's line in the file, for logs
}

// App kinds: an app's kind follows from the one key of url, liverpie and
// flow that it has.
const (
	KindWebhook  = "webhook"  // url: a web app speaking callhook's own protocol
	KindLiverpie = "liverpie" // liverpie: a Liverpie web app, served unchanged
	KindFlow     = "flow"     // flow: a local YAML state machine
)

// App is one entry of the apps key. Fields that do not apply to its Kind
// are zero: the file may not set them.
type App struct {
	Name string
	Line int    // the line of the app's name in the file
	Kind string // KindWebhook, KindLiverpie or KindFlow

	// Webhook apps.
	URL         string        // absolute http(s) URL of the app
	Format      string        // request body encoding: json (default) or form
	FallbackURL string        // asked when URL fails; "" for none
	Timeout     time.Duration // per attempt (default 5s)
	Retries     int           // further attempts, 0..5 (default 1)
	Secret      string        // HMAC key of X-Callhook-Signature; "" signs nothing
	StatusURL   string        // where call.end goes; "" for nowhere
	// StatusEvents are the status events sent to StatusURL too
	// (webhook.StatusEventNames: call.answered); none by default.
	StatusEvents []string
	Vars         []string // channel variables sent with every request

	// What an app may make FreeSWITCH do beyond the defaults (README,
	// "Security model"); a flow's own file has the same keys for its
	// verbs, and these then apply to its on_failure.
	AllowExecute   []string // applications the execute verb (or a Liverpie execute) may run
	AllowVars      []string // variables set and a bridge's [...] blocks may name; a trailing * is a prefix
	AllowEndpoints []string // bridge endpoint types beyond user, sofia, error and loopback
	AllowDialplans []string // transfer dialplans beyond xml

	// Every kind.
	// RecordingsDir is the folder the app records into: its own
	// recordings_dir, else the config's recordings_dir and the app's name.
	RecordingsDir string
	// MediaDirs are the folders whose files the app may play by absolute
	// path: its own media_dirs, else the config's.
	MediaDirs []string
	MaxCalls  int         // concurrent calls of this app; 0 for no limit of its own
	OnFailure []verb.Verb // run when the app fails (default: hangup NORMAL_TEMPORARY_FAILURE)

	// Liverpie apps.
	Liverpie *LiverpieApp

	// Flow apps: the flow file, resolved against the config file's
	// directory, and the line of the flow key's value.
	Flow     string
	FlowLine int
}

// LiverpieApp is a Liverpie app's liverpie key, with Liverpie's own key
// names.
type LiverpieApp struct {
	IP              string // the web app's host: an IP address or a host name
	Port            int
	StateMachineURI string   // POSTed with the call's headers
	ResetURI        string   // GET at call start
	DTMFURI         string   // POSTed with each digit; "" sends none
	HangupURI       string   // POSTed when the call hangs up; "" sends none
	AllowCommands   []string // ESL command words the app's msg may use (default [sendmsg])
	// AllowCallCommands are the sendmsg call-commands allowed beyond
	// execute and hangup (nomedia, unicast, xferext).
	AllowCallCommands []string
	Timeout           time.Duration // per request (default 10s)
	// Flat is set for the single app of Liverpie's flat (0.4) format,
	// which took every call: it is the config's default_app.
	Flat bool
}

// BaseURL returns the URL the Liverpie URIs are relative to.
func (l *LiverpieApp) BaseURL() string {
	return "http://" + net.JoinHostPort(l.IP, strconv.Itoa(l.Port))
}

// Files returns the app's file rules (README "Files"). An app without a
// RecordingsDir (a liverpie.yml app) records into a folder of its name
// under verb.DefaultRecordingsDir.
func (a *App) Files() *verb.FileRules {
	dir := a.RecordingsDir
	if dir == "" {
		dir = verb.DefaultRecordingsDir + "/" + a.Name
	}
	return &verb.FileRules{RecordingsDir: dir, MediaDirs: a.MediaDirs}
}

// AppByName returns the app called name, or nil.
func (c *Config) AppByName(name string) *App {
	for _, a := range c.Apps {
		if a.Name == name {
			return a
		}
	}
	return nil
}

// appFor returns the app a call gets as the daemon chooses it when its
// channel variable callhook_app is app ("" when unset): that, else the
// first route matching the destination number to, else default_app.
func (c *Config) appFor(app, to string) string {
	if app != "" {
		return app
	}
	for _, r := range c.Routes {
		if r.Destination.MatchString(to) {
			return r.App
		}
	}
	return c.DefaultApp
}

// Reloadable compares c, freshly loaded on SIGHUP, with the running old
// config, and returns the keys that changed but only take effect on a
// restart: listen, acl and admin, in that order. Everything else reloads.
func (c *Config) Reloadable(old *Config) (restartNeeded []string) {
	if c.Listen != old.Listen {
		restartNeeded = append(restartNeeded, "listen")
	}
	if !samePrefixes(c.ACL, old.ACL) {
		restartNeeded = append(restartNeeded, "acl")
	}
	if c.Admin != old.Admin {
		restartNeeded = append(restartNeeded, "admin")
	}
	if c.EventSocket != old.EventSocket {
		restartNeeded = append(restartNeeded, "event_socket")
	}
	return restartNeeded
}

// samePrefixes reports whether a and b hold the same prefixes, in any order.
func samePrefixes(a, b []netip.Prefix) bool {
	byAddr := func(x, y netip.Prefix) int {
		if c := x.Addr().Compare(y.Addr()); c != 0 {
			return c
		}
		return x.Bits() - y.Bits()
	}
	a, b = slices.Clone(a), slices.Clone(b)
	slices.SortFunc(a, byAddr)
	slices.SortFunc(b, byAddr)
	return slices.Equal(slices.Compact(a), slices.Compact(b))
}

// Defaults of keys the file leaves out; the root config.yaml documents the
// same values and a test keeps the two in step.
const (
	defaultListen          = "127.0.0.1:8084"
	defaultAdmin           = "127.0.0.1:9090"
	defaultLogLevel        = "info"
	defaultLogFormat       = "text"
	defaultLinger          = 30 * time.Second
	defaultDrainTimeout    = 30 * time.Second
	defaultMaxCalls        = 10000
	defaultMaxReplyBytes   = 1 << 20
	defaultMaxVerbs        = 100
	defaultMaxRedirects    = 50
	defaultWebhookFormat   = "json"
	defaultWebhookTimeout  = 5 * time.Second
	defaultWebhookRetries  = 1
	defaultLiverpieTimeout = 10 * time.Second
	// defaultOnFailureCause is the cause of the default on_failure's
	// hangup.
	defaultOnFailureCause = "NORMAL_TEMPORARY_FAILURE"
	// maxRetries bounds retries: a dead app must not keep a caller waiting
	// for long before the fallback runs.
	maxRetries = 5
)

// Maxima of the sizes, counts and durations of the config. Each is far
// above any real need and well inside what the code that uses it can
// hold: a value over one is an error with its file:line, never a silent
// overflow (a max_reply_bytes of 2^63-1 made reply+1 wrap around, and
// every reply read as empty).
const (
	maxMaxCalls      = 1_000_000 // limits.max_calls, apps.*.max_calls: two goroutines and ~50 KiB a call
	maxMaxReplyBytes = 64 << 20  // limits.max_reply_bytes: a reply is held and parsed whole
	maxMaxVerbs      = 10_000    // limits.max_verbs
	maxMaxRedirects  = 10_000    // limits.max_redirects
	maxLinger        = time.Hour // linger: a hung-up call's tail is read this long
	maxDrainTimeout  = 24 * time.Hour
	maxHTTPTimeout   = 5 * time.Minute // apps.*.timeout, liverpie timeout: a caller waits in silence
)

// Defaults and bounds of the event_socket keys (EventSocket).
const (
	// A real call's largest frame is an estimated 20 KiB (a
	// CHANNEL_HANGUP_COMPLETE with its XML CDR; the largest event in the
	// captures is 8.6 KiB), so 1 MiB leaves room for any real frame, big
	// api replies included.
	defaultReplyTimeout   = 5 * time.Second
	minReplyTimeout       = 100 * time.Millisecond
	maxReplyTimeout       = time.Minute
	defaultAPITimeout     = 2 * time.Minute
	maxAPITimeout         = time.Hour
	defaultProbeAfter     = 30 * time.Second
	maxProbeAfter         = 24 * time.Hour
	defaultMaxFrameBytes  = 1 << 20
	minMaxFrameBytes      = 64 << 10
	maxMaxFrameBytes      = 16 << 20 // FreeSWITCH's MAX_CONTENT_LENGTH
	defaultMaxQueuedBytes = 4 << 20
	maxMaxQueuedBytes     = 256 << 20
)

// defaultACL lets in loopback peers only (a fresh slice each time).
func defaultACL() []netip.Prefix {
	return []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}
}

// liverpieCommands are the ESL command words a Liverpie app's msg may be
// allowed to use: every command of the outbound socket except connect, which
// callhook has already sent, and the inbound-only auth commands.
var liverpieCommands = []string{
	"sendmsg", "api", "bgapi", "event", "nixevent", "noevents", "myevents",
	"divert_events", "filter", "sendevent", "linger", "nolinger", "log",
	"nolog", "getvar", "resume", "exit",
}

// LoadConfig reads and parses the config file at path. Environment
// variables in it are expanded from the process environment.
func LoadConfig(path string) (*Config, error) {
	return loadConfig(path, os.LookupEnv)
}

// ParseConfig parses a config file's contents; name is used in error
// messages and is the base of relative flow paths. Environment variables are
// expanded from the process environment. Every problem is reported, joined
// with errors.Join, each as "name:line: key.path: message", in line order.
func ParseConfig(name string, data []byte) (*Config, error) {
	return parseConfig(name, data, os.LookupEnv)
}

// loadConfig is LoadConfig with the environment as a parameter.
func loadConfig(path string, lookupEnv func(string) (string, bool)) (*Config, error) {
	data, err := readConfigFile(path)
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	return parseConfig(path, data, lookupEnv)
}

// parseConfig is ParseConfig with the environment as a parameter.
func parseConfig(name string, data []byte, lookupEnv func(string) (string, bool)) (*Config, error) {
	return parseConfigWith(name, data, lookupEnv, nil)
}

// lookupEnvOS is os.LookupEnv, the environment of LoadConfig.
var lookupEnvOS = os.LookupEnv

// parseConfigWith is parseConfig with the apps of a Liverpie liverpie.yml
// (nil: none) added to the file's own.
func parseConfigWith(name string, data []byte, lookupEnv func(string) (string, bool), liverpie *LiverpieSource) (*Config, error) {
	root, err := parseDocument(name, data)
	if err != nil {
		return nil, err
	}
	d := &decoder{
		file:        name,
		dir:         filepath.Dir(name),
		lookupEnv:   lookupEnv,
		reported:    map[*yaml.Node]bool{},
		merging:     map[*yaml.Node]bool{},
		liverpieSrc: liverpie,
	}
	d.expand(root, "")
	c := d.config(root)
	if err := d.err(); err != nil {
		return nil, err
	}
	return c, nil
}

// parseDocument parses data as one YAML document and returns its root node
// (an empty mapping for an empty file).
func parseDocument(name string, data []byte) (*yaml.Node, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	err := dec.Decode(&doc)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, yamlError(name, data, err)
	}
	if len(doc.Content) == 0 {
		return &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Line: 1, Column: 1}, nil
	}
	var next yaml.Node
	if err := dec.Decode(&next); !errors.Is(err, io.EOF) {
		if err != nil {
			return nil, yamlError(name, data, err)
		}
		return nil, fmt.Errorf("%s:%d: a config file holds one YAML document", name, next.Line)
	}
	return doc.Content[0], nil
}

// yamlError puts a yaml.v3 syntax error in the file:line:column form, at
// the place where the document stops parsing (yaml.v3's own line is often
// where the enclosing mapping began).
func yamlError(name string, data []byte, err error) error {
	if pos := yamlpos.Locate(data, err); pos.Line > 0 {
		return fmt.Errorf("%s:%s", name, pos)
	} else {
		return fmt.Errorf("%s: %s", name, pos.Msg)
	}
}

// decoder collects the problems of one file while it decodes it, so that
// they are all reported at once.
type decoder struct {
	file      string
	dir       string // base of relative flow paths
	lookupEnv func(string) (string, bool)
	errs      []lineError
	// reported holds the scalars already reported (an environment
	// reference that failed), so that nothing reports them again.
	reported map[*yaml.Node]bool
	// merging holds the mappings whose merge keys are being followed, so
	// that an anchor merged into itself is an error, not endless recursion.
	merging map[*yaml.Node]bool
	// merges counts the merge keys followed, up to maxMerges.
	merges int
	// liverpie holds the apps of a Liverpie liverpie.yml, added to the
	// file's own before routes and default_app name them (nil: none).
	liverpieSrc *LiverpieSource
}

// maxMerges bounds the merge keys one file may follow: merges of merges
// grow exponentially, and `callhook check` must finish on any file.
const maxMerges = 1000

// lineError is one problem and the line it is on, for sorting.
type lineError struct {
	line int
	err  error
}

// errorf records a problem with the value at n, whose key path is path
// ("" for the whole file).
func (d *decoder) errorf(n *yaml.Node, path, format string, args ...any) {
	d.wrap(n.Line, path, fmt.Errorf(format, args...))
}

// wrap records err, found on line of the value whose key path is path.
func (d *decoder) wrap(line int, path string, err error) {
	where := fmt.Sprintf("%s:%d: ", d.file, line)
	if path != "" {
		where += path + ": "
	}
	d.errs = append(d.errs, lineError{line, fmt.Errorf("%s%w", where, err)})
}

// err returns every recorded problem in line order, or nil.
func (d *decoder) err() error {
	slices.SortStableFunc(d.errs, func(a, b lineError) int { return a.line - b.line })
	errs := make([]error, len(d.errs))
	for i, e := range d.errs {
		errs[i] = e.err
	}
	return errors.Join(errs...)
}

// topKeys are the keys of the file's root mapping.
var topKeys = []string{
	"listen", "acl", "admin", "admin_token", "log", "linger", "drain_timeout",
	"limits", "event_socket", "recordings_dir", "media_dirs", "default_app", "routes", "apps",
}

// config decodes the root mapping. Limits come before apps, whose on_failure
// verbs they bound, and apps before the references to them.
func (d *decoder) config(root *yaml.Node) *Config {
	c := &Config{
		File:          d.file,
		Listen:        defaultListen,
		ACL:           defaultACL(),
		Admin:         defaultAdmin,
		Log:           LogConfig{Level: defaultLogLevel, Format: defaultLogFormat},
		Linger:        defaultLinger,
		DrainTimeout:  defaultDrainTimeout,
		RecordingsDir: verb.DefaultRecordingsDir,
		Limits: Limits{
			MaxCalls:      defaultMaxCalls,
			MaxReplyBytes: defaultMaxReplyBytes,
			MaxVerbs:      defaultMaxVerbs,
			MaxRedirects:  defaultMaxRedirects,
		},
		EventSocket: EventSocket{
			ReplyTimeout:   defaultReplyTimeout,
			APITimeout:     defaultAPITimeout,
			ProbeAfter:     defaultProbeAfter,
			MaxFrameBytes:  defaultMaxFrameBytes,
			MaxQueuedBytes: defaultMaxQueuedBytes,
		},
	}
	f := d.mapping(root, "", topKeys)
	if n := f.get("listen"); n != nil {
		c.Listen = d.hostPort(n, "listen")
	}
	if n := f.get("acl"); n != nil {
		c.ACL = d.acl(n, "acl")
	}
	if n := f.get("admin"); n != nil {
		if s := d.str(n, "admin"); s != "" {
			c.Admin = d.hostPort(n, "admin")
		} else {
			c.Admin = ""
		}
	}
	if n := f.get("admin_token"); n != nil {
		c.AdminToken = d.str(n, "admin_token")
	}
	d.checkAdmin(c, f, root)
	if n := f.get("log"); n != nil {
		c.Log = d.log(n, "log", c.Log)
	}
	if n := f.get("linger"); n != nil {
		c.Linger = d.linger(n, "linger")
	}
	if n := f.get("drain_timeout"); n != nil {
		c.DrainTimeout = d.atMost(n, "drain_timeout", d.nonNegative(n, "drain_timeout"), maxDrainTimeout)
	}
	if n := f.get("limits"); n != nil {
		c.Limits = d.limits(n, "limits", c.Limits)
	}
	if n := f.get("recordings_dir"); n != nil {
		c.RecordingsDir = d.folder(n, "recordings_dir")
	}
	if n := f.get("media_dirs"); n != nil {
		c.MediaDirs = d.folders(n, "media_dirs")
	}
	if n := f.get("event_socket"); n != nil {
		c.EventSocket = d.eventSocket(n, "event_socket", c.EventSocket)
	}
	if n := f.get("apps"); n != nil {
		c.Apps = d.apps(n, "apps", c)
	} else if d.liverpieSrc == nil {
		d.errorf(root, "apps", "required: no call could be driven without an app")
	}
	if d.liverpieSrc != nil {
		c.Apps = d.addLiverpieApps(c)
	}
	if n := f.get("routes"); n != nil {
		c.Routes = d.routes(n, "routes", c)
	}
	if n := f.get("default_app"); n != nil {
		if s := d.str(n, "default_app"); s != "" {
			c.DefaultApp = d.appRef(n, "default_app", c)
		}
	}
	if l := d.liverpieSrc; l != nil && len(l.Apps) == 1 && l.Apps[0].Liverpie.Flat {
		// Liverpie's flat format had one app and sent it every call: a
		// Liverpie user who switches with one flag gets just that.
		l.ReplacedDefaultApp = c.DefaultApp
		c.DefaultApp = l.Apps[0].Name
	}
	return c
}

// checkAdmin requires a token for an admin API that other hosts can reach,
// and keeps it off the event socket's address.
func (d *decoder) checkAdmin(c *Config, f fields, root *yaml.Node) {
	if c.Admin == "" || checkHostPort(c.Admin) != nil {
		return
	}
	at := root
	if n := f.get("admin"); n != nil {
		at = n
	}
	if c.Admin == c.Listen {
		d.errorf(at, "admin", "same address as listen (%s)", c.Listen)
	}
	if c.AdminToken == "" && !onLoopback(c.Admin) {
		if n := f.get("admin_token"); n != nil {
			at = n
		}
		d.errorf(at, "admin_token", "required when admin (%s) is not on loopback", c.Admin)
	}
}

// onLoopback reports whether the host of hostPort (already validated) is a
// loopback address or localhost; an empty host means every interface.
func onLoopback(hostPort string) bool {
	host, _, err := net.SplitHostPort(hostPort)
	if err != nil {
		return false
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.IsLoopback()
}

// acl decodes a list of CIDRs or bare IPs.
func (d *decoder) acl(n *yaml.Node, path string) []netip.Prefix {
	items := d.seq(n, path)
	if items == nil {
		return nil
	}
	if len(items) == 0 {
		d.errorf(n, path, "empty: no peer could connect")
		return nil
	}
	out := make([]netip.Prefix, 0, len(items))
	for i, it := range items {
		p := index(path, i)
		s, ok := d.scalar(it, p)
		if !ok {
			continue
		}
		prefix, err := parsePrefix(s)
		if err != nil {
			d.errorf(it, p, "%v", err)
			continue
		}
		out = append(out, prefix)
	}
	return out
}

// parsePrefix parses a CIDR, or a bare IP as a /32 or /128, and masks it.
func parsePrefix(s string) (netip.Prefix, error) {
	if !strings.Contains(s, "/") {
		ip, err := netip.ParseAddr(s)
		if err != nil || ip.Zone() != "" {
			return netip.Prefix{}, fmt.Errorf("invalid IP or CIDR %q", s)
		}
		return netip.PrefixFrom(ip, ip.BitLen()), nil
	}
	p, err := netip.ParsePrefix(s)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("invalid IP or CIDR %q", s)
	}
	return p.Masked(), nil
}

// log decodes the log mapping over the defaults in def.
func (d *decoder) log(n *yaml.Node, path string, def LogConfig) LogConfig {
	f := d.mapping(n, path, []string{"level", "format"})
	if v := f.get("level"); v != nil {
		p := join(path, "level")
		if s, ok := d.scalar(v, p); ok {
			if lvl, err := logrus.ParseLevel(s); err != nil {
				d.errorf(v, p, "invalid log level %q (trace, debug, info, warn, error, fatal or panic)", s)
			} else {
				def.Level = lvl.String()
			}
		}
	}
	if v := f.get("format"); v != nil {
		p := join(path, "format")
		def.Format = d.oneOf(v, p, "text", "json")
	}
	return def
}

// linger decodes a linger time: FreeSWITCH's linger takes whole seconds, and
// without linger the completion of a verb cut off by a hangup is lost.
func (d *decoder) linger(n *yaml.Node, path string) time.Duration {
	v := d.positive(n, path)
	if v > 0 && v%time.Second != 0 {
		d.errorf(n, path, "must be whole seconds, got %v", v)
	}
	return d.atMost(n, path, v, maxLinger)
}

// limits decodes the limits mapping over the defaults in def.
func (d *decoder) limits(n *yaml.Node, path string, def Limits) Limits {
	f := d.mapping(n, path, []string{"max_calls", "max_reply_bytes", "max_verbs", "max_redirects"})
	if v := f.get("max_calls"); v != nil {
		def.MaxCalls = d.intRange(v, join(path, "max_calls"), 1, maxMaxCalls)
	}
	if v := f.get("max_reply_bytes"); v != nil {
		def.MaxReplyBytes = d.sizeAtMost(v, join(path, "max_reply_bytes"), maxMaxReplyBytes)
	}
	if v := f.get("max_verbs"); v != nil {
		def.MaxVerbs = d.intRange(v, join(path, "max_verbs"), 1, maxMaxVerbs)
	}
	if v := f.get("max_redirects"); v != nil {
		def.MaxRedirects = d.intRange(v, join(path, "max_redirects"), 0, maxMaxRedirects)
	}
	return def
}

// eventSocket decodes the event_socket mapping over the defaults in def.
func (d *decoder) eventSocket(n *yaml.Node, path string, def EventSocket) EventSocket {
	f := d.mapping(n, path, []string{"reply_timeout", "api_timeout", "probe_after", "max_frame_bytes", "max_queued_bytes"})
	if f == nil {
		return def
	}
	if v := f.get("reply_timeout"); v != nil {
		def.ReplyTimeout = d.durationRange(v, join(path, "reply_timeout"), minReplyTimeout, maxReplyTimeout)
	}
	if v := f.get("api_timeout"); v != nil {
		def.APITimeout = d.durationRange(v, join(path, "api_timeout"), time.Second, maxAPITimeout)
	}
	if v := f.get("probe_after"); v != nil {
		if def.ProbeAfter = d.durationRange(v, join(path, "probe_after"), 0, maxProbeAfter); def.ProbeAfter > 0 && def.ProbeAfter < time.Second {
			d.errorf(v, join(path, "probe_after"), "must be 0s (never) or 1s to %v, got %v", maxProbeAfter, def.ProbeAfter)
		}
	}
	if v := f.get("max_frame_bytes"); v != nil {
		def.MaxFrameBytes = d.sizeRange(v, join(path, "max_frame_bytes"), minMaxFrameBytes, maxMaxFrameBytes)
	}
	if v := f.get("max_queued_bytes"); v != nil {
		def.MaxQueuedBytes = d.sizeRange(v, join(path, "max_queued_bytes"), minMaxFrameBytes, maxMaxQueuedBytes)
		if def.MaxQueuedBytes < def.MaxFrameBytes {
			d.errorf(v, join(path, "max_queued_bytes"), "must be at least max_frame_bytes (%d), or no event of that size could be queued", def.MaxFrameBytes)
		}
	} else if def.MaxQueuedBytes < def.MaxFrameBytes {
		n := f.get("max_frame_bytes")
		d.errorf(n, join(path, "max_frame_bytes"), "is over max_queued_bytes (%d): raise that too", def.MaxQueuedBytes)
	}
	return def
}

// durationRange decodes a duration in lo..hi.
func (d *decoder) durationRange(n *yaml.Node, path string, lo, hi time.Duration) time.Duration {
	v, ok := d.duration(n, path)
	if ok && (v < lo || v > hi) {
		d.errorf(n, path, "must be %v to %v, got %v", lo, hi, v)
	}
	return v
}

// sizeRange decodes a byte size (see parseSize) in lo..hi.
func (d *decoder) sizeRange(n *yaml.Node, path string, lo, hi int64) int64 {
	v := d.size(n, path)
	if v > 0 && (v < lo || v > hi) {
		d.errorf(n, path, "must be %s to %s, got %d bytes", formatSize(lo), formatSize(hi), v)
	}
	return v
}

// formatSize writes a size in the largest binary unit that divides it.
func formatSize(v int64) string {
	for _, u := range []struct {
		name string
		mult int64
	}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}} {
		if v >= u.mult && v%u.mult == 0 {
			return strconv.FormatInt(v/u.mult, 10) + u.name
		}
	}
	return strconv.FormatInt(v, 10)
}

// routes decodes the routes list; c.Apps must be decoded already.
func (d *decoder) routes(n *yaml.Node, path string, c *Config) []Route {
	var out []Route
	for i, it := range d.seq(n, path) {
		p := index(path, i)
		f := d.mapping(it, p, []string{"destination", "app"})
		if f == nil {
			continue
		}
		r := Route{Line: it.Line}
		if v := f.get("destination"); v != nil {
			r.Destination = d.pattern(v, join(p, "destination"))
		} else {
			d.errorf(it, join(p, "destination"), "required")
		}
		if v := f.get("app"); v != nil {
			r.App = d.appRef(v, join(p, "app"), c)
		} else {
			d.errorf(it, join(p, "app"), "required")
		}
		out = append(out, r)
	}
	return out
}

// pattern decodes a non-empty regular expression.
func (d *decoder) pattern(n *yaml.Node, path string) *regexp.Regexp {
	s, ok := d.scalar(n, path)
	if !ok {
		return nil
	}
	if s == "" {
		d.errorf(n, path, "must not be empty")
		return nil
	}
	re, err := regexp.Compile(s)
	if err != nil {
		d.errorf(n, path, "invalid regexp %q: %v", s, regexpReason(err))
	}
	return re
}

// appRef decodes the name of an app of c; c.Apps must be decoded already
// (nil when they could not be, and then names are not checked).
func (d *decoder) appRef(n *yaml.Node, path string, c *Config) string {
	s, ok := d.scalar(n, path)
	if ok && c.Apps != nil && c.AppByName(s) == nil {
		names := make([]string, len(c.Apps))
		for i, a := range c.Apps {
			names[i] = a.Name
		}
		d.errorf(n, path, "unknown app %q%s", s, suggest.Hint(s, names))
	}
	return s
}

// regexpReason is a regexp error without the "error parsing regexp: "
// prefix and the repeated expression.
func regexpReason(err error) string {
	var se *syntax.Error
	if errors.As(err, &se) {
		return se.Code.String()
	}
	return err.Error()
}

// Kinds of apps that take a key, for appKeys.
var (
	webhookOnly = []string{KindWebhook}
	everyKind   = []string{KindWebhook, KindLiverpie, KindFlow}
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
	{"fallback_url", webhookOnly},
	{"timeout", webhookOnly},
	{"retries", webhookOnly},
	{"secret", webhookOnly},
	{"status_url", webhookOnly},
	{"status_events", webhookOnly},
	{"vars", webhookOnly},
	{"allow_execute", everyKind},
	{"allow_vars", everyKind},
	{"allow_endpoints", everyKind},
	{"allow_dialplans", everyKind},
	{"max_calls", everyKind},
	{"recordings_dir", everyKind},
	{"media_dirs", everyKind},
	{"on_failure", everyKind},
	{"liverpie", []string{KindLiverpie}},
	{"flow", []string{KindFlow}},
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
	}
	d.allows(a, f, path)
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
// liverpie and flow that it has; "" (and an error) when it has not exactly
// one.
func (d *decoder) appKind(f fields, name *yaml.Node, path string) string {
	var kinds, keys []string
	for _, k := range []struct{ key, kind string }{{"url", KindWebhook}, {"liverpie", KindLiverpie}, {"flow", KindFlow}} {
		if f.get(k.key) != nil {
			kinds = append(kinds, k.kind)
			keys = append(keys, k.key)
		}
	}
	switch len(kinds) {
	case 1:
		return kinds[0]
	case 0:
		d.errorf(name, path, "needs one of url, liverpie or flow")
	default:
		d.errorf(name, path, "has %s, but an app has exactly one of url, liverpie or flow", orList(keys, "and"))
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
		a.StatusEvents = d.names(v, join(path, "status_events"), statusEventPattern, "status event name")
		if err := webhook.CheckStatusEvents(a.StatusEvents); err != nil {
			d.errorf(v, join(path, "status_events"), "%v", err)
		}
		if len(a.StatusEvents) > 0 && a.StatusURL == "" {
			d.errorf(v, join(path, "status_events"), "status events go to status_url, which the app does not have")
		}
	}
}

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
	n = deref(n)
	if n.Kind != yaml.SequenceNode {
		return
	}
	for i, it := range n.Content {
		it = deref(it)
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
	s, ok := d.scalar(n, path)
	if !ok {
		return s
	}
	if s == "" {
		if required {
			d.errorf(n, path, "must not be empty")
		}
		return ""
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
	seq := deref(n)
	if isNull(seq) {
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

// field is one key of a mapping and its value.
type field struct{ key, value *yaml.Node }

// fields are a mapping's keys, in file order.
type fields []field

// get returns the value of key, or nil when the mapping lacks it.
func (f fields) get(key string) *yaml.Node {
	for _, fl := range f {
		if fl.key.Value == key {
			return fl.value
		}
	}
	return nil
}

// keyNode returns the key node of key, or nil.
func (f fields) keyNode(key string) *yaml.Node {
	for _, fl := range f {
		if fl.key.Value == key {
			return fl.key
		}
	}
	return nil
}

// mapping returns the keys of the mapping at n, reporting duplicates and, when
// known is not nil, keys it does not list. Merge keys (<<: *anchor) are
// followed; keys written in the mapping win over merged ones. A null value
// is an empty mapping; any other non-mapping is reported and gives nil.
func (d *decoder) mapping(n *yaml.Node, path string, known []string) fields {
	n = deref(n)
	if isNull(n) {
		return fields{}
	}
	if n.Kind != yaml.MappingNode {
		d.errorf(n, path, "must be a mapping")
		return nil
	}
	out := fields{}
	var merges []*yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if isMergeKey(k) {
			merges = append(merges, v)
			continue
		}
		if k.Kind != yaml.ScalarNode {
			d.errorf(k, path, "a key must be a string")
			continue
		}
		p := join(path, k.Value)
		if first := out.keyNode(k.Value); first != nil {
			d.errorf(k, p, "duplicate key (first at line %d)", first.Line)
			continue
		}
		if known != nil && !slices.Contains(known, k.Value) {
			d.errorf(k, p, "unknown key%s", suggest.Hint(k.Value, known))
			continue
		}
		out = append(out, field{k, v})
	}
	if len(merges) == 0 {
		return out
	}
	d.merging[n] = true
	defer delete(d.merging, n)
	for _, m := range merges {
		for _, src := range mergeSources(m) {
			if d.merging[deref(src)] {
				d.errorf(m, path, "merges a mapping into itself")
				continue
			}
			if d.merges++; d.merges > maxMerges {
				if d.merges == maxMerges+1 {
					d.errorf(m, path, "more than %d merges in one file", maxMerges)
				}
				continue
			}
			for _, fl := range d.mapping(src, path, known) {
				if out.get(fl.key.Value) == nil {
					out = append(out, fl)
				}
			}
		}
	}
	return out
}

// isMergeKey reports whether k is YAML's merge key, a plain <<.
func isMergeKey(k *yaml.Node) bool {
	return k.Kind == yaml.ScalarNode && k.Value == "<<" && k.ShortTag() == "!!merge"
}

// mergeSources returns the mappings a merge key's value names: one, or a
// list of them.
func mergeSources(v *yaml.Node) []*yaml.Node {
	v = deref(v)
	if v.Kind == yaml.SequenceNode {
		return v.Content
	}
	return []*yaml.Node{v}
}

// deref follows an alias (*anchor) to the node it names.
func deref(n *yaml.Node) *yaml.Node {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	return n
}

// isNull reports whether n is a YAML null: ~, null or nothing at all.
func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

// seq returns the items of the list at n. A null value is an empty list;
// any other non-list is reported and gives nil.
func (d *decoder) seq(n *yaml.Node, path string) []*yaml.Node {
	n = deref(n)
	if isNull(n) {
		return []*yaml.Node{}
	}
	if n.Kind != yaml.SequenceNode {
		d.errorf(n, path, "must be a list")
		return nil
	}
	if n.Content == nil {
		return []*yaml.Node{}
	}
	return n.Content
}

// str returns the scalar at n as a string; null is "".
func (d *decoder) str(n *yaml.Node, path string) string {
	s, _ := d.scalar(n, path)
	return s
}

// scalar returns the scalar at n as a string (null is ""), and false when
// it is not a usable scalar, which has been reported then.
func (d *decoder) scalar(n *yaml.Node, path string) (string, bool) {
	n = deref(n)
	if d.reported[n] {
		return "", false
	}
	if isNull(n) {
		return "", true
	}
	if n.Kind != yaml.ScalarNode {
		d.errorf(n, path, "must be a single value")
		return "", false
	}
	return n.Value, true
}

// oneOf returns the scalar at n, which must be one of allowed.
func (d *decoder) oneOf(n *yaml.Node, path string, allowed ...string) string {
	s, ok := d.scalar(n, path)
	if ok && !slices.Contains(allowed, s) {
		d.errorf(n, path, "must be %s, got %q", orList(allowed, "or"), s)
		return allowed[0]
	}
	return s
}

// names decodes a list of names, each matching pattern; what names them in
// errors.
func (d *decoder) names(n *yaml.Node, path string, pattern *regexp.Regexp, what string) []string {
	var out []string
	for i, it := range d.seq(n, path) {
		p := index(path, i)
		s, ok := d.scalar(it, p)
		if !ok {
			continue
		}
		if !pattern.MatchString(s) {
			d.errorf(it, p, "invalid %s %q", what, s)
			continue
		}
		out = append(out, s)
	}
	return out
}

// folder decodes a folder on the switch's host (recordings_dir): an absolute,
// clean path of safe characters (verb.CheckDir), since callhook hands it
// to FreeSWITCH as part of file names.
func (d *decoder) folder(n *yaml.Node, path string) string {
	s, ok := d.scalar(n, path)
	if !ok {
		return ""
	}
	if err := verb.CheckDir(s); err != nil {
		d.errorf(n, path, "%v", err)
		return ""
	}
	return s
}

// folders decodes a list of folders (media_dirs), each as folder decodes it.
func (d *decoder) folders(n *yaml.Node, path string) []string {
	out := []string{}
	for i, it := range d.seq(n, path) {
		if s := d.folder(it, index(path, i)); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// intRange decodes a decimal integer in lo..hi.
func (d *decoder) intRange(n *yaml.Node, path string, lo, hi int) int {
	s, ok := d.scalar(n, path)
	if !ok {
		return lo
	}
	v, err := strconv.Atoi(s)
	if err != nil {
		d.errorf(n, path, "invalid integer %q", s)
		return lo
	}
	if v < lo || v > hi {
		d.errorf(n, path, "must be %d..%d, got %d", lo, hi, v)
	}
	return v
}

// duration decodes a Go duration string such as 5s or 500ms.
func (d *decoder) duration(n *yaml.Node, path string) (time.Duration, bool) {
	s, ok := d.scalar(n, path)
	if !ok {
		return 0, false
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		d.errorf(n, path, "invalid duration %q", s)
		return 0, false
	}
	return v, true
}

// positive decodes a duration that must be more than zero.
func (d *decoder) positive(n *yaml.Node, path string) time.Duration {
	v, ok := d.duration(n, path)
	if ok && v <= 0 {
		d.errorf(n, path, "must be positive, got %v", v)
	}
	return v
}

// nonNegative decodes a duration that may be zero.
func (d *decoder) nonNegative(n *yaml.Node, path string) time.Duration {
	v, ok := d.duration(n, path)
	if ok && v < 0 {
		d.errorf(n, path, "must not be negative, got %v", v)
	}
	return v
}

// size decodes a positive byte size (see parseSize).
func (d *decoder) size(n *yaml.Node, path string) int64 {
	s, ok := d.scalar(n, path)
	if !ok {
		return 0
	}
	v, err := parseSize(s)
	if err != nil {
		d.errorf(n, path, "%v", err)
		return 0
	}
	if v <= 0 {
		d.errorf(n, path, "must be positive, got %q", s)
	}
	return v
}

// sizeAtMost decodes a positive byte size of at most hi bytes.
func (d *decoder) sizeAtMost(n *yaml.Node, path string, hi int64) int64 {
	v := d.size(n, path)
	if v > hi {
		d.errorf(n, path, "must be at most %s, got %q", formatSize(hi), deref(n).Value)
		return hi
	}
	return v
}

// atMost reports a decoded duration v over hi, and returns v.
func (d *decoder) atMost(n *yaml.Node, path string, v, hi time.Duration) time.Duration {
	if v > hi {
		d.errorf(n, path, "must be at most %v, got %v", hi, v)
	}
	return v
}

// sizeUnits are the units parseSize takes: SI (1000) and binary (1024).
var sizeUnits = map[string]int64{
	"": 1, "B": 1,
	"kB": 1000, "KB": 1000, "MB": 1000 * 1000, "GB": 1000 * 1000 * 1000,
	"KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30,
}

// parseSize parses a byte size: plain bytes (1048576), or a whole number
// with a unit (512KiB, 1MiB, 1MB, 1 GiB).
func parseSize(s string) (int64, error) {
	bad := fmt.Errorf("invalid size %q (bytes, or a whole number and B, KB, MB, GB, KiB, MiB or GiB)", s)
	digits := strings.TrimLeft(s, "0123456789")
	num, unit := s[:len(s)-len(digits)], strings.TrimSpace(digits)
	mult, ok := sizeUnits[unit]
	if num == "" || !ok {
		return 0, bad
	}
	v, err := strconv.ParseInt(num, 10, 64)
	if err != nil || v > math.MaxInt64/mult {
		return 0, bad
	}
	return v * mult, nil
}

// httpURL decodes an absolute http or https URL; "" is allowed unless
// required.
func (d *decoder) httpURL(n *yaml.Node, path string, required bool) string {
	s, ok := d.scalar(n, path)
	if !ok {
		return s
	}
	if s == "" {
		if required {
			d.errorf(n, path, "must not be empty")
		}
		return ""
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		d.errorf(n, path, "must be an absolute http(s) URL, got %q", s)
	}
	return s
}

// hostPort decodes a listen address (see checkHostPort).
func (d *decoder) hostPort(n *yaml.Node, path string) string {
	s, ok := d.scalar(n, path)
	if !ok {
		return s
	}
	if err := checkHostPort(s); err != nil {
		d.errorf(n, path, "%v", err)
	}
	return s
}

// checkHostPort checks a listen address: host:port with a port 1..65535 and
// a host that is empty (every interface), an IP (IPv6 in brackets) or a
// host name.
func checkHostPort(s string) error {
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		return fmt.Errorf("invalid address %q (want host:port, such as 127.0.0.1:8084 or [::]:8084)", s)
	}
	if p, err := strconv.Atoi(port); err != nil || p < 1 || p > 65535 {
		return fmt.Errorf("invalid port %q in %q (want 1..65535)", port, s)
	}
	if host != "" && !validHost(host) {
		return fmt.Errorf("invalid host %q in %q", host, s)
	}
	return nil
}

// hostNamePattern matches a DNS host name.
var hostNamePattern = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*\.?$`)

// validHost reports whether host is an IP address or a host name.
func validHost(host string) bool {
	if _, err := netip.ParseAddr(host); err == nil {
		return true
	}
	return len(host) <= 253 && hostNamePattern.MatchString(host)
}

// join appends key to a key path.
func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// index appends a list index to a key path.
func index(path string, i int) string {
	return fmt.Sprintf("%s[%d]", path, i)
}

// orList writes items as "a, b or c" (with conj "or").
func orList(items []string, conj string) string {
	switch len(items) {
	case 0:
		return ""
	case 1:
		return items[0]
	}
	return strings.Join(items[:len(items)-1], ", ") + " " + conj + " " + items[len(items)-1]
}

// expand replaces environment references in every scalar value under n (not
// in keys), in place, before anything is decoded. It works on the node tree,
// never on the file's text, so no value can change the YAML's structure. An
// alias is skipped: the node it names is expanded where it is written.
func (d *decoder) expand(n *yaml.Node, path string) {
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			d.expand(n.Content[i+1], join(path, n.Content[i].Value))
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			d.expand(c, index(path, i))
		}
	case yaml.ScalarNode:
		d.expandScalar(n, path)
	}
}

// expandScalar expands one scalar. An unquoted, untagged value is typed
// again from its new text, as if it had been written there (port: ${PORT}
// is an integer); a quoted one stays a string.
func (d *decoder) expandScalar(n *yaml.Node, path string) {
	if !strings.Contains(n.Value, "$") {
		return
	}
	v, err := expandEnv(n.Value, d.lookupEnv)
	if err != nil {
		d.errorf(n, path, "%v", err)
		d.reported[n] = true
		return
	}
	if v == n.Value {
		return
	}
	n.Value = v
	const fixedType = yaml.TaggedStyle | yaml.SingleQuotedStyle | yaml.DoubleQuotedStyle | yaml.LiteralStyle | yaml.FoldedStyle
	if n.Style&fixedType == 0 {
		n.Tag = (&yaml.Node{Kind: yaml.ScalarNode, Value: v}).ShortTag()
	}
}

// envNamePattern matches an environment variable name.
var envNamePattern = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// expandEnv expands ${VAR} (an error when VAR is unset) and ${VAR:-default}
// (default when VAR is unset or empty) in s; $$ is a literal $, and a $
// before anything else stays as it is, so regexps such as ^5\d{3}$ need no
// escaping.
func expandEnv(s string, lookupEnv func(string) (string, bool)) (string, error) {
	var b strings.Builder
	for {
		i := strings.IndexByte(s, '$')
		if i < 0 {
			b.WriteString(s)
			return b.String(), nil
		}
		b.WriteString(s[:i])
		s = s[i:]
		switch {
		case strings.HasPrefix(s, "$$"):
			b.WriteByte('$')
			s = s[2:]
		case strings.HasPrefix(s, "${"):
			end := strings.IndexByte(s, '}')
			if end < 0 {
				return "", errors.New("unterminated ${ (write $$ for a literal $)")
			}
			v, err := envValue(s[2:end], lookupEnv)
			if err != nil {
				return "", err
			}
			b.WriteString(v)
			s = s[end+1:]
		default:
			b.WriteByte('$')
			s = s[1:]
		}
	}
}

// envValue resolves the inside of one ${...}.
func envValue(ref string, lookupEnv func(string) (string, bool)) (string, error) {
	name, def, hasDef := strings.Cut(ref, ":-")
	if !envNamePattern.MatchString(name) {
		return "", fmt.Errorf("invalid environment variable name %q", name)
	}
	v, ok := lookupEnv(name)
	switch {
	case hasDef && v == "":
		return def, nil
	case !ok:
		return "", fmt.Errorf("environment variable %s is not set", name)
	}
	return v, nil
}
