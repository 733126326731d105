package twiml

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/callhook/callhook/esl/esltest"
)

// https://www.twilio.com/docs/voice/twiml/your-response — Twilio reads a
// reply by its MIME type: text/plain "reads the content of the text out
// loud to the caller, and then hangs up"; XML (text/xml, application/xml,
// text/html) is TwiML. A text/plain reply was parsed as XML and sent to
// the fallback as malformed. An audio reply, which Twilio plays, is
// unsupported (callhook plays URLs, not bodies): the fallback hears so
// with 12200, not "not well-formed XML".
func TestReplyByMIMEType(t *testing.T) {
	sw := esltest.NewSwitch()
	sw.LoadModule("mod_flite")
	var mu sync.Mutex
	var told []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/text":
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			fmt.Fprint(w, "  Our office is closed.\nPlease call again tomorrow!  ")
		case "/html":
			w.Header().Set("Content-Type", "text/html")
			fmt.Fprint(w, `<Response><Play>/a.wav</Play></Response>`)
		case "/audio":
			w.Header().Set("Content-Type", "audio/mpeg")
			w.Write([]byte{0xff, 0xfb, 0x90, 0x00})
		case "/fallback":
			r.ParseForm()
			mu.Lock()
			told = append(told, r.PostForm.Get("ErrorCode")+" "+r.PostForm.Get("ErrorMessage"))
			mu.Unlock()
			fmt.Fprint(w, `<Response><Hangup/></Response>`)
		}
	}))
	t.Cleanup(srv.Close)
	for _, tc := range []struct{ path, want string }{
		{"/text", "answer\nspeak flite|kal|Our office is closed. Please call again tomorrow!"},
		{"/html", "answer\nplayback " + srv.URL + "/a.wav"},
		{"/audio", "answer"}, // the fallback's Hangup
	} {
		e := engineAt(t, srv, tc.path, func(app *App) { app.FallbackURL = srv.URL + "/fallback" })
		c, _ := e.Call(esltest.Options{Switch: sw})
		if got := join(ran(c)); got != tc.want {
			t.Errorf("%s: apps\n%s\nwant\n%s", tc.path, got, tc.want)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if len(told) != 1 || !strings.HasPrefix(told[0], "12200 ") || !strings.Contains(told[0], "audio/mpeg") {
		t.Errorf("the fallback was told %q, want once 12200 naming audio/mpeg", told)
	}
}
