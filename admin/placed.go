package admin

import (
	"context"
	"errors"
	"net/http"
	"strconv"

	"github.com/callhook/callhook/outbound"
	"github.com/sirupsen/logrus"
)

// Placer places calls on FreeSWITCH boxes (POST /calls) and shows them;
// *outbound.Manager implements it.
type Placer interface {
	Place(ctx context.Context, req *outbound.Request) (*outbound.Placed, error)
	// Calls are the placed calls that have not reached callhook yet.
	Calls() []outbound.CallInfo
	// Hangup cancels a placed call still ringing; false when id is none.
	Hangup(ctx context.Context, id string) (bool, error)
	BoxInfos() []outbound.BoxInfo
}

var _ Placer = (*outbound.Manager)(nil)

// placeCall is POST /calls. It always needs the token, on loopback too:
// a call costs the operator money, and a request made on a web app's
// behalf must never place one (ServeHTTP also refuses those outright).
func (s *Server) placeCall(w http.ResponseWriter, r *http.Request) {
	if s.Token == "" {
		writeError(w, http.StatusForbidden, "placing calls needs admin_token to be set, also on loopback")
		return
	}
	if s.Outbound == nil {
		writeError(w, http.StatusServiceUnavailable, "placing calls is not enabled: the config has no boxes")
		return
	}
	req, err := outbound.DecodeRequest(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	if err == nil {
		ctx, cancel := context.WithTimeout(r.Context(), s.actionTimeout())
		defer cancel()
		var p *outbound.Placed
		if p, err = s.Outbound.Place(ctx, req); err == nil {
			s.logger().WithFields(logrus.Fields{"call_id": p.ID, "box": p.Box, "app": req.App, "to": req.To, "remote": r.RemoteAddr}).
				Info("admin: call placed")
			writeJSON(w, http.StatusCreated, p)
			return
		}
	}
	var e *outbound.Error
	if !errors.As(err, &e) {
		writeError(w, http.StatusInternalServerError, err.Error())
		return
	}
	if e.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(max(1, int(e.RetryAfter.Seconds()+0.999))))
	}
	if e.Status >= 500 {
		s.logger().WithFields(logrus.Fields{"remote": r.RemoteAddr, "error": e.Msg}).Warn("admin: call not placed")
	}
	writeError(w, e.Status, e.Msg)
}

// listBoxes is GET /boxes.
func (s *Server) listBoxes(w http.ResponseWriter, _ *http.Request) {
	boxes := []outbound.BoxInfo{}
	if s.Outbound != nil {
		boxes = s.Outbound.BoxInfos()
	}
	writeJSON(w, http.StatusOK, map[string]any{"boxes": boxes})
}

// ringing lists the placed calls not answered yet, for GET /calls: nil
// when placing calls is not enabled, [] when none rings.
func (s *Server) ringing() []outbound.CallInfo {
	if s.Outbound == nil {
		return nil
	}
	return s.Outbound.Calls()
}

// cancelPlaced cancels id if it is a placed call still ringing; handled
// says it was.
func (s *Server) cancelPlaced(w http.ResponseWriter, r *http.Request, id string) (handled bool) {
	if s.Outbound == nil {
		return false
	}
	ctx, cancel := context.WithTimeout(r.Context(), s.actionTimeout())
	defer cancel()
	ok, err := s.Outbound.Hangup(ctx, id)
	if !ok {
		return false
	}
	if err != nil {
		var e *outbound.Error
		if errors.As(err, &e) {
			writeError(w, e.Status, e.Msg)
		} else {
			writeError(w, http.StatusInternalServerError, err.Error())
		}
		return true
	}
	s.logger().WithFields(logrus.Fields{"call_id": id, "remote": r.RemoteAddr}).Info("admin: placed call canceled while ringing")
	writeJSON(w, http.StatusOK, map[string]string{"id": id, "hangup": "canceled"})
	return true
}
