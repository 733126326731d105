package main

import (
	"net"
	"sync"

	"github.com/callhook/callhook/esl"
	"github.com/callhook/callhook/proxy"
	"github.com/sirupsen/logrus"
)

// operations is the operator-facing side of a running daemon: metrics, the
// admin API and the drain request.
type operations struct {
	cfg       *Config
	log       *logrus.Logger
	drainOnce sync.Once
	drainCh   chan struct{}
}

func newOperations(cfg *Config, log *logrus.Logger) *operations {
	return &operations{cfg: cfg, log: log, drainCh: make(chan struct{})}
}

func (o *operations) observer() proxy.Observer       { return proxy.NopObserver{} }
func (o *operations) frameCounter() esl.FrameCounter { return nil }

func (o *operations) refused(addr net.Addr, reason string) {
	o.log.WithFields(logrus.Fields{"peer": addr.String(), "reason": reason}).Warn("connection refused")
}

func (o *operations) start(p *proxy.Proxy, drain func()) error { return nil }
func (o *operations) stop()                                    {}
func (o *operations) addr() string                             { return "" }
func (o *operations) setDraining()                             {}

func (o *operations) requestDrain()                   { o.drainOnce.Do(func() { close(o.drainCh) }) }
func (o *operations) drainRequested() <-chan struct{} { return o.drainCh }
