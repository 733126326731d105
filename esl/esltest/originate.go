package esltest

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/callhook/callhook/esl"
)

// What `bgapi originate` does on the simulated switch, as FreeSWITCH
// 1.10.12's originate_function (src/mod/applications/mod_commands/
// mod_commands.c) and switch_ivr_originate (src/switch_ivr_originate.c) do
// it:
//
//   - the arguments are split on spaces, single quotes grouping and then
//     removed, as switch_separate_string does (src/switch_utils.c); the
//     first is the dial string with its leading {var=value,...} block
//     (switch_event_create_brackets, src/switch_event.c: split on ','),
//     the second the extension, here always "&socket(<addr> async full)":
//     the application's name runs up to '(' and its argument up to the
//     first ')';
//   - the new channel rings (CHANNEL_PROGRESS) and then answers, is busy,
//     rings out at originate_timeout (default 60 s) or fails at once;
//   - the job's BACKGROUND_JOB body is "+OK <uuid>\n" when the channel
//     answered, "-ERR <CAUSE>\n" otherwise (switch_channel_cause2str);
//   - an answered channel runs the socket application, which connects to
//     the daemon; that connect and the BACKGROUND_JOB race on real
//     FreeSWITCH (the job fires when originate_function returns, the
//     socket runs on the channel's own thread), so OriginateOptions.
//     SocketFirst picks the order;
//   - the channel's variables, those of the {...} block included, are on
//     its CHANNEL_* events, which is what an inbound listener's filter on
//     a variable sees (switch_channel_event_set_extended_data in
//     src/switch_channel.c gives PROGRESS, ANSWER and HANGUP_COMPLETE
//     their variables);
//   - sessions per second are limited as switch_core_session_request does
//     (sessions-per-second, default 30, src/switch_core.c): an originate
//     over the limit fails DESTINATION_OUT_OF_ORDER, mod_sofia's cause
//     when it cannot create the session (not captured).
//
// Not captured on a real switch: the ring events of a real SIP leg (180
// vs 183), the cause of a channel killed while it rings (uuid_kill's cause
// is reported here) and where HANGUP_COMPLETE falls relative to the job.

// OriginateOutcome is what a target dialled by `bgapi originate` does.
type OriginateOutcome string

const (
	// OriginateAnswer rings, then answers: the socket application
	// connects to the daemon.
	OriginateAnswer OriginateOutcome = "answer"
	// OriginateBusy rings, then ends USER_BUSY.
	OriginateBusy OriginateOutcome = "busy"
	// OriginateNoAnswer rings until originate_timeout: NO_ANSWER.
	OriginateNoAnswer OriginateOutcome = "noanswer"
	// OriginateRing rings until it is killed (api uuid_kill) or
	// originate_timeout passes, for tests that act while a call rings.
	OriginateRing OriginateOutcome = "ring"
)

// OriginateFail fails at once, without ringing, with cause (a FreeSWITCH
// cause name such as DESTINATION_OUT_OF_ORDER).
func OriginateFail(cause string) OriginateOutcome { return OriginateOutcome("fail:" + cause) }

// OriginateOptions say how the simulated switch answers `bgapi originate`.
type OriginateOptions struct {
	// Targets gives what each dial string (after its {...} block) does;
	// a target not listed answers.
	Targets map[string]OriginateOutcome
	// SocketFirst makes an answered call's socket connect (and its
	// connect reply) come before the BACKGROUND_JOB "+OK"; by default the
	// job comes first.
	SocketFirst bool
	// SessionsPerSecond is the switch's sessions-per-second (0: 30, its
	// default).
	SessionsPerSecond int
	// Call is the base of every answered call's Options (Speed, OnApp,
	// PlaybackDurations...). UUID, DestinationNumber, Vars, caller id
	// and Originated are set from the originate.
	Call Options
	// OnCall, when set, is told each answered call once its socket is
	// dialled. It runs on the originate's goroutine.
	OnCall func(*Call)
}

