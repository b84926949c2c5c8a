package server

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"go.uber.org/zap"

	"github.com/shenzhenplan/kgapi/plan"
)

// Incremental delivery (@defer) over multipart/mixed, in the format of the
// 2022-08-24 draft that Apollo Client speaks (Accept:
// multipart/mixed;deferSpec=20220824): the first part is the initial
// payload, {"data": …, "hasNext": true}; each later part is
// {"incremental": [{"data": …, "path": […], "label": …}], "hasNext": …},
// the last with "hasNext": false, then the closing boundary.
//
// Only the delivery differs from a POST: the parameters, the trusted
// documents, the guard's limits and the complexity budget are those of any
// operation (they run before execution, on the whole document, deferred
// fragments included), and a request that is not executed is answered as
// a POST would be, in JSON. An operation that defers nothing (no @defer,
// @defer(if: false), a mutation, @defer on root fields only: gqlgen
// v0.17.98 defers fragments within an object, never the root fields of a
// query, which all come in the initial payload) is answered in JSON too, so
// a client may send this Accept header with every request.
//
// gqlgen's own transport.MultipartMixed is not used: it answers request
// errors with 422, skips the GraphQL-over-HTTP rules of transport.go, and
// reads responses until a nil one, which the deadline wrapper of
// NewGraphQL never gives once the deadline has passed.

// multipartBoundary separates the parts of an incremental response.
const multipartBoundary = "graphql"

// multipartTransport serves POST /graphql from clients that accept
// multipart/mixed; it must be added before postTransport.
type multipartTransport struct{ log *zap.Logger }

func (multipartTransport) Supports(r *http.Request) bool {
	return postTransport{}.Supports(r) && acceptsMultipart(r)
}

func (t multipartTransport) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	postTransport(t).serve(w, r, exec, true)
}

// acceptsMultipart reports whether r's Accept header names multipart/mixed.
func acceptsMultipart(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept"), ",") {
		if mt, _, err := mime.ParseMediaType(strings.TrimSpace(part)); err == nil && mt == "multipart/mixed" {
			return true
		}
	}
	return false
}

// incrementalItem is one deferred fragment's result in a subsequent payload.
type incrementalItem struct {
	Data       json.RawMessage `json:"data"`
	Path       []any           `json:"path"` // [] at the root: never null, clients index it
	Label      string          `json:"label,omitempty"`
	Errors     gqlerror.List   `json:"errors,omitempty"`
	Extensions map[string]any  `json:"extensions,omitempty"`
}

// subsequentPayload is a part after the first.
type subsequentPayload struct {
	Incremental []incrementalItem `json:"incremental"`
	HasNext     bool              `json:"hasNext"`
}

// writeIncremental answers an operation whose first response defers
// fragments: that response, then one part per deferred result as it comes,
// each flushed, until one says hasNext false or the request's deadline
// passes (a last part then says so, with hasNext false).
func writeIncremental(w http.ResponseWriter, ctx context.Context, first *graphql.Response, next graphql.ResponseHandler, log *zap.Logger) {
	w.Header().Set("Content-Type", fmt.Sprintf("multipart/mixed; boundary=%q; deferSpec=20220824", multipartBoundary))
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	flusher, _ := w.(http.Flusher)
	writePart(w, first, log)
	if flusher != nil {
		flusher.Flush()
	}
	for {
		resp, err := await(ctx, next)
		var payload subsequentPayload
		switch {
		case err != nil:
			payload.Incremental = []incrementalItem{{Data: json.RawMessage("null"), Path: []any{}, Errors: gqlerror.List{{
				Message:    "the request took longer than its deadline: the deferred parts that had not come are missing",
				Extensions: map[string]any{"code": plan.ETIMEOUT},
			}}}}
		case resp == nil:
			// The executor ends without a last hasNext false: end here.
		default:
			item := incrementalItem{Data: resp.Data, Path: []any{}, Label: resp.Label, Errors: resp.Errors, Extensions: resp.Extensions}
			for _, p := range resp.Path {
				switch p := p.(type) {
				case ast.PathName:
					item.Path = append(item.Path, string(p))
				case ast.PathIndex:
					item.Path = append(item.Path, int(p))
				}
			}
			if len(item.Data) == 0 {
				item.Data = json.RawMessage("null")
			}
			payload.Incremental = []incrementalItem{item}
			payload.HasNext = resp.HasNext != nil && *resp.HasNext
		}
		if payload.Incremental != nil {
			writePart(w, payload, log)
		}
		if !payload.HasNext {
			_, _ = io.WriteString(w, "--"+multipartBoundary+"--\r\n")
			if flusher != nil {
				flusher.Flush()
			}
			return
		}
		if flusher != nil {
			flusher.Flush()
		}
	}
}

