package config

// The boxes key: the FreeSWITCH boxes callhook places calls on (POST
// /calls), and the apps' allow_to and allow_from.

import (
	"net"
	"net/netip"
	"regexp"
	"slices"

	"gopkg.in/yaml.v3"
)

// Box is one entry of the boxes key: a FreeSWITCH inbound event socket.
type Box struct {
	Name     string
	Line     int
	Addr     string // host:port of its inbound event socket (8021)
	Password string // ${VAR} expanded like every value
	MaxCalls int    // placed calls at once; 0 for no limit of callhook's
	MaxCPS   int    // calls placed per second (default 30, FreeSWITCH's own sessions-per-second)
	// ConnectBack is where the box reaches callhook's listener,
	// host:port with an IP in the acl.
	ConnectBack string
}

// Defaults and bounds of a box's keys.
const (
	defaultBoxMaxCPS = 30
	maxBoxMaxCPS     = 10000
)

var boxKeys = []string{"name", "addr", "password", "max_calls", "max_cps", "connect_back"}

// boxNamePattern: box names appear in logs, metrics labels and GET /boxes.
var boxNamePattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]*$`)

// boxes decodes the boxes list; c.ACL must be decoded already.
func (d *decoder) boxes(n *yaml.Node, path string, c *Config) []Box {
	var out []Box
	seen := map[string]bool{}
	for i, it := range d.seq(n, path) {
		p := index(path, i)
		f := d.mapping(it, p, boxKeys)
		if f == nil {
			continue
		}
		b := Box{Line: it.Line, MaxCPS: defaultBoxMaxCPS}
		if v := f.get("name"); v != nil {
			b.Name = d.str(v, join(p, "name"))
			switch {
			case !boxNamePattern.MatchString(b.Name):
				d.errorf(v, join(p, "name"), "invalid box name %q (letters, digits, _ . - and a letter or digit first)", b.Name)
			case seen[b.Name]:
				d.errorf(v, join(p, "name"), "box %q given twice", b.Name)
			}
			seen[b.Name] = true
		} else {
			d.errorf(it, join(p, "name"), "required")
		}
		if v := f.get("addr"); v != nil {
			b.Addr = d.hostPort(v, join(p, "addr"))
		} else {
			d.errorf(it, join(p, "addr"), "required (the box's inbound event socket, such as 10.0.0.5:8021)")
		}
		if v := f.get("password"); v != nil {
			b.Password = d.str(v, join(p, "password"))
		}
		if b.Password == "" {
			d.errorf(it, join(p, "password"), "required (event_socket.conf.xml's password; use ${VAR} to keep it out of the file)")
		}
		if v := f.get("max_calls"); v != nil {
			b.MaxCalls = d.intRange(v, join(p, "max_calls"), 0, maxMaxCalls)
		}
		if v := f.get("max_cps"); v != nil {
			b.MaxCPS = d.intRange(v, join(p, "max_cps"), 1, maxBoxMaxCPS)
		}
		if v := f.get("connect_back"); v != nil {
			b.ConnectBack = d.connectBack(v, join(p, "connect_back"), c.ACL)
		} else {
			d.errorf(it, join(p, "connect_back"), "required (where the box reaches callhook's listen address, such as 10.0.0.2:8084)")
		}
		out = append(out, b)
	}
	return out
}

// connectBack decodes a box's connect_back: host:port with an IP address
// (the socket application's argument; a name would be resolved on the
// box) that the acl lets in, or the call it brings back would be refused.
func (d *decoder) connectBack(n *yaml.Node, path string, acl []netip.Prefix) string {
	s, ok := d.scalar(n, path)
	if !ok {
		return ""
	}
	host, port, err := net.SplitHostPort(s)
	if err != nil || checkHostPort(s) != nil {
		d.errorf(n, path, "invalid address %q (want ip:port, such as 10.0.0.2:8084)", s)
		return s
	}
	ip, err := netip.ParseAddr(host)
	if err != nil || ip.Zone() != "" || ip.IsUnspecified() {
		d.errorf(n, path, "%q: the host must be an IP address the box can reach", s)
		return s
	}
	ip = ip.Unmap()
	if !slices.ContainsFunc(acl, func(p netip.Prefix) bool { return p.Contains(ip) }) {
		d.errorf(n, path, "%s is not in acl: the calls the box brings back would be refused (add it to acl)", host)
	}
	// FreeSWITCH's socket application takes the port after the last ':',
	// so an IPv6 host is written without brackets
	// (src/mod/event_handlers/mod_event_socket/mod_event_socket.c).
	return ip.String() + ":" + port
}

// allowPatterns decodes allow_to or allow_from: a list of regular
// expressions, each matched against the whole value, as if written
// between ^ and $ (an explicit ^ or $ is harmless). Unlike routes', these
// are an allowlist: an unanchored user/1\d{3} would let through
// "user/1000;fs_path=sip:elsewhere" or a longer number, which route the
// call past what the pattern meant.
func (d *decoder) allowPatterns(n *yaml.Node, path string) []*regexp.Regexp {
	var out []*regexp.Regexp
	for i, it := range d.seq(n, path) {
		if re := d.pattern(it, index(path, i)); re != nil {
			// re compiled: wrapped in a group it still does.
			out = append(out, regexp.MustCompile(`^(?:`+re.String()+`)$`))
		}
	}
	return out
}
