package esl

import (
	"net"
	"sync"
	"time"
)

// DefaultACLLogInterval is Server.ACLLogInterval's default.
const DefaultACLLogInterval = 10 * time.Second

// refusalLog rate-limits the log lines of ACL refusals: a peer outside the
// ACL can open connections far faster than a log should grow (500 refusals
// took 10 ms), and each is closed before a byte is read, so nothing else
// bounds them. The first refusal of a quiet spell is logged at once; later
// ones are counted, and a timer logs the count at the end of each interval
// that had some. Shutdown and Close log what is left.
type refusalLog struct {
	mu      sync.Mutex
	until   time.Time   // end of the current interval; zero when quiet
	n       int         // refusals counted since the last line
	last    net.Addr    // the latest of them
	timer   *time.Timer // logs the count at until
	stopped bool        // the Server is closing: flush logs at once
}

func (l *refusalLog) refused(s *Server, addr net.Addr) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := time.Now()
	if l.until.IsZero() || l.stopped {
		s.logf("esl: refused %v: not in the ACL", addr)
		if !l.stopped {
			l.startLocked(s, now)
		}
		return
	}
	l.n++
	l.last = addr
}

// startLocked opens an interval that ends with a count line, if any.
func (l *refusalLog) startLocked(s *Server, now time.Time) {
	every := s.ACLLogInterval
	if every <= 0 {
		every = DefaultACLLogInterval
	}
	l.until = now.Add(every)
	if l.timer == nil {
		l.timer = time.AfterFunc(every, func() { l.tick(s) })
		return
	}
	l.timer.Reset(every)
}

// tick ends an interval: it logs the count, and keeps counting for another
// interval if there was one, so a steady flood makes one line per interval.
func (l *refusalLog) tick(s *Server) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.stopped || l.until.IsZero() {
		return
	}
	if l.n == 0 {
		l.until = time.Time{}
		return
	}
	l.logLocked(s)
	l.startLocked(s, time.Now())
}

// flush logs the count left and stops the timer (Shutdown, Close).
func (l *refusalLog) flush(s *Server) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.stopped = true
	if l.timer != nil {
		l.timer.Stop()
	}
	if l.n > 0 {
		l.logLocked(s)
	}
	l.until = time.Time{}
}

func (l *refusalLog) logLocked(s *Server) {
	s.logf("esl: refused %d more connections not in the ACL (the latest from %v)", l.n, l.last)
	l.n, l.last = 0, nil
}
