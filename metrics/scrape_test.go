package metrics_test

import (
	"bufio"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
)

// samples is one scrape in the text format: each sample line's value by its
// name and labels exactly as written, e.g.
// `callhook_calls_total{app="menu",outcome="hangup"}` (client_golang writes
// labels sorted by name).
type samples map[string]float64

// scrape GETs h in the Prometheus text format and parses every sample.
func scrape(t *testing.T, h http.Handler) samples {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("GET /metrics = %d %s", rec.Code, rec.Body)
	}
	return parseText(t, rec.Body.String())
}

// parseText parses the sample lines of the text exposition format.
func parseText(t *testing.T, text string) samples {
	t.Helper()
	s := samples{}
	sc := bufio.NewScanner(strings.NewReader(text))
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		if i < 0 {
			t.Fatalf("sample line without a value: %q", line)
		}
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			t.Fatalf("sample line %q: %v", line, err)
		}
		s[line[:i]] = v
	}
	return s
}

// want checks sample values; a missing sample is an error, not zero.
func (s samples) want(t *testing.T, want map[string]float64) {
	t.Helper()
	for k, v := range want {
		got, ok := s[k]
		if !ok {
			t.Errorf("sample %s missing", k)
			continue
		}
		if got != v {
			t.Errorf("sample %s = %v, want %v", k, got, v)
		}
	}
}

// sum adds every sample of a family whose labels contain all of parts.
func (s samples) sum(name string, parts ...string) float64 {
	total := 0.0
	for k, v := range s {
		if k != name && !strings.HasPrefix(k, name+"{") {
			continue
		}
		match := true
		for _, p := range parts {
			if !strings.Contains(k, p) {
				match = false
				break
			}
		}
		if match {
			total += v
		}
	}
	return total
}
