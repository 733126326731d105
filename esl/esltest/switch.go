package esltest

import (
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/callhook/callhook/esl"
)

// Switch is one simulated FreeSWITCH: its Core-UUID, when it started, the
// numbering of its sessions (session_id) and of its events
// (Event-Sequence), and the calls it has up: what `api status` and `api
// uptime` report. Calls given the same Switch (Options.Switch) are calls
// of one FreeSWITCH, as a load generator's are; a call given none runs on
// a switch of its own, so tests running side by side, in one process, do
// not see each other's calls.
type Switch struct {
	coreUUID string
	boot     time.Time
	sessions atomic.Int64  // the last session_id given
	live     atomic.Int64  // calls whose connection is open
	events   atomic.Uint64 // the last Event-Sequence given

	modMu     sync.Mutex
	modules   map[string]bool // loaded modules (modules.go)
	showAsked atomic.Int64    // api show interfaces answered
}

// NewSwitch starts a simulated FreeSWITCH.
func NewSwitch() *Switch {
	sw := &Switch{coreUUID: esl.NewUUID(), boot: time.Now(), modules: map[string]bool{}}
	for _, m := range stockModules {
		sw.modules[m] = true
	}
	sw.events.Store(400) // a switch that has been up a while, as captured
	return sw
}

// Sessions returns how many sessions (channels) the switch has created.
func (sw *Switch) Sessions() int64 { return sw.sessions.Load() }

// Live returns how many of the switch's calls have their connection open.
func (sw *Switch) Live() int64 { return sw.live.Load() }

// prep appends switch_event_prep_for_delivery's headers for an event named
// name fired at the virtual time now.
func (sw *Switch) prep(h []header, name string, now time.Time) []header {
	cs := callSites[name]
	if cs.file == "" {
		cs = callSite{"mod_event_socket.c", "parse_command", "2275"}
	}
	return append(h,
		header{"Event-Name", name},
		header{"Core-UUID", sw.coreUUID},
		header{"FreeSWITCH-Hostname", fsHostname},
		header{"FreeSWITCH-Switchname", fsHostname},
		header{"FreeSWITCH-IPv4", fsIPv4},
		header{"FreeSWITCH-IPv6", fsIPv6},
		header{"Event-Date-Local", now.Local().Format(time.DateTime)},
		header{"Event-Date-GMT", now.UTC().Format("Mon, 02 Jan 2006 15:04:05 GMT")},
		header{"Event-Date-Timestamp", strconv.FormatInt(now.UnixMicro(), 10)},
		header{"Event-Calling-File", cs.file},
		header{"Event-Calling-Function", cs.fn},
		header{"Event-Calling-Line-Number", cs.line},
		header{"Event-Sequence", strconv.FormatUint(sw.events.Add(1), 10)},
	)
}
