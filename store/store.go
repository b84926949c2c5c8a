// Package store is the Neo4j implementation of plan.Store and the loader's
// writer. All Cypher of the project lives here, always parameterised; labels
// and relationship types come only from fixed allow-lists.
package store

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"
	"github.com/neo4j/neo4j-go-driver/v5/neo4j/config"

	"github.com/shenzhenplan/kgapi/plan"
)

// Config says how to reach Neo4j.
type Config struct {
	URI      string // bolt://host:port for one server, neo4j://host:port for a cluster
	User     string
	Password string
	Database string // "" uses the server's default database
	// MaxPoolSize caps the driver's connection pool (0: the driver's default, 100).
	MaxPoolSize int
	// FetchSize is the number of records fetched per batch (0: the driver's default).
	FetchSize int
	// QueryTimeout bounds every transaction, client-side and as Neo4j's transaction timeout (0: plan.DefaultQueryTimeout).
	QueryTimeout time.Duration
	// ChangeRetention is how many change-log entries to keep (0: DefaultChangeRetention).
	ChangeRetention int
}

// Store is a Neo4j-backed plan.Store. It is safe for concurrent use.
type Store struct {
	inUse   atomic.Int64
	driver  neo4j.DriverWithContext
	db      string
	fetch   int
	timeout time.Duration
	// keepChanges is how many change-log entries to keep (0: the default).
	keepChanges int
	// sizes keeps the anchors' sizes read lately (store/sizes.go).
	sizes sizeCache
	// groupedLists keeps, for a list with a filtered connection, the
	// sizes that chose to read its pages grouped lately (List).
	groupedLists kept[filterSize]
}

var _ plan.Store = (*Store)(nil)

// Open creates the driver. It does not wait for the database: the API starts
// even when Neo4j is down, and Ping tells when it answers.
func Open(cfg Config) (*Store, error) {
	if cfg.QueryTimeout <= 0 {
		cfg.QueryTimeout = plan.DefaultQueryTimeout
	}
	drv, err := neo4j.NewDriverWithContext(cfg.URI, neo4j.BasicAuth(cfg.User, cfg.Password, ""), func(c *config.Config) {
		if cfg.MaxPoolSize > 0 {
			c.MaxConnectionPoolSize = cfg.MaxPoolSize
		}
		if cfg.FetchSize != 0 {
			c.FetchSize = cfg.FetchSize
		}
		c.SocketConnectTimeout = 2 * time.Second
		c.ConnectionAcquisitionTimeout = cfg.QueryTimeout
		c.MaxTransactionRetryTime = cfg.QueryTimeout
	})
	if err != nil {
		return nil, fmt.Errorf("create Neo4j driver for %s: %w", cfg.URI, err)
	}
	return &Store{driver: drv, db: cfg.Database, fetch: cfg.FetchSize, timeout: cfg.QueryTimeout, keepChanges: cfg.ChangeRetention}, nil
}

// Close closes the driver and its connections.
func (s *Store) Close(ctx context.Context) error { return s.driver.Close(ctx) }

// Driver exposes the driver to tests and the benchmark's floor server.
func (s *Store) Driver() neo4j.DriverWithContext { return s.driver }

// Database is the configured database name ("" for the default).
func (s *Store) Database() string { return s.db }

// Ping runs RETURN 1 in a read transaction.
func (s *Store) Ping(ctx context.Context) error {
	_, err := s.read(ctx, "RETURN 1 AS one", nil)
	return err
}

// InUse is the number of Neo4j sessions open now (each holds a pooled connection while it works).
func (s *Store) InUse() int { return int(s.inUse.Load()) }

// session opens a session and counts it as in use until closed.
func (s *Store) session(ctx context.Context, cfg neo4j.SessionConfig) (neo4j.SessionWithContext, func()) {
	s.inUse.Add(1)
	sess := s.driver.NewSession(ctx, cfg)
	return sess, func() {
		sess.Close(context.WithoutCancel(ctx))
		s.inUse.Add(-1)
	}
}

// read runs one query in a managed read transaction and returns its records.
func (s *Store) read(ctx context.Context, cypher string, params map[string]any) (recs []*neo4j.Record, err error) {
	finish := beginTrip(ctx, "read")
	defer func() { finish(cypher, params, len(recs), err) }()
	ctx, span := startSpan(ctx, "neo4j.read", cypher)
	defer func() { endSpan(span, err) }()
	timeout, err := s.txTimeout(ctx)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	sess, done := s.session(ctx, neo4j.SessionConfig{
		AccessMode: neo4j.AccessModeRead, DatabaseName: s.db, FetchSize: s.fetch,
		// A client that wrote through another replica reads at least its write.
		Bookmarks: neo4j.BookmarksFromRawValues(plan.BookmarksFrom(ctx)...),
	})
	defer done()
	recs, err = neo4j.ExecuteRead(ctx, sess, func(tx neo4j.ManagedTransaction) ([]*neo4j.Record, error) {
		res, err := tx.Run(ctx, cypher, params)
		if err != nil {
			return nil, err
		}
		return res.Collect(ctx)
	}, neo4j.WithTxTimeout(timeout))
	if err != nil {
		return nil, translate(ctx, err)
	}
	return recs, nil
}

