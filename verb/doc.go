// Package verb is the vocabulary every app speaks: the verbs a webhook
// reply or a flow state lists (play, gather, bridge, ...), parsed from
// YAML or JSON and validated with line numbers (ParseReply, ParseVerbs),
// the FreeSWITCH applications that run each one (Spec.Execs), its result
// read from the last application's completion (Spec.Result, Result, the
// Reason constants), and the options it describes itself with (Spec.Args,
// which simulate prints). A verb is one file (media.go, gather.go,
// record.go, bridge.go, call.go, vars.go, reject.go, basic.go): its Spec,
// parse, checks, execs, result and description, plus its row of the table
// in table.go. Constructors build verbs without a document (Hangup).
// prompts.go reads the prompt lists of play and gather; prepare.go says
// what a verb needs from the switch before it runs (Needer: a module;
// Preparer: api answers such as say_string's files), which the session
// checks. reply_json.go is the JSON fast path of ParseReply: the same
// node tree yaml.v3 builds, so a JSON reply gets the same checks.
//
// Every verb, flow template and Liverpie command is held to one rule: an
// app may misdrive its own call, never make FreeSWITCH run what its config
// does not name. fsvars.go lists the channel variables FreeSWITCH runs,
// fsapps.go what its applications do with their arguments, policy.go
// applies both, with an app's allow lists, to set, unset, bridge, transfer
// and execute (and package liverpie to Liverpie's sendmsg), and files.go
// keeps an app's recordings and prompts in its folders.
//
// The package knows ESL events (a verb's result is read from one) but
// nothing of sessions, HTTP or backends.
package verb
