package statemachine

import (
	"os"
	"testing"

	"github.com/callhook/callhook/verb"
)

func BenchmarkParseDemo(b *testing.B) {
	data, err := os.ReadFile("../examples/flows/demo.yaml")
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := Parse("demo.yaml", data); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkStep measures one menu choice with a template to fill in: the
// work a flow call does per verb result.
func BenchmarkStep(b *testing.B) {
	f, err := ParseFile("../examples/flows/demo.yaml")
	if err != nil {
		b.Fatal(err)
	}
	mem := f.InitialMemory()
	o := Outcome{Reason: verb.ReasonOK, Verb: "gather", Digits: "2"}
	for b.Loop() {
		if _, err := f.Step("menu", o, mem, testEnv); err != nil {
			b.Fatal(err)
		}
	}
}
