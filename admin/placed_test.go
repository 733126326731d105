package admin_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/callhook/callhook/admin"
	"github.com/callhook/callhook/outbound"
)

// fakePlacer records requests and answers with err.
type fakePlacer struct {
	mu       sync.Mutex
	placed   []*outbound.Request
	err      error
	ringing  []outbound.CallInfo
	canceled []string
}

func (f *fakePlacer) Place(_ context.Context, r *outbound.Request) (*outbound.Placed, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return nil, f.err
	}
	f.placed = append(f.placed, r)
	return &outbound.Placed{ID: "c1", Box: "fs1"}, nil
}

func (f *fakePlacer) Calls() []outbound.CallInfo { return f.ringing }

func (f *fakePlacer) Hangup(_ context.Context, id string) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, c := range f.ringing {
		if c.ID == id {
			f.canceled = append(f.canceled, id)
			return true, nil
		}
	}
	return false, nil
}

func (f *fakePlacer) BoxInfos() []outbound.BoxInfo {
	return []outbound.BoxInfo{{Name: "fs1", State: outbound.StateAuthFailed, LastError: "esl: auth: refused"}}
}

const placeBody = `{"to":"user/1000","app":"reminder","status_url":"http://127.0.0.1:8000/status"}`

// TestPlaceNeedsToken checks that POST /calls needs the token even where
// the rest of the API does not (no token set: loopback).
func TestPlaceNeedsToken(t *testing.T) {
	f := &fakePlacer{}
	open := &admin.Server{Proxy: &fakeProxy{}, Outbound: f}
	w := do(t, open, req{method: "POST", path: "/calls", ctype: "application/json", body: placeBody})
	if w.Code != http.StatusForbidden || !strings.Contains(errorOf(t, w), "admin_token") {
		t.Errorf("POST /calls without admin_token = %d %s, want 403 naming admin_token", w.Code, w.Body)
	}
	guarded := &admin.Server{Proxy: &fakeProxy{}, Outbound: f, Token: "tok"}
	if w := do(t, guarded, req{method: "POST", path: "/calls", body: placeBody}); w.Code != http.StatusUnauthorized {
		t.Errorf("POST /calls without the token = %d, want 401", w.Code)
	}
	if len(f.placed) != 0 {
		t.Fatalf("placed %d calls without the token", len(f.placed))
	}
	w = do(t, guarded, req{method: "POST", path: "/calls", body: placeBody, auth: "Bearer tok"})
	var p outbound.Placed
	if w.Code != http.StatusCreated || json.Unmarshal(w.Body.Bytes(), &p) != nil || p.ID != "c1" || p.Box != "fs1" {
		t.Fatalf("POST /calls = %d %s, want 201 {id, box}", w.Code, w.Body)
	}
	if r := f.placed[0]; r.To != "user/1000" || r.App != "reminder" {
		t.Errorf("request = %+v", r)
	}
}

func TestPlaceErrors(t *testing.T) {
	for _, tc := range []struct {
		name, body string
		err        error
		code       int
		retryAfter string
	}{
		{"unknown field", `{"to":"user/1000","app":"a","bogus":1}`, nil, 400, ""},
		{"not json", `to=user/1000`, nil, 400, ""},
		{"two objects", `{"to":"user/1000","app":"a"}{}`, nil, 400, ""},
		// The admin API's 413 for a body over 64 KiB holds for POST /calls too.
		{"over 64 KiB", `{"to":"user/1000","app":"a","from_name":"` + strings.Repeat("a", 64<<10) + `"}`, nil, 413, ""},
		{"refused value", placeBody, &outbound.Error{Status: 400, Msg: "to: bad"}, 400, ""},
		{"no box up", placeBody, &outbound.Error{Status: 503, Msg: "no FreeSWITCH box is up"}, 503, ""},
		{"over max_cps", placeBody, &outbound.Error{Status: 429, Msg: "max_cps", RetryAfter: 300 * time.Millisecond}, 429, "1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := &admin.Server{Proxy: &fakeProxy{}, Outbound: &fakePlacer{err: tc.err}, Token: "tok"}
			w := do(t, s, req{method: "POST", path: "/calls", body: tc.body, auth: "Bearer tok"})
			if w.Code != tc.code {
				t.Fatalf("POST /calls = %d %s, want %d", w.Code, w.Body, tc.code)
			}
			errorOf(t, w)
			if got := w.Header().Get("Retry-After"); got != tc.retryAfter {
				t.Errorf("Retry-After = %q, want %q", got, tc.retryAfter)
			}
		})
	}
}

func TestRingingListedAndCanceled(t *testing.T) {
	f := &fakePlacer{ringing: []outbound.CallInfo{{ID: "r1", App: "reminder", Box: "fs1", To: "user/1000", Direction: "outbound", State: "ringing"}}}
	p := &fakeProxy{}
	s := &admin.Server{Proxy: p, Outbound: f}
	w := do(t, s, req{method: "GET", path: "/calls"})
	var list struct {
		Ringing []outbound.CallInfo `json:"ringing"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &list); err != nil || len(list.Ringing) != 1 || list.Ringing[0].ID != "r1" {
		t.Fatalf("GET /calls = %s, want r1 ringing", w.Body)
	}
	w = do(t, s, req{method: "POST", path: "/calls/r1/hangup"})
	if w.Code != 200 || len(f.canceled) != 1 || len(p.actions()) != 0 {
		t.Errorf("hangup of a ringing call = %d %s, canceled %v, proxy did %v", w.Code, w.Body, f.canceled, p.actions())
	}
	w = do(t, s, req{method: "POST", path: "/calls/other/hangup"})
	if got := p.actions(); len(got) != 1 || got[0] != "hangup other NORMAL_CLEARING" {
		t.Errorf("hangup of an answered call went to %v, want the engine", got)
	}
	w = do(t, s, req{method: "GET", path: "/boxes"})
	if w.Code != 200 || !strings.Contains(w.Body.String(), `"state": "auth_failed"`) {
		t.Errorf("GET /boxes = %d %s", w.Code, w.Body)
	}
	// A box that is down does not take the instance out of a load
	// balancer: /readyz means "accepts calls".
	if w = do(t, s, req{method: "GET", path: "/readyz"}); w.Code != 200 {
		t.Errorf("GET /readyz with the only box down = %d, want 200", w.Code)
	}
}
