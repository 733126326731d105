package esltest

import (
	"context"
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/callhook/callhook/esl"
)

// Call is one simulated FreeSWITCH channel whose socket application dialled
// a daemon. All channel state belongs to one goroutine (the loop, which is
// also the connection's only writer); a second goroutine reads commands.
// Caller actions (Digits, Hangup, Talk) are queued to the loop and never
// block; observation methods copy under a mutex.
type Call struct {
	o       Options
	nc      net.Conn
	start   time.Time
	cmds    chan cmdIn
	readErr chan error    // the reader's last word (buffered: it never blocks)
	done    chan struct{} // closed when the call is over and both goroutines have ended
	quit    chan struct{} // closed when the loop ends, to release the reader
	stopped chan struct{} // closed when the reader goroutine has exited

	actMu   sync.Mutex
	actions []action
	actNote chan struct{}

	traceMu sync.Mutex

	mu        sync.Mutex // guards the fields below and every write to ch's variables and profile
	received  []esl.Command
	written   []*esl.Frame
	apps      []AppRun
	changed   chan struct{}
	appCursor map[string]int
	result    *Result

	taps       atomic.Pointer[[]func(*event)] // inbound listeners attached to this call
	userClosed atomic.Bool                    // Close was called

	// Everything below is owned by the loop goroutine.
	ch         channel
	aleg       *channel // the caller's loopback A leg, nil when not loopback
	sub        subscription
	async      bool
	full       bool
	socketData string

	gotFirst    bool
	connected   bool
	afterConn   int // commands answered since connect
	dropReply   bool
	parked      bool
	everParked  bool
	lingering   bool
	lingerSecs  int // -1 forever
	resumed     bool
	transferred bool
	transferTo  string // the extension a transfer went to
	leftSocket  bool   // the transfer's socket app returned; the new extension runs
	socketDone  bool   // the socket application's EXECUTE_COMPLETE was fired
	logLevel    int    // -1 when not logging
	tailDone    bool
	closing     bool
	finished    bool
	abort       bool // fault injection cut the connection
	hungUpBy    HangupBy
	responded   int // the SIP code a respond app sent (sofia channels), 0 for none
	bridges     []BridgeRun

	pending  []*outItem
	holdNext bool
	holding  bool
	hold     *time.Timer
	queue    []*message
	exec     *execRun
	act      activity
	nested   []suspended // apps interrupted by nested messages, innermost last
	inApp    bool
	inline   *message // a static-mode sendmsg running inline: no reads until it ends
	digits   []byte   // DTMF queued on the channel, not yet read
	dialed   []byte   // every digit read (digits_dialed)
	talkTo   time.Time
	timer    *time.Timer
	timerFn  func()
	deadline time.Time // the timer's simulated deadline
	// timerScaled: the timer counts simulated time (media, timeouts,
	// linger), so the clock runs at Speed while it runs; the connect
	// deadline is real time.
	timerScaled bool
	vnow        time.Time // the simulated clock (see now)
	lastReal    time.Time // the real time vnow was last brought up to
	// HangupAfter: the simulated moment the caller hangs up, its cause and
	// what runs just before; hangupTimer wakes the loop for it.
	hangupAt      time.Time
	hangupAtCause string
	hangupAtFn    func()
	hangupTimer   *time.Timer
	writes        int
	lost          int       // events dropped on a full queue
	logAfter      []logLine // lines an app logs after switch_core_session_exec's EXECUTE line
	out           []byte    // bytes for the socket, written once per loop step
	outp          *[]byte   // out's pooled buffer
	talkFrom      time.Time
	sessionRecs   []*sessionRec  // running record_session bugs (recording.go)
	bridgedSince  time.Time      // when the running bridge connected; zero when not bridged
	recordings    []RecordingOut // delivered recordings, under mu
}

// cmdIn is one command read from the socket, with its bytes when tracing.
type cmdIn struct {
	cmd esl.Command
	raw []byte
}

// outItem is a frame waiting for the listener to be idle: an event
// (serialised when written, in the format current then) or a notice.
type outItem struct {
	ev    *event
	frame *esl.Frame
}

// Dial connects to a daemon at addr as FreeSWITCH's socket application does
// and simulates the call until the connection ends. It returns once the TCP
// connection is up; FreeSWITCH then stays silent until the daemon's first
// command.
func Dial(ctx context.Context, addr string, o Options) (*Call, error) {
	var d net.Dialer
	nc, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("esltest: dial %s: %w", addr, err)
	}
	return startCall(nc, addr, o), nil
}

// NewCall simulates a call over an established connection whose other end
// is the daemon, for example one end of net.Pipe in a testing/synctest
// bubble, where Speed 1 then costs no wall-clock time.
func NewCall(nc net.Conn, o Options) *Call {
	addr := nc.RemoteAddr().String()
	if !strings.Contains(addr, ":") {
		addr = "127.0.0.1:8084" // the captures' socket address
	}
	return startCall(nc, addr, o)
}

// startCall builds the call and starts its two goroutines.
func startCall(nc net.Conn, addr string, o Options) *Call {
	c := newCall(nc, addr, o)
	c.o.Switch.live.Add(1)
	go c.readLoop()
	go c.run()
	return c
}

