package proxy

import (
	"context"

	"github.com/callhook/callhook/esl"
)

// ignoredEvents are the myevents types a verb dialog's session never reads
// (webhook apps and flows). It reads CHANNEL_EXECUTE and
// CHANNEL_EXECUTE_COMPLETE (by Application-UUID), CHANNEL_ANSWER (the call
// is answered), CHANNEL_HANGUP and CHANNEL_HANGUP_COMPLETE (the hangup
// tail), and the channel variables every completion carries; the types
// below only cost a frame each to read and parse, some 2-5 KB with all the
// channel's variables: on a menu call, 5 of its 17 events (2 CHANNEL_STATE,
// CHANNEL_PARK, CHANNEL_UNPARK, DTMF: the gather's digits come in its
// completion's variables). Kept too, though unread: CHANNEL_DATA,
// CHANNEL_UUID, CHANNEL_BRIDGE, CHANNEL_UNBRIDGE and CHANNEL_DESTROY.
// A Liverpie app (a RawDialog) gets every event, so its calls nix nothing.
var ignoredEvents = []string{
	"CHANNEL_STATE", "CHANNEL_PARK", "CHANNEL_UNPARK", "DTMF",
	"CHANNEL_CREATE", "CHANNEL_ORIGINATE", "CHANNEL_OUTGOING", "CHANNEL_APPLICATION",
	"CHANNEL_PROGRESS", "CHANNEL_PROGRESS_MEDIA", "DETECTED_SPEECH", "TALK", "NOTALK",
}

// nixIgnored is the nixevent command for ignoredEvents, made once: a
// Command is an immutable value.
var nixIgnored = esl.NixEvents(ignoredEvents...)

// IgnoredEvents returns the event types a webhook or flow call nixes after
// myevents, in the order its nixevent command names them (a replay of a
// trace that predates the command inserts it, esltest's
// Trace.WithNixEvent).
func IgnoredEvents() []string { return append([]string(nil), ignoredEvents...) }

// nixIgnoredEvents asks FreeSWITCH to stop sending the ignoredEvents
// types. nixevent clears the types from the listener's subscription, which
// myevents set, and leaves the myevents session filter on
// (src/mod/event_handlers/mod_event_socket/mod_event_socket.c,
// parse_command), so every other type keeps coming, for this channel only.
// Calls on a socket without "full" (where FreeSWITCH answers nixevent
// "-ERR command not found") are handed back before a dialog drives them;
// should a switch refuse it anyway, the events keep coming and are passed
// over as before, so a refusal is no failure, and a broken connection
// shows at the next command.
func (s *session) nixIgnoredEvents(ctx context.Context) {
	if _, err := s.conn.Send(ctx, nixIgnored); err != nil {
		s.log.WithError(err).Debug("nixevent refused; the ignored events keep coming")
	}
}
