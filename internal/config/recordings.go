package config

import (
	"net"
	"path/filepath"
	"strconv"
	"time"

	"gopkg.in/yaml.v3"
)

// Recordings is the recordings key: how recordings reach apps (README
// "Recordings"). nil in Config when the key is absent: recordings are then
// reported by their path on the switch's host, as before.
type Recordings struct {
	// Listen is the host:port of callhook's recordings listener, where the
	// switch uploads and apps download (required).
	Listen string
	// URL is the listener's base URL as apps reach it (default
	// http://<listen>, which needs a listen host other than 0.0.0.0 or
	// [::]).
	URL string
	// SwitchURL is the listener's base URL as the switch reaches it
	// (default URL).
	SwitchURL string
	// Dir is where callhook keeps uploaded recordings (default
	// DefaultRecordingsStore; unused when Local).
	Dir string
	// Keep is how long a recording stays fetchable (default 24h, 1m to
	// 720h).
	Keep time.Duration
	// MaxSize bounds one recording (default 512MiB, at most 16GiB).
	MaxSize int64
	// MaxTotal bounds the bytes of all the recordings kept at once (0:
	// the store's default, 16GiB; at least max_size).
	MaxTotal int64
	// Wait bounds how long callhook waits for the switch's upload after
	// a recording ended (default 10s, 100ms to 5m).
	Wait time.Duration
	// Local: callhook reads recordings where FreeSWITCH writes them (the
	// same host, or the recordings folder shared at the same path); no
	// upload (default false).
	Local bool
}

// Defaults of the recordings key.
const (
	DefaultRecordingsStore = "/var/lib/callhook/recordings"
	defaultRecordingsKeep  = 24 * time.Hour
	defaultRecordingsSize  = 512 << 20
	defaultRecordingsWait  = 10 * time.Second
)

var recordingsKeys = []string{"listen", "url", "switch_url", "dir", "keep", "max_size", "max_total", "wait", "local"}

// recordings decodes the recordings mapping.
func (d *decoder) recordings(n *yaml.Node, path string) *Recordings {
	f := d.mapping(n, path, recordingsKeys)
	if f == nil {
		return nil
	}
	r := &Recordings{Dir: DefaultRecordingsStore, Keep: defaultRecordingsKeep, MaxSize: defaultRecordingsSize, Wait: defaultRecordingsWait}
	if v := f.get("listen"); v != nil {
		r.Listen = d.hostPort(v, join(path, "listen"))
	} else {
		d.errorf(n, join(path, "listen"), "required: the host:port the switch uploads recordings to and apps fetch them from")
	}
	if v := f.get("url"); v != nil {
		r.URL = d.httpURL(v, join(path, "url"), true)
	} else if host, port, err := net.SplitHostPort(r.Listen); err == nil {
		if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
			d.errorf(n, join(path, "url"), "required when listen is on every address (%s): the URL apps reach callhook's recordings at", r.Listen)
		} else {
			r.URL = "http://" + net.JoinHostPort(host, port)
		}
	}
	if v := f.get("switch_url"); v != nil {
		r.SwitchURL = d.httpURL(v, join(path, "switch_url"), false)
	}
	if v := f.get("dir"); v != nil {
		if s, ok := d.text(v, join(path, "dir"), true); ok {
			if !filepath.IsAbs(s) || filepath.Clean(s) != s {
				d.errorf(v, join(path, "dir"), "must be an absolute, clean path, got %q", s)
			}
			r.Dir = s
		}
	}
	if v := f.get("keep"); v != nil {
		r.Keep = d.durationRange(v, join(path, "keep"), time.Minute, 720*time.Hour)
	}
	if v := f.get("max_size"); v != nil {
		r.MaxSize = d.sizeAtMost(v, join(path, "max_size"), 16<<30)
	}
	if v := f.get("max_total"); v != nil {
		r.MaxTotal = d.sizeAtMost(v, join(path, "max_total"), 1<<50)
		if r.MaxTotal < r.MaxSize {
			d.errorf(v, join(path, "max_total"), "must be at least max_size (%d bytes)", r.MaxSize)
		}
	}
	if v := f.get("wait"); v != nil {
		r.Wait = d.durationRange(v, join(path, "wait"), 100*time.Millisecond, 5*time.Minute)
	}
	if v := f.get("local"); v != nil {
		if s, ok := d.scalar(v, join(path, "local")); ok {
			b, err := strconv.ParseBool(s)
			if err != nil || yamlTag(v) != "!!bool" {
				d.errorf(v, join(path, "local"), "must be true or false, got %q", s)
			}
			r.Local = b
		}
	}
	return r
}

// yamlTag is a node's short tag.
func yamlTag(n *yaml.Node) string { return n.ShortTag() }
