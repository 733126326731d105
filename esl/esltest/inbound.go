package esltest

import (
	"fmt"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/callhook/callhook/esl"
)

// InboundServer is FreeSWITCH's inbound event socket (port 8021) on
// 127.0.0.1:0: it asks for the password (auth/request), then serves event
// subscriptions, api, bgapi, sendmsg and sendevent against the calls
// attached to it (inbound-auth capture).
type InboundServer struct {
	password string
	ln       net.Listener
	wg       sync.WaitGroup

	closing chan struct{} // closed by Close: frees requests waiting on a call
	sw      *Switch       // the switch answering api commands

	mu     sync.Mutex
	calls  map[string]*Call // by channel UUID and caller-leg UUID
	conns  map[*inboundConn]struct{}
	closed bool

	// bgapi originate (originate.go)
	orig       OriginateOptions
	ringing    map[string]*ringLeg // originated channels not answered yet, by UUID
	originated int
	spsSecond  time.Time // the second spsUsed counts
	spsUsed    int
}

// NewInboundServer listens on 127.0.0.1:0 and accepts in the background.
func NewInboundServer(password string) (*InboundServer, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("esltest: listen: %w", err)
	}
	s := &InboundServer{
		password: password,
		ln:       ln,
		closing:  make(chan struct{}),
		calls:    map[string]*Call{},
		conns:    map[*inboundConn]struct{}{},
		sw:       NewSwitch(),
	}
	s.wg.Add(1)
	go s.accept()
	return s, nil
}

// Addr returns the listening address (host:port).
func (s *InboundServer) Addr() string { return s.ln.Addr().String() }

// Switch returns the switch answering the server's api commands (its
// modules: LoadModule, UnloadModule).
func (s *InboundServer) Switch() *Switch { return s.sw }

// Close stops listening, drops every connection and waits for their
// goroutines.
func (s *InboundServer) Close() error {
	s.mu.Lock()
	if !s.closed {
		close(s.closing)
	}
	s.closed = true
	conns := make([]*inboundConn, 0, len(s.conns))
	for ic := range s.conns {
		conns = append(conns, ic)
	}
	s.mu.Unlock()
	err := s.ln.Close()
	for _, ic := range conns {
		_ = ic.nc.Close()
	}
	s.wg.Wait()
	return err
}

// Attach makes c known to the server: its events reach subscribed inbound
// listeners and uuid commands (either leg's UUID) act on it.
func (s *InboundServer) Attach(c *Call) {
	s.mu.Lock()
	s.calls[c.UUID()] = c
	s.calls[c.CallerUUID()] = c
	s.mu.Unlock()
	tap := func(e *event) { s.broadcast(e) }
	for {
		old := c.taps.Load()
		var next []func(*event)
		if old != nil {
			next = append(next, *old...)
		}
		next = append(next, tap)
		if c.taps.CompareAndSwap(old, &next) {
			return
		}
	}
}

func (s *InboundServer) accept() {
	defer s.wg.Done()
	for {
		nc, err := s.ln.Accept()
		if err != nil {
			return
		}
		ic := &inboundConn{s: s, nc: nc, cmds: make(chan inboundRead), quit: make(chan struct{}),
			stopped: make(chan struct{}), note: make(chan struct{}, 1)}
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			_ = nc.Close()
			return
		}
		s.conns[ic] = struct{}{}
		s.mu.Unlock()
		s.wg.Add(1)
		go ic.serve()
	}
}

// broadcast hands e to every authenticated listener that wants it. It
// runs on the firing call's loop and never blocks.
func (s *InboundServer) broadcast(e *event) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for ic := range s.conns {
		ic.offer(e)
	}
}

// call finds an attached call by either leg's UUID.
func (s *InboundServer) call(uuid string) *Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[uuid]
}

// inboundRead is one read of an inbound listener's reader.
type inboundRead struct {
	cmd esl.Command
	err error
}

// inboundConn is one inbound listener: a reader goroutine and a loop that
// is the connection's only writer.
type inboundConn struct {
	s       *InboundServer
	nc      net.Conn
	cmds    chan inboundRead
	quit    chan struct{}
	stopped chan struct{}
	note    chan struct{}

	mu     sync.Mutex // guards sub, authed and events (offer runs on call loops)
	sub    subscription
	authed bool
	events []*event
}

// offer queues e if the listener subscribed to it (no session filter: an
// inbound listener sees every channel).
func (ic *inboundConn) offer(e *event) {
	ic.mu.Lock()
	if !ic.authed || !ic.sub.wants(e, "") {
		ic.mu.Unlock()
		return
	}
	ic.events = append(ic.events, e)
	ic.mu.Unlock()
	select {
	case ic.note <- struct{}{}:
	default:
	}
}

func (ic *inboundConn) serve() {
	defer ic.s.wg.Done()
	defer func() {
		ic.s.mu.Lock()
		delete(ic.s.conns, ic)
		ic.s.mu.Unlock()
		_ = ic.nc.Close()
		close(ic.quit)
		<-ic.stopped
	}()
	go ic.read()
	if !ic.write(&esl.Frame{Headers: esl.Headers{{Name: "Content-Type", Value: esl.TypeAuthRequest}}}) {
		return
	}
	for {
		select {
		case in := <-ic.cmds:
			if in.err != nil || !ic.handle(in.cmd) {
				return
			}
		case <-ic.note:
			ic.mu.Lock()
			evs := ic.events
			ic.events = nil
			f := ic.sub.format
			ic.mu.Unlock()
			for _, e := range evs {
				if !ic.write(eventFrame(e, f, nil)) {
					return
				}
			}
		}
	}
}

