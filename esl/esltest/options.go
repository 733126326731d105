package esltest

import (
	"io"
	"time"

	"github.com/callhook/callhook/esl"
)

// Socket modes: the keywords of the socket dialplan application
// (`socket 127.0.0.1:8084 async full`). FreeSWITCH only knows the words
// "async" and "full"; any other word is ignored.
const (
	// ModeAsyncFull is the default and what callhook's dialplan uses:
	// Socket-Mode async, Control full.
	ModeAsyncFull = "async full"
	// ModeAsync is `socket … async`: async, single-channel (the full-only
	// commands answer -ERR command not found).
	ModeAsync = "async"
	// ModeStatic is `socket …` with no keyword: static (sync) and
	// single-channel. "static" is not a FreeSWITCH keyword; FreeSWITCH would
	// ignore it, so it selects the same mode and is left out of the socket
	// application's data.
	ModeStatic = "static"
	// ModeStaticFull is `socket … full`: static (sync) with Control full.
	ModeStaticFull = "full"
)

// ParkTiming says when the channel parks (and fires CHANNEL_PARK) in async
// mode. Real FreeSWITCH parks the channel on the session thread while the
// listener thread already reads our commands, so whether the daemon sees
// CHANNEL_PARK, and where, is a race (transcripts/README.md: delivered in 9 of
// 14 captures, after the myevents or linger reply or after the first sendmsg's
// +OK). A zero ParkTiming is the most frequent capture.
type ParkTiming int

const (
	// ParkOnFirstSendmsg (the default) parks right after the reply to the
	// first sendmsg following connect, or earlier if the caller acts.
	ParkOnFirstSendmsg ParkTiming = 0
	// ParkImmediately parks right after the connect reply, before any
	// myevents can take effect, so no CHANNEL_PARK reaches the socket
	// after connect although the channel is parked (its CHANNEL_UNPARK
	// still comes in the hangup tail), as real 1.10.12 sometimes does.
	ParkImmediately ParkTiming = -1
)

// ParkAfter parks right after the reply to the n-th command following
// connect (n >= 1).
func ParkAfter(n int) ParkTiming { return ParkTiming(n) }

// LingerNotice is where the linger notice falls in the hangup tail.
type LingerNotice int

const (
	// LingerNoticeLast (the default) writes it after
	// CHANNEL_HANGUP_COMPLETE, as most captures show.
	LingerNoticeLast LingerNotice = iota
	// LingerNoticeFirst writes it before CHANNEL_HANGUP.
	LingerNoticeFirst
	// LingerNoticeAfterHangup writes it right after CHANNEL_HANGUP, before
	// the interrupted app's completion and the rest of the tail (a hangup by
	// api uuid_kill during a playback on real 1.10.12).
	LingerNoticeAfterHangup
)

// ExtraApp describes an application the simulator does not know natively.
// It starts (CHANNEL_EXECUTE), runs for Duration (scaled by Speed; uuid_break
// and hangup cut it short), sets Vars in order, and completes with Response
// ("_none_" when empty).
type ExtraApp struct {
	Duration time.Duration
	Vars     [][2]string
	Response string
}

