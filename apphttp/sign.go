package apphttp

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"strconv"
)

// Signature is the X-Callhook-Signature value of a request body signed
// with an app's secret at unix time t:
// t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>. Every
// request callhook makes for an app is signed this way (webhook requests,
// placed calls' status events), fresh for each attempt.
func Signature(secret string, t int64, body []byte) string {
	ts := strconv.FormatInt(t, 10)
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(ts))
	mac.Write([]byte{'.'})
	mac.Write(body)
	return "t=" + ts + ",v1=" + hex.EncodeToString(mac.Sum(nil))
}
