package twilioapi

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/sirupsen/logrus"
)

// A StatusCallback may carry basic-auth credentials in its URL, as
// Twilio's do (https://www.twilio.com/docs/usage/security#http-authentication):
// they go to the server, never into callhook's log, whether the callback
// is delivered or refused.
func TestCallbackCredentialsNotLogged(t *testing.T) {
	for _, status := range []int{http.StatusNoContent, http.StatusInternalServerError} {
		creds := make(chan string, 1)
		web := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			u, p, _ := r.BasicAuth()
			creds <- u + ":" + p
			w.WriteHeader(status)
		}))
		var out bytes.Buffer
		log := logrus.New()
		log.Out, log.Level = &out, logrus.DebugLevel
		s := &Server{Log: log}
		for _, get := range []bool{false, true} {
			rec := &record{id: "0123", token: "tok", cbGET: get,
				cbURL: strings.Replace(web.URL, "http://", "http://alice:s3cretpw@", 1) + "/status?k=v"}
			s.callback(t.Context(), rec, map[string]string{"CallStatus": "completed"})
			if got := <-creds; got != "alice:s3cretpw" {
				t.Errorf("status %d get %v: the server got credentials %q, want alice:s3cretpw", status, get, got)
			}
		}
		web.Close()
		if !strings.Contains(out.String(), "status callback") {
			t.Errorf("status %d: no log line of the callback: %q", status, out.String())
		}
		if strings.Contains(out.String(), "s3cretpw") {
			t.Errorf("status %d: the log holds the callback URL's password: %q", status, out.String())
		}
	}
}
