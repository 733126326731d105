package apphttp

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestCallJar: a call's jar sends nothing before the app sets a cookie,
// then the cookies it kept; a cookie over the size bound is dropped, and
// a new one past the count bound, while one the app sets again replaces
// itself.
func TestCallJar(t *testing.T) {
	u, _ := url.Parse("http://app.example.com/ivr")
	j, err := newCallJar()
	if err != nil {
		t.Fatal(err)
	}
	if got := j.Cookies(u); len(got) != 0 {
		t.Fatalf("Cookies() of a new jar = %v, want none", got)
	}
	j.SetCookies(u, []*http.Cookie{{Name: "big", Value: strings.Repeat("x", maxCallCookieBytes)}})
	if got := j.Cookies(u); len(got) != 0 {
		t.Fatalf("Cookies() after an oversized cookie = %v, want none", got)
	}
	j.SetCookies(u, []*http.Cookie{{Name: "sid", Value: "1"}})
	for i := range maxCallCookies + 5 {
		j.SetCookies(u, []*http.Cookie{{Name: "c" + strings.Repeat("x", i), Value: "v"}})
	}
	j.SetCookies(u, []*http.Cookie{{Name: "sid", Value: "2"}})
	got := map[string]string{}
	for _, c := range j.Cookies(u) {
		got[c.Name] = c.Value
	}
	if len(got) != maxCallCookies || got["sid"] != "2" {
		t.Errorf("jar holds %d cookies, sid=%q; want %d, sid=2", len(got), got["sid"], maxCallCookies)
	}
	other, _ := url.Parse("http://other.example.com/")
	if got := j.Cookies(other); len(got) != 0 {
		t.Errorf("Cookies(another host) = %v, want none", got)
	}
}

// TestCallJarBoundsPathAttribute: the size bound covers what the jar
// keeps of a cookie, its Path attribute included: a hostile app's small
// cookie with a path of megabytes (a response header may be 10 MiB) must
// not be kept for the rest of the call, 50 of them per call.
func TestCallJarBoundsPathAttribute(t *testing.T) {
	j, err := newCallJar()
	if err != nil {
		t.Fatal(err)
	}
	long := "/" + strings.Repeat("p", 64<<10)
	u, _ := url.Parse("http://app.example.com" + long)
	j.SetCookies(u, []*http.Cookie{{Name: "sid", Value: "1", Path: long}})
	if got := j.Cookies(u); len(got) != 0 {
		t.Errorf("Cookies() after a cookie with a %d-byte Path = %d cookies, want none", len(long), len(got))
	}
	// A path within the bound is kept.
	short := "/" + strings.Repeat("p", 100)
	su, _ := url.Parse("http://app.example.com" + short)
	j.SetCookies(su, []*http.Cookie{{Name: "sid", Value: "2", Path: short}})
	if got := j.Cookies(su); len(got) != 1 || got[0].Value != "2" {
		t.Errorf("Cookies() after a cookie with a short Path = %v, want sid=2", got)
	}
}