// Options describe the simulated call and how the simulated FreeSWITCH
// behaves. The zero value is a loopback call from 1000 to 7000 in
// `async full` mode, behaving as the captures in esl/testdata show.
type Options struct {
	// CallerIDNumber and CallerIDName are the caller's (default "1000",
	// "test", as in the captures).
	CallerIDNumber string
	CallerIDName   string
	// DestinationNumber is the dialled extension (default "7000").
	DestinationNumber string
	// UUID is the controlled channel's Unique-ID (default: random).
	UUID string
	// CallerUUID is the other loopback leg's (the caller's) Unique-ID
	// (default: random).
	CallerUUID string
	// ChannelName is the controlled channel's name (default
	// "loopback/<DestinationNumber>-b", the B leg of a loopback pair, as in
	// every capture). A name not starting with "loopback/" drops the
	// loopback channel variables and the caller leg's own events.
	ChannelName string
	// Originated makes the channel the A leg of a `bgapi originate … '&socket(…)'`
	// that answered: Call-Direction outbound, answered before the socket
	// connects, named sofia/internal/<DestinationNumber> unless ChannelName
	// says otherwise, and no loopback caller leg (originate_function in
	// mod_commands.c runs the socket app only once switch_ivr_originate
	// returned an answered channel). InboundServer's originate sets it.
	Originated bool
	// Vars are extra channel variables set by the dialplan before the
	// socket application (for example callhook_app, liverpie_webapp_id).
	// They appear in sorted order after the channel's initial variables.
	Vars map[string]string
	// Mode holds the socket application's keywords: ModeAsyncFull (the
	// default when empty), ModeAsync or ModeStatic.
	Mode string
	// Park is when the channel parks in async mode (see ParkTiming).
	Park ParkTiming
	// LingerNotice is where the linger disconnect notice falls among the
	// hangup events: FreeSWITCH's listener sends it at its first idle check
	// after the channel went down, a race with the session thread firing
	// them. The zero value is the most frequent capture.
	LingerNotice LingerNotice
	// ContinueDialplan says the dialplan has actions after `socket`: when
	// the daemon lets go of a live call (exit or close) the dialplan goes on
	// instead of hanging up with NORMAL_CLEARING.
	ContinueDialplan bool
	// Switch is the simulated FreeSWITCH the call is on (nil: a switch of
	// its own).
	Switch *Switch
	// Speed divides every simulated media duration, app timeout, bridge
	// ringing and the linger time: 1000 plays a 3 s prompt in 3 ms. Time
	// the channel spends waiting on the daemon (and so on its web app) is
	// not divided: it counts as it passes. Zero means 1 (real time).
	Speed float64
	// PlaybackDurations gives the duration of files by name; a negative
	// duration makes the file missing (FILE NOT FOUND). Names not listed use
	// the defaults: silence_stream://N and tone_stream://%(N,M,…) last N(+M)
	// ms, anything else DefaultFileDuration.
	PlaybackDurations map[string]time.Duration
	// DefaultFileDuration is the length of files not otherwise known
	// (default 1 s, the captures' tone-440-1s.wav).
	DefaultFileDuration time.Duration
	// BridgeDuration is how long a successful bridge lasts before the callee
	// hangs up (default 1 s, the captures' extension 7100).
	BridgeDuration time.Duration
	// Extensions gives the dialplan actions ("app arg", in order) of the
	// extensions a transfer can reach. After transfer the channel leaves
	// the socket application and runs them while the socket stays open and
	// carries their events, until the daemon sends exit (transfer.txt);
	// when they run out the channel hangs up NORMAL_CLEARING. An extension
	// not listed runs park (not captured: a stand-in for whatever it does,
	// so the call stays up until the daemon lets go).
	Extensions map[string][]string
	// BridgeTargets says what each bridge target does when called, by its
	// dial string as the bridge app gets it (user/1001,
	// loopback/7400/default): BridgeAnswer, BridgeBusy, BridgeNoAnswer or
	// BridgeFail(cause). A target not listed answers; error/<cause> fails
	// with that cause without creating a leg.
	BridgeTargets map[string]BridgeOutcome
	// ExtraApps adds applications by name.
	ExtraApps map[string]ExtraApp
	// OnApp, if set, is called each time an application starts (a scripted
	// caller: "press 1 when the gather starts"). It runs on the simulator's
	// goroutine, so it must not block and may only call the Call's
	// non-waiting methods (Digits, Hangup, Talk, Var, Apps…). What it asks
	// for reaches the app as it starts, before any of the app's timers.
	OnApp func(c *Call, run AppRun)
	// Trace, if set, receives both directions in the wire.txt format of
	// esl/testdata ("--- +<ms> C>" / "F>" / "#" lines).
	Trace io.Writer
	// ConnectTimeout is how long the simulator waits for the first complete
	// command (default 25 s, FreeSWITCH's read_packet timeout; not scaled).
	ConnectTimeout time.Duration
	// DiscardHistory stops recording the frames written (Written and
	// WaitFrames then see nothing), the bulk of a call's memory: for load
	// generation with thousands of calls. Commands and app runs are kept.
	DiscardHistory bool
	// WriteRecordings makes record and record_session write their
	// (silent) WAV files at the absolute paths they name, as the switch
	// would on its host; recordings to http(s):// URLs are always
	// uploaded (recording.go).
	WriteRecordings bool

	// Fault injection.

	// SlowReader, if positive, makes the simulator stop reading the socket
	// for this long (not scaled) after each command it reads, like a stalled
	// FreeSWITCH: the daemon's writes back up.
	SlowReader time.Duration
	// GarbageAfter, if positive, writes Garbage right after the simulator's
	// GarbageAfter-th frame (the connect reply is frame 1).
	GarbageAfter int
	// AbruptClose, if positive, drops the connection without any notice
	// right after the AbruptClose-th frame written. ResetOnClose makes it a
	// TCP RST instead of a FIN.
	AbruptClose  int
	ResetOnClose bool
	// EventsBeforeReply holds the events a command causes until the daemon's
	// next command arrives (or a short grace period passes) and writes them
	// before that command's reply: the "events between a command and its
	// reply" race every client must survive.
	EventsBeforeReply bool
}

// Garbage is what GarbageAfter writes: a header line without a colon, a
// negative Content-Length and a stray byte, none of it a valid frame.
const Garbage = "garbage line without colon\nContent-Length: -5\n\n\x00"

// eventsBeforeReplyGrace bounds how long EventsBeforeReply holds events when
// no command follows, so a daemon that waits for them is not stuck forever.
const eventsBeforeReplyGrace = 50 * time.Millisecond

// normalized returns o with its defaults filled in.
func (o Options) normalized() Options {
	if o.Switch == nil {
		o.Switch = NewSwitch()
	}
	if o.CallerIDNumber == "" {
		o.CallerIDNumber = "1000"
	}
	if o.CallerIDName == "" {
		o.CallerIDName = "test"
	}
	if o.DestinationNumber == "" {
		o.DestinationNumber = "7000"
	}
	if o.UUID == "" {
		o.UUID = esl.NewUUID()
	}
	if o.CallerUUID == "" {
		o.CallerUUID = esl.NewUUID()
	}
	if o.ChannelName == "" && o.Originated {
		o.ChannelName = "sofia/internal/" + o.DestinationNumber
	}
	if o.ChannelName == "" {
		o.ChannelName = "loopback/" + o.DestinationNumber + "-b"
	}
	if o.Mode == "" {
		o.Mode = ModeAsyncFull
	}
	if o.Speed <= 0 {
		o.Speed = 1
	}
	if o.DefaultFileDuration <= 0 {
		o.DefaultFileDuration = time.Second
	}
	if o.BridgeDuration <= 0 {
		o.BridgeDuration = time.Second
	}
	if o.ConnectTimeout <= 0 {
		o.ConnectTimeout = 25 * time.Second
	}
	return o
}
