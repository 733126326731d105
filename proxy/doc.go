// Package proxy drives calls: one session per call turns the events of an
// outbound event socket into requests to the call's app and executes the
// verbs the app answers with. It knows the webhook and Liverpie protocols;
// it knows nothing of the config file format (cmd/callhook maps it onto
// these types) or of flows (package statemachine is a Backend).
//
// Every verb, flow template and Liverpie command is held to one rule: an
// app may misdrive its own call, never make FreeSWITCH run what its config
// does not name. fsvars.go lists the channel variables FreeSWITCH runs,
// fsapps.go what its applications do with their arguments, and policy.go
// applies both, with an app's allow lists, to set, unset, bridge, transfer,
// execute and Liverpie's sendmsg.
package proxy
