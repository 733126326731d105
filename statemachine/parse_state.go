package statemachine

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/callhook/callhook/internal/yamlx"
	"github.com/callhook/callhook/verb"
)

// parseVerbs parses a state's verbs one by one, so that one bad verb does
// not hide the problems of the others, and checks their templates.
func (p *parser) parseVerbs(s *State, n *yaml.Node) {
	n = yamlx.Deref(n)
	if n.Kind != yaml.SequenceNode || len(n.Content) == 0 {
		p.errorf(n, "state %q: verbs must be a non-empty list", s.Name)
		return
	}
	opts := verb.ParseOptions{AllowExecute: p.f.allowExec, AllowVars: p.f.allowVars,
		AllowEndpoints: p.f.allowEndpoints, AllowDialplans: p.f.allowDialplans, Templates: true, Files: p.opts.Files}
	for i, item := range n.Content {
		item = yamlx.Deref(item)
		if hasMapKey(item, 0) {
			continue // an unquoted template, reported by checkDuplicates
		}
		verbs, err := verb.ParseVerbs(&yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Line: item.Line, Column: item.Column, Content: []*yaml.Node{item}}, opts)
		if err != nil {
			p.verbError(err, item.Line)
			s.broken = true
			continue
		}
		if len(verbs) != 1 {
			p.errorf(item, "state %q: want one verb per list item", s.Name)
			continue
		}
		v := verbs[0]
		switch {
		case v.Action != "":
			p.errorf(item, "state %q: %s: action is not used in flows (on:, next: and when: say where the call goes)", s.Name, v.Name)
			continue
		case v.Name == "redirect":
			p.errorf(item, "state %q: redirect is not available in flows (hand the call to a webhook app with handoff:)", s.Name)
			continue
		case (v.Name == "hangup" || v.Name == "reject") && i != len(n.Content)-1:
			p.errorf(item, "state %q: %s must be the last verb (the verbs after it would never run)", s.Name, v.Name)
			continue
		}
		if v.Line == 0 {
			v.Line = item.Line
		}
		s.Verbs = append(s.Verbs, v)
		s.summaries = append(s.summaries, summarize(item))
		s.templates = append(s.templates, p.verbTemplates(s, v, item))
	}
}

// verbTemplates checks every {{...}} in a verb's values and returns the
// parsed templates of its text arguments (nil when it has none), for
// State.expand. Only text arguments are filled in (Spec.MapText), so a
// template in any other option (a say's lang, a gather's regex) would
// reach FreeSWITCH as written: that is an error too.
func (p *parser) verbTemplates(s *State, v verb.Verb, item *yaml.Node) verbTemplates {
	var texts []string
	_, _ = v.Spec.MapText(func(t string) (string, error) {
		texts = append(texts, t)
		return t, nil
	})
	var out verbTemplates
	scalars(item, func(n *yaml.Node) {
		if !strings.Contains(n.Value, "{{") {
			return
		}
		t := p.template(n, fmt.Sprintf("state %q", s.Name))
		if t == nil {
			return
		}
		if slices.Contains(texts, n.Value) {
			if out == nil {
				out = make(verbTemplates)
			}
			out[n.Value] = t
			return
		}
		p.errorf(n, "state %q: %s: %q is not a text argument, so its template would never be filled in", s.Name, v.Name, n.Value)
	}, 0)
	return out
}

// template parses a text with references and records what it uses.
func (p *parser) template(n *yaml.Node, where string) *template {
	t, err := parseTemplate(n.Value)
	if err != nil {
		p.errorf(n, "%s: %v", where, err)
		return nil
	}
	for _, r := range t.refs() {
		p.use(r, n.Line)
	}
	return t
}

// use records a reference: flow variables must be declared somewhere, and
// channel variables are what a backend snapshots for each step.
func (p *parser) use(r ref, line int) {
	switch r.ns {
	case nsFlow:
		p.flowUse = append(p.flowUse, flowUse{name: r.name, line: line})
	case nsVars:
		if !slices.Contains(p.f.chanVars, r.name) {
			p.f.chanVars = append(p.f.chanVars, r.name)
		}
	}
}

// verbError records a verb.ParseVerbs error: an *verb.InvalidReplyError
// keeps its own line when it has one, else it gets the verb's.
func (p *parser) verbError(err error, line int) {
	msg, l := err.Error(), line
	if ire, ok := errors.AsType[*verb.InvalidReplyError](err); ok {
		msg = ire.Msg
		if ire.Line > 0 {
			l = ire.Line
		}
	}
	p.add(&Error{File: p.file, Line: l, Msg: msg})
}

