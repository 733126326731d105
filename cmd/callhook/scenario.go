package main

// scenario.go reads scenario files, the tests `callhook test` runs: one or
// more scenarios per file (a list of them, or a mapping with the key
// scenarios), each a call to one app and the steps of that call, what the
// caller does and what must happen. They are decoded from yaml.v3 node
// trees so that every problem names its line, as the config's and the
// flows' are.

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/callhook/callhook/esl/esltest"
	"github.com/callhook/callhook/internal/safefile"
	"github.com/callhook/callhook/internal/suggest"
	"github.com/callhook/callhook/internal/yamlx"
	"gopkg.in/yaml.v3"
)

// defaultScenarioTimeout bounds a scenario whose file gives no timeout: a
// stuck app fails its scenario instead of hanging the CI job.
const defaultScenarioTimeout = 30 * time.Second

// maxScenarioFileBytes bounds a scenario file; they are hand-written.
const maxScenarioFileBytes = 4 << 20

// scenario is one call and what must happen in it.
type scenario struct {
	File string // as given on the command line
	Line int    // where the scenario starts
	Name string
	// App is the config app that takes the call (the channel variable
	// callhook_app); "" lets the routes and default_app decide from To.
	App      string
	From, To string
	Vars     map[string]string
	Timeout  time.Duration
	Bridge   map[string]esltest.BridgeOutcome
	Load     []string
	Steps    []step
}

// Step kinds: what the caller does, and what must happen.
const (
	stepPress   = "press"   // press keys at the next gather or record (a Liverpie app: prompt)
	stepSilence = "silence" // press nothing at the next gather or record
	stepSpeak   = "speak"   // speak for a while at the next record
	stepHangup  = "hangup"  // hang up once the steps before have happened
	stepExpect  = "expect"  // this must happen next (later events may come between)
)

// step is one step of a scenario.
type step struct {
	Line int
	Kind string
	Keys string        // press
	Talk time.Duration // speak
	// What is what an expect step matches: verb, app, request, result or
	// end; Want the fields that must match (see matchValue).
	What string
	Want map[string]any
}

// scenarioKeys are the keys of a scenario, stepKeys those of a step,
// expectKinds the kinds of event an expect names.
var (
	scenarioKeys = []string{"name", "app", "from", "to", "vars", "timeout", "bridge", "load", "steps"}
	stepKeys     = []string{stepPress, stepSilence, stepSpeak, stepHangup, stepExpect}
	expectKinds  = []string{"verb", "app", "request", "result", "end"}
)

// isScenarioFile tells a scenario file from a flow, for `callhook check`:
// by its name (*.scenario.yaml, *_test.yaml, .yml too) or by its shape (a
// list at the top, or a top-level scenarios key). A flow is a mapping
// with states, never a list and never with a scenarios key.
func isScenarioFile(path string, data []byte) bool {
	base := strings.TrimSuffix(strings.TrimSuffix(filepath.Base(path), ".yaml"), ".yml")
	if strings.HasSuffix(base, ".scenario") || strings.HasSuffix(base, "_test") {
		return true
	}
	var doc yaml.Node
	if yaml.Unmarshal(data, &doc) != nil || len(doc.Content) == 0 {
		return false
	}
	top := yamlx.Deref(doc.Content[0])
	if top.Kind == yaml.SequenceNode {
		return true
	}
	if top.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(top.Content); i += 2 {
			if top.Content[i].Value == "scenarios" {
				return true
			}
		}
	}
	return false
}

// loadScenarios reads and checks one scenario file; the error holds every
// problem, each as file:line: message.
func loadScenarios(path string) ([]*scenario, error) {
	// A named pipe or a device is refused, not read (it could block).
	data, err := safefile.Read(path, maxScenarioFileBytes, "a scenario file")
	if err != nil {
		return nil, err
	}
	return parseScenarios(path, data)
}

// scenarioParser decodes one file, collecting its problems.
type scenarioParser struct {
	file  string
	probs yamlx.Problems
}

func (p *scenarioParser) errorf(n *yaml.Node, format string, args ...any) {
	line := 0
	if n != nil {
		line = n.Line
	}
	msg := fmt.Sprintf(format, args...)
	if line > 0 {
		p.probs.Add(line, fmt.Errorf("%s:%d: %s", p.file, line, msg))
		return
	}
	p.probs.Add(0, fmt.Errorf("%s: %s", p.file, msg))
}

