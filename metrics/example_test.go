package metrics_test

import (
	"bufio"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/callhook/callhook/esl"
	"github.com/callhook/callhook/metrics"
	"github.com/callhook/callhook/proxy"
)

// One Metrics serves every hook: the proxy's observer, each connection's
// frame counter and the server's refusals; Handler serves /metrics.
func ExampleNew() {
	m := metrics.New()
	p := &proxy.Proxy{Observer: m}
	srv := &esl.Server{Handler: p, Conn: esl.ConnOptions{Counter: m}, Refused: m.Refused}
	_ = srv // then srv.ListenAndServe("127.0.0.1:8084") and http.ListenAndServe("127.0.0.1:9090", mux)

	// A peer outside the ACL is refused: the server tells the hook. Every
	// reason is on /metrics from the start, at 0.
	srv.Refused(nil, esl.RefusedACL)

	mux := http.NewServeMux()
	mux.Handle("GET /metrics", m.Handler())
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	sc := bufio.NewScanner(rec.Body)
	for sc.Scan() {
		if strings.HasPrefix(sc.Text(), "callhook_calls_refused_total{") {
			fmt.Println(sc.Text())
		}
	}
	// Output:
	// callhook_calls_refused_total{reason="acl"} 1
	// callhook_calls_refused_total{reason="draining"} 0
	// callhook_calls_refused_total{reason="duplicate_id"} 0
	// callhook_calls_refused_total{reason="limit"} 0
	// callhook_calls_refused_total{reason="max_conns"} 0
	// callhook_calls_refused_total{reason="no_app"} 0
	// callhook_calls_refused_total{reason="not_async_full"} 0
	// callhook_calls_refused_total{reason="other"} 0
}