// writePart writes one part: boundary, headers, JSON body.
func writePart(w io.Writer, v any, log *zap.Logger) {
	b, err := json.Marshal(v)
	if err != nil {
		log.Error("encode a part of an incremental response", zap.Error(fmt.Errorf("server: %w", err)))
		b, _ = json.Marshal(requestErrorResponse{Errors: gqlerror.List{{
			Message: "internal error: a part of the response could not be encoded", Extensions: map[string]any{"code": plan.EINTERNAL},
		}}})
	}
	_, _ = fmt.Fprintf(w, "--%s\r\nContent-Type: application/json; charset=utf-8\r\n\r\n%s\r\n", multipartBoundary, b)
}

// await is next(ctx), or ctx's error once its deadline passes first.
// (gqlgen may drop a deferred result that completes as the deadline passes
// and then waits for it for ever: the goroutine is left to it.)
func await(ctx context.Context, next graphql.ResponseHandler) (*graphql.Response, error) {
	got := make(chan *graphql.Response, 1)
	go func() { got <- next(ctx) }()
	select {
	case resp := <-got:
		return resp, nil
	case <-ctx.Done():
		return nil, fmt.Errorf("await a deferred result: %w", ctx.Err())
	}
}

// defers reports whether the operation defers a fragment (an inline
// fragment or a fragment spread with @defer whose if is not false) below a
// root field. gqlgen (v0.17.98) resolves the root fields of a query in the
// initial payload whatever their fragments say: @defer at the root is
// accepted and has no effect, so it is not counted.
func defers(oc *graphql.OperationContext) bool {
	if oc == nil || oc.Operation == nil {
		return false
	}
	seen := map[string]bool{}
	var walk func(set ast.SelectionSet, root bool) bool
	walk = func(set ast.SelectionSet, root bool) bool {
		for _, sel := range set {
			switch sel := sel.(type) {
			case *ast.Field:
				if walk(sel.SelectionSet, false) {
					return true
				}
			case *ast.InlineFragment:
				if !root && deferOn(sel.Directives, oc.Variables) || walk(sel.SelectionSet, root) {
					return true
				}
			case *ast.FragmentSpread:
				if !root && deferOn(sel.Directives, oc.Variables) {
					return true
				}
				if sel.Definition != nil && !seen[sel.Name] {
					seen[sel.Name] = true
					if walk(sel.Definition.SelectionSet, root) {
						return true
					}
				}
			}
		}
		return false
	}
	return walk(oc.Operation.SelectionSet, true)
}

func deferOn(dirs ast.DirectiveList, vars map[string]any) bool {
	d := dirs.ForName("defer")
	if d == nil {
		return false
	}
	on, ok := d.ArgumentMap(vars)["if"].(bool)
	return !ok || on
}

// deferNeedsMultipart is the request error for @defer from a client that
// does not take multipart/mixed.
func deferNeedsMultipart() *gqlerror.Error {
	return &gqlerror.Error{
		Message:    "@defer needs incremental delivery: send the request with Accept: multipart/mixed;deferSpec=20220824 (or remove @defer)",
		Extensions: map[string]any{"code": plan.EINVALID},
	}
}
