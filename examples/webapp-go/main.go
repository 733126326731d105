// Command webapp-go is the example IVR web app for callhook, standard
// library only (the handler is package ivr):
//
//	go run ./examples/webapp-go -listen 127.0.0.1:8000 [-secret S]
//
// then, from the repository root, `callhook simulate -digits "3 1"` places a
// call to it through the real engine, without FreeSWITCH.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/callhook/callhook/examples/webapp-go/ivr"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:8000", "address to serve on (port 0 picks a free one)")
	secret := flag.String("secret", os.Getenv("CALLHOOK_SECRET"), "verify X-Callhook-Signature with this secret (default $CALLHOOK_SECRET)")
	flag.Parse()
	if err := run(*listen, *secret); err != nil {
		log.Fatal(err)
	}
}

func run(listen, secret string) error {
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return err
	}
	// The first line says where the app is, so scripts and tests that ask
	// for port 0 can find it.
	fmt.Printf("webapp-go listening on http://%s\n", ln.Addr())
	srv := &http.Server{
		Handler:           &ivr.App{Secret: secret},
		ReadHeaderTimeout: 10 * time.Second,
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return err
	}
	if err := <-done; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
