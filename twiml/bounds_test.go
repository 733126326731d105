package twiml

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/callhook/callhook/esl/esltest"
)

// TestGatherLoopedPromptsBounded: a Gather's nouns, each looped up to
// 1000 times, once became one prompt list item per repetition before the
// list's 64-item limit was checked: a 60 KB document of 490 looped Says
// made half a million items (9 GB of allocations, 37 s). The limit is
// now checked as the list grows, at the noun that passes it.
func TestGatherLoopedPromptsBounded(t *testing.T) {
	var b strings.Builder
	b.WriteString("<Response>\n<Gather>\n")
	for range 40 {
		b.WriteString(`<Say loop="999">` + strings.Repeat("a", 100) + "</Say>\n")
	}
	b.WriteString("</Gather>\n</Response>")
	doc, err := Parse([]byte(b.String()), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	base, _ := url.Parse("https://app.example.com/voice")
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err = Plan(doc, PlanOptions{URL: base})
	runtime.ReadMemStats(&after)
	var un *Unsupported
	if !errors.As(err, &un) || un.Line != 3 || !strings.Contains(err.Error(), "64") {
		t.Errorf("Plan = %v, want Unsupported at line 3 (the first Say) naming the 64-prompt limit", err)
	}
	// 40 Says of 999 repetitions built in full are some 150 MB; refused
	// at the first they are a few kilobytes.
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 8<<20 {
		t.Errorf("Plan allocated %d bytes for a refused document", alloc)
	}
}

// TestGatherLoopZeroFillsTheList: Twilio repeats a Gather's loop="0"
// noun until a key is pressed, so nothing after it plays; callhook plays
// it as many times as the prompt list holds.
func TestGatherLoopZeroFillsTheList(t *testing.T) {
	doc, err := Parse([]byte(`<Response><Gather><Play>/a.wav</Play><Play loop="0">/b.wav</Play><Play>/c.wav</Play></Gather></Response>`), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	base, _ := url.Parse("https://app.example.com/voice")
	steps, err := Plan(doc, PlanOptions{URL: base})
	if err != nil {
		t.Fatal(err)
	}
	got := fmt.Sprint(steps[len(steps)-1].Verb.Spec.Args())
	if n := strings.Count(got, "/b.wav"); n != 63 || strings.Count(got, "/a.wav") != 1 || strings.Contains(got, "/c.wav") {
		t.Errorf("gather list %s: want a.wav once and b.wav 63 times", got)
	}
}

// TestFallbackDocumentFailingEndsTheCall: a verb of the fallback's own
// document that fails (here a Say on a switch without its TTS engine)
// ends the call by the app's failure path; it once went to the fallback
// again, whose document failed the same way: 100,000 requests in 20 s,
// with no verb ever run and the call never ending. Twilio too asks the
// fallback once for a failure. (The fallback here gives up on its sixth
// request, so that the code before the fix ended the call at all.)
func TestFallbackDocumentFailingEndsTheCall(t *testing.T) {
	var mu sync.Mutex
	fallbacks := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		doc := `<Response><Say>Hello</Say></Response>`
		if r.URL.Path == "/fallback" {
			mu.Lock()
			fallbacks++
			if fallbacks > 5 {
				doc = `<Response><Hangup/></Response>`
			}
			mu.Unlock()
		}
		w.Write([]byte(doc))
	}))
	t.Cleanup(srv.Close)
	e := engineAt(t, srv, "/voice", func(app *App) { app.FallbackURL = srv.URL + "/fallback" })
	c, res := e.Call(esltest.Options{})
	mu.Lock()
	defer mu.Unlock()
	if fallbacks != 1 {
		t.Errorf("the fallback was asked %d times, want once", fallbacks)
	}
	if got := join(ran(c)); got != "answer" || res.Cause != "NORMAL_TEMPORARY_FAILURE" {
		t.Errorf("apps %q, call ended %v: want the app's failure path (NORMAL_TEMPORARY_FAILURE)", got, res)
	}
}
