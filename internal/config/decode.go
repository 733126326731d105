package config

// The root mapping and the daemon-wide keys: listen, acl, admin, log,
// limits, event_socket, routes.

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"regexp"
	"regexp/syntax"
	"strconv"
	"strings"
	"time"

	"github.com/callhook/callhook/internal/suggest"

	"github.com/callhook/callhook/verb"
	"github.com/sirupsen/logrus"
	"gopkg.in/yaml.v3"
)

// topKeys are the keys of the file's root mapping.
var topKeys = []string{
	"listen", "acl", "admin", "admin_token", "log", "linger", "drain_timeout",
	"limits", "event_socket", "recordings_dir", "media_dirs", "recordings", "default_app", "routes", "apps", "boxes",
	"twilio_api",
}

// config decodes the root mapping. Limits come before apps, whose on_failure
// verbs they bound, and apps before the references to them.
func (d *decoder) config(root *yaml.Node) *Config {
	c := &Config{
		File:          d.file,
		Listen:        DefaultListen,
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
	if n := f.get("recordings"); n != nil {
		c.Recordings = d.recordings(n, "recordings")
	}
	if n := f.get("apps"); n != nil {
		c.Apps = d.apps(n, "apps", c)
	} else if d.liverpieSrc == nil {
		d.errorf(root, "apps", "required: no call could be driven without an app")
	}
	if d.liverpieSrc != nil {
		c.Apps = d.addLiverpieApps(c)
	}
	if n := f.get("boxes"); n != nil {
		c.Boxes = d.boxes(n, "boxes", c)
	}
	if n := f.get("twilio_api"); n != nil {
		c.TwilioAPI = d.twilioAPI(n, "twilio_api", c)
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