// newCall builds the channel as the dialplan left it when `socket` ran.
func newCall(nc net.Conn, addr string, o Options) *Call {
	o = o.normalized()
	c := &Call{
		o:         o,
		nc:        nc,
		start:     time.Now(),
		cmds:      make(chan cmdIn),
		readErr:   make(chan error, 1),
		done:      make(chan struct{}),
		quit:      make(chan struct{}),
		stopped:   make(chan struct{}),
		actNote:   make(chan struct{}, 1),
		changed:   make(chan struct{}),
		appCursor: map[string]int{},
		logLevel:  -1,
	}
	c.vnow, c.lastReal = c.start, c.start
	words := strings.Fields(strings.ToLower(o.Mode))
	c.async = slices.Contains(words, "async")
	c.full = slices.Contains(words, "full")
	c.socketData = addr
	if o.Mode != ModeStatic && strings.TrimSpace(o.Mode) != "" {
		c.socketData += " " + o.Mode
	}
	host := addr
	if i := strings.LastIndexByte(addr, ':'); i >= 0 {
		host = addr[:i]
	}
	now := c.now().UnixMicro()
	loopback := strings.HasPrefix(o.ChannelName, "loopback/")
	c.ch = channel{
		prof: profile{
			direction: "inbound", logicalDirection: "inbound",
			cidName: o.CallerIDName, cidNumber: o.CallerIDNumber,
			origCIDName: o.CallerIDName, origCIDNumber: o.CallerIDNumber,
			calleeName: "Outbound Call", calleeNumber: "default",
			ani: o.CallerIDNumber, destination: o.DestinationNumber, uuid: o.UUID,
			source: "mod_loopback", context: "default", channelName: o.ChannelName,
			created: now, withIndex: true,
		},
		sw:   o.Switch,
		name: o.ChannelName, uuid: o.UUID, direction: "inbound", hitDialplan: true,
		state: csExecute, stateNum: "4", callState: "RINGING", answerState: "ringing", up: true,
	}
	if !loopback {
		c.ch.prof.source = "mod_sofia"
	}
	if o.Originated {
		c.ch.prof.direction, c.ch.prof.logicalDirection, c.ch.direction = "outbound", "outbound", "outbound"
		c.ch.callState, c.ch.answerState = "ACTIVE", "answered"
		c.ch.prof.answered = now
		c.ch.hitDialplan = false
	}
	sid := o.Switch.sessions.Add(2)
	v := &c.ch.vars
	v.set("direction", c.ch.direction)
	v.set("uuid", o.UUID)
	v.set("session_id", strconv.FormatInt(sid, 10))
	v.set("channel_name", o.ChannelName)
	v.set("read_codec", "L16")
	v.set("read_rate", "8000")
	v.set("write_codec", "L16")
	v.set("write_rate", "8000")
	if loopback {
		v.set("origination_caller_id_number", o.CallerIDNumber)
		v.set("origination_caller_id_name", o.CallerIDName)
		v.set("origination_uuid", o.CallerUUID)
		v.set("other_loopback_leg_uuid", o.CallerUUID)
		v.set("loopback_leg", "B")
	}
	v.set("call_uuid", o.UUID)
	for _, k := range sortedKeys(o.Vars) {
		v.set(k, o.Vars[k])
	}
	v.set("current_application_data", c.socketData)
	v.set("current_application", "socket")
	v.set("socket_host", host)
	if loopback {
		c.aleg = newALeg(o, sid-1, now)
	}
	return c
}

// newALeg is the originated loopback A leg: the caller's side.
func newALeg(o Options, sid int64, now int64) *channel {
	name := strings.TrimSuffix(o.ChannelName, "-b") + "-a"
	a := &channel{
		prof: profile{
			direction: "outbound", logicalDirection: "outbound",
			cidName: o.CallerIDName, cidNumber: o.CallerIDNumber,
			origCIDName: o.CallerIDName, origCIDNumber: o.CallerIDNumber,
			calleeName: "Outbound Call", calleeNumber: "default",
			ani: o.CallerIDNumber, destination: o.DestinationNumber, uuid: o.CallerUUID,
			source: "mod_loopback", context: "default", channelName: name,
			created: now, withIndex: true,
		},
		sw:   o.Switch,
		name: name, uuid: o.CallerUUID, direction: "outbound",
		state: csConsumeMedia, stateNum: "7", callState: "DOWN", answerState: "ringing", up: true,
	}
	v := &a.vars
	v.set("direction", "outbound")
	v.set("is_outbound", "true")
	v.set("session_id", strconv.FormatInt(sid, 10))
	v.set("read_codec", "L16")
	v.set("read_rate", "8000")
	v.set("write_codec", "L16")
	v.set("write_rate", "8000")
	v.set("channel_name", name)
	v.set("uuid", o.CallerUUID)
	v.set("call_uuid", o.CallerUUID)
	v.set("origination_caller_id_number", o.CallerIDNumber)
	v.set("origination_caller_id_name", o.CallerIDName)
	v.set("origination_uuid", o.CallerUUID)
	v.set("originate_early_media", "true")
	v.set("originate_endpoint", "loopback")
	v.set("other_loopback_leg_uuid", o.UUID)
	v.set("loopback_leg", "A")
	return a
}

func sortedKeys(m map[string]string) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}
