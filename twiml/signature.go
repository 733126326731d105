package twiml

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/subtle"
	"encoding/base64"
	"net/url"
	"slices"
	"strings"
)

// SignatureHeader is the header a request's signature travels in.
const SignatureHeader = "X-Twilio-Signature"

// Signature is X-Twilio-Signature's value for a request to fullURL (as
// sent, query included) with the form parameters params (nil for a GET):
// Base64(HMAC-SHA1(authToken, fullURL + each parameter's name and value,
// sorted by name)). A name given several values contributes each value
// once, sorted, each after the name, as Twilio's own helper library
// (npm twilio, getExpectedTwilioSignature) computes it.
func Signature(authToken, fullURL string, params url.Values) string {
	var b strings.Builder
	b.WriteString(fullURL)
	names := make([]string, 0, len(params))
	for k := range params {
		names = append(names, k)
	}
	slices.Sort(names)
	for _, k := range names {
		vals := slices.Clone(params[k])
		slices.Sort(vals)
		for _, v := range slices.Compact(vals) {
			b.WriteString(k)
			b.WriteString(v)
		}
	}
	mac := hmac.New(sha1.New, []byte(authToken))
	mac.Write([]byte(b.String()))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// ValidSignature reports whether sig is the signature of a request to
// fullURL with params, compared in constant time.
func ValidSignature(authToken, fullURL string, params url.Values, sig string) bool {
	want := Signature(authToken, fullURL, params)
	return subtle.ConstantTimeCompare([]byte(want), []byte(sig)) == 1
}
