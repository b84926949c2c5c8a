// Command floor serves the benchmark's floor (package bench/floor): one
// hand-written Cypher query per workload, through the same Go driver as the
// API, answering the same JSON.
//
//	floor -listen-addr 127.0.0.1:8090
//
// It reads NEO4J_URI, NEO4J_USER, NEO4J_PASSWORD, NEO4J_DATABASE and
// NEO4J_MAX_POOL like cmd/api (same defaults).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"
	"github.com/neo4j/neo4j-go-driver/v5/neo4j/config"

	"github.com/shenzhenplan/kgapi/bench/floor"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "floor:", err)
		os.Exit(1)
	}
}

func env(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

func run() error {
	addr := flag.String("listen-addr", "127.0.0.1:8090", "where to listen")
	uri := flag.String("neo4j-uri", env("NEO4J_URI", "bolt://127.0.0.1:7687"), "Neo4j address ($NEO4J_URI)")
	user := flag.String("neo4j-user", env("NEO4J_USER", "neo4j"), "user ($NEO4J_USER)")
	password := flag.String("neo4j-password", env("NEO4J_PASSWORD", "localdev-password"), "password ($NEO4J_PASSWORD)")
	database := flag.String("neo4j-database", env("NEO4J_DATABASE", "neo4j"), "database ($NEO4J_DATABASE)")
	pool, err := strconv.Atoi(env("NEO4J_MAX_POOL", "100"))
	if err != nil || pool < 1 {
		return fmt.Errorf("NEO4J_MAX_POOL must be a positive integer")
	}
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	drv, err := neo4j.NewDriverWithContext(*uri, neo4j.BasicAuth(*user, *password, ""), func(c *config.Config) {
		c.MaxConnectionPoolSize = pool
		c.SocketConnectTimeout = 2 * time.Second
	})
	if err != nil {
		return err
	}
	defer drv.Close(context.Background())
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: floor.New(drv, *database), ReadHeaderTimeout: 5 * time.Second}
	fmt.Printf("floor ready: http://%s/\n", ln.Addr())
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shut, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shut); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
