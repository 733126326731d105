// Package liverpie is the backend of apps written for Liverpie, the Ruby
// proxy callhook descends from, served unchanged: an App is a
// proxy.Backend whose dialogs are raw (proxy.Raw), seeing every event and
// reply of the call as a form and answering with ESL commands.
//
// form.go builds Liverpie's form from events and frames, http.go makes its
// requests (one attempt each: a state machine moves on with every request),
// reply.go parses a reply and holds each command to the app's allow lists
// and to its own call, with package verb's rules on variables,
// applications and files.
package liverpie