// SetOriginate sets how the server answers `bgapi originate`; before it is
// called every target answers.
func (s *InboundServer) SetOriginate(o OriginateOptions) {
	s.mu.Lock()
	s.orig = o
	s.mu.Unlock()
}

// Ringing returns the UUIDs of the originated channels still ringing.
func (s *InboundServer) Ringing() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]string, 0, len(s.ringing))
	for u := range s.ringing {
		out = append(out, u)
	}
	return out
}

// Originated returns how many originates the server has started.
func (s *InboundServer) Originated() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.originated
}

// DropListeners closes every inbound connection at once, without a
// disconnect notice, as a switch that crashes or a cut network does. The
// calls go on; the server keeps accepting new connections.
func (s *InboundServer) DropListeners() {
	s.mu.Lock()
	conns := make([]*inboundConn, 0, len(s.conns))
	for ic := range s.conns {
		conns = append(conns, ic)
	}
	s.mu.Unlock()
	for _, ic := range conns {
		_ = ic.nc.Close()
	}
}

// ringLeg is an originated channel that has not answered yet; kill ends
// its ringing with a cause (uuid_kill).
type ringLeg struct {
	kill chan string
	once sync.Once
}

// originateArgs is an originate command's arguments as originate_function
// reads them.
type originateArgs struct {
	vars    varList // the {...} block, in order
	dial    string  // the dial string after the block
	app     string  // the extension's application (socket)
	appArg  string  // its argument
	timeout time.Duration
}

// parseOriginate reads `originate <dial> <exten> ...`'s arguments; usage
// is the job's body when they cannot be read.
func parseOriginate(args string) (a originateArgs, usage string) {
	const syntax = "-USAGE: <call url> <exten>|&<application_name>(<app_args>) [<dialplan>] [<context>] [<cid_name>] [<cid_num>] [<timeout_sec>]\n"
	argv := separateBlank(args)
	if len(argv) < 2 || len(argv) > 7 {
		return a, syntax
	}
	a.timeout = 60 * time.Second
	dial := argv[0]
	if strings.HasPrefix(dial, "{") {
		end := strings.IndexByte(dial, '}')
		if end < 0 {
			return a, "-ERR INVALID_NUMBER_FORMAT\n"
		}
		for part := range strings.SplitSeq(dial[1:end], ",") {
			if k, v, ok := strings.Cut(part, "="); ok {
				a.vars.set(k, v)
			}
		}
		dial = dial[end+1:]
	}
	a.dial = dial
	if t, ok := a.vars.get("originate_timeout"); ok {
		if n, err := strconv.Atoi(t); err == nil && n > 0 {
			a.timeout = time.Duration(n) * time.Second
		}
	}
	if len(argv) == 7 {
		if n, err := strconv.Atoi(argv[6]); err == nil && n > 0 {
			a.timeout = time.Duration(n) * time.Second
		}
	}
	ext := argv[1]
	if strings.HasPrefix(ext, "&") && len(ext) > 1 {
		name := ext[1:]
		if i := strings.IndexByte(name, ')'); i >= 0 {
			name = name[:i]
		}
		if i := strings.IndexByte(name, '('); i >= 0 {
			a.app, a.appArg = name[:i], name[i+1:]
		} else {
			a.app = name
		}
	}
	return a, ""
}

// separateBlank is switch_separate_string with ' ' as the delimiter
// (separate_string_blank_delim and cleanup_separated_string,
// src/switch_utils.c): runs of spaces split, a single quote toggles
// quoting, a backslash keeps the next byte, and the quotes are removed.
func separateBlank(s string) []string {
	var out []string
	var cur strings.Builder
	inQuote, have := false, false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\' && i+1 < len(s):
			i++
			cur.WriteByte(s[i])
			have = true
		case c == '\'':
			inQuote = !inQuote
			have = true
		case c == ' ' && !inQuote:
			if have {
				out = append(out, cur.String())
				cur.Reset()
				have = false
			}
		default:
			cur.WriteByte(c)
			have = true
		}
	}
	if have {
		out = append(out, cur.String())
	}
	return out
}

