package esltest

import (
	"regexp"
	"strings"

	"github.com/callhook/callhook/esl"
)

// myEventsList is what `myevents` subscribes in outbound mode
// (parse_command in mod_event_socket.c).
var myEventsList = []string{
	"CHANNEL_ANSWER", "CHANNEL_APPLICATION", "CHANNEL_BRIDGE", "CHANNEL_CREATE",
	"CHANNEL_DATA", "CHANNEL_DESTROY", "CHANNEL_EXECUTE", "CHANNEL_EXECUTE_COMPLETE",
	"CHANNEL_HANGUP", "CHANNEL_HANGUP_COMPLETE", "CHANNEL_ORIGINATE", "CHANNEL_UUID",
	"CHANNEL_OUTGOING", "CHANNEL_PARK", "CHANNEL_PROGRESS", "CHANNEL_PROGRESS_MEDIA",
	"CHANNEL_STATE", "CHANNEL_UNBRIDGE", "CHANNEL_UNPARK", "DETECTED_SPEECH", "DTMF",
	"NOTALK", "TALK",
}

// knownEvents are the event names `event` accepts (switch_name_event);
// unknown names are ignored, as FreeSWITCH does.
var knownEvents = func() map[string]bool {
	m := map[string]bool{}
	for _, n := range myEventsList {
		m[n] = true
	}
	for _, n := range []string{
		"CUSTOM", "CLONE", "CHANNEL_CALLSTATE", "CHANNEL_HOLD", "CHANNEL_UNHOLD",
		"API", "BACKGROUND_JOB", "LOG", "INBOUND_CHAN", "OUTBOUND_CHAN", "STARTUP",
		"SHUTDOWN", "PUBLISH", "UNPUBLISH", "MODULE_LOAD", "MODULE_UNLOAD", "DTMF",
		"MESSAGE", "PRESENCE_IN", "PRESENCE_OUT", "PRESENCE_PROBE", "MESSAGE_WAITING",
		"MESSAGE_QUERY", "ROSTER", "CODEC", "RECORD_START", "RECORD_STOP",
		"PLAYBACK_START", "PLAYBACK_STOP", "CALL_UPDATE", "HEARTBEAT",
		"SESSION_HEARTBEAT", "PRIVATE_COMMAND", "RE_SCHEDULE", "RELOADXML", "NOTIFY",
		"SEND_MESSAGE", "RECV_MESSAGE", "REQUEST_PARAMS", "CHANNEL_ACTION", "TRAP",
		"CALL_SECURE", "NAT", "RECORD_STOP", "GENERAL", "COMMAND", "SEND_INFO",
		"RECV_INFO", "CONFERENCE_DATA", "CALL_SETUP_REQ", "TEXT", "SHUTDOWN_REQUESTED",
	} {
		m[n] = true
	}
	return m
}()

// subscription is a listener's event state: what it asked for
// (`event`, `myevents`), its format, and its filters.
type subscription struct {
	format   esl.Format
	names    map[string]bool
	all      bool
	customs  map[string]bool // CUSTOM subclasses
	allCust  bool            // CUSTOM without a subclass
	active   bool            // LFLAG_EVENTS
	myevents bool            // LFLAG_MYEVENTS: session filter on our UUID
	filters  []filterRule
}

type filterRule struct{ header, value string }

// subscribe adds names (already upper-case, SWITCH_EVENT_ prefix removed).
// It reports whether any word was a keyword.
func (s *subscription) subscribe(words []string) bool {
	if s.names == nil {
		s.names = map[string]bool{}
	}
	any, custom, sawSub := false, false, false
	for _, w := range words {
		if custom {
			if s.customs == nil {
				s.customs = map[string]bool{}
			}
			s.customs[w] = true
			any, sawSub = true, true
			continue
		}
		n := strings.TrimPrefix(strings.ToUpper(w), "SWITCH_EVENT_")
		switch {
		case n == "ALL":
			s.all = true
			any = true
		case n == "CUSTOM":
			custom = true
			any = true
		case knownEvents[n]:
			s.names[n] = true
			any = true
		}
	}
	if custom && !sawSub {
		s.allCust = true
	}
	if any {
		s.active = true
	}
	return any
}

// nix removes names; it reports whether any word was a keyword.
func (s *subscription) nix(words []string) bool {
	any, custom := false, false
	for _, w := range words {
		if custom {
			delete(s.customs, w)
			any = true
			continue
		}
		n := strings.TrimPrefix(strings.ToUpper(w), "SWITCH_EVENT_")
		switch {
		case n == "ALL":
			s.all = false
			clear(s.names)
			any = true
		case n == "CUSTOM":
			custom = true
			s.allCust = false
			any = true
		case knownEvents[n]:
			delete(s.names, n)
			any = true
		}
	}
	return any
}

