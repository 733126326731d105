package proxy

import (
	"strings"

	"github.com/callhook/callhook/esl"
)

// channelHeaders are the headers of the connect reply that callhook reads
// once a call is set up: Call's fields (newSession), destination, the
// socket mode.
var channelHeaders = []string{
	"Unique-ID", "Caller-Caller-ID-Number", "Caller-Caller-ID-Name",
	"Caller-Destination-Number", "Channel-Destination-Number", "Call-Direction",
	"Channel-Name", "Answer-State", "Socket-Mode", "Control",
}

// trimChannel lets go of the connect reply once the call's first dialog has
// started (a Liverpie dialog has copied it into its form by then): the call
// keeps a copy of the headers it reads and of the channel variables its
// apps read, and the connection drops its own reference. The reply is some
// 10 KiB on a real call but is whatever FreeSWITCH sent (up to the frame
// limit), and it was held for the call's life. When the dialog, or an app
// the call could be handed to, does not say which variables it reads (is
// no VarReader), everything is kept: any variable might be read.
func (s *session) trimChannel() {
	ch := s.call.Channel
	if ch == nil {
		return
	}
	names, ok := s.dialog.channelVars()
	if !ok {
		return
	}
	vars := append([]string(nil), names...)
	for _, app := range s.rt.Apps {
		avr, ok := app.Backend.(VarReader)
		if !ok {
			return
		}
		vars = append(vars, avr.ChannelVars()...)
	}
	s.call.Channel = compactChannel(ch, vars)
	s.conn.ReleaseChannel()
}

// compactChannel returns a copy of ch with only channelHeaders and the
// variables named in vars, every string cloned, so that the copy keeps
// none of ch's memory. The strings are cloned into one buffer and the
// headers into one slice: two allocations, not three per header. Each
// header is looked up (esl.Event.Header), not found by walking them all:
// the connect reply is a lazy event, and AllHeaders would build and
// decode all ~100 of its headers for the dozen kept.
func compactChannel(ch *esl.Event, vars []string) *esl.Event {
	var kept []esl.EventHeader // in the order kept
	find := func(name string) {
		if h, ok := ch.Header(name); ok {
			kept = append(kept, h) // the first one, as Lookup finds
		}
	}
	for _, name := range channelHeaders {
		find(name)
	}
	seen := make(map[string]bool, len(vars))
	for _, v := range vars {
		if !seen[v] {
			seen[v] = true
			find("variable_" + v)
		}
	}
	out := &esl.Event{ContentType: ch.ContentType}
	if len(kept) == 0 {
		return out
	}
	size := 0
	for _, h := range kept {
		size += len(h.Name) + len(h.Value)
		if h.Raw != h.Value {
			size += len(h.Raw)
		}
	}
	var b strings.Builder
	b.Grow(size)
	for _, h := range kept {
		b.WriteString(h.Name)
		b.WriteString(h.Value)
		if h.Raw != h.Value {
			b.WriteString(h.Raw)
		}
	}
	buf := b.String()
	out.Headers = make([]esl.EventHeader, len(kept))
	off := 0
	take := func(n int) string {
		s := buf[off : off+n]
		off += n
		return s
	}
	for j, h := range kept {
		o := &out.Headers[j]
		o.Name, o.Value = take(len(h.Name)), take(len(h.Value))
		o.Raw = o.Value
		if h.Raw != h.Value {
			o.Raw = take(len(h.Raw))
		}
	}
	return out
}
