package plan

import (
	"context"
	"errors"
	"fmt"
)

// Error codes, shown to clients as extensions.code (GraphQL) or in the
// body of a request refused before GraphQL runs. This is the only place
// they are spelled; Codes says what each means.
const (
	// Raised by the domain and the store.
	EINVALID  = "BAD_USER_INPUT"
	ENOTFOUND = "NOT_FOUND"
	EUNAVAIL  = "DATABASE_UNAVAILABLE"
	ETIMEOUT  = "TIMEOUT"
	EINTERNAL = "INTERNAL_SERVER_ERROR"

	// Raised by the HTTP and GraphQL layers, before or around execution.
	EUNAUTHENTICATED      = "UNAUTHENTICATED"
	ELIMIT                = "QUERY_LIMIT_EXCEEDED"
	EBADREQUEST           = "BAD_REQUEST"
	EMETHOD               = "METHOD_NOT_ALLOWED"
	ERATELIMIT            = "RATE_LIMITED"
	EVALIDATION           = "GRAPHQL_VALIDATION_FAILED"
	EPERSISTEDNOTFOUND    = "PERSISTED_QUERY_NOT_FOUND"
	EPERSISTEDUNSUPPORTED = "PERSISTED_QUERY_NOT_SUPPORTED"
	ENOTTRUSTED           = "DOCUMENT_NOT_TRUSTED"

	// Set by gqlgen itself, listed for their meaning.
	EPARSE      = "GRAPHQL_PARSE_FAILED"
	ECOMPLEXITY = "COMPLEXITY_LIMIT_EXCEEDED"
)

// CodeInfo is one error code and what it means to a client.
type CodeInfo struct {
	Code    string
	Meaning string
}

// Codes lists every error code the API sends, with its meaning.
var Codes = []CodeInfo{
	{EINVALID, "an argument or input is malformed or out of range (a bad id, cursor, page size, slug, measure code); the message says which"},
	{ENOTFOUND, "the thing named does not exist (a mutation's measure or link target, an export's plan)"},
	{EUNAVAIL, "Neo4j does not answer or refused the credentials; retry later"},
	{ETIMEOUT, "the request took longer than its deadline (QUERY_TIMEOUT)"},
	{EINTERNAL, "anything else; the details are only in the log, under the request id the message gives"},
	{EUNAUTHENTICATED, "the operation needs a valid token (a mutation, a subscription's write, any query with READ_TOKEN_REQUIRED), or the token sent is not valid"},
	{ELIMIT, "the request exceeds a limit (depth, complexity, aliases, body size, batch size); the message names it and its value"},
	{EBADREQUEST, "the HTTP request is not a GraphQL request (unreadable body, bad JSON, an empty batch, bad GET parameters)"},
	{EMETHOD, "a mutation or subscription sent with GET"},
	{ERATELIMIT, "more requests per second from this client than RATE_LIMIT allows; Retry-After says when to retry"},
	{EVALIDATION, "the document does not validate against the schema (gqlgen sets it; the presenter adds it to a parse or validation error that has no code)"},
	{EPERSISTEDNOTFOUND, "a documentId or persisted-query hash this server does not know"},
	{EPERSISTEDUNSUPPORTED, "a persisted query sent while trusted documents are off, or in a way the mode does not take"},
	{ENOTTRUSTED, "TRUSTED_DOCUMENTS=only and the document is not in a manifest (and the request carries no valid token)"},
	{EPARSE, "the document is not valid GraphQL syntax (gqlgen)"},
	{ECOMPLEXITY, "the operation costs more than MAX_COMPLEXITY (gqlgen's complexity limit, priced by graph/cost.go)"},
}

// Error is an application error with a code; its message is safe to show to
// clients. Errors without a code are internal and never shown in detail.
type Error struct {
	Code    string
	Message string
}

func (e *Error) Error() string { return e.Message }

// Errorf returns an *Error with the given code.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Coded is implemented by errors that keep an internal cause for the logs
// and carry a client-safe coded part (the store's translated driver errors).
type Coded interface{ Coded() *Error }

// Classify returns the client-safe coded form of err, or nil when err is
// internal (its details must not reach clients). It is the one classifier:
// the GraphQL error presenter, the HTTP layer and the exports all use it.
func Classify(err error) *Error {
	var pe *Error
	if errors.As(err, &pe) {
		return pe
	}
	var c Coded
	if errors.As(err, &c) {
		return c.Coded()
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return &Error{Code: ETIMEOUT, Message: "the request took longer than its deadline"}
	}
	return nil
}
