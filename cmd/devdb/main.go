// Command devdb starts, stops and wipes the local Neo4j used for development
// (make db-up, db-down, db-reset). See devdb/ and the README.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"syscall"

	"github.com/shenzhenplan/kgapi/devdb"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

const usage = `usage: devdb [flags] up|down|reset|status|prepare

  up       start the local Neo4j in the background unless it runs; wait for Bolt; print the URI
  down     stop it cleanly
  reset    stop it and wipe its data
  status   say whether it runs
  prepare  resolve the Neo4j jars and compile the launcher, without starting

flags (each overrides its environment variable):
`

func run(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	fs := flag.NewFlagSet("devdb", flag.ContinueOnError)
	fs.SetOutput(stdout)
	fs.Usage = func() { fmt.Fprint(stdout, usage); fs.PrintDefaults() }
	defPort := devdb.DefaultPort
	if p := getenv("DEVDB_PORT"); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n <= 0 || n > 65535 {
			return fmt.Errorf("devdb: DEVDB_PORT=%q is not a port number", p)
		}
		defPort = n
	}
	port := fs.Int("port", defPort, "Bolt port on 127.0.0.1 (DEVDB_PORT)")
	data := fs.String("data", envOr(getenv, "DEVDB_DATA", ".devdb/data"), "data folder (DEVDB_DATA)")
	cache := fs.String("cache", envOr(getenv, "DEVDB_CACHE", ".devdb/cache"), "classpath and launcher cache (DEVDB_CACHE)")
	password := fs.String("password", envOr(getenv, "NEO4J_PASSWORD", devdb.DefaultPassword), "password of the neo4j user (NEO4J_PASSWORD)")
	heap := fs.String("heap", envOr(getenv, "DEVDB_HEAP", devdb.DefaultHeap), "JVM heap (DEVDB_HEAP)")
	pagecache := fs.String("pagecache", envOr(getenv, "DEVDB_PAGECACHE", devdb.DefaultPageSize), "Neo4j page cache (DEVDB_PAGECACHE)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return fmt.Errorf("devdb: expected one command")
	}
	src, err := devdb.FindSourceDir(".")
	if err != nil {
		return err
	}
	root := filepath.Dir(src)
	abs := func(p string) string {
		if filepath.IsAbs(p) {
			return p
		}
		return filepath.Join(root, p)
	}
	in := &devdb.Instance{
		SourceDir: src, CacheDir: abs(*cache), DataDir: abs(*data), Port: *port,
		Password: *password, Heap: *heap, PageCache: *pagecache, Log: stdout,
	}
	switch fs.Arg(0) {
	case "up":
		if err := in.Start(ctx); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "NEO4J_URI=%s (user neo4j)\n", in.URI())
	case "down":
		return in.Stop(ctx)
	case "reset":
		return in.Reset(ctx)
	case "status":
		if pid, ok := in.Running(); ok {
			fmt.Fprintf(stdout, "devdb: running (pid %d) at %s, data %s\n", pid, in.URI(), in.DataDir)
			return nil
		}
		fmt.Fprintf(stdout, "devdb: not running (data %s)\n", in.DataDir)
	case "prepare":
		return in.Prepare(ctx)
	default:
		fs.Usage()
		return fmt.Errorf("devdb: unknown command %q", fs.Arg(0))
	}
	return nil
}

func envOr(getenv func(string) string, key, def string) string {
	if v := getenv(key); v != "" {
		return v
	}
	return def
}
