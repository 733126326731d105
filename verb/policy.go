package verb

import (
	"fmt"
	"slices"
	"strings"
)

// Policy is what one app may make FreeSWITCH do beyond the defaults: the
// channel variables, bridge endpoints and dialplans its config names
// (allow_vars, allow_endpoints, allow_dialplans). A nil *policy allows the
// defaults only. It is immutable once built, so specs share it.
type Policy struct {
	vars      []string // lower case; an entry ending in * is a prefix
	endpoints []string // lower case
	dialplans []string // lower case
}

// Defaults of what a bridge may dial and a transfer may enter.
var (
	// DefaultEndpoints are the endpoint types a bridge target may use
	// without allow_endpoints: a directory user, a SIP URI or gateway, an
	// error cause, and a loopback into the dialplan (whose app= form,
	// which runs an application, is refused; src/mod/endpoints/mod_loopback).
	DefaultEndpoints = []string{"user", "sofia", "error", "loopback"}
	// DefaultDialplans are the dialplans a transfer may enter without
	// allow_dialplans. inline would run the applications named in the
	// extension; LUA and the other script dialplans run their context as a
	// script.
	DefaultDialplans = []string{"xml"}
)

// NewPolicy builds a policy from an app's allow lists (nil when all are
// empty).
func NewPolicy(vars, endpoints, dialplans []string) *Policy {
	if len(vars) == 0 && len(endpoints) == 0 && len(dialplans) == 0 {
		return nil
	}
	lower := func(in []string) []string {
		out := make([]string, len(in))
		for i, s := range in {
			out[i] = strings.ToLower(s)
		}
		return out
	}
	return &Policy{vars: lower(vars), endpoints: lower(endpoints), dialplans: lower(dialplans)}
}

// policy returns the policy of o's allow lists.
func (o ParseOptions) policy() *Policy {
	return NewPolicy(o.AllowVars, o.AllowEndpoints, o.AllowDialplans)
}

// allowsVar reports whether allow_vars names name (case-insensitively; an
// entry ending in * names every variable starting with what precedes it).
func (p *Policy) allowsVar(name string) bool {
	if p == nil {
		return false
	}
	l := strings.ToLower(name)
	for _, v := range p.vars {
		if l == v || strings.HasSuffix(v, "*") && strings.HasPrefix(l, v[:len(v)-1]) {
			return true
		}
	}
	return false
}

// checkVar checks the name of a variable an app sets on its channel (the
// set verb, execute of set, export, multiset, ...): refused when FreeSWITCH
// would run its value (fsvars.go), unless allow_vars names it.
func (p *Policy) checkVar(name string) error {
	_, err := p.checkVarName(name, "set", "")
	return err
}

// checkVarName is the check every variable an app names goes through: a
// plain name, and not one FreeSWITCH runs (fsvars.go) unless allow_vars
// names it, in which case allowed is true and the caller checks nothing
// more. verb says what the app does with it ("set", "unset"); why, when
// not empty, is said after what FreeSWITCH does with the value.
func (p *Policy) checkVarName(name, verb, why string) (allowed bool, err error) {
	if err := CheckName(name, ""); err != nil {
		return false, err
	}
	if p.allowsVar(name) {
		return true, nil
	}
	if v, ok := dangerousVar(name); ok {
		return false, fmt.Errorf("%s cannot be %s by an app: FreeSWITCH runs its value as %s (%s)%s; the app's allow_vars can allow it",
			Quote(name), verb, v.runs, v.file, why)
	}
	return false, nil
}

// checkExportVar checks a variable an app hands to the legs a bridge
// creates (export, bridge_export, a name in export_vars): checkVar's rules,
// and none of legOnlyVars unless allow_vars names it.
func (p *Policy) checkExportVar(name string) error {
	if err := p.checkVar(name); err != nil {
		return err
	}
	if isLegOnlyVar(name) && !p.allowsVar(name) {
		return fmt.Errorf("%s cannot be handed to a bridge leg by an app (it makes the phone answer by itself or changes where the call goes); the app's allow_vars can allow it",
			Quote(name))
	}
	return nil
}

// checkSetValue checks the value of a variable an app sets where the value
// names variables: export_vars and bridge_export_vars list variables copied
// onto every new leg (checkExportVar).
func (p *Policy) checkSetValue(name, value string) error {
	for _, ev := range exportListVars {
		if !strings.EqualFold(name, ev) {
			continue
		}
		for v := range strings.SplitSeq(value, ",") {
			if v = strings.TrimSpace(v); v == "" {
				continue
			}
			if err := p.checkExportVar(v); err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
		}
	}
	return nil
}

