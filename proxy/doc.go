// Package proxy drives calls: one session per call turns the events of an
// outbound event socket into requests to the call's app and executes the
// verbs the app answers with. It knows the webhook and Liverpie protocols;
// it knows nothing of the config file format (cmd/callhook maps it onto
// these types) or of flows (package statemachine is a Backend).
package proxy
