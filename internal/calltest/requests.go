package calltest

import (
	"sync"

	"github.com/callhook/callhook/proxy"
)

// Requests is an Observer that records the requests backends report
// (RequestInfo), safe for the sessions' goroutines.
type Requests struct {
	proxy.NopObserver
	mu    sync.Mutex
	infos []proxy.RequestInfo
}

// Request implements proxy.Observer.
func (r *Requests) Request(_ *proxy.Call, info *proxy.RequestInfo) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.infos = append(r.infos, *info)
}

// All returns the requests reported so far, oldest first.
func (r *Requests) All() []proxy.RequestInfo {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]proxy.RequestInfo(nil), r.infos...)
}

// Events returns the Event of each request reported so far.
func (r *Requests) Events() []string {
	var out []string
	for _, i := range r.All() {
		out = append(out, i.Event)
	}
	return out
}
