package apphttp

import (
	"strings"
	"sync"
	"testing"
)

// TestSignerSameAsSignature: a Signer's values are Signature's, for any
// time and body, reused HMACs included, from many goroutines at once.
func TestSignerSameAsSignature(t *testing.T) {
	bodies := []string{"", `{"seq":1}`, strings.Repeat("x", 1000)}
	for _, secret := range []string{"s3cret", "", strings.Repeat("k", 100)} {
		s := NewSigner(secret)
		var wg sync.WaitGroup
		for g := range 4 {
			wg.Go(func() {
				for i := range 50 {
					at := int64(1_700_000_000 + g*1000 + i)
					body := []byte(bodies[i%len(bodies)])
					if got, want := s.Sign(at, body), Signature(secret, at, body); got != want {
						t.Errorf("Sign(%d, %q) with secret %q = %s, want %s", at, body, secret, got, want)
						return
					}
				}
			})
		}
		wg.Wait()
	}
}

// BenchmarkSignature: a menu request's body signed by Signature and by a
// Signer.
func BenchmarkSignature(b *testing.B) {
	body := []byte(strings.Repeat("x", 400))
	b.Run("Signature", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			sigSink = Signature("s3cret", 1_700_000_000, body)
		}
	})
	b.Run("Signer", func(b *testing.B) {
		s := NewSigner("s3cret")
		b.ReportAllocs()
		for b.Loop() {
			sigSink = s.Sign(1_700_000_000, body)
		}
	})
}

var sigSink string
