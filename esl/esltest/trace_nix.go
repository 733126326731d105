package esltest

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/callhook/callhook/esl"
)

// WithNixEvent returns a copy of t in which the daemon, after its
// myevents, sends "nixevent" with names, FreeSWITCH answers "+OK events
// nixed" after its reply to myevents, and no later event of those types
// is in the trace. (callhook writes the nixevent in the same write as
// myevents; a replay reads commands as they come, so the order of the
// trace's entries is the order FreeSWITCH answers in, which is the same.)
// It replays a command the daemon sends today that the capture predates
// (callhook began nixing the event types a webhook or flow call never
// reads after the traces were taken), without pretending the trace showed
// it: the two inserted frames are synthesised, t is left as it was.
//
// FreeSWITCH's nixevent clears the types from the listener's event list
// that myevents filled, and leaves the myevents session filter on
// (src/mod/event_handlers/mod_event_socket/mod_event_socket.c,
// parse_command), so every other event comes as in the capture. The copy
// drops every later event of the nixed types: on a real switch the ones
// raised between the myevents reply and the nixevent (already in the
// listener's queue) would still come, but the daemon sends nixevent before
// it runs anything, and the captures have no event in that gap that the
// replay would then miss. names must be known event type names, in upper
// case, as the daemon writes them.
func (t *Trace) WithNixEvent(names ...string) (*Trace, error) {
	if len(names) == 0 {
		return nil, fmt.Errorf("%s: WithNixEvent: no event types", t.Name)
	}
	nixed := make(map[string]bool, len(names))
	for _, n := range names {
		if n == "" || n != strings.ToUpper(n) || strings.ContainsAny(n, " \r\n") {
			return nil, fmt.Errorf("%s: WithNixEvent: %q is not an event type name", t.Name, n)
		}
		nixed[n] = true
	}
	wire, err := esl.NixEvents(names...).Encode()
	if err != nil {
		return nil, fmt.Errorf("%s: WithNixEvent: %w", t.Name, err)
	}
	out := &Trace{Name: t.Name, Entries: make([]esl.WireFrame, 0, len(t.Entries)+2)}
	const (
		before   = iota // looking for myevents
		waiting         // myevents sent, its reply not yet seen
		inserted        // nixevent inserted: drop the nixed types
	)
	state := before
	for i, e := range t.Entries {
		switch {
		case state == before && e.Dir == "C>":
			cmd, err := esl.ParseCommand(e.Raw)
			if err != nil {
				return nil, fmt.Errorf("%s: entry %d: %w", t.Name, i+1, err)
			}
			if f := strings.Fields(cmd.Line); len(f) > 0 && strings.EqualFold(f[0], "myevents") {
				state = waiting
			}
		case state == waiting && e.Dir == "C>":
			return nil, fmt.Errorf("%s: entry %d: a command before the reply to myevents", t.Name, i+1)
		case state == waiting && e.Dir == "F>" && frameType(e.Raw) == esl.TypeCommandReply:
			out.Entries = append(out.Entries, e,
				esl.WireFrame{Dir: "C>", At: e.At, Raw: wire},
				esl.WireFrame{Dir: "F>", At: e.At, Raw: []byte("Content-Type: " + esl.TypeCommandReply + "\nReply-Text: +OK events nixed\n\n")})
			state = inserted
			continue
		case state == inserted && e.Dir == "F>" && nixed[eventName(e.Raw)]:
			continue
		}
		out.Entries = append(out.Entries, e)
	}
	if state != inserted {
		return nil, fmt.Errorf("%s: no reply to myevents to insert nixevent after", t.Name)
	}
	return out, nil
}

// frameType returns the Content-Type of a raw frame, "" when it has none.
func frameType(raw []byte) string {
	f, _, err := esl.NewReader(bytes.NewReader(raw), esl.Limits{}).ReadFrame()
	if err != nil {
		return ""
	}
	return f.ContentType()
}

// eventName returns the Event-Name of a raw text/event-plain frame, ""
// for any other frame.
func eventName(raw []byte) string {
	f, _, err := esl.NewReader(bytes.NewReader(raw), esl.Limits{}).ReadFrame()
	if err != nil || f.ContentType() != esl.TypeEventPlain {
		return ""
	}
	ev, err := esl.ParseEvent(f)
	if err != nil {
		return ""
	}
	return ev.Name()
}
