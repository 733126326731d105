package main

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// session is the IVR's state, kept in a signed cookie the way Rails' cookie
// session store keeps it: the data, "--", an HMAC of the data. Liverpie
// (and callhook) send the app's cookies back on every request of a call,
// so the state machine needs no server-side storage.
type session struct {
	State string // the state machine's state
	Tries int    // menu prompts played so far
	Digit string // the first digit the caller pressed at the menu
}

// sessionCookie is the cookie's name.
const sessionCookie = "_liverpie_app_session"

// sessions signs and verifies session cookies.
type sessions struct{ key []byte }

func (s sessions) sign(data string) string {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte(data))
	return hex.EncodeToString(m.Sum(nil))
}

// load returns the request's session; ok is false when there is none or
// its signature is wrong (a forged or stale cookie).
func (s sessions) load(r *http.Request) (sess session, ok bool) {
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return session{}, false
	}
	data, mac, found := strings.Cut(c.Value, "--")
	if !found || !hmac.Equal([]byte(mac), []byte(s.sign(data))) {
		return session{}, false
	}
	raw, err := base64.RawURLEncoding.DecodeString(data)
	if err != nil {
		return session{}, false
	}
	q, err := url.ParseQuery(string(raw))
	if err != nil {
		return session{}, false
	}
	tries, _ := strconv.Atoi(q.Get("tries"))
	return session{State: q.Get("state"), Tries: tries, Digit: q.Get("digit")}, true
}

// save sets the session cookie on the response.
func (s sessions) save(w http.ResponseWriter, sess session) {
	q := url.Values{"state": {sess.State}, "tries": {strconv.Itoa(sess.Tries)}, "digit": {sess.Digit}}
	data := base64.RawURLEncoding.EncodeToString([]byte(q.Encode()))
	http.SetCookie(w, &http.Cookie{
		Name: sessionCookie, Value: data + "--" + s.sign(data), Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode,
	})
}