// checkUnsetVar checks the name of a variable an app removes: not one
// FreeSWITCH runs (the operator's dialplan may have set it), unless
// allow_vars names it.
func (p *Policy) checkUnsetVar(name string) error {
	_, err := p.checkVarName(name, "unset", ", and on this call the operator's dialplan set it")
	return err
}

// checkLegVar checks a variable of a bridge's [...], {...} or <...> block:
// only the harmless legVars, or what allow_vars names.
func (p *Policy) checkLegVar(name string) error {
	if allowed, err := p.checkVarName(name, "set", ""); allowed || err != nil {
		return err
	}
	if !isLegVar(name) {
		return fmt.Errorf("%s is not a variable a bridge leg may set (timeouts, caller id, ignore_early_media, absolute_codec_string, sip_h_X-*); the app's allow_vars can allow it",
			Quote(name))
	}
	return nil
}

// checkDialplan checks a transfer's dialplan: xml, or one allow_dialplans
// names, compared case-insensitively as FreeSWITCH looks dialplans up. A
// dialplan string may list several ("xml,inline") and give one an argument
// ("inline:app"), src/switch_core_state_machine.c; checkName refuses both.
func (p *Policy) checkDialplan(dp string) error {
	if err := CheckName(dp, ""); err != nil {
		return err
	}
	l := strings.ToLower(dp)
	if slices.Contains(DefaultDialplans, l) || p != nil && slices.Contains(p.dialplans, l) {
		return nil
	}
	return fmt.Errorf("dialplan %s is not allowed (xml; the app's allow_dialplans can allow more): inline runs the applications named in the extension, script dialplans run their context as a script",
		Quote(dp))
}

// checkEndpoint checks the endpoint of one bridge leg, typ/data.
func (p *Policy) checkEndpoint(typ, data string) error {
	l := strings.ToLower(typ)
	if !slices.Contains(DefaultEndpoints, l) && (p == nil || !slices.Contains(p.endpoints, l)) {
		return fmt.Errorf("endpoint %s is not allowed (%s; the app's allow_endpoints can allow more)",
			Quote(typ), strings.Join(DefaultEndpoints, ", "))
	}
	if l != "loopback" {
		return nil
	}
	// mod_loopback reads loopback/app=NAME[:ARG] as "run NAME" (compared
	// with strncasecmp), and loopback/EXT/CONTEXT/DIALPLAN as "enter
	// DIALPLAN" (src/mod/endpoints/mod_loopback/mod_loopback.c).
	if len(data) >= 4 && strings.EqualFold(data[:4], "app=") {
		return fmt.Errorf("loopback/app= is not allowed: FreeSWITCH runs the application it names")
	}
	if parts := strings.SplitN(data, "/", 3); len(parts) == 3 && parts[2] != "" {
		return p.checkDialplan(parts[2])
	}
	return nil
}

// checkTarget checks one bridge leg: an optional [...] block of this leg's
// variables, then endpoint/destination. The leg is read as FreeSWITCH reads
// it (src/switch_ivr_originate.c), and whatever could make the two
// readings differ is refused: quotes and backslashes (FreeSWITCH's splitter
// pairs and unescapes them), a second or nested block, and the separators
// that split a dial string into several legs or into variables ('|' and
// ":_:" anywhere, ',' outside the block, braces and angle brackets).
func (p *Policy) checkTarget(t string) error {
	if strings.TrimSpace(t) == "" {
		return fmt.Errorf("a target must not be empty")
	}
	if err := checkLine(t); err != nil {
		return err
	}
	if i := strings.IndexAny(t, "|{}<>'\\"); i >= 0 {
		return fmt.Errorf("target %s has %q, which would split it or set variables", Quote(t), t[i])
	}
	if strings.Contains(t, ":_:") {
		return fmt.Errorf(`target %s has ":_:", which would split it`, Quote(t))
	}
	rest := t
	if strings.HasPrefix(rest, "[") {
		end := strings.IndexByte(rest, ']')
		if end < 0 {
			return fmt.Errorf("target %s: [ without ]", Quote(t))
		}
		if err := p.checkVarBlock(rest[1:end], ','); err != nil {
			return fmt.Errorf("target %s: %w", Quote(t), err)
		}
		rest = rest[end+1:]
	}
	if i := strings.IndexAny(rest, "[],"); i >= 0 {
		// One [...] block, first, is all a target may have.
		return fmt.Errorf("target %s has %q, which would split it or set variables", Quote(t), rest[i])
	}
	if isDigits(rest) {
		// Digits alone name no endpoint FreeSWITCH has: the bridge fails
		// there, harmlessly. They are also what a flow's template stands
		// for while its literal text is checked (bridge: "{{flow.dest}}").
		return nil
	}
	typ, data, ok := strings.Cut(rest, "/")
	if !ok || typ == "" {
		return fmt.Errorf("target %s: want endpoint/destination, such as user/1001 or sofia/gateway/gw/123", Quote(t))
	}
	if isDigits(typ) {
		// No endpoint has a name of digits (see above): "{{flow.type}}/..."
		// is checked again once filled in.
		return nil
	}
	if err := p.checkEndpoint(typ, data); err != nil {
		return err
	}
	if strings.Contains(strings.ToLower(t), "origination_nested_vars") {
		// src/switch_ivr_originate.c looks for origination_nested_vars=true
		// anywhere in the dial string, not only among its variables.
		if err := p.checkVar("origination_nested_vars"); err != nil {
			return fmt.Errorf("target %s: %w", Quote(t), err)
		}
	}
	return nil
}

