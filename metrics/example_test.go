package metrics_test

import (
	"net/http"

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
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", m.Handler())
	_ = srv // then srv.ListenAndServe("127.0.0.1:8084") and http.ListenAndServe("127.0.0.1:9090", mux)
}
