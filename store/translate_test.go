package store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"

	"github.com/shenzhenplan/kgapi/plan"
)

// TestTranslate checks the code translate gives each kind of driver error,
// built by hand as the driver builds it: no database needed.
func TestTranslate(t *testing.T) {
	const (
		unreachable = "the database is not reachable"
		late        = "the database did not answer in time"
		credentials = "the database refused the API's credentials"
		unavailable = "the database is not available"
	)
	neo := func(code string) error { return &neo4j.Neo4jError{Code: code, Msg: "server says"} }
	refused := &net.OpError{Op: "dial", Net: "tcp", Addr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 1},
		Err: &os.SyscallError{Syscall: "connect", Err: syscall.ECONNREFUSED}}
	reset := &net.OpError{Op: "read", Net: "tcp", Err: &os.SyscallError{Syscall: "read", Err: syscall.ECONNRESET}}
	dialTimeout := &net.OpError{Op: "dial", Net: "tcp", Err: os.ErrDeadlineExceeded}
	noHost := &net.OpError{Op: "dial", Net: "tcp", Err: &net.DNSError{Err: "no such host", Name: "neo4j.invalid", IsNotFound: true}}
	retried := func(cause string, errs ...error) error {
		return &neo4j.TransactionExecutionLimit{Cause: cause, Errors: errs}
	}
	const gaveUp = "timeout (exceeded max retry time: 10s)"

	for _, c := range []struct {
		name    string
		err     error
		expired bool   // the context's deadline has passed
		code    string // "" for an internal error
		msg     string
	}{
		{name: "plain error", err: errors.New("boom")},
		{name: "plain error after the deadline", err: errors.New("boom"), expired: true, code: plan.ETIMEOUT, msg: late},
		{name: "coded error passes through", err: plan.Errorf(plan.ENOTFOUND, "no such plan"), code: plan.ENOTFOUND, msg: "no such plan"},

		{name: "Neo4jError TransactionTimedOut", err: neo("Neo.ClientError.Transaction.TransactionTimedOut"), code: plan.ETIMEOUT, msg: late},
		{name: "Neo4jError TransactionTimedOutClientConfiguration", err: neo("Neo.ClientError.Transaction.TransactionTimedOutClientConfiguration"), code: plan.ETIMEOUT, msg: late},
		{name: "Neo4jError Security.Unauthorized", err: neo("Neo.ClientError.Security.Unauthorized"), code: plan.EUNAVAIL, msg: credentials},
		{name: "Neo4jError Security.AuthenticationRateLimit", err: neo("Neo.ClientError.Security.AuthenticationRateLimit"), code: plan.EUNAVAIL, msg: credentials},
		{name: "Neo4jError Security.AuthorizationExpired", err: neo("Neo.ClientError.Security.AuthorizationExpired"), code: plan.EUNAVAIL, msg: credentials},
		{name: "Neo4jError DatabaseNotFound", err: neo("Neo.ClientError.Database.DatabaseNotFound"), code: plan.EUNAVAIL, msg: unavailable},
		{name: "Neo4jError DatabaseUnavailable", err: neo("Neo.TransientError.General.DatabaseUnavailable"), code: plan.EUNAVAIL, msg: unavailable},
		{name: "Neo4jError wrapped", err: fmt.Errorf("tx: %w", neo("Neo.ClientError.Database.DatabaseNotFound")), code: plan.EUNAVAIL, msg: unavailable},
		{name: "Neo4jError SyntaxError", err: neo("Neo.ClientError.Statement.SyntaxError")},
		{name: "Neo4jError DeadlockDetected", err: neo("Neo.TransientError.Transaction.DeadlockDetected")},
		{name: "Neo4jError after the deadline", err: neo("Neo.ClientError.Statement.SyntaxError"), expired: true, code: plan.ETIMEOUT, msg: late},
		{name: "Neo4jError whose message names a refused connection", err: &neo4j.Neo4jError{Code: "Neo.ClientError.Statement.SyntaxError", Msg: "connection refused; Bolt version"}},

		{name: "ConnectivityError EOF", err: &neo4j.ConnectivityError{Inner: io.EOF}, code: plan.EUNAVAIL, msg: unreachable},
		{name: "ConnectivityError of another cause", err: &neo4j.ConnectivityError{Inner: errors.New("Connection lost during commit")}, code: plan.EUNAVAIL, msg: unreachable},
		{name: "ConnectivityError EOF after the deadline", err: &neo4j.ConnectivityError{Inner: io.EOF}, expired: true, code: plan.ETIMEOUT, msg: late},
		{name: "ConnectivityError refused after the deadline", err: &neo4j.ConnectivityError{Inner: refused}, expired: true, code: plan.EUNAVAIL, msg: unreachable},
		{name: "ConnectivityError dial timeout", err: &neo4j.ConnectivityError{Inner: dialTimeout}, code: plan.EUNAVAIL, msg: unreachable},
		{name: "net.OpError refused, wrapped", err: fmt.Errorf("borrow: %w", refused), code: plan.EUNAVAIL, msg: unreachable},
		{name: "net.OpError refused, wrapped, after the deadline", err: fmt.Errorf("borrow: %w", refused), expired: true, code: plan.EUNAVAIL, msg: unreachable},
		{name: "net.OpError reset", err: &neo4j.ConnectivityError{Inner: reset}, expired: true, code: plan.EUNAVAIL, msg: unreachable},
		{name: "net.OpError other", err: fmt.Errorf("x: %w", &net.OpError{Op: "write", Net: "tcp", Err: errors.New("broken pipe")}), code: plan.EUNAVAIL, msg: unreachable},
		{name: "net.DNSError", err: &neo4j.ConnectivityError{Inner: noHost}, expired: true, code: plan.EUNAVAIL, msg: unreachable},
		{name: "Bolt handshake refused", err: errors.New("server did not accept any of the requested Bolt versions ([]bolt.protocolVersion{})"), code: plan.EUNAVAIL, msg: unreachable},
		{name: "errors.Join of a ConnectivityError", err: errors.Join(errors.New("first"), &neo4j.ConnectivityError{Inner: io.EOF}), code: plan.EUNAVAIL, msg: unreachable},

		{name: "context.DeadlineExceeded", err: context.DeadlineExceeded, code: plan.ETIMEOUT, msg: late},
		{name: "context.DeadlineExceeded wrapped", err: fmt.Errorf("run: %w", context.DeadlineExceeded), code: plan.ETIMEOUT, msg: late},
		{name: "context.DeadlineExceeded after the deadline", err: context.DeadlineExceeded, expired: true, code: plan.ETIMEOUT, msg: late},

		{name: "TransactionExecutionLimit of a refused connection, sleep cut by the deadline",
			err: retried("context deadline exceeded", &neo4j.ConnectivityError{Inner: refused}, &neo4j.ConnectivityError{Inner: refused}), expired: true, code: plan.EUNAVAIL, msg: unreachable},
		{name: "TransactionExecutionLimit of a ConnectivityError, retry time up",
			err: retried(gaveUp, neo("Neo.TransientError.General.DatabaseUnavailable"), &neo4j.ConnectivityError{Inner: io.EOF}), code: plan.EUNAVAIL, msg: unreachable},
		{name: "TransactionExecutionLimit of a ConnectivityError, after the deadline",
			err: retried(gaveUp, &neo4j.ConnectivityError{Inner: io.EOF}), expired: true, code: plan.EUNAVAIL, msg: unreachable},
		{name: "TransactionExecutionLimit of DatabaseUnavailable",
			err: retried(gaveUp, &neo4j.ConnectivityError{Inner: io.EOF}, neo("Neo.TransientError.General.DatabaseUnavailable")), code: plan.EUNAVAIL, msg: unavailable},
		{name: "TransactionExecutionLimit of deadlocks", err: retried(gaveUp, neo("Neo.TransientError.Transaction.DeadlockDetected"))},
		{name: "TransactionExecutionLimit of deadlocks, after the deadline",
			err: retried("context deadline exceeded", neo("Neo.TransientError.Transaction.DeadlockDetected")), expired: true, code: plan.ETIMEOUT, msg: late},
		{name: "TransactionExecutionLimit, wrapped", err: fmt.Errorf("read: %w", retried(gaveUp, &neo4j.ConnectivityError{Inner: refused})), code: plan.EUNAVAIL, msg: unreachable},

		{name: "UsageError", err: &neo4j.UsageError{Message: "Trying to create session on closed driver"}},
		{name: "UsageError after the deadline", err: &neo4j.UsageError{Message: "x"}, expired: true, code: plan.ETIMEOUT, msg: late},
	} {
		t.Run(c.name, func(t *testing.T) {
			ctx := context.Background()
			if c.expired {
				var cancel context.CancelFunc
				ctx, cancel = context.WithDeadline(ctx, time.Now().Add(-time.Second))
				defer cancel()
			}
			got := translate(ctx, c.err)
			if got == nil {
				t.Fatal("translate returned nil")
			}
			if !errors.Is(got, c.err) {
				t.Errorf("translate(%v) = %v, which does not wrap the driver's error", c.err, got)
			}
			code, msg := "", ""
			var w *wrapped
			var pe *plan.Error
			switch {
			case errors.As(got, &w):
				code, msg = w.Coded().Code, w.Coded().Message
			case errors.As(got, &pe):
				code, msg = pe.Code, pe.Message
			}
			if code != c.code || msg != c.msg {
				t.Errorf("translate(%v) = %v: code %q, message %q; want %q, %q", c.err, got, code, msg, c.code, c.msg)
			}
		})
	}
}
