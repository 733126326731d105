package admin

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/callhook/callhook/esl"
	"github.com/callhook/callhook/outbound"
	"github.com/callhook/callhook/proxy"
	"github.com/callhook/callhook/verb"
	"github.com/sirupsen/logrus"
)

// callList is GET /calls's body.
type callList struct {
	Calls []proxy.CallInfo `json:"calls"`
	// Active counts the calls held against limits.max_calls, which
	// includes a call being set up or finishing that is not listed.
	Active   int  `json:"active"`
	Draining bool `json:"draining"`
	// Ringing are the calls placed with POST /calls that have not reached
	// callhook yet (ringing, or answered and connecting); once they do,
	// they are in Calls. Absent when placing calls is not enabled.
	Ringing []outbound.CallInfo `json:"ringing,omitempty"`
}

func (s *Server) listCalls(w http.ResponseWriter, _ *http.Request) {
	calls := s.Proxy.Calls()
	if calls == nil {
		calls = []proxy.CallInfo{} // [] rather than null for clients
	}
	writeJSON(w, http.StatusOK, callList{Calls: calls, Active: s.Proxy.Active(), Draining: s.Proxy.Draining(), Ringing: s.ringing()})
}

func (s *Server) getCall(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	c, ok := s.Proxy.Call(id)
	if !ok {
		writeError(w, http.StatusNotFound, "no such call: "+shortID(id))
		return
	}
	writeJSON(w, http.StatusOK, c)
}

func (s *Server) hangup(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	cause, err := param(w, r, "cause")
	if err == nil {
		cause, err = checkCause(cause)
	}
	if err != nil {
		s.fail(w, id, err)
		return
	}
	if s.cancelPlaced(w, r, id) {
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), s.actionTimeout())
	defer cancel()
	if err := s.Proxy.Hangup(ctx, id, cause); err != nil {
		s.fail(w, id, err)
		return
	}
	s.logger().WithFields(logrus.Fields{"call_id": id, "cause": cause, "remote": r.RemoteAddr}).Info("admin: call hung up")
	writeJSON(w, http.StatusOK, map[string]string{"id": id, "hangup": cause})
}

func (s *Server) redirect(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	target, err := param(w, r, "url")
	if err == nil {
		err = checkURL(target)
	}
	if err != nil {
		s.fail(w, id, err)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), s.actionTimeout())
	defer cancel()
	if err := s.Proxy.Redirect(ctx, id, target); err != nil {
		s.fail(w, id, err)
		return
	}
	s.logger().WithFields(logrus.Fields{"call_id": id, "url": target, "remote": r.RemoteAddr}).Info("admin: call redirected")
	writeJSON(w, http.StatusOK, map[string]string{"id": id, "redirect": target})
}

// fail answers an action's error with the status that says whose it is.
func (s *Server) fail(w http.ResponseWriter, id string, err error) {
	var bad *badRequest
	var re *esl.ReplyError
	switch {
	case errors.As(err, &bad):
		writeError(w, bad.status, bad.msg)
	case errors.Is(err, proxy.ErrNoSuchCall):
		writeError(w, http.StatusNotFound, "no such call: "+shortID(id))
	case errors.Is(err, proxy.ErrNotRedirectable):
		writeError(w, http.StatusConflict, "this call's app takes no redirects (a Liverpie app drives it)")
	case errors.Is(err, proxy.ErrBadCallID):
		writeError(w, http.StatusConflict, "this call's Unique-ID is not fit for an api command; control it from FreeSWITCH")
	case errors.Is(err, esl.ErrClosed), errors.Is(err, esl.ErrDisconnected):
		// The call ended between the lookup and the command.
		writeError(w, http.StatusNotFound, "call ended: "+shortID(id))
	case errors.As(err, &re):
		writeError(w, http.StatusBadGateway, "freeswitch refused: "+re.Text)
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, esl.ErrNoReply):
		writeError(w, http.StatusGatewayTimeout, "freeswitch did not answer in time")
	default:
		s.logger().WithError(err).WithField("call_id", shortID(id)).Warn("admin: action failed")
		writeError(w, http.StatusInternalServerError, err.Error())
	}
}

// checkCause returns a hangup cause in FreeSWITCH's spelling: a cause name
// it knows (upper-cased) or a Q.850 code, 1 to 127; "" is NORMAL_CLEARING.
// It goes on an api command line, and only known names pass.
func checkCause(c string) (string, error) {
	if c == "" {
		return "NORMAL_CLEARING", nil
	}
	if n, err := strconv.Atoi(c); err == nil {
		if n < 1 || n > 127 || strconv.Itoa(n) != c {
			return "", badRequestf("cause %q: a Q.850 code is 1 to 127", c)
		}
		return c, nil
	}
	c = strings.ToUpper(c)
	if !verb.ValidCause(c) {
		// FreeSWITCH would hang up with NORMAL_CLEARING instead, silently.
		return "", badRequestf("cause %q: not a FreeSWITCH hangup cause (such as NORMAL_CLEARING or CALL_REJECTED)", shortCause(c))
	}
	return c, nil
}

// maxEchoBytes bounds what of a client's own text an answer repeats: a
// 404 echoed a 60 KB id back whole.
const maxEchoBytes = 64

// shortID is a call id as an answer or a log line repeats it: a FreeSWITCH
// Unique-ID is 36 bytes, and an id the client made up is cut at
// maxEchoBytes (on a rune boundary).
func shortID(id string) string {
	if len(id) <= maxEchoBytes {
		return id
	}
	cut := maxEchoBytes
	for cut > 0 && !utf8.RuneStart(id[cut]) {
		cut--
	}
	return id[:cut] + "…"
}

// shortCause keeps an error message short whatever the client sent.
func shortCause(c string) string {
	if len(c) > 64 {
		return c[:64] + "…"
	}
	return c
}

// maxURLBytes bounds a redirect URL, like the URLs web apps may send.
const maxURLBytes = 4096

// checkURL accepts an absolute http or https URL with a host.
func checkURL(raw string) error {
	if raw == "" {
		return badRequestf("url is required")
	}
	if len(raw) > maxURLBytes {
		return badRequestf("url: over %d bytes", maxURLBytes)
	}
	u, err := url.Parse(raw)
	if err != nil {
		return badRequestf("url: %v", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return badRequestf("url %q: want an absolute http or https URL", raw)
	}
	return nil
}
