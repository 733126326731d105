package twilioapi

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/callhook/callhook/esl"
	"github.com/callhook/callhook/internal/nolog"
	"github.com/callhook/callhook/outbound"
	"github.com/callhook/callhook/twiml"
	"github.com/sirupsen/logrus"
)

// Account is a twiml app as the API sees it: its credentials, its name
// (the app outbound places the call for, whose allow_to and allow_from
// apply) and its Dial rules (To's dial string).
type Account struct {
	SID       string // AccountSid: AC and 32 hex digits
	AuthToken string
	App       string
	Dial      twiml.DialRules
}

// Placer places and cancels calls: *outbound.Manager. Owns tells a
// placed call's own socket connection from one that only claims its
// Unique-ID.
type Placer interface {
	Place(ctx context.Context, req *outbound.Request) (*outbound.Placed, error)
	Hangup(ctx context.Context, id string) (bool, error)
	Owns(ch *esl.Event) bool
}

var _ Placer = (*outbound.Manager)(nil)

// LiveCalls hangs up and redirects answered calls: *proxy.Proxy.
type LiveCalls interface {
	Hangup(ctx context.Context, id, cause string) error
	Redirect(ctx context.Context, id, url string) error
}

// Server is the API, an http.Handler. Set the fields before the first
// request and do not change them afterwards.
type Server struct {
	// Accounts returns the account of an AccountSid, as the config in
	// force defines it (false: none).
	Accounts func(sid string) (*Account, bool)
	Placer   Placer
	Live     LiveCalls // nil: an answered call cannot be hung up or redirected
	// Client sends the status callbacks: the process-wide client whose
	// dial guard keeps requests off callhook's own ports (nil:
	// apphttp.NewClient(nil)).
	Client *http.Client
	// CallbackTimeout bounds each status callback (0: 15s, Twilio's
	// webhook timeout). Twilio does not retry them; neither does this.
	CallbackTimeout time.Duration
	// ActionTimeout bounds a cancel, hangup or redirect (0: 10s).
	ActionTimeout time.Duration
	UserAgent     string
	Log           logrus.FieldLogger
	// Keep is how many ended calls GET still finds (0: 1000); the
	// oldest are forgotten first.
	Keep int
	// AuthFailures is how many failed logins a client address (an IPv6
	// client's /64) may make for one AccountSid in AuthWindow; beyond
	// them its requests for that AccountSid are answered 429 until the
	// window ends, their credentials unchecked (0: DefaultAuthFailures;
	// negative: no limit). AuthWindow 0 is DefaultAuthWindow.
	AuthFailures int
	AuthWindow   time.Duration

	throttle authThrottle
	mu       sync.Mutex
	calls    map[string]*record // by CallSid
	ended    []string           // CallSids of ended calls, oldest first
	mux      *http.ServeMux
	once     sync.Once
}

// Bounds of a request.
const (
	maxBody  = 64 << 10
	maxTwiML = 4000 // Twilio's bound on the Twiml parameter
	maxURL   = 4096
)

func (s *Server) logger() logrus.FieldLogger {
	if s.Log == nil {
		return nolog.Logger()
	}
	return s.Log
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.once.Do(func() {
		mux := http.NewServeMux()
		mux.HandleFunc("/2010-04-01/Accounts/{account}/Calls.json", s.authed(s.createCall))
		mux.HandleFunc("/2010-04-01/Accounts/{account}/Calls/{sid}", s.authed(s.call))
		mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
			writeError(w, apiError(http.StatusNotFound, CodeNotFound, "The requested resource %s was not found", r.URL.Path))
		})
		s.mux = mux
	})
	s.mux.ServeHTTP(w, r)
}

