package esl

import "strings"

// EventHeader is one header of an event: its name as sent, its value decoded
// once at parse time, and its value exactly as FreeSWITCH sent it (Raw), which
// the Liverpie mode passes on unchanged. For text/event-json, Raw and Value
// are equal (JSON values are not URL-encoded); a JSON array header becomes the
// plain form "ARRAY::v1|:v2" in both.
type EventHeader struct {
	Name  string
	Value string
	Raw   string
}

// Event is a parsed FreeSWITCH event (text/event-plain, -json or -xml), or
// the channel data of an outbound connect reply. Headers keep their order and
// duplicates; lookups are case-insensitive and return the first match.
type Event struct {
	// ContentType is the content type of the frame the event came in.
	ContentType string
	Headers     []EventHeader
	// Body is the event's inner body (for example a BACKGROUND_JOB's API
	// output), nil when it has none.
	Body []byte

	// lazy, for a plain event read with the default, ConnOptions.EagerEvents off, holds the
	// headers undecoded (event_lazy.go); Headers is then nil and
	// AllHeaders gives them.
	lazy *plainIndex
}

// Lookup returns the decoded value of the first header named name.
func (e *Event) Lookup(name string) (string, bool) {
	if e.Headers == nil && e.lazy != nil {
		raw, ok := e.lazy.lookup(name)
		return decodeRaw(raw), ok
	}
	for i := range e.Headers {
		if sameName(e.Headers[i].Name, name) {
			return e.Headers[i].Value, true
		}
	}
	return "", false
}

// Header returns the first header named name: its name as sent, its
// decoded value and its raw value. Unlike AllHeaders it builds nothing for
// a lazy event, so a reader that copies a few headers of a big event (the
// connect reply's) pays for those only.
func (e *Event) Header(name string) (EventHeader, bool) {
	if e.Headers == nil && e.lazy != nil {
		i := e.lazy.find(name)
		if i < 0 {
			return EventHeader{}, false
		}
		n, raw := e.lazy.line(i)
		return EventHeader{Name: n, Value: decodeRaw(raw), Raw: raw}, true
	}
	for i := range e.Headers {
		if sameName(e.Headers[i].Name, name) {
			return e.Headers[i], true
		}
	}
	return EventHeader{}, false
}

// sameName compares header names as FreeSWITCH does (case-insensitively).
// An event has ~100 headers and a lookup passes most of them: the length
// test turns those into one comparison instead of a case-folding loop
// (strings.EqualFold does not compare lengths first).
func sameName(a, b string) bool {
	return len(a) == len(b) && (a == b || strings.EqualFold(a, b))
}

// Get returns the decoded value of the first header named name, or "".
func (e *Event) Get(name string) string {
	v, _ := e.Lookup(name)
	return v
}

// GetRaw returns the first header named name exactly as FreeSWITCH sent it.
func (e *Event) GetRaw(name string) string {
	if e.Headers == nil && e.lazy != nil {
		raw, _ := e.lazy.lookup(name)
		return raw
	}
	for i := range e.Headers {
		if sameName(e.Headers[i].Name, name) {
			return e.Headers[i].Raw
		}
	}
	return ""
}

// Name returns Event-Name.
func (e *Event) Name() string { return e.Get("Event-Name") }

// UniqueID returns the channel's Unique-ID.
func (e *Event) UniqueID() string { return e.Get("Unique-ID") }

// Var returns the channel variable name (the header variable_<name>).
func (e *Event) Var(name string) string { return e.Get("variable_" + name) }

// LookupVar is Var that also reports whether the variable is present.
func (e *Event) LookupVar(name string) (string, bool) { return e.Lookup("variable_" + name) }

// Application returns the Application header of a CHANNEL_EXECUTE(_COMPLETE).
func (e *Event) Application() string { return e.Get("Application") }

// AppUUID returns Application-UUID, the Event-UUID of the sendmsg that ran
// the application.
func (e *Event) AppUUID() string { return e.Get("Application-UUID") }

// AppResponse returns Application-Response of a CHANNEL_EXECUTE_COMPLETE.
func (e *Event) AppResponse() string { return e.Get("Application-Response") }

// DTMFDigit returns the digit of a DTMF event, decoded ("#", not "%23").
func (e *Event) DTMFDigit() string { return e.Get("DTMF-Digit") }

// HangupCause returns Hangup-Cause.
func (e *Event) HangupCause() string { return e.Get("Hangup-Cause") }

// JobUUID returns Job-UUID (BACKGROUND_JOB events).
func (e *Event) JobUUID() string { return e.Get("Job-UUID") }

// Array splits a header holding a FreeSWITCH array ("ARRAY::a|:b") into its
// elements; a plain value is a one-element array, an absent header nil.
func (e *Event) Array(name string) []string {
	v, ok := e.Lookup(name)
	if !ok {
		return nil
	}
	return SplitArray(v)
}

// SplitArray splits a FreeSWITCH array value ("ARRAY::a|:b|:c").
func SplitArray(v string) []string {
	rest, ok := strings.CutPrefix(v, "ARRAY::")
	if !ok {
		return []string{v}
	}
	return strings.Split(rest, "|:")
}

// Event names callhook cares about.
const (
	EventChannelData            = "CHANNEL_DATA"
	EventChannelExecute         = "CHANNEL_EXECUTE"
	EventChannelExecuteComplete = "CHANNEL_EXECUTE_COMPLETE"
	EventChannelHangup          = "CHANNEL_HANGUP"
	EventChannelHangupComplete  = "CHANNEL_HANGUP_COMPLETE"
	EventChannelAnswer          = "CHANNEL_ANSWER"
	EventChannelPark            = "CHANNEL_PARK"
	EventChannelBridge          = "CHANNEL_BRIDGE"
	EventChannelUnbridge        = "CHANNEL_UNBRIDGE"
	EventDTMF                   = "DTMF"
	EventBackgroundJob          = "BACKGROUND_JOB"
)

// Disconnect notices are delivered in the event stream as Events whose
// ContentType is TypeDisconnectNotice, with the frame's outer headers (raw,
// not URL-encoded: Value and Raw are equal) and its body.

// IsDisconnectNotice reports whether e is a text/disconnect-notice.
func (e *Event) IsDisconnectNotice() bool { return e.ContentType == TypeDisconnectNotice }

// IsLingerNotice reports whether e is the notice FreeSWITCH sends when the
// channel goes down while linger is on: the channel is gone, events go on.
func (e *Event) IsLingerNotice() bool {
	return e.IsDisconnectNotice() && strings.EqualFold(e.Get("Content-Disposition"), "linger")
}

// IsFinalNotice reports whether e is the last notice before FreeSWITCH closes
// the socket (any disconnect notice whose disposition is not linger).
func (e *Event) IsFinalNotice() bool { return e.IsDisconnectNotice() && !e.IsLingerNotice() }