func (ic *inboundConn) read() {
	defer close(ic.stopped)
	r := esl.NewReader(ic.nc, esl.Limits{MaxHeaderBytes: 10 << 20, MaxBodyBytes: 16 << 20})
	for {
		cmd, _, err := r.ReadCommand()
		select {
		case ic.cmds <- inboundRead{cmd: cmd, err: err}:
		case <-ic.quit:
			return
		}
		if err != nil {
			return
		}
	}
}

func (ic *inboundConn) write(f *esl.Frame) bool {
	_ = ic.nc.SetWriteDeadline(time.Now().Add(30 * time.Second))
	_, err := ic.nc.Write(f.Encode())
	return err == nil
}

// handle runs one command; false ends the connection. The lock is never
// held while writing, so a slow daemon cannot stall the calls' loops.
func (ic *inboundConn) handle(cmd esl.Command) bool {
	line := cmd.Line
	arg := func(n int) string { return strings.TrimSpace(line[n:]) }
	reply := func(s string) bool { return ic.write(replyFrame(s)) }
	if isWord(line, "exit") || isWord(line, "...") {
		reply("+OK bye")
		ic.write(shortDisconnectFrame())
		return false
	}
	ic.mu.Lock()
	authed := ic.authed
	ic.mu.Unlock()
	if !authed {
		if !isWord(line, "auth ") {
			return reply("-ERR command not found")
		}
		if arg(5) != ic.s.password {
			reply("-ERR invalid")
			ic.write(shortDisconnectFrame())
			return false
		}
		ic.mu.Lock()
		ic.authed = true
		ic.mu.Unlock()
		return reply("+OK accepted")
	}
	sub := func(f func(s *subscription) string) bool {
		ic.mu.Lock()
		r := f(&ic.sub)
		ic.mu.Unlock()
		return reply(r)
	}
	switch {
	case isWord(line, "event"):
		return sub(func(s *subscription) string { return s.eventCmd(arg(5)) })
	case isWord(line, "nixevent"):
		return sub(func(s *subscription) string {
			if s.nix(strings.Fields(arg(8))) {
				return "+OK events nixed"
			}
			return "-ERR no keywords supplied"
		})
	case isWord(line, "noevents"):
		return sub(func(s *subscription) string {
			ic.events = nil
			if !s.active {
				return "-ERR not listening for events"
			}
			s.clear()
			return "+OK no longer listening for events"
		})
	case isWord(line, "filter "):
		return sub(func(s *subscription) string { return s.filterCmd(arg(7)) })
	case isWord(line, "api "):
		return ic.write(apiFrame(ic.s.api(arg(4))))
	case isWord(line, "bgapi "):
		job := cmd.Headers.Get("Job-UUID")
		if job == "" {
			job = esl.NewUUID()
		}
		ok := ic.write(&esl.Frame{Headers: esl.Headers{
			{Name: "Content-Type", Value: esl.TypeCommandReply},
			{Name: "Reply-Text", Value: "+OK Job-UUID: " + job},
			{Name: "Job-UUID", Value: job},
		}})
		if name, args, _ := strings.Cut(arg(6), " "); name == "originate" {
			ic.s.startOriginate(job, strings.TrimSpace(args))
			return ok
		}
		out := ic.s.api(arg(6))
		ic.s.broadcast(ic.s.sw.backgroundJob(job, "", arg(6), out, time.Now()))
		return ok
	case isWord(line, "sendmsg"):
		uuid := arg(7)
		if uuid == "" {
			uuid = cmd.Headers.Get("session-id")
		}
		r := "-ERR invalid session id [" + uuid + "]"
		if c := ic.s.call(uuid); c != nil && uuid == c.UUID() {
			if out := c.request(action{kind: actSendmsg, cmd: cmd}, ic.s.closing); out != "" {
				r = out
			}
		}
		return reply(r)
	case isWord(line, "log"), isWord(line, "nolog"), isWord(line, "linger"), isWord(line, "nolinger"):
		// not captured for inbound: accepted; the simulator has no log
		// stream for inbound listeners.
		return reply("+OK")
	}
	return reply("-ERR command not found")
}

// noSuchChannel is the api answer for an unknown UUID.
const noSuchChannel = "-ERR No such channel!\n"

// api answers an inbound api command: global commands here, uuid commands
// on the attached call's loop.
func (s *InboundServer) api(line string) string {
	name, args, _ := strings.Cut(strings.TrimSpace(line), " ")
	args = strings.TrimSpace(args)
	if name == "show" && strings.EqualFold(args, "interfaces") {
		// The switch's, as on an outbound socket (callhook check asks).
		return s.sw.showInterfaces(nil)
	}
	if out, ok := s.sw.globalAPI(name, args); ok {
		if out == "" {
			return "-ERR no reply\n"
		}
		return out
	}
	if !strings.HasPrefix(name, "uuid_") {
		return "-ERR " + name + " Command not found!\n"
	}
	uuid, rest, _ := strings.Cut(args, " ")
	if name == "uuid_kill" && s.killRinging(uuid, strings.TrimSpace(rest)) {
		return "+OK\n"
	}
	c := s.call(uuid)
	if c == nil {
		if name == "uuid_exists" {
			return "false"
		}
		return noSuchChannel
	}
	out := c.request(action{kind: actAPI, s: line}, s.closing)
	if out == "" {
		if name == "uuid_exists" {
			return "false"
		}
		return noSuchChannel
	}
	return out
}
