package esl

import (
	"fmt"
	"sync"
)

// eventQueue is a Conn's events and disconnect notices waiting for the
// consumer (NextEvent, Ready + TryEvent), in arrival order, with the bounds
// of ConnOptions.MaxQueuedEvents and MaxQueuedBytes. It has a lock of its
// own, so the consumer taking events never waits on the Conn's lock (held
// by Send, the waiters and the reader's routing). The reader pushes while
// holding the Conn's lock too (lock order: Conn.mu, then eventQueue.mu), so
// whoever holds the Conn's lock sees an event's waiter told and the event
// queued as one step, as before the queue had a lock of its own.
type eventQueue struct {
	mu     sync.Mutex
	events []queuedEvent
	bytes  int // wire bytes of the events waiting

	maxEvents, maxBytes int

	ready chan struct{} // 1-buffered: a token while the queue may be non-empty
}

// queuedEvent is an event waiting for NextEvent, with its size on the wire.
type queuedEvent struct {
	ev *Event
	n  int
}

func newEventQueue(maxEvents, maxBytes int) eventQueue {
	return eventQueue{maxEvents: maxEvents, maxBytes: maxBytes, ready: make(chan struct{}, 1)}
}

// push appends ev, n bytes on the wire, and leaves a Ready token. Past a
// bound it is ErrQueueOverflow: the event is not queued (and the reader
// then ends the connection; no event is ever dropped silently).
func (q *eventQueue) push(ev *Event, n int) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.events) >= q.maxEvents {
		return fmt.Errorf("%w: %d events waiting", ErrQueueOverflow, len(q.events))
	}
	if q.bytes+n > q.maxBytes {
		return fmt.Errorf("%w: %d bytes in %d events waiting, a %d-byte %s would pass the limit of %d bytes",
			ErrQueueOverflow, q.bytes, len(q.events), n, ev.Name(), q.maxBytes)
	}
	q.events = append(q.events, queuedEvent{ev, n})
	q.bytes += n
	q.signal()
	return nil
}

// pop takes the oldest event; ok is false when none is waiting.
func (q *eventQueue) pop() (ev *Event, ok bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.events) == 0 {
		return nil, false
	}
	e := q.events[0]
	q.events[0] = queuedEvent{}
	q.events = q.events[1:]
	q.bytes -= e.n
	if len(q.events) > 0 {
		// Keep the level: another consumer waiting on Ready must not
		// miss the events left behind.
		q.signal()
	}
	return e.ev, true
}

// size returns the number of events waiting and their wire bytes.
func (q *eventQueue) size() (events, bytes int) {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.events), q.bytes
}

// signal leaves a Ready token unless one is there.
func (q *eventQueue) signal() {
	select {
	case q.ready <- struct{}{}:
	default:
	}
}
