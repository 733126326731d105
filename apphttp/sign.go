package apphttp

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"hash"
	"strconv"
	"strings"
	"sync"
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

// Signer makes Signature's values for one secret, for an app that signs
// every request: its HMACs are keyed once and reused (an HMAC's Reset
// returns it to its keyed state), where Signature keys a new one, about
// ten allocations, for each value. It is safe for concurrent use.
type Signer struct {
	secret string
	macs   sync.Pool // of *signState
}

// signState is a keyed HMAC and the scratch bytes of one Sign.
type signState struct {
	mac hash.Hash // HMAC-SHA256 keyed with the Signer's secret
	ts  [24]byte  // "<t>."
	sum [sha256.Size]byte
}

// NewSigner returns the Signer of secret.
func NewSigner(secret string) *Signer { return &Signer{secret: secret} }

// Secret returns the secret s signs with.
func (s *Signer) Secret() string { return s.secret }

// Sign returns Signature(secret, t, body).
func (s *Signer) Sign(t int64, body []byte) string {
	st, _ := s.macs.Get().(*signState)
	if st == nil {
		st = &signState{mac: hmac.New(sha256.New, []byte(s.secret))}
	} else {
		st.mac.Reset()
	}
	ts := strconv.AppendInt(st.ts[:0], t, 10)
	st.mac.Write(append(ts, '.'))
	st.mac.Write(body)
	sum := st.mac.Sum(st.sum[:0])
	var b strings.Builder
	b.Grow(len("t=,v1=") + len(ts) + 2*len(sum))
	b.WriteString("t=")
	b.Write(ts)
	b.WriteString(",v1=")
	for _, c := range sum {
		b.WriteByte(hexDigits[c>>4])
		b.WriteByte(hexDigits[c&0xf])
	}
	s.macs.Put(st)
	return b.String()
}

const hexDigits = "0123456789abcdef"
