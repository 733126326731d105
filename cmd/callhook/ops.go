package main

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"sync"
	"time"

	"github.com/callhook/callhook/admin"
	"github.com/callhook/callhook/apphttp"
	"github.com/callhook/callhook/esl"
	"github.com/callhook/callhook/internal/config"
	"github.com/callhook/callhook/metrics"
	"github.com/callhook/callhook/proxy"
	"github.com/sirupsen/logrus"
)

// operations is the operator-facing side of a running daemon: Prometheus
// metrics, the admin API on cfg.Admin, and drain requests (POST /drain).
type operations struct {
	cfg     *config.Config
	log     *logrus.Logger
	metrics *metrics.Metrics
	admin   *admin.Server
	bound   net.Addr
	// placer places calls (POST /calls); nil without boxes.
	placer admin.Placer

	drainOnce sync.Once
	drainCh   chan struct{}
}

func newOperations(cfg *config.Config, log *logrus.Logger) *operations {
	return &operations{cfg: cfg, log: log, metrics: metrics.New(), drainCh: make(chan struct{})}
}

// observer is what the proxy reports calls to: the metrics.
func (o *operations) observer() proxy.Observer { return o.metrics }

// frameCounter counts the event socket's frames and bytes into the metrics.
func (o *operations) frameCounter() esl.FrameCounter { return o.metrics }

// refused is told by the event socket server about connections it refused
// before any call began (a peer outside the ACL).
//
// It only counts: the server logs its refusals itself, those by the ACL
// rate-limited (one line, then a count per interval), because a peer
// outside the ACL can open connections far faster than a log should grow.
func (o *operations) refused(addr net.Addr, reason string) {
	o.metrics.Refused(addr, reason)
}

// adminWhat names the admin API in the errors of connections the guard
// refuses.
const adminWhat = "callhook's admin API"

// start serves the admin API on cfg.Admin; an empty address disables it.
// Once it is bound, guard refuses apps' connections to it: to that address,
// or, when it is bound to every address, to any of the host's on its port.
func (o *operations) start(p *proxy.Proxy, drain func(), guard *apphttp.DialGuard) error {
	if o.cfg.Admin == "" {
		return nil
	}
	o.admin = &admin.Server{
		Proxy:   p,
		Metrics: o.metrics.Handler(),
		Token:   o.cfg.AdminToken,
		Drain:   drain,
		Log:     o.log.WithField("component", "admin"),
	}
	if o.placer != nil {
		o.admin.Outbound = o.placer
	}
	addr, err := o.admin.Start(o.cfg.Admin)
	if err != nil {
		return err
	}
	o.bound = addr
	ap, err := netip.ParseAddrPort(addr.String())
	if err != nil {
		// A TCP listener's address is always ip:port; never serve
		// unguarded if that ever changes.
		o.admin.Close()
		return fmt.Errorf("admin: bound address %s: %w", addr, err)
	}
	guard.Refuse(ap, adminWhat)
	return nil
}

// guardConfiguredAdmin keeps apps off the admin API of a daemon serving
// the same config (simulate runs none of its own, but `make run` may be
// up): every local address on the admin's port, which spares resolving
// the configured host and covers whatever it resolves to.
func guardConfiguredAdmin(guard *apphttp.DialGuard, admin string) {
	_, port, err := net.SplitHostPort(admin)
	if err != nil {
		return // "" (disabled); a bad address fails the config
	}
	p, err := strconv.ParseUint(port, 10, 16)
	if err != nil {
		return
	}
	guard.Refuse(netip.AddrPortFrom(netip.IPv6Unspecified(), uint16(p)), adminWhat+" as the config sets it")
}

// stop closes the admin API after a short grace period for scrapes in flight.
func (o *operations) stop() {
	if o.admin == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := o.admin.Shutdown(ctx); err != nil {
		o.admin.Close()
	}
}

// addr is where the admin API listens ("" when disabled).
func (o *operations) addr() string {
	if o.bound == nil {
		return ""
	}
	return o.bound.String()
}

// requestDrain asks the daemon to drain; any number of calls start one drain.
func (o *operations) requestDrain()                   { o.drainOnce.Do(func() { close(o.drainCh) }) }
func (o *operations) drainRequested() <-chan struct{} { return o.drainCh }
