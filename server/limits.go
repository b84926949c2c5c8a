package server

import (
	"cmp"
	"context"
	"fmt"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/shenzhenplan/kgapi/plan"
)

// Limits bound what one request may ask for. A request outside a limit is
// rejected after parsing and validation, before any resolver (and so any
// Cypher) runs, with a message naming the limit and its value.
type Limits struct {
	MaxDepth      int   // nesting of fields (introspection excluded)
	MaxComplexity int   // cost, connection fields counting by first/last
	MaxAliases    int   // aliased fields in one operation
	MaxBodyBytes  int64 // request body
	MaxTokens     int   // parser token limit
	MaxBatch      int   // operations in one batched POST
}

// DefaultLimits are the documented defaults (the configuration table's
// MAX_* defaults are derived from them).
var DefaultLimits = Limits{MaxDepth: 10, MaxComplexity: 1000, MaxAliases: 15, MaxBodyBytes: 1 << 20, MaxTokens: 10000, MaxBatch: 10}

// withDefaults fills each zero field from DefaultLimits, one by one: a
// partial Limits{MaxDepth: 5} keeps the other defaults.
func (l Limits) withDefaults() Limits {
	d := DefaultLimits
	l.MaxDepth = cmp.Or(l.MaxDepth, d.MaxDepth)
	l.MaxComplexity = cmp.Or(l.MaxComplexity, d.MaxComplexity)
	l.MaxAliases = cmp.Or(l.MaxAliases, d.MaxAliases)
	l.MaxBodyBytes = cmp.Or(l.MaxBodyBytes, d.MaxBodyBytes)
	l.MaxTokens = cmp.Or(l.MaxTokens, d.MaxTokens)
	l.MaxBatch = cmp.Or(l.MaxBatch, d.MaxBatch)
	return l
}

// guard is the gqlgen extension that enforces the method (GET: queries
// only), authorisation, depth and aliases once an operation is parsed and
// validated, in that order.
type guard struct {
	limits       Limits
	readRequired bool
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = guard{}

func (guard) ExtensionName() string                          { return "Guard" }
func (guard) Validate(schema graphql.ExecutableSchema) error { return nil }

func (g guard) MutateOperationContext(ctx context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	op := oc.Operation
	if op == nil {
		return nil
	}
	info := requestInfoFrom(ctx)
	if info != nil {
		info.mu.Lock()
		info.operation, info.opType = operationName(oc), string(op.Operation)
		info.mu.Unlock()
	}
	err := g.check(ctx, oc)
	if err != nil && info != nil {
		info.mu.Lock()
		info.rejected = true
		info.mu.Unlock()
	}
	return err
}

func (g guard) check(ctx context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	op := oc.Operation
	if isGET(ctx) && op.Operation != ast.Query {
		return methodNotAllowed(string(op.Operation)) // the method is wrong whoever asks: before the token
	}
	c := callerFrom(ctx)
	needsToken := op.Operation != ast.Query || g.readRequired
	if (needsToken && !c.authenticated) || (c.presented && !c.authenticated) {
		return &gqlerror.Error{Message: "authentication required: send a valid token as Authorization: Bearer <token>", Extensions: map[string]any{"code": plan.EUNAUTHENTICATED}}
	}
	if g.limits.MaxDepth > 0 {
		if d := depth(op.SelectionSet, oc.Doc.Fragments, 0, map[string]bool{}); d > g.limits.MaxDepth {
			return limitErr("the query is %d levels deep, more than the limit of %d", d, g.limits.MaxDepth)
		}
	}
	if g.limits.MaxAliases > 0 {
		if n := aliases(op.SelectionSet, oc.Doc.Fragments, map[string]bool{}); n > g.limits.MaxAliases {
			return limitErr("the query uses %d aliases, more than the limit of %d", n, g.limits.MaxAliases)
		}
	}
	return nil
}

func limitErr(format string, args ...any) *gqlerror.Error {
	return &gqlerror.Error{Message: fmt.Sprintf(format, args...), Extensions: map[string]any{"code": plan.ELIMIT}}
}

// depth is the deepest nesting of fields under set; introspection fields
// (__schema, __type) do not count.
func depth(set ast.SelectionSet, frags ast.FragmentDefinitionList, level int, visiting map[string]bool) int {
	max := level
	for _, sel := range set {
		var d int
		switch s := sel.(type) {
		case *ast.Field:
			if s.Name == "__schema" || s.Name == "__type" {
				continue
			}
			d = depth(s.SelectionSet, frags, level+1, visiting)
		case *ast.InlineFragment:
			d = depth(s.SelectionSet, frags, level, visiting)
		case *ast.FragmentSpread:
			if visiting[s.Name] {
				continue
			}
			if f := frags.ForName(s.Name); f != nil {
				visiting[s.Name] = true
				d = depth(f.SelectionSet, frags, level, visiting)
				delete(visiting, s.Name)
			}
		}
		if d > max {
			max = d
		}
	}
	return max
}

// aliases counts aliased fields (an alias equal to the field name is not one).
func aliases(set ast.SelectionSet, frags ast.FragmentDefinitionList, visiting map[string]bool) int {
	n := 0
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			if s.Alias != "" && s.Alias != s.Name {
				n++
			}
			n += aliases(s.SelectionSet, frags, visiting)
		case *ast.InlineFragment:
			n += aliases(s.SelectionSet, frags, visiting)
		case *ast.FragmentSpread:
			if visiting[s.Name] {
				continue
			}
			if f := frags.ForName(s.Name); f != nil {
				visiting[s.Name] = true
				n += aliases(f.SelectionSet, frags, visiting)
				delete(visiting, s.Name)
			}
		}
	}
	return n
}

// pageCost is how many items a connection field may return.
func pageCost(first, last *int, def int) int {
	switch {
	case first != nil && *first > 0:
		return *first
	case last != nil && *last > 0:
		return *last
	case first != nil || last != nil:
		return 1
	}
	return def
}

// operationName is the name the client gave the operation, in the request or
// in the document.
func operationName(oc *graphql.OperationContext) string {
	if oc.OperationName != "" {
		return oc.OperationName
	}
	if oc.Operation != nil {
		return oc.Operation.Name
	}
	return ""
}