// startOriginate runs one `bgapi originate` in the background; its
// BACKGROUND_JOB goes to every listener that wants it.
func (s *InboundServer) startOriginate(job, args string) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.originated++
	o := s.orig
	s.wg.Add(1)
	s.mu.Unlock()
	go func() {
		defer s.wg.Done()
		s.originate(job, args, o)
	}()
}

// takeSession counts one new session against sessions-per-second; false
// when the second's budget is spent (switch_core_session_request's
// throttle: runtime.sps is refilled each second, src/switch_time.c).
func (s *InboundServer) takeSession(perSecond int) bool {
	if perSecond <= 0 {
		perSecond = 30
	}
	now := time.Now().Truncate(time.Second)
	s.mu.Lock()
	defer s.mu.Unlock()
	if !now.Equal(s.spsSecond) {
		s.spsSecond, s.spsUsed = now, 0
	}
	if s.spsUsed >= perSecond {
		return false
	}
	s.spsUsed++
	return true
}

// originate is one originate's life: ring, then its outcome.
func (s *InboundServer) originate(job, args string, o OriginateOptions) {
	line := "originate " + args
	a, usage := parseOriginate(args)
	done := func(body string) {
		s.broadcast(s.sw.backgroundJob(job, "", line, body, time.Now()))
	}
	if usage != "" {
		done(usage)
		return
	}
	uuid, _ := a.vars.get("origination_uuid")
	if uuid == "" {
		uuid = esl.NewUUID()
	}
	ch := s.originChannel(uuid, a)
	fire := func(name string) {
		s.broadcast(channelEvent(ch, name, time.Now(), nil, nil))
	}
	end := func(cause string) {
		ch.up, ch.answerState, ch.cause = false, "hangup", cause
		ch.state, ch.stateNum, ch.callState = csReporting, stateNumbers[csReporting], "HANGUP"
		done("-ERR " + cause + "\n")
		fire("CHANNEL_HANGUP_COMPLETE")
	}
	if !s.takeSession(o.SessionsPerSecond) {
		done("-ERR DESTINATION_OUT_OF_ORDER\n")
		return
	}
	outcome, ok := o.Targets[a.dial]
	if !ok {
		outcome = OriginateAnswer
	}
	if cause, failed := strings.CutPrefix(string(outcome), "fail:"); failed {
		end(cause)
		return
	}
	leg := &ringLeg{kill: make(chan string, 1)}
	s.mu.Lock()
	if s.ringing == nil {
		s.ringing = map[string]*ringLeg{}
	}
	s.ringing[uuid] = leg
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.ringing, uuid)
		s.mu.Unlock()
	}()
	ch.prof.progress = time.Now().UnixMicro()
	fire("CHANNEL_PROGRESS")
	speed := o.Call.Speed
	if speed <= 0 {
		speed = 1
	}
	ring := time.NewTimer(time.Duration(float64(a.timeout) / speed))
	defer ring.Stop()
	switch outcome {
	case OriginateBusy:
		end("USER_BUSY")
		return
	case OriginateNoAnswer, OriginateRing:
		select {
		case <-ring.C:
			end("NO_ANSWER")
		case cause := <-leg.kill:
			end(cause)
		case <-s.closing:
		}
		return
	}
	s.answerOriginate(job, line, uuid, a, o, ch)
}

