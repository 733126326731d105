package admin_test

import (
	"fmt"
	"net/http/httptest"

	"github.com/callhook/callhook/admin"
	"github.com/callhook/callhook/metrics"
	"github.com/callhook/callhook/proxy"
)

// The admin API of a daemon: its proxy, its metrics, a token and what POST
// /drain starts. Probes need no token.
func ExampleServer() {
	p := &proxy.Proxy{}
	m := metrics.New()
	s := &admin.Server{Proxy: p, Metrics: m.Handler(), Token: "secret", Drain: p.Drain}
	// A daemon runs it with s.Start(cfg.Admin) and s.Shutdown(ctx).

	for _, path := range []string{"/readyz", "/calls"} {
		w := httptest.NewRecorder()
		s.ServeHTTP(w, httptest.NewRequest("GET", path, nil))
		fmt.Println(path, w.Code)
	}
	p.Drain()
	w := httptest.NewRecorder()
	s.ServeHTTP(w, httptest.NewRequest("GET", "/readyz", nil))
	fmt.Print("/readyz ", w.Code, " ", w.Body)
	// Output:
	// /readyz 200
	// /calls 401
	// /readyz 503 draining
}