// checkVarBlock checks the inside of a [...], {...} or <...> block as
// switch_event_create_brackets reads it (src/switch_event.c): a leading
// ^^X makes X the separator instead of sep, each part is name=value (split
// at the first '='), and a part without '=' is ignored by FreeSWITCH (here,
// refused). Every name must be one a leg may set.
func (p *Policy) checkVarBlock(block string, sep byte) error {
	if strings.ContainsAny(block, "[]{}<>'\\") {
		return fmt.Errorf("a variable block must not hold brackets, braces, quotes or backslashes")
	}
	if strings.HasPrefix(block, "^^") {
		if len(block) < 3 {
			return fmt.Errorf(`"^^" must be followed by a separator`)
		}
		sep = block[2]
		if sep == '=' || sep == ' ' || CheckName(string(sep), "") == nil {
			return fmt.Errorf("separator %q is not allowed (use a punctuation mark such as : or ;)", sep)
		}
		block = block[3:]
	}
	if block == "" {
		return fmt.Errorf("empty variable block")
	}
	for part := range strings.SplitSeq(block, string(sep)) {
		name, value, ok := strings.Cut(part, "=")
		if !ok {
			return fmt.Errorf("%s is not name=value", Quote(part))
		}
		if err := p.checkLegVar(name); err != nil {
			return err
		}
		if err := checkLine(value); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
	}
	return nil
}

// checkDialString checks a whole bridge argument as an app wrote it (the
// execute verb, a Liverpie execute): optional {...} and <...> blocks of
// variables for every leg, then legs separated by '|' (one after the
// other) and ',' (at once), each checked by checkTarget. ":_:" (an
// enterprise originate, with its own blocks) is refused.
func (p *Policy) checkDialString(s string) error {
	if strings.TrimSpace(s) == "" {
		return fmt.Errorf("empty dial string")
	}
	if err := checkLine(s); err != nil {
		return err
	}
	if strings.Contains(s, ":_:") {
		return fmt.Errorf(`dial string has ":_:", which is not allowed`)
	}
	for _, open := range []struct{ a, b byte }{{'<', '>'}, {'{', '}'}, {'<', '>'}} {
		if len(s) == 0 || s[0] != open.a {
			continue
		}
		end := strings.IndexByte(s, open.b)
		if end < 0 {
			return fmt.Errorf("dial string: %c without %c", open.a, open.b)
		}
		if err := p.checkVarBlock(s[1:end], ','); err != nil {
			return fmt.Errorf("dial string: %w", err)
		}
		s = s[end+1:]
	}
	for group := range strings.SplitSeq(s, "|") {
		for _, leg := range splitLegs(group) {
			if err := p.checkTarget(strings.TrimLeft(leg, " ")); err != nil {
				return err
			}
		}
	}
	return nil
}

// splitLegs splits a failover group at the commas outside [...] blocks, as
// switch_ivr_originate.c does (it hides the commas inside a leg's block
// first).
func splitLegs(group string) []string {
	var legs []string
	depth, start := 0, 0
	for i := 0; i < len(group); i++ {
		switch group[i] {
		case '[':
			depth++
		case ']':
			if depth > 0 {
				depth--
			}
		case ',':
			if depth == 0 {
				legs = append(legs, group[start:i])
				start = i + 1
			}
		}
	}
	return append(legs, group[start:])
}

// isDigits reports whether s is one or more ASCII digits.
func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