// answerOriginate answers the channel and runs its socket application.
func (s *InboundServer) answerOriginate(job, line, uuid string, a originateArgs, o OriginateOptions, ch *channel) {
	ch.answerState, ch.callState = "answered", "ACTIVE"
	ch.prof.answered = time.Now().UnixMicro()
	s.broadcast(channelEvent(ch, "CHANNEL_ANSWER", time.Now(), nil, nil))
	jobDone := func() {
		s.broadcast(s.sw.backgroundJob(job, "", line, "+OK "+uuid+"\n", time.Now()))
	}
	if !o.SocketFirst {
		jobDone()
	}
	addr, _, _ := strings.Cut(strings.TrimSpace(a.appArg), " ")
	co := o.Call
	co.Originated = true
	co.UUID = uuid
	co.Switch = s.sw
	dest := a.dial
	if i := strings.LastIndexByte(dest, '/'); i >= 0 {
		dest = dest[i+1:]
	}
	if at := strings.IndexByte(dest, '@'); at >= 0 {
		dest = dest[:at]
	}
	co.DestinationNumber = dest
	if v, ok := a.vars.get("origination_caller_id_number"); ok {
		co.CallerIDNumber = v
	}
	if v, ok := a.vars.get("origination_caller_id_name"); ok {
		co.CallerIDName = v
	}
	co.Vars = map[string]string{}
	for _, v := range a.vars {
		co.Vars[v.name] = v.value
	}
	co.Mode = ""
	if words := strings.Fields(a.appArg); len(words) > 1 {
		co.Mode = strings.Join(words[1:], " ")
	}
	var call *Call
	var err error
	if a.app == "socket" && addr != "" {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		call, err = Dial(ctx, addr, co)
		cancel()
	}
	if call == nil || err != nil {
		// The socket application could not connect: it returns, the
		// channel has nothing left to run and hangs up (socket_function in
		// mod_event_socket.c).
		if o.SocketFirst {
			jobDone()
		}
		ch.up, ch.answerState, ch.cause = false, "hangup", "NORMAL_CLEARING"
		ch.state, ch.stateNum, ch.callState = csReporting, stateNumbers[csReporting], "HANGUP"
		s.broadcast(channelEvent(ch, "CHANNEL_HANGUP_COMPLETE", time.Now(), nil, nil))
		return
	}
	s.Attach(call)
	if o.OnCall != nil {
		o.OnCall(call)
	}
	if o.SocketFirst {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		// The connect reply is the call's first frame.
		_, _ = call.WaitFrames(ctx, 1)
		cancel()
		jobDone()
	}
}

// originChannel is the channel an originate creates, before it answers.
func (s *InboundServer) originChannel(uuid string, a originateArgs) *channel {
	now := time.Now().UnixMicro()
	name := "sofia/internal/" + a.dial
	cid, _ := a.vars.get("origination_caller_id_number")
	cname, _ := a.vars.get("origination_caller_id_name")
	ch := &channel{
		prof: profile{
			direction: "outbound", logicalDirection: "outbound",
			cidName: cname, cidNumber: cid, origCIDName: cname, origCIDNumber: cid,
			destination: a.dial, uuid: uuid, source: "mod_sofia", context: "default",
			channelName: name, created: now, withIndex: true,
		},
		sw: s.sw, name: name, uuid: uuid, direction: "outbound",
		state: csRouting, stateNum: stateNumbers[csRouting], callState: "RINGING", answerState: "ringing", up: true,
	}
	ch.vars.set("direction", "outbound")
	ch.vars.set("is_outbound", "true")
	ch.vars.set("uuid", uuid)
	ch.vars.set("channel_name", name)
	for _, v := range a.vars {
		ch.vars.set(v.name, v.value)
	}
	return ch
}

// killRinging ends a ringing originated channel (api uuid_kill); false
// when uuid is not ringing.
func (s *InboundServer) killRinging(uuid, cause string) bool {
	s.mu.Lock()
	leg := s.ringing[uuid]
	s.mu.Unlock()
	if leg == nil {
		return false
	}
	if cause == "" {
		cause = "NORMAL_CLEARING"
	}
	leg.once.Do(func() { leg.kill <- causeName(cause) })
	return true
}