// txTimeout is what is left of the request's deadline, at most the store's
// own timeout; Neo4j receives it as the transaction timeout. A deadline that
// has already passed is a TIMEOUT error before anything is sent.
func (s *Store) txTimeout(ctx context.Context) (time.Duration, error) {
	timeout := s.timeout
	if dl, ok := ctx.Deadline(); ok {
		left := time.Until(dl)
		if left <= 0 || ctx.Err() != nil {
			return 0, &wrapped{code: plan.ETIMEOUT, msg: "the request took longer than its deadline", err: context.DeadlineExceeded}
		}
		if left < timeout {
			timeout = left
		}
	}
	return timeout, nil
}

// write runs fn in one managed write transaction (retried on transient errors).
func (s *Store) write(ctx context.Context, fn func(tx neo4j.ManagedTransaction) (any, error)) (out any, err error) {
	finish := beginTrip(ctx, "write")
	var rec *recordingTx // only when the round trips are logged (X-Debug: plan)
	defer func() {
		if rec != nil {
			finish(rec.text(), rec.params, -1, err)
		} else {
			finish("", nil, -1, err)
		}
	}()
	ctx, span := startSpan(ctx, "neo4j.write", "")
	defer func() { endSpan(span, err) }()
	timeout, err := s.txTimeout(ctx)
	if err != nil {
		return nil, err
	}
	sess, done := s.session(ctx, neo4j.SessionConfig{
		AccessMode: neo4j.AccessModeWrite, DatabaseName: s.db,
		Bookmarks: neo4j.BookmarksFromRawValues(plan.BookmarksFrom(ctx)...),
	})
	defer done()
	work := fn
	if plan.RoundTripLogFrom(ctx) != nil {
		work = func(tx neo4j.ManagedTransaction) (any, error) {
			rec = &recordingTx{ManagedTransaction: tx, params: map[string]any{}} // anew for each attempt
			return fn(rec)
		}
	}
	out, err = neo4j.ExecuteWrite(ctx, sess, work, neo4j.WithTxTimeout(timeout))
	if err != nil {
		return nil, translate(ctx, err)
	}
	plan.ReceiptFrom(ctx).Record(0, neo4j.BookmarksToRawValues(sess.LastBookmarks()))
	return out, nil
}

