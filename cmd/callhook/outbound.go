package main

import (
	"context"
	"sync/atomic"

	"github.com/callhook/callhook/esl"
	"github.com/callhook/callhook/internal/config"
	"github.com/callhook/callhook/metrics"
	"github.com/callhook/callhook/outbound"
	"github.com/callhook/callhook/proxy"
	"github.com/callhook/callhook/verb"
	"github.com/sirupsen/logrus"
)

// placing is the daemon's side of placed calls (POST /calls): the
// outbound.Manager built from the config's boxes, and the apps it checks
// requests against, replaced on each reload.
type placing struct {
	m    *outbound.Manager
	apps atomic.Pointer[map[string]*outbound.App]
}

// newPlacing builds the Manager of cfg's boxes; nil when there are none.
// Nothing connects until start.
func newPlacing(cfg *config.Config, d *deps, log *logrus.Logger, obs outbound.Observer) *placing {
	if len(cfg.Boxes) == 0 {
		return nil
	}
	p := &placing{}
	p.setApps(cfg)
	var boxes []outbound.BoxConfig
	for _, b := range cfg.Boxes {
		boxes = append(boxes, outbound.BoxConfig{Name: b.Name, Addr: b.Addr, Password: b.Password,
			MaxCalls: b.MaxCalls, MaxCPS: b.MaxCPS, ConnectBack: b.ConnectBack})
	}
	p.m = &outbound.Manager{
		// One id per process: the boxes' filter keeps each instance's
		// calls apart.
		Instance:  "callhook-" + esl.NewUUID()[:8],
		Boxes:     boxes,
		Apps:      p.app,
		Client:    d.client,
		UserAgent: proxy.UserAgent(version),
		Log:       log.WithField("component", "outbound"),
		Observer:  obs,
	}
	return p
}

// setApps takes the apps of cfg (at start and on reload).
func (p *placing) setApps(cfg *config.Config) {
	apps := make(map[string]*outbound.App, len(cfg.Apps))
	for _, a := range cfg.Apps {
		apps[a.Name] = &outbound.App{Name: a.Name, AllowTo: a.AllowTo, AllowFrom: a.AllowFrom, Secret: a.Secret,
			Policy: verb.NewPolicy(a.AllowVars, a.AllowEndpoints, a.AllowDialplans)}
	}
	p.apps.Store(&apps)
}

func (p *placing) app(name string) (*outbound.App, bool) {
	a, ok := (*p.apps.Load())[name]
	return a, ok
}

// start connects to the boxes in the background.
func (p *placing) start(log *logrus.Logger) error {
	if p == nil {
		return nil
	}
	if err := p.m.Start(context.Background()); err != nil {
		return err
	}
	log.WithFields(logrus.Fields{"boxes": len(p.m.Boxes), "instance": p.m.Instance}).Info("placing calls: connecting to the boxes")
	return nil
}

// stop closes the box connections.
func (p *placing) stop() {
	if p != nil {
		p.m.Close()
	}
}

// manager is the Manager, or nil.
func (p *placing) manager() *outbound.Manager {
	if p == nil {
		return nil
	}
	return p.m
}

// newOutboundMetrics registers the outbound series on the daemon's metrics.
func newOutboundMetrics(m *metrics.Metrics) *metrics.Outbound {
	return metrics.NewOutbound(m.Registry())
}
