package statemachine

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/callhook/callhook/verb"
)

// FuzzParseFlow: Parse never panics; a rejected document gets only
// "file:line: message" errors; an accepted one can be drawn and walked.
func FuzzParseFlow(f *testing.F) {
	paths, _ := filepath.Glob("../examples/flows/*.yaml")
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(fetchFlow))
	f.Add([]byte(crmFlow))
	f.Add([]byte("start: a\nstates:\n  a: {when: [{time: 22:00-06:00, timezone: UTC, goto: a}], else: b}\n  b: {hangup: true}\n"))
	f.Add([]byte("start: a\nstates:\n  a: &x {verbs: [gather: x], on: {digits: {[1, 2]: a, '/^5$/': a}}}\n  b: *x\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		fl, err := Parse("f.yaml", data)
		if err != nil {
			if fl != nil {
				t.Fatalf("Parse returned a flow and %v", err)
			}
			errs := Errors(err)
			if len(errs) == 0 {
				t.Fatalf("Parse error %v holds no *Error", err)
			}
			for _, e := range errs {
				if !strings.HasPrefix(e.Error(), "f.yaml:") {
					t.Fatalf("error %q does not start with the file name", e)
				}
			}
			return
		}
		_ = fl.Mermaid()
		_ = fl.DOT()
		mv, err := fl.Begin(fl.InitialMemory(), testEnv)
		for i := 0; err == nil && i < 20 && !mv.End && mv.Handoff == ""; i++ {
			o := Outcome{Reason: verb.ReasonOK, Verb: "gather", Digits: "1"}
			if i%3 == 1 {
				o = Outcome{Reason: verb.ReasonTimeout, Verb: "gather"}
			}
			mv, err = fl.Step(mv.State, o, mv.Mem, testEnv)
		}
		if err == nil {
			_, _ = fl.Step(mv.State, Outcome{Reason: verb.ReasonHangup}, mv.Mem, testEnv)
		}
	})
}
