package verb

import (
	"github.com/callhook/callhook/esl"
	"github.com/callhook/callhook/internal/yamlx"
	"gopkg.in/yaml.v3"
)

// SetVar is one variable of a set verb.
type SetVar struct {
	Name  string
	Value string
}

// SetSpec is the set verb: channel variables, set in document order.
type SetSpec struct {
	Vars   []SetVar
	Files  *FileRules // the app's folders, for variables that name files (checkSetFile)
	policy *Policy    // the app's allow lists; nil for the defaults
}

func parseSet(a *args) Spec {
	s := &SetSpec{Files: a.o.Files, policy: a.o.policy()}
	v := a.value
	if v == nil || v.Kind != yaml.MappingNode || len(v.Content) == 0 {
		got := "nothing"
		if v != nil {
			got = kindName(v)
		}
		a.failf(v, "", "want a map of variable: value, got %s", got)
		return s
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(v.Content); i += 2 {
		k, val := yamlx.Deref(v.Content[i]), yamlx.Deref(v.Content[i+1])
		if k.Kind != yaml.ScalarNode {
			a.failf(k, "", "a variable name must be a string")
			return s
		}
		if seen[k.Value] {
			a.failf(k, "", "variable %s given twice", Quote(k.Value))
			return s
		}
		seen[k.Value] = true
		if val.Kind != yaml.ScalarNode || yamlx.IsNull(val) {
			a.failf(val, varLabel(k.Value), "want a value, got %s (unset removes a variable)", kindName(val))
			return s
		}
		a.setNode(varLabel(k.Value), val) // so that check errors point at the value's line
		s.Vars = append(s.Vars, SetVar{Name: k.Value, Value: val.Value})
	}
	return s
}

func (s *SetSpec) check() error {
	if len(s.Vars) == 0 {
		return optErrorf("", "want at least one variable")
	}
	for _, v := range s.Vars {
		if err := s.policy.checkVar(v.Name); err != nil {
			return &optError{Opt: varLabel(v.Name), Msg: err.Error()}
		}
		if err := s.policy.checkSetValue(v.Name, v.Value); err != nil {
			return &optError{Opt: varLabel(v.Name), Msg: err.Error()}
		}
		if err := checkSetFile(v.Name, v.Value, s.Files); err != nil {
			return &optError{Opt: varLabel(v.Name), Msg: err.Error()}
		}
		if err := checkLine(v.Value); err != nil {
			return &optError{Opt: varLabel(v.Name), Msg: err.Error()}
		}
	}
	return nil
}

// varLabel names a variable in an error message: as is when it is a plain
// name, quoted when it holds anything else (it came from a web app).
func varLabel(name string) string {
	if CheckName(name, "") == nil {
		return name
	}
	return Quote(name)
}

// Execs runs one set per variable, in document order.
func (s *SetSpec) Execs(PlanContext) []Exec {
	out := make([]Exec, len(s.Vars))
	for i, v := range s.Vars {
		out[i] = Exec{App: "set", Arg: v.Name + "=" + v.Value}
	}
	return out
}

// Result reports ok, or hangup.
func (s *SetSpec) Result(_ PlanContext, complete *esl.Event, hungUp bool) *Result {
	return baseResult("set", completionOf(complete, "set"), hungUp)
}

// MapText applies f to the values (names are not templates).
func (s *SetSpec) MapText(f func(string) (string, error)) (Spec, error) {
	c := &SetSpec{Vars: make([]SetVar, len(s.Vars)), Files: s.Files, policy: s.policy}
	copy(c.Vars, s.Vars)
	for i := range c.Vars {
		if err := mapStrings(f, &c.Vars[i].Value); err != nil {
			return nil, err
		}
	}
	return mapped("set", c, nil)
}

// UnsetSpec is the unset verb.
type UnsetSpec struct {
	Name   string
	policy *Policy // the app's allow lists; nil for the defaults
}

func parseUnset(a *args) Spec {
	if !a.has("name") {
		a.failf(nil, "name", "is required")
	}
	return &UnsetSpec{Name: a.str("name", ""), policy: a.o.policy()}
}

// check refuses the variables FreeSWITCH runs, as set does: removing one
// runs nothing, but such a variable on the call was put there by the
// operator's dialplan (a CDR or billing api_hangup_hook, say), and taking
// it away is not the app's to do. Other names may be removed; the
// variables callhook relies on (OwnVars) are written again by each verb
// that needs them.
func (s *UnsetSpec) check() error {
	if err := s.policy.checkUnsetVar(s.Name); err != nil {
		return &optError{Opt: "name", Msg: err.Error()}
	}
	return nil
}

// Execs runs unset.
func (s *UnsetSpec) Execs(PlanContext) []Exec {
	return []Exec{{App: "unset", Arg: s.Name}}
}

// Result reports ok, or hangup.
func (s *UnsetSpec) Result(_ PlanContext, complete *esl.Event, hungUp bool) *Result {
	return baseResult("unset", completionOf(complete, "unset"), hungUp)
}

// MapText returns a copy: a variable name is not a template.
func (s *UnsetSpec) MapText(func(string) (string, error)) (Spec, error) {
	c := *s
	return &c, nil
}

// Args implements Spec: one per variable, named as the variable.
func (s *SetSpec) Args() []Arg {
	a := make([]Arg, len(s.Vars))
	for i, v := range s.Vars {
		a[i] = Arg{v.Name, v.Value}
	}
	return a
}

// Args implements Spec.
func (s *UnsetSpec) Args() []Arg { return []Arg{{"name", s.Name}} }