// summarize describes a verb in a few words for graphs: its name and its
// main argument (or first option) as written.
func summarize(item *yaml.Node) string {
	item = yamlx.Deref(item)
	switch item.Kind {
	case yaml.ScalarNode:
		return item.Value
	case yaml.MappingNode:
		if len(item.Content) < 2 {
			return ""
		}
		name, v := item.Content[0].Value, yamlx.Deref(item.Content[1])
		arg := ""
		switch v.Kind {
		case yaml.ScalarNode:
			arg = v.Value
		case yaml.SequenceNode:
			if len(v.Content) > 0 {
				arg = yamlx.Deref(v.Content[0]).Value
			}
		case yaml.MappingNode:
			if len(v.Content) >= 2 && yamlx.Deref(v.Content[1]).Kind == yaml.ScalarNode {
				arg = yamlx.Deref(v.Content[1]).Value
			}
		}
		if arg == "" {
			return name
		}
		return name + " " + shorten(arg, 40)
	}
	return ""
}

// shorten keeps the first max runes of s, on one line.
func shorten(s string, max int) string {
	s = strings.Join(strings.Fields(s), " ")
	r := []rune(s)
	if len(r) <= max {
		return s
	}
	return string(r[:max-1]) + "…"
}

// onKeys are the outcomes on: may route.
var onKeys = []string{"digits", "timeout", "noinput", "invalid", "ok", "error", "hangup", "default", "next"}

func (p *parser) parseOn(s *State, n *yaml.Node) {
	where := fmt.Sprintf("state %q: on", s.Name)
	for _, e := range p.pairs(n, where, onKeys...) {
		set := func(t *target, what string) {
			if t.ok() {
				p.errorf(e.k, "%s: %s is given twice (timeout/noinput and default/next are the same)", where, what)
				return
			}
			*t = p.target(e.v, "on."+e.k.Value)
		}
		switch e.k.Value {
		case "digits":
			p.parseDigits(s, e.v)
		case "timeout", "noinput":
			set(&s.on.timeout, "timeout")
		case "invalid":
			set(&s.on.invalid, "invalid")
		case "ok":
			set(&s.on.ok, "ok")
		case "error":
			set(&s.on.err, "error")
		case "hangup":
			set(&s.on.hangup, "hangup")
		case "default", "next":
			set(&s.next, "next")
		}
	}
}

// parseDigits reads on.digits: exact digits ("1": x), a list of them
// ([1, 2]: x) or a pattern ("/^5\d$/": x).
func (p *parser) parseDigits(s *State, n *yaml.Node) {
	where := fmt.Sprintf("state %q: on.digits", s.Name)
	n = yamlx.Deref(n)
	if n.Kind != yaml.MappingNode || len(n.Content) == 0 {
		p.errorf(n, "%s must be a non-empty map of digits to states", where)
		return
	}
	type seenAt struct {
		line  int
		inKey bool // a plain key, whose repeats checkDuplicates reports
	}
	seen := map[string]seenAt{}
	exact := func(k *yaml.Node, inKey bool) (string, bool) {
		v := k.Value
		if k.Kind != yaml.ScalarNode || !exactDigits.MatchString(v) {
			p.errorf(k, "%s: %q is not digits (0-9, *, #, A-D), a list [1, 2] or a pattern /.../", where, v)
			return "", false
		}
		if first, dup := seen[v]; dup {
			if !(first.inKey && inKey) {
				p.errorf(k, "%s: %q is routed twice (first at line %d)", where, v, first.line)
			}
			return "", false
		}
		seen[v] = seenAt{line: k.Line, inKey: inKey}
		return v, true
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := yamlx.Deref(n.Content[i]), n.Content[i+1]
		r := digitRoute{}
		good := true
		switch {
		case k.Kind == yaml.SequenceNode:
			var labels []string
			for _, c := range k.Content {
				d, ok := exact(yamlx.Deref(c), false)
				good = good && ok
				r.exact = append(r.exact, d)
				labels = append(labels, d)
			}
			if len(k.Content) == 0 {
				p.errorf(k, "%s: empty list of digits", where)
				good = false
			}
			r.label = strings.Join(labels, ", ")
		case k.Kind == yaml.ScalarNode && len(k.Value) >= 2 && strings.HasPrefix(k.Value, "/") && strings.HasSuffix(k.Value, "/"):
			re, err := regexp.Compile(k.Value[1 : len(k.Value)-1])
			if err != nil {
				p.errorf(k, "%s: bad pattern %s: %v", where, k.Value, err)
				good = false
			}
			r.re, r.label = re, k.Value
		default:
			d, ok := exact(k, true)
			good = ok
			r.exact, r.label = []string{d}, d
		}
		r.target = p.target(v, "on.digits")
		if good {
			s.on.digits = append(s.on.digits, r)
		}
	}
}

// whenKeys are the keys of a when: condition.
var whenKeys = []string{"weekdays", "time", "timezone", "var", "equals", "matches", "goto"}

