package liverpie_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/callhook/callhook/esl/esltest"
	"github.com/callhook/callhook/internal/calltest"
	"github.com/callhook/callhook/liverpie"
	"github.com/callhook/callhook/proxy"
)

// lpRequest is what the Liverpie-style test app received.
type lpRequest struct {
	Line   string // request line: "POST /ivr/state_machine HTTP/1.1"
	Path   string
	Host   string
	Header http.Header
	Body   string
	Form   url.Values
	Step   int // the state read from the cookie session; -1 without one
}

// lpWebapp is a Liverpie web app as a Rails app with the cookie session
// store keeps it: reset starts a session (a session id cookie and the
// state machine's step in a signed cookie), each state-machine request
// reads the step from the cookie, answers and sets the next step. DTMF and
// hangup requests only record. Handlers run the test's answers.
type lpWebapp struct {
	*httptest.Server
	key []byte

	mu       sync.Mutex
	reqs     []lpRequest
	sessions int

	got   chan lpRequest
	step  func(step int, r lpRequest) (status int, reply string)
	dtmf  func(r lpRequest) string
	block chan struct{} // closed to let blocked handlers go
}

func newLPWebapp(t *testing.T, step func(int, lpRequest) (int, string), dtmf func(lpRequest) string) *lpWebapp {
	t.Helper()
	return startLPWebapp(t, &lpWebapp{step: step, dtmf: dtmf})
}

// newSlowLPWebapp's state machine never answers: it blocks until the
// request is cancelled.
func newSlowLPWebapp(t *testing.T) *lpWebapp {
	t.Helper()
	return startLPWebapp(t, &lpWebapp{block: make(chan struct{})})
}

func startLPWebapp(t *testing.T, w *lpWebapp) *lpWebapp {
	w.key = []byte("test secret")
	w.got = make(chan lpRequest, 100)
	w.Server = httptest.NewServer(http.HandlerFunc(w.serve))
	t.Cleanup(w.Close)
	return w
}

// sign is Rails' "data--digest" cookie value.
func (w *lpWebapp) sign(step int) string {
	m := hmac.New(sha256.New, w.key)
	fmt.Fprint(m, step)
	return strconv.Itoa(step) + "--" + hex.EncodeToString(m.Sum(nil))
}

// stepOf verifies the state cookie and returns its step, -1 when missing
// or forged.
func (w *lpWebapp) stepOf(r *http.Request) int {
	c, err := r.Cookie("ivr_state")
	if err != nil {
		return -1
	}
	data, _, _ := strings.Cut(c.Value, "--")
	n, err := strconv.Atoi(data)
	if err != nil || w.sign(n) != c.Value {
		return -1
	}
	return n
}

func (w *lpWebapp) serve(rw http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	req := lpRequest{
		Line: r.Method + " " + r.RequestURI + " " + r.Proto, Path: r.URL.Path, Host: r.Host,
		Header: r.Header.Clone(), Body: string(body), Step: w.stepOf(r),
	}
	req.Form, _ = url.ParseQuery(req.Body)
	w.mu.Lock()
	w.reqs = append(w.reqs, req)
	w.mu.Unlock()
	if w.block != nil && r.URL.Path == "/ivr/state_machine" {
		// Told at once: this request only ends when it is cancelled.
		w.got <- req
		select {
		case <-r.Context().Done():
		case <-w.block:
		}
		return
	}
	// Told once answered, so a test that waits for a request knows the
	// app's reply is on its way.
	defer func() { w.got <- req }()

	switch r.URL.Path {
	case "/ivr/reset":
		w.mu.Lock()
		w.sessions++
		sid := fmt.Sprintf("sid-%d", w.sessions)
		w.mu.Unlock()
		http.SetCookie(rw, &http.Cookie{Name: "_ivr_session", Value: sid, Path: "/", HttpOnly: true})
		http.SetCookie(rw, &http.Cookie{Name: "ivr_state", Value: w.sign(0), Path: "/"})
		io.WriteString(rw, "reset\n")
	case "/ivr/state_machine":
		status, reply := w.step(req.Step, req)
		if req.Step >= 0 {
			http.SetCookie(rw, &http.Cookie{Name: "ivr_state", Value: w.sign(req.Step + 1), Path: "/"})
		}
		rw.Header().Set("Content-Type", "text/yaml")
		rw.WriteHeader(status)
		io.WriteString(rw, reply)
	case "/ivr/dtmf":
		if w.dtmf != nil {
			io.WriteString(rw, w.dtmf(req))
		}
	case "/ivr/hangup":
	default:
		http.NotFound(rw, r)
	}
}

func (w *lpWebapp) requests() []lpRequest {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]lpRequest(nil), w.reqs...)
}

// next waits for the app's next request.
func (w *lpWebapp) next(t *testing.T) lpRequest {
	t.Helper()
	select {
	case r := <-w.got:
		return r
	case <-time.After(20 * time.Second):
		t.Fatalf("no further request; got %v", lpLines(w.requests()))
	}
	return lpRequest{}
}

func lpLines(rs []lpRequest) []string {
	var out []string
	for _, r := range rs {
		out = append(out, r.Line)
	}
	return out
}

// lpApp is the proxy's Liverpie app for w.
func lpApp(t *testing.T, w *lpWebapp) *liverpie.App {
	t.Helper()
	u, err := url.Parse(w.URL)
	if err != nil {
		t.Fatal(err)
	}
	host, port, err := net.SplitHostPort(u.Host)
	if err != nil {
		t.Fatal(err)
	}
	p, err := strconv.Atoi(port)
	if err != nil {
		t.Fatal(err)
	}
	return &liverpie.App{
		Name: "ivr", IP: host, Port: p,
		StateMachineURI: "/ivr/state_machine", ResetURI: "/ivr/reset", DTMFURI: "/ivr/dtmf", HangupURI: "/ivr/hangup",
		Timeout: 10 * time.Second,
	}
}

// lpHarness is the engine (calltest) serving Liverpie apps, with calls
// placed by Liverpie app name.
type lpHarness struct {
	*calltest.Engine
	t *testing.T
}

func startLiverpie(t *testing.T, obs proxy.Observer, apps ...*liverpie.App) *lpHarness {
	t.Helper()
	rt := &proxy.Runtime{Apps: map[string]*proxy.App{}}
	for _, a := range apps {
		rt.Apps[a.Name] = &proxy.App{Name: a.Name, Backend: a}
	}
	return &lpHarness{calltest.Start(t, rt, calltest.Options{Observer: obs}), t}
}

// dial places a simulated call for the Liverpie app named app.
func (h *lpHarness) dial(app string) *esltest.Call {
	h.t.Helper()
	return h.Dial(esltest.Options{Vars: map[string]string{"liverpie_webapp_id": app}})
}

// result waits for the call's end.
func (h *lpHarness) result(c *esltest.Call) *esltest.Result {
	h.t.Helper()
	return calltest.Wait(h.t, c)
}