// parseScenarios decodes a scenario file's text.
func parseScenarios(path string, data []byte) ([]*scenario, error) {
	p := &scenarioParser{file: path}
	var doc yaml.Node
	if err := yaml.NewDecoder(bytes.NewReader(data)).Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("%s: no scenarios", path)
		}
		return nil, fmt.Errorf("%s:%s", path, yamlx.Locate(data, err))
	}
	top := yamlx.Deref(doc.Content[0])
	list := top
	if top.Kind == yaml.MappingNode {
		list = nil
		for i := 0; i+1 < len(top.Content); i += 2 {
			k := top.Content[i]
			if k.Value != "scenarios" {
				p.errorf(k, "unknown key %q%s (a scenario file is a list of scenarios, or scenarios: [...])", k.Value, suggest.Hint(k.Value, []string{"scenarios"}))
				continue
			}
			list = yamlx.Deref(top.Content[i+1])
		}
	}
	var out []*scenario
	switch {
	case list == nil:
		p.errorf(top, "no scenarios: want a list of scenarios, or scenarios: [...]")
	case list.Kind != yaml.SequenceNode:
		p.errorf(list, "want a list of scenarios")
	default:
		names := map[string]int{}
		for _, n := range list.Content {
			sc := p.scenario(yamlx.Deref(n))
			if sc == nil {
				continue
			}
			if line, dup := names[sc.Name]; dup && sc.Name != "" {
				p.errorf(n, "scenario %q again (first at line %d): names must be unique in a file", sc.Name, line)
			}
			names[sc.Name] = sc.Line
			out = append(out, sc)
		}
		if len(list.Content) == 0 {
			p.errorf(list, "no scenarios")
		}
	}
	if err := p.probs.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

// scenario decodes one scenario (nil when it is not a mapping).
func (p *scenarioParser) scenario(n *yaml.Node) *scenario {
	if n.Kind != yaml.MappingNode {
		p.errorf(n, "a scenario is a mapping (name, app, steps, ...)")
		return nil
	}
	sc := &scenario{File: p.file, Line: n.Line, From: "1000", To: "7000", Timeout: defaultScenarioTimeout,
		Vars: map[string]string{}, Bridge: map[string]esltest.BridgeOutcome{}}
	var hasSteps bool
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], yamlx.Deref(n.Content[i+1])
		switch k.Value {
		case "name":
			sc.Name = p.str(k.Value, v)
		case "app":
			sc.App = p.str(k.Value, v)
		case "from":
			sc.From = p.number(k.Value, v)
		case "to":
			sc.To = p.number(k.Value, v)
		case "timeout":
			if d, ok := p.duration(k.Value, v); ok {
				if d <= 0 {
					p.errorf(v, "timeout: want a positive duration such as 30s")
				}
				sc.Timeout = d
			}
		case "vars":
			p.mapping(k.Value, v, func(key, val *yaml.Node) { sc.Vars[key.Value] = p.str("vars."+key.Value, val) })
		case "bridge":
			p.mapping(k.Value, v, func(key, val *yaml.Node) {
				_, o, err := esltest.ParseBridgeTarget(key.Value + "=" + p.str("bridge."+key.Value, val))
				if err != nil {
					p.errorf(val, "bridge: %s", strings.TrimPrefix(err.Error(), "esltest: "))
					return
				}
				sc.Bridge[key.Value] = o
			})
		case "load":
			if v.Kind != yaml.SequenceNode {
				p.errorf(v, "load: want a list of modules such as [mod_flite]")
				continue
			}
			for _, m := range v.Content {
				name := p.str("load", m)
				if err := (loadFlag{&sc.Load}).Set(name); err != nil {
					p.errorf(m, "load: %v", err)
				}
			}
		case "steps":
			// A steps key that is not a list, or lists steps that are all
			// wrong, is reported there; "no steps" is for none written.
			hasSteps = v.Kind != yaml.SequenceNode || len(v.Content) > 0
			if v.Kind != yaml.SequenceNode {
				p.errorf(v, "steps: want a list of steps")
				continue
			}
			for _, s := range v.Content {
				if st, ok := p.step(yamlx.Deref(s)); ok {
					sc.Steps = append(sc.Steps, st)
				}
			}
		default:
			p.errorf(k, "unknown key %q%s", k.Value, suggest.Hint(k.Value, scenarioKeys))
		}
	}
	if sc.Name == "" {
		p.errorf(n, "the scenario has no name")
	}
	if !hasSteps {
		p.errorf(n, "scenario %q has no steps", sc.Name)
	}
	return sc
}

