package liverpie

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/callhook/callhook/apphttp"
	"github.com/callhook/callhook/internal/testlog"
	"github.com/callhook/callhook/proxy"
)

// lpInfoRecorder keeps the last request report.
type lpInfoRecorder struct {
	proxy.NopObserver
	info *proxy.RequestInfo
}

func (r *lpInfoRecorder) Request(_ *proxy.Call, info *proxy.RequestInfo) { r.info = info }

// lpDialogFor starts a dialog of an app at srvURL, reporting to rec.
func lpDialogFor(t *testing.T, srvURL string, rec proxy.Observer, timeout time.Duration, maxReply int) *dialog {
	t.Helper()
	u, err := url.Parse(srvURL)
	if err != nil {
		t.Fatal(err)
	}
	host, portText, err := net.SplitHostPort(u.Host)
	if err != nil {
		t.Fatal(err)
	}
	port, err := strconv.Atoi(portText)
	if err != nil {
		t.Fatal(err)
	}
	log := testlog.New()
	app := &App{Name: "ivr", IP: host, Port: port, StateMachineURI: "/sm", ResetURI: "/reset",
		Timeout: timeout, MaxReplyBytes: maxReply}
	d, err := app.start(&proxy.Call{ID: "c1", Log: log, Observer: rec})
	if err != nil {
		t.Fatalf("start: %v", err)
	}
	return d
}

// TestLiverpieRequestErrors: a failed request is reported to observers,
// and returned, as an *apphttp.RequestError classed as every app's
// request is; a request the call gave up on, and an error status (which
// the dialog judges, not the request), are not.
func TestLiverpieRequestErrors(t *testing.T) {
	answer := func(status int, body string) http.HandlerFunc {
		return func(w http.ResponseWriter, _ *http.Request) {
			w.WriteHeader(status)
			_, _ = w.Write([]byte(body))
		}
	}
	closed := httptest.NewServer(http.NotFoundHandler())
	closedURL := closed.URL
	closed.Close()
	tests := []struct {
		name       string
		handler    http.Handler // nil: nothing listens, unless block
		block      bool         // the app never answers
		cancelled  bool         // the call's context is cancelled first
		wantCode   string       // "" for no RequestError
		wantStatus int
		wantErr    bool
	}{
		{"ok", answer(200, "ok"), false, false, "", 200, false},
		{"error status", answer(500, "oops"), false, false, "", 500, false},
		{"unreachable", nil, false, false, apphttp.CodeConnect, 0, true},
		{"timeout", nil, true, false, apphttp.CodeTimeout, 0, true},
		{"reply too big", answer(200, "0123456789"), false, false, apphttp.CodeInvalidReply, 200, true},
		{"error status, reply too big", answer(503, "0123456789"), false, false, "http_503", 503, true},
		{"call gone", nil, true, true, "", 0, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			target := closedURL
			if tc.handler != nil || tc.block {
				h := tc.handler
				release := make(chan struct{}) // lets a blocked handler go, so the server can close
				if tc.block {
					h = http.HandlerFunc(func(http.ResponseWriter, *http.Request) { <-release })
				}
				srv := httptest.NewServer(h)
				target = srv.URL
				defer func() {
					close(release)
					srv.Close()
				}()
			}
			rec := &lpInfoRecorder{}
			// Only the blocked handler needs the timeout to end its
			// request; the others get one no loaded machine reaches,
			// so a slow retry is not taken for a timeout.
			timeout := 10 * time.Second
			if tc.block {
				timeout = 100 * time.Millisecond
			}
			d := lpDialogFor(t, target, rec, timeout, 4)
			ctx := t.Context()
			if tc.cancelled {
				c, cancel := context.WithCancel(ctx)
				cancel()
				ctx = c
			}
			_, err := d.do(ctx, eventStateMachine, http.MethodPost, "/sm", "a=1")
			if (err != nil) != tc.wantErr {
				t.Fatalf("do() error = %v, want error %v", err, tc.wantErr)
			}
			info := rec.info
			if info == nil {
				t.Fatal("no request reported")
			}
			if info.Status != tc.wantStatus {
				t.Errorf("RequestInfo.Status = %d, want %d", info.Status, tc.wantStatus)
			}
			be, isBE := errors.AsType[*apphttp.RequestError](info.Err)
			switch {
			case tc.wantCode == "" && isBE:
				t.Errorf("RequestInfo.Err = %v (code %s), want no RequestError", info.Err, be.Code)
			case tc.wantCode != "" && !isBE:
				t.Errorf("RequestInfo.Err = %v, want a RequestError with code %s", info.Err, tc.wantCode)
			case isBE && (be.Code != tc.wantCode || be.Status != tc.wantStatus || be.URL != target+"/sm"):
				t.Errorf("RequestError = {%s %s %d}, want {%s %s %d}", be.URL, be.Code, be.Status, target+"/sm", tc.wantCode, tc.wantStatus)
			}
			if (info.Err == nil) != (err == nil) || err != nil && info.Err.Error() != err.Error() {
				t.Errorf("RequestInfo.Err = %v, want the request's error %v", info.Err, err)
			}
			if tc.cancelled && !errors.Is(info.Err, context.Canceled) {
				t.Errorf("RequestInfo.Err = %v, want context.Canceled", info.Err)
			}
		})
	}
}