// authed checks basic auth (constant time) and that the path's
// AccountSid is the authenticated one, then calls h with the account.
func (s *Server) authed(h func(http.ResponseWriter, *http.Request, *Account)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		user, pass, ok := r.BasicAuth()
		limit, window := s.AuthFailures, s.AuthWindow
		if limit == 0 {
			limit = DefaultAuthFailures
		}
		if window <= 0 {
			window = DefaultAuthWindow
		}
		key := clientKey(r.RemoteAddr, user)
		if limit > 0 {
			if wait := s.throttle.blocked(key, limit, window, time.Now()); wait > 0 {
				e := apiError(http.StatusTooManyRequests, CodeTooManyRequests, "Too Many Requests: too many failed logins; try again later")
				e.retryAfter = wait
				writeError(w, e)
				return
			}
		}
		var acct *Account
		if ok && s.Accounts != nil {
			acct, ok = s.Accounts(user)
		}
		// Hashing both sides makes the compare's time independent of the
		// token's length; a missing account compares against nothing.
		want := ""
		if acct != nil {
			want = acct.AuthToken
		}
		a, b := sha256.Sum256([]byte(pass)), sha256.Sum256([]byte(want))
		if !ok || acct == nil || acct.AuthToken == "" || subtle.ConstantTimeCompare(a[:], b[:]) != 1 {
			if limit > 0 {
				s.throttle.failed(key, window, time.Now())
			}
			s.logger().WithFields(logrus.Fields{"remote": r.RemoteAddr, "account_sid": loggedUser(user)}).Warn("twilio api: authentication failed")
			writeError(w, apiError(http.StatusUnauthorized, CodeAuthenticate, "Authenticate: your AccountSid or AuthToken was incorrect"))
			return
		}
		if r.PathValue("account") != acct.SID {
			writeError(w, apiError(http.StatusNotFound, CodeNotFound, "The requested resource %s was not found", r.URL.Path))
			return
		}
		h(w, r, acct)
	}
}

// createCall is .../Calls.json: POST creates a call.
func (s *Server) createCall(w http.ResponseWriter, r *http.Request, acct *Account) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", "POST")
		writeError(w, apiError(http.StatusMethodNotAllowed, 20004, "Method not allowed: only POST creates a call here"))
		return
	}
	form, e := readForm(w, r)
	var rec *Resource
	if e == nil {
		rec, e = s.create(r.Context(), acct, form)
	}
	if e != nil {
		s.refused(r, acct, e)
		writeError(w, e)
		return
	}
	writeJSON(w, http.StatusCreated, rec)
}

// call is .../Calls/{Sid}.json: GET fetches it, POST updates it.
func (s *Server) call(w http.ResponseWriter, r *http.Request, acct *Account) {
	sid, ok := strings.CutSuffix(r.PathValue("sid"), ".json")
	var res *Resource
	if ok {
		res = s.resource(acct.SID, sid)
	}
	if res == nil {
		writeError(w, apiError(http.StatusNotFound, CodeNotFound, "The requested resource %s was not found", r.URL.Path))
		return
	}
	switch r.Method {
	case http.MethodGet:
		writeJSON(w, http.StatusOK, res)
	case http.MethodPost:
		form, e := readForm(w, r)
		if e == nil {
			res, e = s.update(r.Context(), acct, sid, form)
		}
		if e != nil {
			s.refused(r, acct, e)
			writeError(w, e)
			return
		}
		writeJSON(w, http.StatusOK, res)
	default:
		w.Header().Set("Allow", "GET, POST")
		writeError(w, apiError(http.StatusMethodNotAllowed, 20004, "Method not allowed"))
	}
}

// refused logs a request the API refused: one line, with what to fix.
func (s *Server) refused(r *http.Request, acct *Account, e *Error) {
	s.logger().WithFields(logrus.Fields{"remote": r.RemoteAddr, "app": acct.App, "path": r.URL.Path,
		"status": e.Status, "code": e.Code}).Info("twilio api: request refused: " + e.Message)
}

// readForm reads a form-encoded body, bounded.
func readForm(w http.ResponseWriter, r *http.Request) (map[string][]string, *Error) {
	ct := r.Header.Get("Content-Type")
	if ct != "" && !strings.HasPrefix(strings.ToLower(ct), "application/x-www-form-urlencoded") {
		return nil, badParam(CodeInvalidParameter, "Content-Type %q: want application/x-www-form-urlencoded, as Twilio's clients send", ct)
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxBody)
	if err := r.ParseForm(); err != nil {
		return nil, badParam(CodeInvalidParameter, "invalid form body: %v", err)
	}
	return r.PostForm, nil
}

// loggedUser is a basic-auth user name as a failed login's log line
// shows it: an AccountSid (AC and 32 hex digits) as it is, anything else
// only by its length. Clients mix their credentials up, and a user name
// that is no AccountSid may well be an auth token, which the log must
// never hold.
func loggedUser(s string) string {
	if len(s) == 34 && strings.HasPrefix(s, "AC") && strings.Trim(s[2:], "0123456789abcdefABCDEF") == "" {
		return s
	}
	return fmt.Sprintf("(not an AccountSid: %d bytes)", len(s))
}