func (p *parser) parseWhen(s *State, n *yaml.Node) {
	where := fmt.Sprintf("state %q: when", s.Name)
	n = yamlx.Deref(n)
	if n.Kind != yaml.SequenceNode || len(n.Content) == 0 {
		p.errorf(n, "%s must be a non-empty list of conditions", where)
		return
	}
	for _, item := range n.Content {
		item = yamlx.Deref(item)
		c := &condition{}
		keys := map[string]kv{}
		for _, e := range p.pairs(item, where, whenKeys...) {
			keys[e.k.Value] = e
		}
		if item.Kind != yaml.MappingNode {
			continue
		}
		var label []string
		if e, ok := keys["weekdays"]; ok {
			if list, ok := p.strings(e.v, "weekdays"); ok {
				var days [7]bool
				var names []string
				for _, d := range list {
					if err := parseWeekdays(d.Value, &days); err != nil {
						p.errorf(d, "%s: %v", where, err)
					}
					names = append(names, d.Value)
				}
				c.days = &days
				label = append(label, strings.Join(names, ","))
			}
		}
		if e, ok := keys["time"]; ok {
			if list, ok := p.strings(e.v, "time"); ok {
				var names []string
				for _, r := range list {
					tr, err := parseTimeRange(r.Value)
					if err != nil {
						p.errorf(r, "%s: %v", where, err)
						continue
					}
					c.ranges = append(c.ranges, tr)
					names = append(names, r.Value)
				}
				label = append(label, strings.Join(names, ","))
			}
		}
		if e, ok := keys["timezone"]; ok {
			c.loc = p.location(e.v)
			if _, ok := keys["weekdays"]; !ok {
				if _, ok := keys["time"]; !ok {
					p.errorf(e.k, "%s: timezone without weekdays or time", where)
				}
			}
		}
		if c.days != nil || len(c.ranges) > 0 {
			if c.loc == nil {
				c.loc = p.f.location
			}
			if c.loc == nil {
				if _, given := keys["timezone"]; !given {
					p.errorf(item, "%s: a time condition needs a timezone (here or the flow's timezone:): the server's clock zone is rarely the business's", where)
				}
			}
			if len(label) > 0 && c.loc != nil {
				label = append(label, c.loc.String())
			}
		}
		p.parseWhenVar(c, keys, where, &label)
		if e, ok := keys["goto"]; ok {
			c.target = p.target(e.v, "goto")
		} else {
			p.errorf(item, "%s: a condition needs goto: (the state it leads to)", where)
		}
		_, hasDays := keys["weekdays"]
		_, hasTime := keys["time"]
		_, hasVar := keys["var"]
		if !hasDays && !hasTime && !hasVar {
			p.errorf(item, "%s: a condition needs weekdays, time or var", where)
		}
		c.label = strings.Join(label, " ")
		s.when = append(s.when, c)
	}
}

// parseWhenVar reads var: with equals: and/or matches:.
func (p *parser) parseWhenVar(c *condition, keys map[string]kv, where string, label *[]string) {
	e, hasVar := keys["var"]
	eq, hasEq := keys["equals"]
	mt, hasMt := keys["matches"]
	if !hasVar {
		for _, k := range []kv{eq, mt} {
			if k.k != nil {
				p.errorf(k.k, "%s: %s without var", where, k.k.Value)
			}
		}
		return
	}
	if !hasEq && !hasMt {
		p.errorf(e.k, "%s: var needs equals or matches", where)
	}
	name, ok := p.scalar(e.v, "var")
	if !ok {
		return
	}
	r, err := parseRef(strings.Trim(strings.TrimSpace(name), "{}"))
	if err != nil {
		p.errorf(e.v, "%s: %v", where, err)
		return
	}
	p.use(r, e.v.Line)
	c.ref = &r
	if hasEq {
		v := yamlx.Deref(eq.v)
		if v.Kind != yaml.ScalarNode {
			p.errorf(v, "%s: equals must be a plain value", where)
		} else {
			val := v.Value
			if v.Tag == "!!null" {
				val = ""
			}
			c.equals = &val
			*label = append(*label, fmt.Sprintf("%s = %s", r, val))
		}
	}
	if hasMt {
		if v, ok := p.scalar(mt.v, "matches"); ok {
			re, err := regexp.Compile(v)
			if err != nil {
				p.errorf(mt.v, "%s: bad pattern %q: %v", where, v, err)
			} else {
				c.matches = re
				*label = append(*label, fmt.Sprintf("%s ~ /%s/", r, v))
			}
		}
	}
}

