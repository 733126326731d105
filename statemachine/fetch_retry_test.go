package statemachine

import (
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/callhook/callhook/internal/calltest"
)

// fetchAttempt is one request a fetch test server got.
type fetchAttempt struct {
	seq, callID, body string
}

// retryServer answers each request with the next of statuses (200 with
// `{}` past their end), recording every attempt.
type retryServer struct {
	*httptest.Server
	mu       sync.Mutex
	statuses []int
	got      []fetchAttempt
}

func newRetryServer(t *testing.T, statuses ...int) *retryServer {
	t.Helper()
	rs := &retryServer{statuses: statuses}
	rs.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		rs.mu.Lock()
		n := len(rs.got)
		rs.got = append(rs.got, fetchAttempt{seq: r.Header.Get("X-Callhook-Seq"), callID: r.Header.Get("X-Callhook-Call-Id"), body: string(b)})
		status := http.StatusOK
		if n < len(rs.statuses) {
			status = rs.statuses[n]
		}
		rs.mu.Unlock()
		if status != http.StatusOK {
			w.Header().Set("Retry-After", "0")
			http.Error(w, "try again", status)
			return
		}
		io.WriteString(w, `{}`)
	}))
	t.Cleanup(rs.Close)
	return rs
}

func (rs *retryServer) attempts() []fetchAttempt {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	return append([]fetchAttempt(nil), rs.got...)
}

// retryFlow POSTs twice in a row, then plays; retries is the fetches' own
// retries key ("" for the default).
func retryFlow(url, retries string) string {
	return `
start: first
states:
  first:
    fetch: {url: "` + url + `/first", method: POST` + retries + `}
    on: {ok: second, error: failed}
  second:
    fetch: {url: "` + url + `/second", method: POST` + retries + `}
    on: {ok: done, error: failed}
  done:
    verbs: [play: ok.wav]
    hangup: true
  failed:
    verbs: [play: failed.wav]
    hangup: true
`
}

// TestBackendFetchRetries: a fetch's retries are its own, explicit ones:
// reported in RequestInfo.Attempts (so callhook_webhook_retries_total
// counts them), every attempt with the same X-Callhook-Seq and body so the
// server can tell a retry from a new fetch, and a flow's fetches numbered
// 1, 2, ... (issue 12, item 10: a retrying client re-POSTed silently while
// Attempts said 1, with no X-Callhook-Seq).
func TestBackendFetchRetries(t *testing.T) {
	tests := []struct {
		name     string
		retries  string // the fetches' retries key
		statuses []int  // the server's answers, in order (then 200)
		want     string // Begin's verbs
		attempts []int  // RequestInfo.Attempts of the two fetches
		seqs     string // X-Callhook-Seq of every request, in order
	}{
		{"5xx then ok", "", []int{503}, "play,hangup", []int{2, 1}, "1 1 2"},
		{"429 then ok, 500 then ok", ", retries: 2", []int{429, 200, 500}, "play,hangup", []int{2, 2}, "1 1 2 2"},
		{"5xx beyond the retries", ", retries: 1", []int{500, 502}, "play,hangup", []int{2}, "1 1"},
		{"no retries", ", retries: 0", []int{500}, "play,hangup", []int{1}, "1"},
		{"4xx is not retried", "", []int{404}, "play,hangup", []int{1}, "1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := newRetryServer(t, tc.statuses...)
			f := mustParse(t, retryFlow(srv.URL, tc.retries))
			obs := &calltest.Requests{}
			d := calltest.StartDialog(t, &Backend{Flow: f, HTTPClient: srv.Client()}, testCall(obs))
			in, err := d.Begin(t.Context())
			if err != nil {
				t.Fatalf("Begin = %v", err)
			}
			if got := names(in.Verbs); got != tc.want {
				t.Errorf("Begin = %q, want %q", got, tc.want)
			}
			var attempts []int
			for _, info := range obs.All() {
				attempts = append(attempts, info.Attempts)
			}
			if !slices.Equal(attempts, tc.attempts) {
				t.Errorf("RequestInfo.Attempts = %v, want %v", attempts, tc.attempts)
			}
			got := srv.attempts()
			var seqs []string
			for i, a := range got {
				seqs = append(seqs, a.seq)
				if a.callID != "uuid-1" {
					t.Errorf("request %d X-Callhook-Call-Id = %q, want uuid-1", i+1, a.callID)
				}
				if i > 0 && a.seq == got[i-1].seq && a.body != got[i-1].body {
					t.Errorf("request %d (a retry) body = %s, want the same as the attempt before: %s", i+1, a.body, got[i-1].body)
				}
			}
			if s := strings.Join(seqs, " "); s != tc.seqs {
				t.Errorf("X-Callhook-Seq of the requests = %q, want %q", s, tc.seqs)
			}
		})
	}
}

// TestParseFetchRetries: retries is 0..5.
func TestParseFetchRetries(t *testing.T) {
	for _, bad := range []string{"-1", "6", "many"} {
		_, err := Parse("f.yaml", []byte(retryFlow("http://127.0.0.1", ", retries: "+bad)))
		if err == nil || !strings.Contains(err.Error(), "retries must be a whole number from 0 to 5, not \""+bad+"\"") {
			t.Errorf("Parse with retries: %s = %v, want a retries error", bad, err)
		}
	}
}
