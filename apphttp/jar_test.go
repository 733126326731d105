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