// step decodes one step: a bare word (silence, hangup) or a mapping with
// one key.
func (p *scenarioParser) step(n *yaml.Node) (step, bool) {
	st := step{Line: n.Line}
	if n.Kind == yaml.ScalarNode {
		switch n.Value {
		case stepSilence, stepHangup:
			st.Kind = n.Value
			return st, true
		}
		p.errorf(n, "unknown step %q%s (a bare step is silence or hangup; others are press: KEYS, speak: 3s, expect: {...})",
			n.Value, suggest.Hint(n.Value, stepKeys))
		return st, false
	}
	if n.Kind != yaml.MappingNode || len(n.Content) != 2 {
		p.errorf(n, "a step is one of press: KEYS, silence, speak: DURATION, hangup, expect: {...}")
		return st, false
	}
	k, v := n.Content[0], yamlx.Deref(n.Content[1])
	st.Kind = k.Value
	switch k.Value {
	case stepPress:
		st.Keys = p.str(k.Value, v)
		if _, err := parseDigits(st.Keys); err != nil || st.Keys == "" || st.Keys == "-" || strings.ContainsAny(st.Keys, " \t") {
			p.errorf(v, "press: %q is not a DTMF key sequence (0-9 * # A-D)", st.Keys)
			return st, false
		}
	case stepSilence, stepHangup:
		if !yamlx.IsNull(v) {
			p.errorf(v, "%s takes no value", k.Value)
			return st, false
		}
	case stepSpeak:
		d, ok := p.duration(k.Value, v)
		if !ok {
			return st, false
		}
		if d <= 0 {
			p.errorf(v, "speak: want a positive duration such as 3s")
			return st, false
		}
		st.Talk = d
	case stepExpect:
		return p.expect(st, v)
	default:
		p.errorf(k, "unknown step %q%s", k.Value, suggest.Hint(k.Value, stepKeys))
		return st, false
	}
	return st, true
}

// expect decodes an expect step: {verb: NAME, option: value...}, {app:
// NAME, arg: ...} or one of request, result, end with a mapping.
func (p *scenarioParser) expect(st step, v *yaml.Node) (step, bool) {
	if v.Kind != yaml.MappingNode || len(v.Content) == 0 {
		p.errorf(v, "expect: want a mapping such as {verb: play, file: ivr/x.wav} or {end: {outcome: hangup}}")
		return st, false
	}
	var raw map[string]any
	if err := v.Decode(&raw); err != nil {
		p.errorf(v, "expect: %s", yamlx.SplitText(err.Error()).Msg)
		return st, false
	}
	for i := 0; i+1 < len(v.Content); i += 2 {
		switch k := v.Content[i].Value; k {
		case "verb", "app":
			if st.What != "" && st.What != k {
				p.errorf(v.Content[i], "expect: %s and %s in one step: one step matches one event", st.What, k)
				return st, false
			}
			st.What = k
		}
	}
	if st.What != "" {
		if _, ok := raw[st.What].(string); !ok {
			p.errorf(v, "expect: %s: want a name", st.What)
			return st, false
		}
		st.Want = raw
		return st, true
	}
	if len(v.Content) != 2 {
		p.errorf(v, "expect: one of %s per step", strings.Join(expectKinds, ", "))
		return st, false
	}
	k := v.Content[0].Value
	if !slices.Contains(expectKinds, k) {
		p.errorf(v.Content[0], "expect: unknown event %q%s (want verb, app, request, result or end)", k, suggest.Hint(k, expectKinds))
		return st, false
	}
	want, ok := raw[k].(map[string]any)
	if !ok {
		p.errorf(v.Content[1], "expect: %s: want a mapping of the fields that must match", k)
		return st, false
	}
	st.What, st.Want = k, want
	return st, true
}

// str decodes a scalar as text.
func (p *scenarioParser) str(key string, v *yaml.Node) string {
	if v.Kind != yaml.ScalarNode || yamlx.IsNull(v) {
		p.errorf(v, "%s: want a value", key)
		return ""
	}
	return v.Value
}

// number decodes a phone number (from, to): text without spaces.
func (p *scenarioParser) number(key string, v *yaml.Node) string {
	s := p.str(key, v)
	if s != "" && strings.ContainsAny(s, " \t\r\n") {
		p.errorf(v, "%s %q: want a number without spaces", key, s)
	}
	return s
}

func (p *scenarioParser) duration(key string, v *yaml.Node) (time.Duration, bool) {
	s := p.str(key, v)
	if s == "" {
		return 0, false
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		p.errorf(v, "%s: %q is not a duration such as 3s or 500ms", key, s)
		return 0, false
	}
	return d, true
}

func (p *scenarioParser) mapping(key string, v *yaml.Node, each func(k, v *yaml.Node)) {
	if v.Kind != yaml.MappingNode {
		p.errorf(v, "%s: want a mapping", key)
		return
	}
	for i := 0; i+1 < len(v.Content); i += 2 {
		each(v.Content[i], yamlx.Deref(v.Content[i+1]))
	}
}
