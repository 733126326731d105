package webhook

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/callhook/callhook/apphttp"
	"github.com/callhook/callhook/proxy"
	"github.com/callhook/callhook/verb"
	"github.com/sirupsen/logrus"
)

// BenchmarkWebhookCall measures a webhook call's requests as loadgen's
// menu makes them: the dialog's start, call.start to the app's URL
// answered with a session and three verbs in JSON, then verb.result to
// the gather's action answered with two. The web app is an httptest
// server in this process, so its allocations count too; they are the
// same before and after a change of the dialog's.
func BenchmarkWebhookCall(b *testing.B) {
	start := []byte(`{"session": {"step": 1}, "verbs": [
  "answer",
  {"play": "ivr/welcome.wav"},
  {"gather": {"play": "ivr/menu.wav", "max": 1, "timeout": "3s", "action": "/menu"}}
]}
`)
	menu := []byte(`[{"play": "ivr/option-1.wav"}, {"hangup": "NORMAL_CLEARING"}]` + "\n")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Path == "/ivr" {
			w.Write(start)
			return
		}
		w.Write(menu)
	}))
	defer srv.Close()
	for _, bc := range []struct {
		name   string
		secret string
	}{{"unsigned", ""}, {"signed", "s3cret"}} {
		b.Run(bc.name, func(b *testing.B) {
			client := apphttp.NewClient(nil)
			defer client.CloseIdleConnections()
			app := &App{Name: "menu", URL: srv.URL + "/ivr", Secret: bc.secret, Client: client}
			call := testCall("call-1", proxy.NopObserver{})
			call.Log.(*logrus.Entry).Logger.Level = logrus.InfoLevel
			r := &verb.Result{Verb: "gather", Reason: verb.ReasonOK, Digits: "1"}
			b.ReportAllocs()
			for b.Loop() {
				d, err := app.Start(b.Context(), call)
				if err != nil {
					b.Fatal(err)
				}
				vd := d.(proxy.VerbDialog)
				ins, err := vd.Begin(b.Context())
				if err != nil || ins.Failure != nil || len(ins.Verbs) != 3 {
					b.Fatalf("Begin() = %+v, %v", ins, err)
				}
				ins, err = vd.Result(b.Context(), ins.Verbs[2], r)
				if err != nil || ins.Failure != nil || len(ins.Verbs) != 2 {
					b.Fatalf("Result() = %+v, %v", ins, err)
				}
			}
		})
	}
}
