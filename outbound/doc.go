// Package outbound places calls: the API's POST /calls, on FreeSWITCH
// boxes reached through their inbound event socket (port 8021).
//
// A Manager keeps one authenticated connection per configured box,
// reconnecting with backoff and jitter; a box that is down or refuses the
// password is shown (BoxInfos) and skipped, never waited for. Each call
// goes to the box with the fewest placed calls that is up, under its
// max_calls and its max_cps. The call is placed with
//
//	bgapi originate {origination_uuid=<id>,callhook_instance=<instance>,callhook_app=<app>,...}<to> '&socket(<connect_back> async full)'
//
// (Originate.Command, a pure function), and followed by its id: the
// box connection's events (one static filter per connection, on the
// callhook_instance variable and on BACKGROUND_JOB) tell when it rings and
// how an unanswered call ended; an answered call connects to callhook's
// listener and runs its app like an inbound call, and the Manager, a
// proxy.Observer, sees it start and end there. The socket's connect and
// the job's "+OK" race, so either may come first. Each step is a status
// event (call.initiated, call.ringing, call.answered, call.completed with
// status completed, busy, no-answer, failed or canceled) to the request's
// status_url, signed with the app's secret and retried with the same
// X-Callhook-Seq.
//
// FreeSWITCH facts used here come from the 1.10.12 source:
// originate_function (src/mod/applications/mod_commands/mod_commands.c:
// argument splitting, "&app(arg)", "+OK <uuid>" / "-ERR <CAUSE>"),
// switch_separate_string (src/switch_utils.c: quoting),
// switch_event_create_brackets (src/switch_event.c: the {...} block),
// switch_ivr_originate (src/switch_ivr_originate.c: originate_timeout),
// the bgapi reply and BACKGROUND_JOB event and filter semantics
// (src/mod/event_handlers/mod_event_socket/mod_event_socket.c: api_exec,
// parse_command, event_handler), and sessions-per-second
// (src/switch_core.c, src/switch_core_session.c).
//
// The package knows nothing of the config file or of HTTP serving: cmd
// builds the Manager from the config, and the admin API calls it.
package outbound
