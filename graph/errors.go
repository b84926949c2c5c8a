package graph

import (
	"context"
	"errors"

	"github.com/99designs/gqlgen/graphql"

	"github.com/shenzhenplan/kgapi/plan"
)

// coded is implemented by errors that carry a client-safe coded part.
type coded interface{ Coded() *plan.Error }

// Classify returns the client-safe coded form of err, or nil when err is
// internal (its details must not reach clients).
func Classify(err error) *plan.Error {
	var pe *plan.Error
	if errors.As(err, &pe) {
		return pe
	}
	var c coded
	if errors.As(err, &c) {
		return c.Coded()
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return &plan.Error{Code: plan.ETIMEOUT, Message: "the request took longer than its deadline"}
	}
	return nil
}

// addError reports err on the current field without failing it.
func addError(ctx context.Context, err error) {
	graphql.AddError(ctx, err)
}
