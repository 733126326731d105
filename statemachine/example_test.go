package statemachine_test

import (
	"fmt"
	"time"

	"github.com/callhook/callhook/statemachine"
	"github.com/callhook/callhook/verb"
)

func ExampleParse() {
	_, err := statemachine.Parse("menu.yaml", []byte(`
start: menu
states:
  menu:
    verbs:
      - gather: {play: ivr/ivr-please_choose_from_the_following.wav}
    on: {digits: {"1": sales}, invalid: menu, timeout: mnu}
  sales:
    verbs: [play: "{{flow.product}}.wav"]
`))
	for _, e := range statemachine.Errors(err) {
		fmt.Println(e)
	}
	// Output:
	// menu.yaml:7: unknown state "mnu" (did you mean "menu"?)
	// menu.yaml:8: state "sales" has no way out: add transitions (on:, next:, when:), hangup: true, or end its verbs with hangup
	// menu.yaml:9: flow variable "product" is not declared in vars: nor set anywhere (set:, fetch save:)
}

func ExampleFlow_Step() {
	f, err := statemachine.Parse("menu.yaml", []byte(`
start: menu
states:
  menu:
    verbs:
      - gather: {play: ivr/ivr-please_choose_from_the_following.wav}
    tries: 2
    max_tries: bye
    on:
      digits: {"1": bye}
  bye:
    verbs: [play: voicemail/vm-goodbye.wav]
    hangup: true
`))
	if err != nil {
		fmt.Println(err)
		return
	}
	env := statemachine.Env{Now: time.Date(2026, 1, 5, 10, 0, 0, 0, time.UTC)}
	mv, _ := f.Begin(f.InitialMemory(), env)
	fmt.Println(mv.State, mv.Verbs[0].Name, mv.Verbs[0].Action)
	for _, o := range []statemachine.Outcome{
		{Reason: verb.ReasonTimeout, Verb: "gather"},
		{Reason: verb.ReasonOK, Verb: "gather", Digits: "7"}, // no route: invalid
	} {
		mv, _ = f.Step(mv.State, o, mv.Mem, env)
		fmt.Println(mv.State, len(mv.Verbs), mv.End)
	}
	// Output:
	// menu gather menu
	// menu 1 false
	// bye 2 true
}
