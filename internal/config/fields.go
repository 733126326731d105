package config

// The typed values of the file (mappings with merge keys, lists, names,
// durations, sizes, URLs, addresses), each decoded from its node with its
// line and key path.

import (
	"fmt"
	"math"
	"net"
	"net/netip"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/callhook/callhook/internal/suggest"
	"github.com/callhook/callhook/internal/yamlx"

	"github.com/callhook/callhook/verb"
	"gopkg.in/yaml.v3"
)

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
	n = yamlx.Deref(n)
	if yamlx.IsNull(n) {
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
			if d.merging[yamlx.Deref(src)] {
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
	v = yamlx.Deref(v)
	if v.Kind == yaml.SequenceNode {
		return v.Content
	}
	return []*yaml.Node{v}
}

// seq returns the items of the list at n. A null value is an empty list;
// any other non-list is reported and gives nil.
func (d *decoder) seq(n *yaml.Node, path string) []*yaml.Node {
	n = yamlx.Deref(n)
	if yamlx.IsNull(n) {
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
	n = yamlx.Deref(n)
	if d.reported[n] {
		return "", false
	}
	if yamlx.IsNull(n) {
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
		d.errorf(n, path, "must be at most %s, got %q", formatSize(hi), yamlx.Deref(n).Value)
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

// text returns the scalar at n and true when it is a non-empty string
// for the caller to check further. An empty value is reported when
// required, and returns "", false.
func (d *decoder) text(n *yaml.Node, path string, required bool) (string, bool) {
	s, ok := d.scalar(n, path)
	if !ok || s != "" {
		return s, ok
	}
	if required {
		d.errorf(n, path, "must not be empty")
	}
	return "", false
}

// httpURL decodes an absolute http or https URL; "" is allowed unless
// required.
func (d *decoder) httpURL(n *yaml.Node, path string, required bool) string {
	s, ok := d.text(n, path, required)
	if !ok {
		return s
	}
	if !verb.IsHTTPURL(s) {
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
