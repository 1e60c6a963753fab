// ociregistry: an in-memory OCI registry with the OCI 1.1 referrers API, for kitlab's signing tests.
//
// Debian's docker-registry (distribution 2.8) and distribution v3 have no referrers API, so the tests
// of kitlab's referrer signatures (docs/trust.md) run against go-containerregistry's registry, the one
// cosign's own tests use, with referrers support switched on. It listens on 127.0.0.1 (a free port by
// default) and prints "listening on HOST:PORT" once it accepts connections.
package main

import (
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/google/go-containerregistry/pkg/registry"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "address to listen on")
	flag.Parse()
	listener, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("listening on %s\n", listener.Addr())
	os.Stdout.Sync()
	server := &http.Server{
		Handler:           registry.New(registry.WithReferrersSupport(true), registry.Logger(log.New(os.Stderr, "", 0))),
		ReadHeaderTimeout: 10 * time.Second,
	}
	log.Fatal(server.Serve(listener))
}
