package verb

import (
	"fmt"
	"strings"
)

// The rules a placed call's values go through (package outbound): the
// same ones an app's verbs meet, so that the admin API cannot make
// FreeSWITCH do what an app's reply could not.

// CheckDialTarget checks one dial target (endpoint/destination, with an
// optional [...] block) as a bridge verb's target is checked: an endpoint
// the policy allows, no loopback/app=, nothing that would split it into
// several legs or set variables.
func (p *Policy) CheckDialTarget(t string) error { return p.checkTarget(t) }

// CheckPlacedVar checks the name of a variable a placed call's request
// sets on the new channel (its originate's {...} block): the set verb's
// rules (refused when FreeSWITCH runs its value, fsvars.go), and none of
// placedRouteVars, which would send the call elsewhere than its checked
// target, show another caller id than its checked from, or dial it again
// and again; allow_vars can allow either.
func (p *Policy) CheckPlacedVar(name string) error {
	if allowed, err := p.checkVarName(name, "set", ""); allowed || err != nil {
		return err
	}
	if isPlacedRouteVar(name) {
		return fmt.Errorf("%s cannot be set on a placed call: it changes where the call goes, the caller id it sends or how often it is dialled, which to, from and timeout decide (under allow_to and allow_from); the app's allow_vars can allow it",
			Quote(name))
	}
	return nil
}

// placedRouteVars are the variables a new leg reads to build its call
// beyond the dial string and origination_caller_id_*: mod_sofia takes the
// INVITE's request URI, To, From, Route, domain and extra headers from the
// channel's sip_* variables (sofia_glue_do_invite,
// src/mod/endpoints/mod_sofia/sofia_glue.c: sip_invite_req_uri,
// sip_invite_to_uri, sip_invite_from_uri, sip_invite_domain, sip_from_uri,
// sip_from_display, sip_route_uri, sip_cid_type; sip_h_<name> becomes a
// header <name>, P-Asserted-Identity included), sip_auto_answer makes the
// phone pick up by itself, effective_caller_id_* and origination_* are
// caller ids and what originate takes from them, and originate_retries,
// originate_retry_sleep_ms and originate_retry_timeout dial the target up
// to 100 times for one request (switch_ivr_originate,
// src/switch_ivr_originate.c). Every sip_ variable is refused but the X-
// headers (legVars' sip_h_X-*): a blocklist of mod_sofia's names would
// miss the next one.
var placedRouteVars = []string{"sip_", "effective_caller_id_", "origination_", "originate_"}

// isPlacedRouteVar reports whether name is one of placedRouteVars'
// families (and not an X- header).
func isPlacedRouteVar(name string) bool {
	l := strings.ToLower(name)
	if strings.HasPrefix(l, "sip_h_x-") {
		return false
	}
	for _, p := range placedRouteVars {
		if strings.HasPrefix(l, p) {
			return true
		}
	}
	return false
}