func (p *parser) parseSet(s *State, n *yaml.Node) {
	where := fmt.Sprintf("state %q: set", s.Name)
	for _, e := range p.pairs(n, where, nil...) {
		if !flowVarName.MatchString(e.k.Value) {
			p.errorf(e.k, "%s: bad flow variable name %q (want letters, digits and _)", where, e.k.Value)
			continue
		}
		v := yamlx.Deref(e.v)
		if v.Kind != yaml.ScalarNode {
			p.errorf(v, "%s: %s must be a plain value or a template such as \"{{digits}}\"", where, e.k.Value)
			continue
		}
		p.decl[e.k.Value] = true
		val := v.Value
		if v.Tag == "!!null" {
			val = ""
		}
		t := p.template(&yaml.Node{Value: val, Line: v.Line}, where)
		if t == nil {
			continue
		}
		s.set = append(s.set, assign{name: e.k.Value, value: t})
	}
}

func (p *parser) parseFetch(s *State, n *yaml.Node) {
	where := fmt.Sprintf("state %q: fetch", s.Name)
	keys := map[string]kv{}
	for _, e := range p.pairs(n, where, "url", "method", "timeout", "retries", "save") {
		keys[e.k.Value] = e
	}
	fs := &fetchSpec{method: "GET", timeout: defaultFetchTimeout, retries: defaultFetchRetries}
	s.fetch = fs
	if e, ok := keys["url"]; ok {
		if v, ok := p.scalar(e.v, "url"); ok {
			fs.url = p.template(yamlx.Deref(e.v), where)
			if fs.url != nil && !strings.HasPrefix(v, "http://") && !strings.HasPrefix(v, "https://") {
				p.errorf(e.v, "%s: url must start with http:// or https://", where)
			}
		}
	} else if yamlx.Deref(n).Kind == yaml.MappingNode {
		p.errorf(n, "%s needs url:", where)
	}
	if fs.url == nil {
		fs.url = &template{}
	}
	if e, ok := keys["method"]; ok {
		if v, ok := p.scalar(e.v, "method"); ok {
			switch strings.ToUpper(v) {
			case "GET", "POST":
				fs.method = strings.ToUpper(v)
			default:
				p.errorf(e.v, "%s: method must be GET or POST, not %q", where, v)
			}
		}
	}
	if e, ok := keys["timeout"]; ok {
		if d := p.duration(e.v, "timeout", maxFetchTimeout); d > 0 {
			fs.timeout = d
		}
	}
	if e, ok := keys["retries"]; ok {
		v := yamlx.Deref(e.v)
		i, err := strconv.Atoi(v.Value)
		if v.Kind != yaml.ScalarNode || err != nil || i < 0 || i > maxFetchRetries {
			p.errorf(v, "%s: retries must be a whole number from 0 to %d, not %q", where, maxFetchRetries, v.Value)
		} else {
			fs.retries = i
		}
	}
	if e, ok := keys["save"]; ok {
		for _, sv := range p.pairs(e.v, where+".save", nil...) {
			if !flowVarName.MatchString(sv.k.Value) {
				p.errorf(sv.k, "%s.save: bad flow variable name %q (want letters, digits and _)", where, sv.k.Value)
				continue
			}
			field, ok := p.field(sv.v, where+".save")
			if !ok {
				continue
			}
			p.decl[sv.k.Value] = true
			fs.save = append(fs.save, saveField{name: sv.k.Value, field: field})
		}
	}
}

// field reads a dotted path into a JSON answer: "account.status".
func (p *parser) field(n *yaml.Node, where string) (string, bool) {
	v, ok := p.scalar(n, where+" field")
	if !ok {
		return "", false
	}
	for _, part := range strings.Split(v, ".") {
		if part == "" {
			p.errorf(n, "%s: bad field path %q (want names separated by dots, like account.status)", where, v)
			return "", false
		}
	}
	return v, true
}

func (p *parser) parseSwitch(s *State, n *yaml.Node) {
	where := fmt.Sprintf("state %q: switch", s.Name)
	keys := map[string]kv{}
	for _, e := range p.pairs(n, where, "field", "cases", "default") {
		keys[e.k.Value] = e
	}
	if yamlx.Deref(n).Kind != yaml.MappingNode {
		return
	}
	sw := &switchSpec{}
	e, ok := keys["field"]
	if !ok {
		p.errorf(n, "%s needs field:", where)
	} else if sw.field, ok = p.field(e.v, where); !ok {
		return
	}
	if e, ok := keys["cases"]; ok {
		for _, c := range p.pairs(e.v, where+".cases", nil...) {
			sw.cases = append(sw.cases, switchCase{value: c.k.Value, target: p.target(c.v, "case")})
		}
	} else {
		p.errorf(n, "%s needs cases:", where)
	}
	if e, ok := keys["default"]; ok {
		sw.def = p.target(e.v, "default")
	}
	s.sw = sw
}
