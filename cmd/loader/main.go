// Command loader validates a plan dataset and loads it into Neo4j. See the
// loader package and the README.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/shenzhenplan/kgapi/loader"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := loader.Run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	switch {
	case err == nil:
	case errors.Is(err, flag.ErrHelp):
		os.Exit(0)
	case errors.Is(err, loader.ErrInvalid):
		os.Exit(2)
	default:
		fmt.Fprintln(os.Stderr, "loader:", err)
		os.Exit(1)
	}
}