// clear forgets every subscription (noevents).
func (s *subscription) clear() {
	s.all, s.allCust, s.active = false, false, false
	clear(s.names)
	clear(s.customs)
}

// wants reports whether the listener receives e, as event_handler decides:
// subscription, then filters, then the myevents session filter (Unique-ID
// or Job-Owner-UUID equal to ours).
func (s *subscription) wants(e *event, ourUUID string) bool {
	if !s.active {
		return false
	}
	if e.name == "CUSTOM" {
		if !s.all && !s.allCust && !s.customs[e.subclass] {
			return false
		}
	} else if !s.all && !s.names[e.name] {
		return false
	}
	if len(s.filters) > 0 && !s.passFilters(e) {
		return false
	}
	if s.myevents {
		if u, _ := e.get("Unique-ID"); u == ourUUID {
			return true
		}
		if u, _ := e.get("Job-Owner-UUID"); u == ourUUID {
			return true
		}
		return false
	}
	return true
}

// passFilters is event_handler's filter loop (mod_event_socket.c): once
// any filter exists, an event goes out only if it matches a positive one;
// a matching negative one drops it; events without any filtered header are
// dropped.
func (s *subscription) passFilters(e *event) bool {
	send := false
	for _, f := range s.filters {
		hval, ok := e.getFold(f.header)
		if !ok {
			continue
		}
		comp, pos := f.value, true
	sign:
		for comp != "" {
			switch comp[0] {
			case '+':
				pos = true
			case '-':
				pos = false
			case ' ':
			default:
				break sign
			}
			comp = comp[1:]
		}
		if send && pos {
			continue
		}
		var match bool
		if strings.HasPrefix(f.value, "/") {
			match = regexMatch(comp, hval)
		} else {
			match = strings.EqualFold(hval, comp)
		}
		if match {
			if !pos {
				return false
			}
			send = true
		}
	}
	return send
}

// getFold is a case-insensitive get, as switch_event_get_header.
func (e *event) getFold(name string) (string, bool) {
	for _, x := range e.h {
		if strings.EqualFold(x.name, name) {
			return x.value, true
		}
	}
	return "", false
}

// regexMatch matches a FreeSWITCH "/re/" expression; an invalid expression
// matches nothing.
func regexMatch(expr, s string) bool {
	expr = strings.TrimPrefix(expr, "/")
	if i := strings.LastIndexByte(expr, '/'); i >= 0 {
		expr = expr[:i]
	}
	re, err := regexp.Compile(expr)
	return err == nil && re.MatchString(s)
}

// eventCmd is `event [plain|json|xml] NAME…`: the format switches even when
// no name follows.
func (s *subscription) eventCmd(rest string) string {
	words := strings.Fields(rest)
	if len(words) > 0 {
		switch strings.ToLower(words[0]) {
		case "plain":
			s.format, words = esl.FormatPlain, words[1:]
		case "json":
			s.format, words = esl.FormatJSON, words[1:]
		case "xml":
			s.format, words = esl.FormatXML, words[1:]
		}
	}
	if !s.subscribe(words) {
		return "-ERR no keywords supplied"
	}
	f := s.format
	if f == "" {
		f = esl.FormatPlain
	}
	return "+OK event listener enabled " + string(f)
}

// filterCmd is `filter <Header> <value>` / `filter delete …`; the deleted
// echo has no '=' (full-commands capture).
func (s *subscription) filterCmd(rest string) string {
	name, val, _ := strings.Cut(rest, " ")
	if strings.EqualFold(name, "delete") && val != "" {
		name, val, _ = strings.Cut(val, " ")
		if strings.EqualFold(name, "all") {
			s.filters = nil
		} else {
			fs := s.filters[:0]
			for _, f := range s.filters {
				if strings.EqualFold(f.header, name) && (val == "" || f.value == val) {
					continue
				}
				fs = append(fs, f)
			}
			s.filters = fs
		}
		return "+OK filter deleted. [" + name + "][" + val + "]"
	}
	if val == "" {
		return "-ERR invalid syntax"
	}
	if strings.EqualFold(name, "add") {
		name, val, _ = strings.Cut(val, " ")
	}
	s.filters = append(s.filters, filterRule{name, val})
	return "+OK filter added. [" + name + "]=[" + val + "]"
}
