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
	events []queuedEvent // events[head:] are waiting
	head   int
	bytes  int // wire bytes of the events waiting

	maxEvents, maxBytes int

	ready chan struct{} // 1-buffered: a token while the queue may be non-empty
}

// keptQueueEvents is the largest event array a drained queue keeps.
const keptQueueEvents = 32

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
	waiting := len(q.events) - q.head
	if waiting >= q.maxEvents {
		return fmt.Errorf("%w: %d events waiting", ErrQueueOverflow, waiting)
	}
	if q.bytes+n > q.maxBytes {
		return fmt.Errorf("%w: %d bytes in %d events waiting, a %d-byte %s would pass the limit of %d bytes",
			ErrQueueOverflow, q.bytes, waiting, n, ev.Name(), q.maxBytes)
	}
	if q.head > 0 && len(q.events) == cap(q.events) {
		// Full, with room taken at the front: move the waiting events
		// down instead of growing the array.
		k := copy(q.events, q.events[q.head:])
		clear(q.events[k:])
		q.events, q.head = q.events[:k], 0
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
	if q.head == len(q.events) {
		return nil, false
	}
	e := q.events[q.head]
	q.events[q.head] = queuedEvent{}
	q.head++
	q.bytes -= e.n
	if q.head == len(q.events) {
		// Drained (the usual case: the consumer keeps up): the array is
		// reused from its start, so a call's events cost no allocation
		// in the queue. One that a burst grew is let go.
		q.events, q.head = q.events[:0], 0
		if cap(q.events) > keptQueueEvents {
			q.events = nil
		}
	} else {
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
	return len(q.events) - q.head, q.bytes
}

// signal leaves a Ready token unless one is there.
func (q *eventQueue) signal() {
	select {
	case q.ready <- struct{}{}:
	default:
	}
}
