package esl

import (
	"bytes"
	"strings"
)

// urlUnsafe marks the bytes switch_url_encode_opt always percent-encodes: the
// control bytes, DEL and every non-ASCII byte (FreeSWITCH's char is signed,
// so those compare below ' '), plus SWITCH_URL_UNSAFE
// ("\r\n #%&+:;<=>?@[\\]^`{|}\"").
var urlUnsafe = func() (t [256]bool) {
	for b := range 256 {
		t[b] = b < ' ' || b > '~'
	}
	for _, b := range []byte("\r\n #%&+:;<=>?@[\\]^`{|}\"") {
		t[b] = true
	}
	return t
}()

// upperHex is the digit set of FreeSWITCH's encoder, which is also the only
// set its "%XX" pass-through recognises (lowercase "%ab" is re-encoded).
const upperHex = "0123456789ABCDEF"

func isUpperHex(c byte) bool { return '0' <= c && c <= '9' || 'A' <= c && c <= 'F' }

// URLEncode encodes s as FreeSWITCH's switch_url_encode_opt does
// (src/switch_utils.c), including its %XX pass-through quirk: a '%'
// followed by two uppercase hex digits is copied as is, so such a value does
// not survive an encode/decode round trip. Space is "%20", never "+".
func URLEncode(s string) string {
	n := 0
	for i := 0; i < len(s); i++ {
		if urlUnsafe[s[i]] && !passThrough(s, i) {
			n++
		}
	}
	if n == 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 2*n)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if urlUnsafe[c] && !passThrough(s, i) {
			b.WriteByte('%')
			b.WriteByte(upperHex[c>>4])
			b.WriteByte(upperHex[c&0x0f])
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// writeURLEncoded writes s to w encoded as URLEncode does, without building
// an intermediate string (the serialisers write every header through it).
func writeURLEncoded(w *bytes.Buffer, s string) {
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !urlUnsafe[c] || passThrough(s, i) {
			continue
		}
		w.WriteString(s[start:i])
		w.WriteByte('%')
		w.WriteByte(upperHex[c>>4])
		w.WriteByte(upperHex[c&0x0f])
		start = i + 1
	}
	w.WriteString(s[start:])
}

// passThrough reports whether s[i] is a '%' that FreeSWITCH's encoder copies
// unencoded because two uppercase hex digits follow it.
func passThrough(s string, i int) bool {
	return s[i] == '%' && i+2 < len(s) && isUpperHex(s[i+1]) && isUpperHex(s[i+2])
}

// URLDecode percent-decodes s once: "%XX" (either case) becomes the byte XX,
// '+' stays '+', and a '%' not followed by two hex digits is kept as is.
// When s holds no '%' it is returned without copying.
func URLDecode(s string) string {
	i := strings.IndexByte(s, '%')
	if i < 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	writeURLDecoded(&b, s, i)
	return b.String()
}

// writeURLDecoded writes s percent-decoded to b; i is the index of the
// first '%' in s.
func writeURLDecoded(b *strings.Builder, s string, i int) {
	b.WriteString(s[:i])
	for ; i < len(s); i++ {
		c := s[i]
		if c == '%' && i+2 < len(s) {
			hi, ok1 := unhex(s[i+1])
			lo, ok2 := unhex(s[i+2])
			if ok1 && ok2 {
				b.WriteByte(hi<<4 | lo)
				i += 2
				continue
			}
		}
		b.WriteByte(c)
	}
}

// decodeValues sets each header's Value to its Raw percent-decoded. All the
// decoded values share one string, so an event costs one allocation for
// them instead of one per encoded value; values without '%' are Raw itself.
func decodeValues(hs []EventHeader) {
	type encoded struct{ i, pct, end int } // header, its first '%', end in the shared string
	var buf [32]encoded
	enc, total := buf[:0], 0
	for i := range hs {
		hs[i].Value = hs[i].Raw
		if j := strings.IndexByte(hs[i].Raw, '%'); j >= 0 {
			enc = append(enc, encoded{i: i, pct: j})
			total += len(hs[i].Raw)
		}
	}
	if len(enc) == 0 {
		return
	}
	var b strings.Builder
	b.Grow(total) // decoding never grows a value, so b never reallocates
	for k := range enc {
		writeURLDecoded(&b, hs[enc[k].i].Raw, enc[k].pct)
		enc[k].end = b.Len()
	}
	all, start := b.String(), 0
	for _, x := range enc {
		hs[x.i].Value = all[start:x.end]
		start = x.end
	}
}

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}
