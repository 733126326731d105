package main

// simulate_save.go is simulate's -save-scenario: it writes what the call
// did as a scenario file for `callhook test`, to edit (drop what does not
// matter, add what must happen): the app and the caller, each verb with
// its main option, what the caller did, how each input verb ended and
// how the call ended.

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/callhook/callhook/proxy"
	"github.com/callhook/callhook/verb"
	"gopkg.in/yaml.v3"
)

// scenarioRecorder is the proxy.Observer (and the printer's caller hook)
// that collects the steps; the session and the caller call it from their
// goroutines.
type scenarioRecorder struct {
	proxy.NopObserver
	o *simOptions

	mu      sync.Mutex
	app     string
	steps   []*yaml.Node
	pressed bool // the caller acted at the verb running now
}

// scalar, mapping and flow are yaml.v3 nodes: the file is marshalled from
// nodes so that every value is quoted as YAML needs it.
func scalar(v string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Value: v} }

func mapping(flow bool, kv ...*yaml.Node) *yaml.Node {
	n := &yaml.Node{Kind: yaml.MappingNode, Content: kv}
	if flow {
		n.Style = yaml.FlowStyle
	}
	return n
}

func (r *scenarioRecorder) add(n *yaml.Node) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.steps = append(r.steps, n)
}

// CallStarted implements proxy.Observer.
func (r *scenarioRecorder) CallStarted(c *proxy.Call) {
	r.mu.Lock()
	r.app = c.App
	r.mu.Unlock()
}

// VerbStarted implements proxy.Observer: the verb with its main option.
// An option that names the call (a recording's path with its id) is left
// out: the next call has another id.
func (r *scenarioRecorder) VerbStarted(c *proxy.Call, v verb.Verb) {
	want := []*yaml.Node{scalar("verb"), scalar(v.Name)}
	if args := verbArgs(v); len(args) > 0 {
		if text := argValueText(args[0].Value); text != "" && !strings.Contains(text, c.ID) {
			want = append(want, scalar(args[0].Name), scalar(text))
		}
	}
	r.mu.Lock()
	r.pressed = false
	r.mu.Unlock()
	r.add(mapping(false, scalar(stepExpect), mapping(true, want...)))
}

// argValueText is an option's value as a scenario matches it.
func argValueText(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	return argText(v)
}

// VerbFinished implements proxy.Observer: an input verb's result (and a
// gather nobody answered: silence).
func (r *scenarioRecorder) VerbFinished(_ *proxy.Call, v verb.Verb, res *verb.Result, _ time.Duration) {
	if res == nil || !slices.Contains([]string{"gather", "record"}, v.Name) {
		return
	}
	r.mu.Lock()
	silent := !r.pressed && v.Name == "gather"
	r.mu.Unlock()
	if silent {
		r.add(scalar(stepSilence))
	}
	want := []*yaml.Node{scalar("verb"), scalar(v.Name), scalar("reason"), scalar(res.Reason)}
	if res.Digits != "" {
		want = append(want, scalar("digits"), &yaml.Node{Kind: yaml.ScalarNode, Value: res.Digits, Style: yaml.DoubleQuotedStyle})
	}
	r.add(mapping(false, scalar(stepExpect), mapping(true, scalar("result"), mapping(true, want...))))
}

// CallEnded implements proxy.Observer.
func (r *scenarioRecorder) CallEnded(_ *proxy.Call, end *proxy.CallEnd, _ *proxy.CallStats) {
	want := []*yaml.Node{scalar("outcome"), scalar(end.Outcome)}
	if end.Cause != "" {
		want = append(want, scalar("cause"), scalar(end.Cause))
	}
	r.add(mapping(false, scalar(stepExpect), mapping(true, scalar("end"), mapping(true, want...))))
}

// caller is the printer's hook for what the caller did: keys, talk at a
// record, a hangup.
func (r *scenarioRecorder) caller(action string, fields []simField) {
	r.mu.Lock()
	defer r.mu.Unlock()
	field := func(key string) any {
		for _, f := range fields {
			if f.key == key {
				return f.value
			}
		}
		return nil
	}
	switch action {
	case "keys":
		keys, _ := field("keys").(string)
		if n := len(r.steps); n > 0 && r.steps[n-1].Kind == yaml.MappingNode && r.steps[n-1].Content[0].Value == stepSpeak {
			// Keys after talk at a record: press there does both.
			r.steps = r.steps[:n-1]
		}
		r.pressed = true
		r.steps = append(r.steps, mapping(false, scalar(stepPress), &yaml.Node{Kind: yaml.ScalarNode, Value: keys, Style: yaml.DoubleQuotedStyle}))
	case "talk":
		s, _ := field("talk_s").(float64)
		r.pressed = true
		r.steps = append(r.steps, mapping(false, scalar(stepSpeak), scalar(dur(time.Duration(s*float64(time.Second))))))
	case "hangup":
		r.steps = append(r.steps, scalar(stepHangup))
	}
}

// write writes the scenario file.
func (r *scenarioRecorder) write(path string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	sc := []*yaml.Node{scalar("name"), scalar("saved call")}
	if r.app != "" {
		sc = append(sc, scalar("app"), scalar(r.app))
	}
	sc = append(sc, scalar("from"), &yaml.Node{Kind: yaml.ScalarNode, Value: r.o.from, Style: yaml.DoubleQuotedStyle},
		scalar("to"), &yaml.Node{Kind: yaml.ScalarNode, Value: r.o.to, Style: yaml.DoubleQuotedStyle})
	if len(r.o.bridge) > 0 {
		b := mapping(true)
		targets := make([]string, 0, len(r.o.bridge))
		for t := range r.o.bridge {
			targets = append(targets, t)
		}
		slices.Sort(targets)
		for _, t := range targets {
			b.Content = append(b.Content, scalar(t), scalar(string(r.o.bridge[t])))
		}
		sc = append(sc, scalar("bridge"), b)
	}
	if len(r.o.load) > 0 {
		l := &yaml.Node{Kind: yaml.SequenceNode, Style: yaml.FlowStyle}
		for _, m := range r.o.load {
			l.Content = append(l.Content, scalar(m))
		}
		sc = append(sc, scalar("load"), l)
	}
	sc = append(sc, scalar("steps"), &yaml.Node{Kind: yaml.SequenceNode, Content: r.steps})
	doc := mapping(false, scalar("scenarios"), &yaml.Node{Kind: yaml.SequenceNode, Content: []*yaml.Node{mapping(false, sc...)}})
	doc.HeadComment = "Saved by callhook simulate -save-scenario: edit it (keep the steps that matter),\nthen run it with callhook test."
	data, err := yaml.Marshal(doc)
	if err != nil {
		return fmt.Errorf("-save-scenario: %w", err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		return fmt.Errorf("-save-scenario: %w", err)
	}
	return nil
}
