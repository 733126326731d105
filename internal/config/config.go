// Package config is the only code that knows the config file format. It
// turns config.yaml (and a Liverpie liverpie.yml, liverpie.go) into plain
// structs whose values are already validated, converted and defaulted, so
// that cmd/callhook maps them onto the runtime without checking anything
// again.
//
// The file is decoded from a yaml.v3 node tree rather than into tagged
// structs, so that every problem can name its file, line and key path
// ("config.yaml:14: apps.support.timeout: invalid duration \"3x\"") and so
// that all problems are reported at once, as `callhook check` needs.
package config

import (
	"net"
	"net/netip"
	"regexp"
	"strconv"
	"time"

	"github.com/callhook/callhook/verb"
)

// Config is a loaded config file. Every field holds its final value: keys the
// file leaves out hold the defaults documented beside them and in the root
// config.yaml.
type Config struct {
	// File is the config file's name, as given to Load or Parse.
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
	// Recordings is how recordings reach apps (recordings.go); nil
	// without the key.
	Recordings *Recordings
	// Apps are the apps in file order; AppByName finds one.
	Apps []*App
	// Boxes are the FreeSWITCH boxes calls are placed on (POST /calls);
	// none disables placing calls.
	Boxes []Box
	// TwilioAPI serves Twilio's Calls API for the twiml apps; nil: off.
	TwilioAPI *TwilioAPI
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
	Kind string // KindWebhook, KindLiverpie, KindFlow or KindTwiML

	// Webhook apps.
	URL         string        // absolute http(s) URL of the app
	Format      string        // request body encoding: json (default) or form
	FallbackURL string        // asked when URL fails; "" for none
	Timeout     time.Duration // per attempt (default 5s)
	Retries     int           // further attempts, 0..5 (default 1)
	Secret      string        // HMAC key of X-Callhook-Signature; "" signs nothing
	StatusURL   string        // where call.end goes; "" for nowhere
	// StatusEvents are the status events sent to StatusURL too
	// (StatusEventNames: call.answered); none by default.
	StatusEvents []string
	Vars         []string // channel variables sent with every request

	// What an app may make FreeSWITCH do beyond the defaults (README,
	// "Security model"); a flow's own file has the same keys for its
	// verbs, and these then apply to its on_failure.
	AllowExecute   []string // applications the execute verb (or a Liverpie execute) may run
	AllowVars      []string // variables set and a bridge's [...] blocks may name; a trailing * is a prefix
	AllowEndpoints []string // bridge endpoint types beyond user, sofia, error and loopback
	AllowDialplans []string // transfer dialplans beyond xml
	// AllowTo and AllowFrom say where the app's placed calls (POST
	// /calls) may go and which caller ids they may send: regular
	// expressions; none places no calls, or sends no caller id.
	AllowTo   []*regexp.Regexp
	AllowFrom []*regexp.Regexp

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

	// TwiML apps (FallbackURL and Timeout above are theirs too).
	TwiML *TwiMLApp

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

// AppFor returns the app a call gets as the daemon chooses it when its
// channel variable callhook_app is app ("" when unset): that, else the
// first route matching the destination number to, else default_app.
func (c *Config) AppFor(app, to string) string {
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

// Defaults of keys the file leaves out; the root config.yaml documents the
// same values and a test keeps the two in step.
const (
	DefaultListen          = "127.0.0.1:8084"
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
