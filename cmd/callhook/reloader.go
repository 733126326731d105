package main

import "context"

// reloader runs the daemon's reloads (SIGHUP) one at a time, on a goroutine
// of its own, so that the signal loop never waits for one: a reload stuck
// reading a file (a named pipe before files were checked, a hung network
// file system) once made SIGTERM and POST /drain do nothing until it
// returned.
//
// A request made while a reload runs is kept, and runs once that reload
// is done, so the last edit of the files is always read; any number of
// requests made meanwhile are that one reload.
type reloader struct {
	reload  func(context.Context)
	pending chan struct{} // one buffered: a reload asked for and not begun
	ctx     context.Context
	cancel  context.CancelFunc
	done    chan struct{} // closed when the goroutine has returned
}

// startReloader starts the goroutine that runs reload for each request.
// reload is given a context that stop cancels.
func startReloader(reload func(context.Context)) *reloader {
	ctx, cancel := context.WithCancel(context.Background())
	r := &reloader{reload: reload, pending: make(chan struct{}, 1), ctx: ctx, cancel: cancel, done: make(chan struct{})}
	go r.loop()
	return r
}

func (r *reloader) loop() {
	defer close(r.done)
	for {
		select {
		case <-r.ctx.Done():
			return
		case <-r.pending:
		}
		if r.ctx.Err() != nil {
			return
		}
		r.reload(r.ctx)
	}
}

// request asks for a reload and returns at once.
func (r *reloader) request() {
	select {
	case r.pending <- struct{}{}:
	default: // one is pending already: it will read the files as they are then
	}
}

// stop ends the reloads: none starts after it, and a running one is told
// (its ctx ends) so that it applies nothing. stop does not wait for a
// running reload, which may be stuck: the daemon drains and exits without
// it. Done reports when the goroutine has returned.
func (r *reloader) stop() { r.cancel() }

// Done is closed when the reloader's goroutine has returned.
func (r *reloader) Done() <-chan struct{} { return r.done }
