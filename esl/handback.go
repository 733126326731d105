package esl

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// AsyncSocket reports whether a connect reply's channel data says the
// socket application runs in async mode (Socket-Mode: async). FreeSWITCH
// writes "async" or "static" there (mod_event_socket.c, parse_command's
// connect branch); "static" is the socket application without the async
// keyword, with or without full.
func (e *Event) AsyncSocket() bool {
	return e != nil && strings.EqualFold(e.Get("Socket-Mode"), "async")
}

// HandBack gives the call back to the dialplan, which goes on with its next
// action (a fallback extension, a busy tone): the way to refuse a call
// after connect. What that takes depends on the socket's mode, read from
// the connect reply:
//
//   - async: resume, then exit. The listener ends, park ends, and resume
//     makes the dialplan continue (src/mod/event_handlers/mod_event_socket/
//     mod_event_socket.c, socket_function).
//   - static (sync, with or without full): exit alone. A static socket that
//     got resume is put in CS_RESET at the end of listener_run and, on
//     FreeSWITCH 1.10.12, stays there: the next dialplan action never runs
//     and the caller hears silence until something else hangs up (measured:
//     60 s). Without resume the socket application just returns and the
//     dialplan goes on at once.
//
// Closing the socket without a word instead would leave an async caller
// parked with nobody driving the call. HandBack returns once FreeSWITCH
// has closed the connection (or ctx ends); a peer that hung up first is no
// error.
func (c *Conn) HandBack(ctx context.Context) error {
	if c.asyncSocket() {
		if _, err := c.Send(ctx, Resume()); err != nil && !c.endedByPeer() {
			return fmt.Errorf("hand back: resume: %w", err)
		}
	}
	if err := c.Exit(ctx); err != nil && !errors.Is(err, ErrDisconnected) {
		return fmt.Errorf("hand back: %w", err)
	}
	return nil
}

// asyncSocket reports whether the connect reply said the socket is async,
// from the mode the Conn keeps at connect, so it still holds after
// ReleaseChannel (false before the connect reply).
func (c *Conn) asyncSocket() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.connected && !c.static
}
