// Command liverpie-app is an IVR web app written the way Liverpie apps are
// (a state machine kept in a cookie session, ESL commands in YAML replies),
// standard library only. callhook serves it unchanged:
//
//	go run ./examples/liverpie-app -listen 127.0.0.1:3002
//	go run ./cmd/callhook serve -liverpie-config examples/liverpie-app/liverpie.yml
//
// with liverpie_webapp_id=liverpie_app set in the dialplan before socket.
package main

import (
	"context"
	"crypto/rand"
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
)

func main() {
	listen := flag.String("listen", "127.0.0.1:3002", "address to serve on (port 0 picks a free one)")
	secret := flag.String("secret", os.Getenv("LIVERPIE_APP_SECRET"),
		"key that signs session cookies (default $LIVERPIE_APP_SECRET, else a random one: sessions then end with the process)")
	flag.Parse()
	if err := run(*listen, *secret); err != nil {
		log.Fatal(err)
	}
}

func run(listen, secret string) error {
	key := []byte(secret)
	if len(key) == 0 {
		key = make([]byte, 32)
		rand.Read(key)
	}
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return err
	}
	// The first line says where the app is, so scripts that ask for port 0
	// can find it.
	fmt.Printf("liverpie-app listening on http://%s\n", ln.Addr())
	srv := &http.Server{
		Handler:           newApp(key, log.New(os.Stderr, "", log.LstdFlags)),
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