// translate turns driver errors into coded errors once, at the boundary:
// an unreachable database and a deadline become errors that clients may see;
// everything else stays internal (wrapped, with its cause). It classifies by
// the errors' types and Neo4j's status codes, found anywhere in the chain
// (see causes), in this order:
//
//  1. A failed connection: a refused or reset connection, an unknown host, a
//     server that speaks no Bolt version the driver knows, or retries the
//     driver gave up (TransactionExecutionLimit) after its last attempt
//     failed to connect. The driver retries an unreachable server until the
//     deadline: the failed connection inside says more than the deadline.
//  2. A deadline: ours (the context's) or one in the chain; a server that
//     answers but not in time.
//  3. A Neo4j status code: the transaction timeout (the server's side of
//     the deadline), a security error (the credentials), an unknown or
//     unavailable database.
//  4. Any other connectivity error, including the retryable ones (a pool
//     that timed out). A read timeout the server asked for (a connection
//     hint) is one too: the driver's type for it is internal and says no
//     more than its ConnectivityError.
//
// A *neo4j.UsageError (a closed driver, a parameter of an unsupported type)
// is a bug of the API, not a state of the database: it stays internal.
func translate(ctx context.Context, err error) error {
	var perr *plan.Error
	if errors.As(err, &perr) {
		return err
	}
	errs := causes(err)
	unreachable := func() error { return &wrapped{code: plan.EUNAVAIL, msg: "the database is not reachable", err: err} }
	timeout := func() error {
		return &wrapped{code: plan.ETIMEOUT, msg: "the database did not answer in time", err: err}
	}

	for _, e := range errs {
		if connectFailed(e) {
			return unreachable()
		}
		if tel, ok := e.(*neo4j.TransactionExecutionLimit); ok && len(tel.Errors) > 0 && isConnectivity(tel.Errors[len(tel.Errors)-1]) {
			return unreachable()
		}
	}
	// The deadline: ours, or the one the driver returns (through the standard
	// wrappers only, or as one of the causes itself): a network timeout inside
	// a ConnectivityError is a connection that failed (step 4), not a server
	// that answered late.
	if errors.Is(ctx.Err(), context.DeadlineExceeded) || errors.Is(err, context.DeadlineExceeded) ||
		slices.Contains(errs, context.DeadlineExceeded) {
		return timeout()
	}
	for _, e := range errs {
		nerr, ok := e.(*neo4j.Neo4jError)
		if !ok {
			continue
		}
		// Title is the last part of the code: Neo.ClientError.Transaction.TransactionTimedOut
		// (or ...TransactionTimedOutClientConfiguration, the timeout the API sent),
		// Neo.ClientError.Database.DatabaseNotFound, Neo.TransientError.General.DatabaseUnavailable.
		switch title := nerr.Title(); {
		case strings.HasPrefix(title, "TransactionTimedOut"):
			return timeout()
		case nerr.HasSecurityCode(): // Neo.ClientError.Security.*
			return &wrapped{code: plan.EUNAVAIL, msg: "the database refused the API's credentials", err: err}
		case title == "DatabaseNotFound" || title == "DatabaseUnavailable":
			return &wrapped{code: plan.EUNAVAIL, msg: "the database is not available", err: err}
		}
		return fmt.Errorf("neo4j: %w", err)
	}
	if slices.ContainsFunc(errs, func(e error) bool { _, ok := e.(*neo4j.UsageError); return ok }) {
		return fmt.Errorf("neo4j: %w", err)
	}
	if slices.ContainsFunc(errs, isConnectivity) || neo4j.IsRetryable(err) {
		return unreachable()
	}
	return fmt.Errorf("neo4j: %w", err)
}

// causes is err and every error it wraps, depth first: through Unwrap, and
// through the driver's error types that hold their causes in fields without
// an Unwrap method (ConnectivityError.Inner; TransactionExecutionLimit.Errors,
// the attempts' errors, last first).
func causes(err error) []error {
	var out []error
	var walk func(e error, depth int)
	walk = func(e error, depth int) {
		if e == nil || depth > 32 {
			return
		}
		out = append(out, e)
		switch x := e.(type) {
		case *neo4j.ConnectivityError:
			walk(x.Inner, depth+1)
		case *neo4j.TransactionExecutionLimit:
			for i := len(x.Errors) - 1; i >= 0; i-- {
				walk(x.Errors[i], depth+1)
			}
		case interface{ Unwrap() error }:
			walk(x.Unwrap(), depth+1)
		case interface{ Unwrap() []error }:
			for _, c := range x.Unwrap() {
				walk(c, depth+1)
			}
		}
	}
	walk(err, 0)
	return out
}

// connectFailed reports whether e itself (not what it wraps) says that no
// connection to the server could be made or kept.
func connectFailed(e error) bool {
	switch x := e.(type) {
	case *net.DNSError:
		return true
	case syscall.Errno:
		return x == syscall.ECONNREFUSED || x == syscall.ECONNRESET || x == syscall.EHOSTUNREACH || x == syscall.ENETUNREACH
	case *neo4j.Neo4jError, *neo4j.ConnectivityError, *neo4j.TransactionExecutionLimit, *neo4j.UsageError,
		interface{ Unwrap() error }, interface{ Unwrap() []error }:
		return false // typed, or a wrapper: its causes are checked on their own
	}
	// The driver fails the Bolt handshake with a plain fmt.Errorf ("server did
	// not accept any of the requested Bolt versions", "none of the server
	// offered Bolt versions are supported", in internal/bolt/connect.go): no
	// type, no code, not even a ConnectivityError, so only its text tells.
	return strings.Contains(e.Error(), "Bolt version")
}

// isConnectivity reports whether e, or an error it wraps, is a connection
// error: the driver's ConnectivityError (a lost connection, a TLS failure,
// a pool timeout, a read timeout) or a network error.
func isConnectivity(e error) bool {
	for _, c := range causes(e) {
		switch c.(type) {
		case *neo4j.ConnectivityError, *net.OpError, *net.DNSError:
			return true
		}
	}
	return false
}

// wrapped is a coded error that keeps its cause for the logs.
type wrapped struct {
	code, msg string
	err       error
}

func (w *wrapped) Error() string { return w.msg + ": " + w.err.Error() }
func (w *wrapped) Unwrap() error { return w.err }

// Coded exposes the client-safe part of the error.
func (w *wrapped) Coded() *plan.Error { return &plan.Error{Code: w.code, Message: w.msg} }
