package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync/atomic"
	"time"

	"github.com/callhook/callhook/internal/config"
	"github.com/callhook/callhook/proxy"
	"github.com/callhook/callhook/twilioapi"
	"github.com/callhook/callhook/twiml"
	"github.com/sirupsen/logrus"
)

// twilioAPI is the daemon's side of Twilio's Calls API (twilio_api): the
// twilioapi.Server, whose accounts are the config's twiml apps, replaced
// on each reload, and its listener. The Server exists from the start
// (deps), because the twiml apps ask it how the calls it placed begin.
type twilioAPI struct {
	api      *twilioapi.Server
	accounts atomic.Pointer[map[string]*twilioapi.Account]
	http     *http.Server
	addr     net.Addr
	done     chan struct{}
}

// setAccounts takes the twiml apps of cfg (at start and on reload).
func (t *twilioAPI) setAccounts(cfg *config.Config) {
	m := map[string]*twilioapi.Account{}
	for _, a := range cfg.Apps {
		if tw := a.TwiML; tw != nil && tw.AccountSID != "" {
			m[tw.AccountSID] = &twilioapi.Account{SID: tw.AccountSID, AuthToken: tw.AuthToken, App: a.Name,
				Dial: twiml.DialRules{Number: tw.DialNumber, Sip: tw.DialSip, Client: tw.DialClient}}
		}
	}
	t.accounts.Store(&m)
}

func (t *twilioAPI) account(sid string) (*twilioapi.Account, bool) {
	m := t.accounts.Load()
	if m == nil {
		return nil, false
	}
	a, ok := (*m)[sid]
	return a, ok
}

// startTwilioAPI serves the API when the config has twilio_api: HTTPS
// with its certificate, or plain HTTP on loopback (the config refuses it
// elsewhere). Its address goes to the dial guard: no app request may
// place calls. It needs the boxes (the config requires them).
func (s *server) startTwilioAPI() error {
	c := s.cfg.TwilioAPI
	if c == nil || s.placing == nil {
		return nil
	}
	t := s.deps.twilio
	t.setAccounts(s.cfg)
	api := t.api
	api.Accounts = t.account
	api.Placer = s.placing.m
	api.Live = s.proxy
	api.Client = s.deps.client
	api.UserAgent = proxy.UserAgent(version)
	api.Log = s.log.WithField("component", "twilio_api")
	ln, err := net.Listen("tcp", c.Listen)
	if err != nil {
		return fmt.Errorf("twilio_api: %w", err)
	}
	if c.CertFile != "" {
		cert, err := tls.LoadX509KeyPair(c.CertFile, c.KeyFile)
		if err != nil {
			ln.Close()
			return fmt.Errorf("twilio_api.tls: %w", err)
		}
		ln = tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12})
	}
	if ap, err := netip.ParseAddrPort(ln.Addr().String()); err == nil {
		s.deps.guard.Refuse(ap, "callhook's Twilio API")
	}
	t.addr = ln.Addr()
	t.http = &http.Server{Handler: api, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
		WriteTimeout: 30 * time.Second, IdleTimeout: 2 * time.Minute, MaxHeaderBytes: 64 << 10,
		ErrorLog: log.New(httpErrorLog{api.Log}, "", 0)}
	t.done = make(chan struct{})
	go func() {
		defer close(t.done)
		if err := t.http.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.WithError(err).Error("twilio_api listener failed")
		}
	}()
	s.log.WithFields(logrus.Fields{"listen": t.addr.String(), "tls": c.CertFile != ""}).Info("twilio api serving")
	return nil
}

// stopTwilioAPI stops the listener, waiting a little for requests in
// flight.
func (s *server) stopTwilioAPI() {
	t := s.deps.twilio
	if t.http == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := t.http.Shutdown(ctx); err != nil {
		t.http.Close()
	}
	<-t.done
}

// httpErrorLog takes the listener's net/http errors into the daemon's
// log, in place of the process's stderr. The listener faces the
// Internet: a failed TLS handshake (a scanner, a client that speaks
// plain HTTP) is what any such port sees all day, and is logged at
// debug; anything else (a handler's panic) is a warning.
type httpErrorLog struct{ log logrus.FieldLogger }

func (w httpErrorLog) Write(p []byte) (int, error) {
	msg := "twilio api: " + strings.TrimSpace(string(p))
	if strings.HasPrefix(string(p), "http: TLS handshake error") {
		w.log.Debug(msg)
	} else {
		w.log.Warn(msg)
	}
	return len(p), nil
}
