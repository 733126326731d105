package esl

// replyQueue is the FIFO of commands waiting for their reply, oldest first
// (invariant 2 of Conn). Guarded by Conn.mu: its deadlines go with the
// watchdog's state (conn_watch.go), and Send pushes under the write lock so
// the order is the order FreeSWITCH reads the commands.
type replyQueue struct {
	pending []*replySlot
}

// push appends s.
func (q *replyQueue) push(s *replySlot) { q.pending = append(q.pending, s) }

// pop takes the oldest slot; ok is false when no command is waiting.
func (q *replyQueue) pop() (s *replySlot, ok bool) {
	if len(q.pending) == 0 {
		return nil, false
	}
	s = q.pending[0]
	q.pending[0] = nil
	if len(q.pending) == 1 {
		// Drained, the usual case (one command at a time): the array is
		// reused from its start instead of a new one per command.
		q.pending = q.pending[:0]
	} else {
		q.pending = q.pending[1:]
	}
	return s, true
}

// head returns the oldest slot, nil when none is waiting.
func (q *replyQueue) head() *replySlot {
	if len(q.pending) == 0 {
		return nil
	}
	return q.pending[0]
}

// len returns the number of commands waiting.
func (q *replyQueue) len() int { return len(q.pending) }

// clear forgets every slot (the connection ended: their senders wait on
// Done too).
func (q *replyQueue) clear() { q.pending = nil }

// waiters are the callers waiting for events of their own: Execute's by
// Application-UUID, BgAPI's by Job-UUID. Guarded by Conn.mu: the reader
// tells them and queues the event in one step under it.
type waiters struct {
	execs map[string]*execWaiter
	jobs  map[string]chan *Event
}

func newWaiters() waiters {
	return waiters{execs: make(map[string]*execWaiter), jobs: make(map[string]chan *Event)}
}

// addExec registers w for the events of execute id; false when id is in
// use already.
func (ws *waiters) addExec(id string, w *execWaiter) bool {
	if ws.execs[id] != nil {
		return false
	}
	ws.execs[id] = w
	return true
}

// removeExec unregisters w, if it is still id's waiter.
func (ws *waiters) removeExec(id string, w *execWaiter) {
	if ws.execs[id] == w {
		delete(ws.execs, id)
	}
}

// addJob registers ch (1-buffered) for the BACKGROUND_JOB of job.
func (ws *waiters) addJob(job string, ch chan *Event) { ws.jobs[job] = ch }

// removeJob unregisters job's waiter.
func (ws *waiters) removeJob(job string) { delete(ws.jobs, job) }

// tell gives ev to the waiter it is for, if any. down reports that the
// channel is gone (an outbound connection whose channel hung up), which
// ends an execute's wait at its next completion.
func (ws *waiters) tell(ev *Event, down bool) {
	switch ev.Name() {
	case EventChannelExecute:
		if w := ws.execs[ev.AppUUID()]; w != nil {
			w.started(ev)
		}
	case EventChannelExecuteComplete:
		if w := ws.execs[ev.AppUUID()]; w != nil && w.completed(ev, down) {
			delete(ws.execs, ev.AppUUID())
		}
	case EventBackgroundJob:
		if ch := ws.jobs[ev.JobUUID()]; ch != nil {
			ch <- ev // 1-buffered and deleted at once: never blocks
			delete(ws.jobs, ev.JobUUID())
		}
	}
}
