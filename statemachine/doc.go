// Package statemachine runs local YAML call flows: IVRs that need no web
// app. It parses and validates flow files (every problem reported as
// "file:line: message"), computes transitions with a pure function (Step:
// state and outcome in, next state and verbs out, no I/O, no clock), draws
// flows as Mermaid or Graphviz DOT, and makes a flow a proxy.Backend.
//
// Its boundary: it knows flows and the proxy's Backend contract. Verbs are
// parsed and checked by verb.ParseVerbs, exactly as in webhook replies;
// the session engine (package proxy) runs them. It knows nothing of ESL
// wire details or of the config file.
//
// # Flow files
//
//	name: demo                     # default: the file name
//	start: welcome                 # the first state
//	timezone: Europe/London        # default zone of time conditions
//	vars: {lang: en}               # flow variables and their initial values
//	allow_execute: [info]          # applications the execute verb may run
//	allow_vars: [sip_h_X-*]        # more variables set and bridge [...] may name
//	allow_endpoints: [freetdm]     # more bridge endpoints (user, sofia, error, loopback)
//	allow_dialplans: [enum]        # more transfer dialplans (xml)
//	states:
//	  welcome:
//	    verbs:                     # the verbs of webhook replies, same options
//	      - answer
//	      - play: ivr/ivr-welcome.wav
//	    next: menu
//	  menu:
//	    verbs:
//	      - gather: {play: ivr/ivr-please_choose_from_the_following.wav, max: 1}
//	    tries: 3                   # failures in a row before max_tries
//	    max_tries: goodbye
//	    set: {choice: "{{digits}}"}
//	    on:
//	      digits: {"1": sales, [2, 3]: support, '/^9\d$/': staff}
//	      invalid: menu
//	  goodbye:
//	    verbs: [play: voicemail/vm-goodbye.wav]
//	    hangup: true               # or a cause: NORMAL_CLEARING
//
// A state's keys:
//
//   - verbs: a list of verbs. Their text arguments may hold templates:
//     {{call.from}}, {{call.to}}, {{call.id}} (and call.from_name,
//     call.direction, call.channel, call.app), {{digits}} (the last
//     gather's digits), {{vars.NAME}} (a channel variable),
//     {{flow.NAME}} (a flow variable, declared in vars: or assigned by a
//     set: or a fetch's save:) and {{recording.FIELD}} (the last
//     recording: url, path, name, format, size, duration_ms, upload_url,
//     upload_method, upload_status, upload_error). A value that would put a line break into
//     anything but speak text makes the state's outcome error. Verbs may
//     not have action: (transitions say where the call goes) and redirect
//     is not available (use handoff:).
//   - on: transitions by outcome: digits (exact digits, a list of them, or
//     a /pattern/; digits that match none count as invalid), timeout (or
//     noinput), invalid, ok, error, hangup, and default (or next).
//     digits, timeout and invalid need a gather as the last verb.
//   - next: where to go whatever the outcome (the same as on.default).
//   - tries: N and max_tries: STATE. A failure (timeout, invalid, error)
//     counts; the Nth failure in a row goes to max_tries; a success resets
//     the count. With tries, a failure that has no route runs the state
//     again.
//   - when: conditions, in order, each with goto: STATE, and else: STATE.
//     A condition holds when all its parts do: weekdays (mon-fri, or a
//     list), time (09:00-17:00, or a list; ranges may wrap past
//     midnight), timezone (else the flow's; one is required: a server's
//     zone is rarely its business's), var (digits, call.X, vars.X or
//     flow.X) with equals: and/or matches: (a regular expression).
//   - set: flow variables assigned from templates when the state
//     succeeds, before when: is evaluated.
//   - handoff: APP ends the flow: after the state's verbs the call goes to
//     that app of the config, a webhook app or another flow (a Liverpie
//     app cannot take a call mid-way).
//   - hangup: true (or a cause) ends the call after the state's verbs;
//     ending the verbs with a hangup verb does the same.
//   - fetch: {url, method: GET|POST, timeout, retries, save: {VAR: field.path}}
//     does an HTTP request (POST sends the call's fields and the flow
//     variables as JSON) and expects JSON; retries (default 1) are further
//     attempts after a connection error, a 5xx or a 429, each with the
//     fetch's X-Callhook-Seq, counted in RequestInfo.Attempts. A failure is the error outcome
//     (give on: {error: STATE}); an answer is saved into flow variables
//     and may be branched on with switch: {field: account.status, cases:
//     {active: a, blocked: b}, default: c}. A fetch state has no verbs.
//
// A recording (record, record_call, a bridge's record) is delivered as a
// webhook app's is, by package delivery: its upload: and
// recording_status_url: (absolute URLs) are carried out by the dialog
// (RecordingDone), and the recording becomes the one {{recording.FIELD}}
// reads and a POST fetch's body carries. Backend.Secret, when set, signs
// every request the flow makes (fetches, uploads, recording.status).
//
// A state without verbs, fetch or handoff is a routing state: it succeeds
// at once (set:, when:, next:). A state must have a way out (transitions,
// a handoff, or a hangup).
//
// After a hangup nothing can be played: on.hangup must lead to a fetch or
// routing state, and the walk from there stops at the first state with
// verbs. It runs once, when the session ends the dialog, so a flow can
// report a call's end to a web service.
//
// # Validation
//
// Parse reports, each with its line: YAML syntax errors, unknown or
// duplicate keys, unknown verbs and bad options (from verb.ParseVerbs),
// unknown target states, states unreachable from start, states with no
// way out, outcomes nothing routes (every state's success; a gather's
// timeout and invalid input, unless tries: or next: covers them; a fetch's
// error), templates that cannot resolve (an unknown namespace or call
// field, an undeclared flow variable) or sit in an option that is not
// text, bad patterns, bad weekdays, time ranges and time zones, and
// max_tries without tries (and the reverse). An outcome left unrouted at
// run time (a verb's rare error) fails the call with ErrNoTransition.
//
// # Running
//
// Backend is the proxy.Backend: each state's verbs go to the session with
// the last verb's Action set to the state's name, so its result comes back
// through Result; fetch states are done inside Begin and Result; handoff
// states answer Instructions.Handoff. Step is exported so that tools (and
// tests) can walk a flow without a call.
package statemachine
