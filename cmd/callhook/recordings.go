package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"os"
	"time"

	"github.com/callhook/callhook/internal/config"
	"github.com/callhook/callhook/recordings"
)

// recordingsConfig maps the config's recordings key onto the store's.
func recordingsConfig(r *config.Recordings) recordings.Config {
	return recordings.Config{Dir: r.Dir, URL: r.URL, SwitchURL: r.SwitchURL, Keep: r.Keep,
		MaxSize: r.MaxSize, MaxTotal: r.MaxTotal, Wait: r.Wait, Local: r.Local}
}

// newRecordings makes the store of the config's recordings key (nil
// without one).
func newRecordings(cfg *config.Config) (*recordings.Store, error) {
	if cfg.Recordings == nil {
		return nil, nil
	}
	st, err := recordings.New(recordingsConfig(cfg.Recordings))
	if err != nil {
		return nil, fmt.Errorf("recordings: %w", err)
	}
	return st, nil
}

// startRecordings serves the recordings store on its listener (ln when
// the caller bound it already, else the config's address). The address
// goes to the dial guard: an upload or status URL an app gives must not
// reach callhook's own recordings listener.
func (s *server) startRecordings(ln net.Listener) error {
	if s.store == nil {
		return nil
	}
	if ln == nil {
		var err error
		if ln, err = net.Listen("tcp", s.cfg.Recordings.Listen); err != nil {
			return fmt.Errorf("recordings listener: %w", err)
		}
	}
	if ap, err := netip.ParseAddrPort(ln.Addr().String()); err == nil {
		s.deps.guard.Refuse(ap, "callhook's recordings listener")
	}
	// No ReadTimeout or WriteTimeout: a recording may take minutes to
	// upload or fetch. The store cuts an upload that stalls
	// (recordings.Config.Stall); idle keep-alive connections and header
	// sizes are bounded here, so nobody holds connections for ever.
	s.recHTTP = &http.Server{
		Handler:           s.store,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          nil,
	}
	s.recDone = make(chan struct{})
	go func() {
		defer close(s.recDone)
		if err := s.recHTTP.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.WithError(err).Error("recordings listener failed")
		}
	}()
	// Expired recordings go once a minute even when no request comes.
	s.recSweep = make(chan struct{})
	go func(stop <-chan struct{}) {
		t := time.NewTicker(time.Minute)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				s.store.Sweep()
			case <-stop:
				return
			}
		}
	}(s.recSweep)
	s.log.WithField("recordings", ln.Addr().String()).Info("serving recordings")
	return nil
}

// stopRecordings stops the recordings listener, letting transfers in
// progress finish for a few seconds.
func (s *server) stopRecordings() {
	if s.recHTTP == nil {
		return
	}
	close(s.recSweep)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.recHTTP.Shutdown(ctx); err != nil {
		s.recHTTP.Close()
	}
	<-s.recDone
}

// simRecordings readies simulate's recordings delivery when the config
// has one: the store is served on a loopback port of its own (a daemon
// may hold the configured one), the URLs the call gets point there, and an
// uploaded recording is kept in a fresh temporary folder, left behind for
// the user to play. It returns the bound listener and what the printer
// says about recordings.
func simRecordings(cfg *config.Config) (net.Listener, string, error) {
	if cfg.Recordings == nil {
		return nil, "", nil
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, "", fmt.Errorf("recordings: listen on a loopback port: %w", err)
	}
	r := *cfg.Recordings
	r.Listen = ln.Addr().String()
	r.URL, r.SwitchURL = "http://"+r.Listen, ""
	note := "the simulated switch writes a silent WAV where FreeSWITCH would, and callhook reads it there"
	if !r.Local {
		dir, err := os.MkdirTemp("", "callhook-simulate-recordings-")
		if err != nil {
			ln.Close()
			return nil, "", fmt.Errorf("recordings: %w", err)
		}
		r.Dir = dir
		note = "the simulated switch uploaded a silent WAV; callhook keeps it in " + dir + " (the URL works while simulate runs)"
	}
	cfg.Recordings = &r
	return ln, note, nil
}
