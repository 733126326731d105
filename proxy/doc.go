// Package proxy is the engine: an esl.Handler that runs one session per
// call, turning the events of an outbound event socket into the call's
// conversation with its app. It defines Backend, the app a call is routed
// to, and drives the Dialog a Backend starts, of one of two kinds fixed at
// compile time: Verbs (webhook apps, flows), whose verbs the session runs
// as FreeSWITCH applications, or Raw (Liverpie apps), whose ESL commands
// it sends. It knows no backend and no HTTP: packages webhook, liverpie
// and statemachine are Backends, and cmd/callhook registers them as the
// apps of a Runtime, which is also where a flow handing a call to another
// app, or a live redirect of a flow's call to a URL, finds the backend to
// switch to. It knows nothing of the config file format either.
//
// The session is split by job:
//
//	proxy.go            admission, limits, routing, the live-call registry
//	backend.go          the Backend contract: Call, the dialogs, Verbs and Raw
//	call_channel.go     the connect reply's headers a call keeps
//	call_id.go          which Unique-IDs may go on an api command line
//	observer.go         what Observers (metrics, simulate, the end line) are told
//	session.go          one call's lifecycle: setup, events, hangup, the end
//	session_events.go   the event types a verb dialog never reads, nixed
//	session_verbs.go    a VerbDialog's verbs, each awaited by Application-UUID
//	session_prepare.go  before a verb: the modules it needs, the answers it needs
//	inventory.go        what each switch has loaded (api show interfaces, once per Core-UUID)
//	recordings.go       Recordings: how recordings reach apps (package recordings), RecordingReporter
//	session_record.go   a recording verb's target planned, its RECORD_STOP awaited, its delivery
//	session_raw.go      a RawDialog's commands and replies
//	session_live.go     what admin goroutines do to a call (hangup, redirect, list)
//	session_failure.go  why a call's connection to FreeSWITCH failed, for its end
//
// One goroutine, the session's, owns a call's state; admin requests reach
// it through a mutex-guarded mailbox and a wake channel, never by touching
// the call. The verbs themselves, and the rules that keep an app from
// making FreeSWITCH run what its config does not name, are package verb's.
package proxy
