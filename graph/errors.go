package graph

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
)

// addError reports err on the current field without failing it.
func addError(ctx context.Context, err error) {
	graphql.AddError(ctx, err)
}
