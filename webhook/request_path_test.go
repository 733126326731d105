package webhook

import (
	"bufio"
	"errors"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/callhook/callhook/apphttp"
	"github.com/callhook/callhook/internal/calltest"
	"github.com/callhook/callhook/proxy"
)

// TestSetHeadersAsSet: the headers an attempt gets are those h.Set
// would make, keys canonical, signed or not.
func TestSetHeadersAsSet(t *testing.T) {
	body := []byte(`{"seq":12}`)
	for _, secret := range []string{"", "s3cret"} {
		app := &App{Name: "support", Secret: secret}
		d := &dialog{app: app, call: &proxy.Call{ID: "call-1", UserAgent: "callhook/v1"}, fixed: []string{"callhook/v1", "call-1"}}
		for _, ctype := range [][]string{jsonTypeValues, formTypeValues} {
			got := http.Header{}
			d.setHeaders(got, body, ctype, 12)
			want := http.Header{}
			want.Set("Content-Type", ctype[0])
			want.Set("Accept", "application/yaml, application/json;q=0.9, text/yaml;q=0.9, */*;q=0.1")
			want.Set("User-Agent", "callhook/v1")
			want.Set(apphttp.CallIDHeader, "call-1")
			want.Set("X-Callhook-Seq", strconv.Itoa(12))
			if secret != "" {
				// The clock moves on between the two: compare the
				// signature's form, then take it as given.
				sig := got.Get("X-Callhook-Signature")
				if !strings.HasPrefix(sig, "t=") || !strings.Contains(sig, ",v1=") {
					t.Errorf("X-Callhook-Signature = %q, want t=…,v1=…", sig)
				}
				want.Set("X-Callhook-Signature", sig)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("secret %q, %s: setHeaders made %v, want %v", secret, ctype[0], got, want)
			}
		}
	}
}

// TestWebhookAppURLResolved: requests to the app's own URL go where they
// went when each was resolved on its own (dot segments removed), on
// every call of the app, and a URL changed between calls is taken anew.
func TestWebhookAppURLResolved(t *testing.T) {
	srv := newTestApp(t, replyWith("[answer]"))
	reqs := &calltest.Requests{}
	app := &App{Name: "support", URL: srv.URL + "/a/../ivr", Client: testClient(t), Retry: testRetry}
	for i := range 2 {
		d := calltest.StartDialog(t, app, testCall("call-"+strconv.Itoa(i), reqs))
		if _, err := d.Begin(t.Context()); err != nil {
			t.Fatalf("Begin() = %v", err)
		}
	}
	app.URL = srv.URL + "/other"
	d := calltest.StartDialog(t, app, testCall("call-3", reqs))
	if _, err := d.Begin(t.Context()); err != nil {
		t.Fatalf("Begin() = %v", err)
	}
	var paths []string
	for _, r := range srv.requests() {
		paths = append(paths, r.Path)
	}
	if want := []string{"/ivr", "/ivr", "/other"}; !reflect.DeepEqual(paths, want) {
		t.Errorf("the app got requests for %q, want %q", paths, want)
	}
	for _, r := range reqs.All() {
		if want := srv.URL + "/"; !strings.HasPrefix(r.URL, want) || strings.Contains(r.URL, "..") {
			t.Errorf("observed request URL %q, want it resolved", r.URL)
		}
	}
}

// TestWebhookShortReply: a reply that ends before its Content-Length
// fails the request as a broken read, with the status that came.
func TestWebhookShortReply(t *testing.T) {
	srv := newTestApp(t, func(w http.ResponseWriter, r *http.Request, _ int) {
		conn, buf, err := http.NewResponseController(w).Hijack()
		if err != nil {
			t.Errorf("hijack: %v", err)
			return
		}
		defer conn.Close()
		writeRaw(t, buf, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n[\"answer\"]")
	})
	app := &App{Name: "support", URL: srv.URL, Client: testClient(t), Retry: testRetry}
	d := calltest.StartDialog(t, app, testCall("call-1", &calltest.Requests{}))
	_, err := d.Begin(t.Context())
	be, ok := errors.AsType[*apphttp.RequestError](err)
	if !ok || be.Status != 200 || !strings.Contains(err.Error(), "read reply: unexpected EOF") {
		t.Errorf("Begin() = %v, want a request error with status 200 and the read's unexpected EOF", err)
	}
}

func writeRaw(t *testing.T, w *bufio.ReadWriter, s string) {
	t.Helper()
	if _, err := w.WriteString(s); err != nil {
		t.Error(err)
	}
	if err := w.Flush(); err != nil {
		t.Error(err)
	}
}
