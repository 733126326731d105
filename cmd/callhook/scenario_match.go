package main

// scenario_match.go is how a scenario's expect steps are matched against
// the events of its call: each event as fields (a verb's options as
// simulate shows them, the JSON a request sent, a result, the end), and a
// partial match, in which a step names only what matters.

import (
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/callhook/callhook/esl/esltest"
	"github.com/callhook/callhook/proxy"
	"github.com/callhook/callhook/verb"
)

// callEvent is one event of a call, as an expect step sees it.
type callEvent struct {
	What   string         // verb, app, request, result, end
	Fields map[string]any // JSON-shaped: strings, float64s, bools, lists, maps
	Text   string         // one line for people
}

// verbEvent is a verb as it starts: its name and its options (verbArgs,
// as simulate prints them).
func verbEvent(v verb.Verb) callEvent {
	f := map[string]any{"verb": v.Name}
	for _, a := range verbArgs(v) {
		f[a.Name] = jsonShape(a.Value)
	}
	if v.Action != "" {
		f["action"] = v.Action
	}
	return callEvent{What: "verb", Fields: f, Text: "verb " + verbLine(v)}
}

// appEvent is an application the simulated FreeSWITCH runs.
func appEvent(run esltest.AppRun) callEvent {
	return callEvent{What: "app", Fields: map[string]any{"app": run.App, "arg": run.Arg},
		Text: strings.TrimSpace("app " + run.App + " " + run.Arg)}
}

// requestEvent is a request to the app: the body it sent (JSON, or a
// form's fields; for a request without a body, such as a TwiML app's GET,
// its URL's query), with event and url added when the body has none.
func requestEvent(r *proxy.RequestInfo) callEvent {
	f := map[string]any{}
	if u, err := url.Parse(r.URL); r.Sent == "" && err == nil {
		for k, vs := range u.Query() {
			f[k] = vs[0]
		}
	}
	if r.Sent != "" {
		var body map[string]any
		if json.Unmarshal([]byte(r.Sent), &body) == nil {
			f = body
		} else if q, err := url.ParseQuery(r.Sent); err == nil {
			for k, vs := range q {
				f[k] = vs[0]
			}
		}
	}
	for k, v := range map[string]any{"event": r.Event, "url": r.URL} {
		if _, ok := f[k]; !ok {
			f[k] = v
		}
	}
	f["status"] = float64(r.Status)
	return callEvent{What: "request", Fields: f, Text: "request " + r.Event + " " + r.URL}
}

// resultEvent is how a verb ended (verb.Result's JSON).
func resultEvent(v verb.Verb, r *verb.Result) callEvent {
	f, _ := jsonShape(r).(map[string]any)
	if f == nil {
		f = map[string]any{}
	}
	f["verb"] = v.Name
	text := "result " + v.Name
	if line := resultLine(r, true); line != "" {
		text += ": " + line
	}
	return callEvent{What: "result", Fields: f, Text: text}
}

// endEvent is the call's end as the engine reported it.
func endEvent(end *proxy.CallEnd) callEvent {
	f, _ := jsonShape(end).(map[string]any)
	if f == nil {
		f = map[string]any{}
	}
	if end.Err != nil {
		f["error"] = end.Err.Error()
	}
	return callEvent{What: "end", Fields: f, Text: strings.TrimSuffix("end "+end.Outcome+" "+end.Cause, " ")}
}

// jsonShape turns v into what encoding/json decodes its JSON into, so that
// expected and actual values compare alike.
func jsonShape(v any) any {
	data, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	var out any
	if json.Unmarshal(data, &out) != nil {
		return fmt.Sprint(v)
	}
	return out
}

// matches reports whether the event is what the step wants.
func (st *step) matches(e callEvent) bool {
	if e.What != st.What {
		return false
	}
	return matchValue(st.Want, e.Fields)
}

// matchValue is the partial match: a mapping matches when every key it
// names matches (other keys do not matter), a list when it has as many
// items and each matches, null only null (or a key that is absent), and a
// scalar when both read the same (1 matches "1": YAML and JSON type
// numbers differently; a list of scalars reads as its items joined with
// commas, as simulate shows it).
func matchValue(want, got any) bool {
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return false
		}
		for k, wv := range w {
			gv, present := g[k]
			if !present && wv != nil {
				return false
			}
			if !matchValue(wv, gv) {
				return false
			}
		}
		return true
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			return false
		}
		for i := range w {
			if !matchValue(w[i], g[i]) {
				return false
			}
		}
		return true
	case nil:
		return got == nil
	}
	switch g := got.(type) {
	case map[string]any, nil:
		return false
	case []any:
		// A list option (a bridge's to, a play's list of files) as
		// simulate shows it: its items joined with commas.
		parts := make([]string, len(g))
		for i, e := range g {
			parts[i] = fmt.Sprint(e)
		}
		return fmt.Sprint(want) == strings.Join(parts, ",")
	}
	return fmt.Sprint(want) == fmt.Sprint(got)
}

// wantText shows what a step wants on one line, flow style, its kind
// first: {verb: play, file: ivr/x.wav}.
func (st *step) wantText() string {
	switch st.Kind {
	case stepExpect:
		if st.What == "verb" || st.What == "app" {
			rest := map[string]any{}
			for k, v := range st.Want {
				if k != st.What {
					rest[k] = v
				}
			}
			s := flowText(rest)
			if s == "{}" {
				return "{" + st.What + ": " + fmt.Sprint(st.Want[st.What]) + "}"
			}
			return "{" + st.What + ": " + fmt.Sprint(st.Want[st.What]) + ", " + s[1:]
		}
		return "{" + st.What + ": " + flowText(st.Want) + "}"
	case stepPress:
		return "press: " + st.Keys
	case stepSpeak:
		return "speak: " + dur(st.Talk)
	}
	return st.Kind
}

// flowText is a value in YAML flow style, keys sorted.
func flowText(v any) string {
	switch x := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = k + ": " + flowText(x[k])
		}
		return "{" + strings.Join(parts, ", ") + "}"
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = flowText(e)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case nil:
		return "null"
	case string:
		if x == "" || strings.ContainsAny(x, ":,{}[]#\"' ") {
			return fmt.Sprintf("%q", x)
		}
		return x
	}
	return fmt.Sprint(v)
}

// project is got cut down to the keys want names (recursively), absent
// keys shown as null: what a failure shows of an event beside a step.
func project(want, got any) any {
	w, ok := want.(map[string]any)
	if !ok {
		return got
	}
	g, ok := got.(map[string]any)
	if !ok {
		return got
	}
	out := map[string]any{}
	for k, wv := range w {
		out[k] = project(wv, g[k])
	}
	return out
}
