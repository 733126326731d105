package statemachine

import (
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
)

// Template namespaces: {{call.from}}, {{vars.NAME}} (channel variables),
// {{flow.NAME}} (flow variables), {{recording.FIELD}} (the last
// recording) and {{digits}} alone.
const (
	nsCall      = "call"
	nsVars      = "vars"
	nsFlow      = "flow"
	nsRecording = "recording"
	nsDigits    = "digits"
)

// callFields are the names {{call.X}} accepts.
var callFields = []string{"id", "app", "from", "from_name", "to", "direction", "channel"}

// recordingFields are the names {{recording.X}} accepts: the last
// recording's result (verb.Recording) and its upload's outcome
// (verb.Uploaded).
var recordingFields = []string{"url", "path", "name", "format", "size", "duration_ms",
	"upload_url", "upload_method", "upload_status", "upload_error"}

var (
	flowVarName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	chanVarName = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]*$`)
)

// ref is a reference to a value: a template's {{...}} or a when: var.
type ref struct {
	ns   string
	name string // "" for digits
}

func (r ref) String() string {
	if r.ns == nsDigits {
		return nsDigits
	}
	return r.ns + "." + r.name
}

// parseRef reads "call.from", "vars.x", "flow.y" or "digits".
func parseRef(s string) (ref, error) {
	s = strings.TrimSpace(s)
	if s == nsDigits {
		return ref{ns: nsDigits}, nil
	}
	ns, name, ok := strings.Cut(s, ".")
	if !ok {
		return ref{}, fmt.Errorf("unknown reference %q: want digits, call.FIELD, vars.NAME, flow.NAME or recording.FIELD", s)
	}
	switch ns {
	case nsCall:
		for _, f := range callFields {
			if f == name {
				return ref{ns: ns, name: name}, nil
			}
		}
		return ref{}, fmt.Errorf("unknown call field %q (want one of %s)", name, strings.Join(callFields, ", "))
	case nsRecording:
		if !slices.Contains(recordingFields, name) {
			return ref{}, fmt.Errorf("unknown recording field %q (want one of %s)", name, strings.Join(recordingFields, ", "))
		}
	case nsVars:
		if !chanVarName.MatchString(name) {
			return ref{}, fmt.Errorf("bad channel variable name %q", name)
		}
	case nsFlow:
		if !flowVarName.MatchString(name) {
			return ref{}, fmt.Errorf("bad flow variable name %q", name)
		}
	default:
		return ref{}, fmt.Errorf("unknown namespace %q in %q: want call, vars, flow, recording or digits", ns, s)
	}
	return ref{ns: ns, name: name}, nil
}

// template is a text with {{...}} references, parsed once at load.
type template struct {
	parts []tmplPart
}

// verbTemplates are a verb's templated text arguments, parsed at load, by
// their text as Spec.MapText passes it.
type verbTemplates map[string]*template

type tmplPart struct {
	lit   string
	ref   ref
	isRef bool
}

// parseTemplate splits s into literal text and references. There is no
// escape for a literal "{{": FreeSWITCH arguments never need one.
func parseTemplate(s string) (*template, error) {
	t := &template{}
	for {
		i := strings.Index(s, "{{")
		if i < 0 {
			if s != "" {
				t.parts = append(t.parts, tmplPart{lit: s})
			}
			return t, nil
		}
		if i > 0 {
			t.parts = append(t.parts, tmplPart{lit: s[:i]})
		}
		j := strings.Index(s[i+2:], "}}")
		if j < 0 {
			return nil, fmt.Errorf("unclosed {{ in %q", s)
		}
		r, err := parseRef(s[i+2 : i+2+j])
		if err != nil {
			return nil, err
		}
		t.parts = append(t.parts, tmplPart{ref: r, isRef: true})
		s = s[i+2+j+2:]
	}
}

// refs lists the template's references.
func (t *template) refs() []ref {
	var out []ref
	for _, p := range t.parts {
		if p.isRef {
			out = append(out, p.ref)
		}
	}
	return out
}

// expand fills the references in with lookup's values; escape (nil for
// none) is applied to each value, not to the literal text around it.
func (t *template) expand(lookup func(ref) string, escape func(string) string) string {
	var b strings.Builder
	for _, p := range t.parts {
		if !p.isRef {
			b.WriteString(p.lit)
			continue
		}
		v := lookup(p.ref)
		if escape != nil {
			v = escape(v)
		}
		b.WriteString(v)
	}
	return b.String()
}

// urlEscape makes a value safe in a URL's path or query alike: a caller ID
// such as "+1 555" must not add a query parameter or a path segment.
func urlEscape(s string) string {
	return strings.ReplaceAll(url.QueryEscape(s), "+", "%20")
}
