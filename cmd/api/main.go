// Command api serves the Shenzhen Plan Knowledge Graph over GraphQL.
// Configuration: see the README or run with -h.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"github.com/shenzhenplan/kgapi/app"
)

// Garbage collector defaults, each used only when the operator has not set
// the standard Go variable: collect when the heap has grown by 400% rather
// than 100% (a request allocates a few hundred short-lived objects; fewer
// collections: dashboard 220-257 -> 258-275 req/s on the bundled data),
// under a soft limit of 80 MiB that makes the collector work harder before
// the process grows past it.
const (
	defaultGCPercent   = 400
	defaultMemoryLimit = 80 << 20
)

func main() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(defaultGCPercent)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(defaultMemoryLimit)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := app.Run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr, nil); err != nil {
		fmt.Fprintln(os.Stderr, "api:", err)
		os.Exit(1)
	}
}
