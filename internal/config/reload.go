package config

import (
	"net/netip"
	"slices"
)

// RestartOnly compares next, freshly loaded on SIGHUP, with the running
// config old, and returns the keys that changed but take effect only on a
// restart, in the file's order: listen, acl, admin, admin_token, linger,
// drain_timeout, event_socket, log.format, recordings, boxes and twilio_api.
// Everything else reloads:
// apps, routes, limits, flows, log.level.
//
// They are the settings of what the daemon built once at start: the event
// socket listener and its connections' options, the admin API and its
// token, the proxy's linger, the drain and the log's formatter.
func RestartOnly(old, next *Config) []string {
	var keys []string
	for _, k := range []struct {
		key  string
		same bool
	}{
		{"listen", next.Listen == old.Listen},
		{"acl", samePrefixes(next.ACL, old.ACL)},
		{"admin", next.Admin == old.Admin},
		{"admin_token", next.AdminToken == old.AdminToken},
		{"linger", next.Linger == old.Linger},
		{"drain_timeout", next.DrainTimeout == old.DrainTimeout},
		{"event_socket", next.EventSocket == old.EventSocket},
		{"log.format", next.Log.Format == old.Log.Format},
		{"recordings", sameRecordings(next.Recordings, old.Recordings)},
		{"boxes", slices.Equal(next.Boxes, old.Boxes)},
		{"twilio_api", sameTwilioAPI(next.TwilioAPI, old.TwilioAPI)},
	} {
		if !k.same {
			keys = append(keys, k.key)
		}
	}
	return keys
}

// sameRecordings reports whether two recordings keys are the same.
func sameRecordings(a, b *Recordings) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
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

// sameTwilioAPI reports whether a and b are the same twilio_api key (its
// line aside).
func sameTwilioAPI(a, b *TwilioAPI) bool {
	if a == nil || b == nil {
		return a == b
	}
	x, y := *a, *b
	x.Line, y.Line = 0, 0
	return x == y
}
