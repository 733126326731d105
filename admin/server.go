package admin

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/callhook/callhook/apphttp"
	"github.com/callhook/callhook/internal/nolog"
	"github.com/callhook/callhook/proxy"
	"github.com/sirupsen/logrus"
)

// CallControl is what the admin API needs of the call engine;
// *proxy.Proxy implements it.
type CallControl interface {
	Calls() []proxy.CallInfo
	// Call is one live call of Calls, found by id.
	Call(id string) (proxy.CallInfo, bool)
	// Active is the number of calls counted against the limits: it goes
	// up before a call is listed and down after it left the list.
	Active() int
	Hangup(ctx context.Context, id, cause string) error
	Redirect(ctx context.Context, id, url string) error
	Draining() bool
}

var _ CallControl = (*proxy.Proxy)(nil)

// DefaultActionTimeout bounds a hangup's or redirect's api command when
// Server.ActionTimeout is zero.
const DefaultActionTimeout = 5 * time.Second

// Server is the admin HTTP API. It is an http.Handler; Start, Serve,
// Shutdown and Close run it on a listener of its own. Set the fields before
// the first request and do not change them afterwards.
type Server struct {
	// Proxy is the call engine listed and acted on (required).
	Proxy CallControl
	// Outbound places calls (POST /calls) and shows the boxes (GET
	// /boxes); nil: placing calls is not enabled.
	Outbound Placer
	// Metrics is served at GET /metrics (nil: 404).
	Metrics http.Handler
	// Token, when set, is required as "Authorization: Bearer <Token>" on
	// every endpoint but /healthz and /readyz. It is compared in constant
	// time.
	Token string
	// Drain starts a graceful drain for POST /drain. It is called on the
	// request's goroutine, so it must return at once and leave the drain
	// itself to its owner; it may be called more than once (nil: 501).
	Drain func()
	// Log receives operator actions (Info) and HTTP server errors (nil:
	// discard).
	Log logrus.FieldLogger
	// ActionTimeout bounds the api command of a hangup or redirect
	// (default DefaultActionTimeout).
	ActionTimeout time.Duration

	initOnce sync.Once
	mux      *http.ServeMux

	mu sync.Mutex
	hs *http.Server
	wg sync.WaitGroup // Start's Serve goroutine
}

// public are the endpoints served without a token: probes.
var public = map[string]bool{"/healthz": true, "/readyz": true}

// ServeHTTP implements http.Handler: it refuses apps' requests, checks the
// token, routes, and answers unknown paths and methods with JSON errors too.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.initOnce.Do(s.routes)
	if fromApp(r) {
		s.logger().WithFields(logrus.Fields{
			"remote": r.RemoteAddr, "method": r.Method, "path": r.URL.Path,
			"call_id": r.Header.Get(apphttp.CallIDHeader),
		}).Warn("admin: refused a request an app made callhook send (it carries " + apphttp.CallIDHeader + ")")
		writeError(w, http.StatusForbidden, "refused: a request callhook makes for an app may not reach the admin API")
		return
	}
	if !public[r.URL.Path] && !s.authorized(r) {
		w.Header().Set("WWW-Authenticate", `Bearer realm="callhook"`)
		writeError(w, http.StatusUnauthorized, "missing or wrong bearer token")
		return
	}
	h, pattern := s.mux.Handler(r)
	if pattern == "" {
		// The mux's own 404 or 405 (with Allow), answered as JSON.
		h.ServeHTTP(&routeMiss{ResponseWriter: w}, r)
		return
	}
	s.mux.ServeHTTP(w, r)
}

func (s *Server) routes() {
	s.mux = http.NewServeMux()
	s.mux.HandleFunc("GET /healthz", s.healthz)
	s.mux.HandleFunc("GET /readyz", s.readyz)
	s.mux.HandleFunc("GET /metrics", s.metrics)
	s.mux.HandleFunc("GET /calls", s.listCalls)
	s.mux.HandleFunc("POST /calls", s.placeCall)
	s.mux.HandleFunc("GET /boxes", s.listBoxes)
	s.mux.HandleFunc("GET /calls/{id}", s.getCall)
	s.mux.HandleFunc("POST /calls/{id}/hangup", s.hangup)
	s.mux.HandleFunc("POST /calls/{id}/redirect", s.redirect)
	s.mux.HandleFunc("POST /drain", s.drain)
}

func (s *Server) healthz(w http.ResponseWriter, _ *http.Request) {
	writeText(w, http.StatusOK, "ok")
}

func (s *Server) readyz(w http.ResponseWriter, _ *http.Request) {
	if s.Proxy.Draining() {
		writeText(w, http.StatusServiceUnavailable, "draining")
		return
	}
	writeText(w, http.StatusOK, "ready")
}

func (s *Server) metrics(w http.ResponseWriter, r *http.Request) {
	if s.Metrics == nil {
		writeError(w, http.StatusNotFound, "metrics are not enabled")
		return
	}
	s.Metrics.ServeHTTP(w, r)
}

func (s *Server) drain(w http.ResponseWriter, r *http.Request) {
	if s.Drain == nil {
		writeError(w, http.StatusNotImplemented, "drain is not available")
		return
	}
	s.logger().WithField("remote", r.RemoteAddr).Info("admin: drain requested")
	s.Drain()
	writeJSON(w, http.StatusAccepted, map[string]bool{"draining": true})
}

func (s *Server) logger() logrus.FieldLogger {
	if s.Log == nil {
		return nolog.Logger()
	}
	return s.Log
}

func (s *Server) actionTimeout() time.Duration {
	if s.ActionTimeout > 0 {
		return s.ActionTimeout
	}
	return DefaultActionTimeout
}

// httpServer returns the http.Server that Serve and Start use, made once.
// Its timeouts keep a slow or idle client from holding a connection.
func (s *Server) httpServer() *http.Server {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.hs == nil {
		s.hs = &http.Server{
			Handler:           s,
			ReadHeaderTimeout: 5 * time.Second,
			ReadTimeout:       10 * time.Second,
			WriteTimeout:      30 * time.Second,
			IdleTimeout:       2 * time.Minute,
			MaxHeaderBytes:    64 << 10,
			ErrorLog:          log.New(logWriter{s.logger()}, "", 0),
		}
	}
	return s.hs
}

// Serve serves the API on l until Shutdown or Close, then returns
// http.ErrServerClosed.
func (s *Server) Serve(l net.Listener) error { return s.httpServer().Serve(l) }

// Start listens on addr (host:port; port 0 picks one) and serves in the
// background until Shutdown or Close. It returns the address bound, so a
// caller can log it and a listen error comes out at once.
func (s *Server) Start(addr string) (net.Addr, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("admin: listen: %w", err)
	}
	hs := s.httpServer()
	s.wg.Go(func() {
		if err := hs.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.logger().WithError(err).Error("admin: server stopped")
		}
	})
	return ln.Addr(), nil
}

// Shutdown stops listening and waits for requests in progress, up to ctx.
func (s *Server) Shutdown(ctx context.Context) error {
	err := s.httpServer().Shutdown(ctx)
	s.wg.Wait()
	return err
}

// Close stops listening and drops every connection at once.
func (s *Server) Close() error {
	err := s.httpServer().Close()
	s.wg.Wait()
	return err
}

// logWriter turns net/http's server log lines into Warn entries.
type logWriter struct{ log logrus.FieldLogger }

func (w logWriter) Write(p []byte) (int, error) {
	w.log.Warn("admin: " + strings.TrimSpace(string(p)))
	return len(p), nil
}
