package server

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/parser"
	"go.uber.org/zap"

	"github.com/shenzhenplan/kgapi/plan"
)

// GraphQL over HTTP (https://graphql.github.io/graphql-over-http/draft/),
// the GET and POST sides of /graphql. gqlgen's own transports answer 422 to
// application/json clients on parse and validation failures and always
// write a "data" entry; these follow the spec instead:
//
//   - Invalid parameters (a body that is not a JSON object, a missing or
//     non-string query, variables or extensions that are not objects): 400,
//     whatever the media type.
//   - A request that is not executed (parse, validation or variable
//     coercion failure, authentication, limits): errors and no "data"
//     entry; 200 with application/json, 4xx with
//     application/graphql-response+json (401 when a token is needed, else 400).
//   - A mutation or subscription sent with GET: 405 with Allow: POST, before
//     any other check (see refuseGETMutations).
//   - A document sent by id ({"documentId": "sha256:<hex>"}, GET
//     ?documentId=) is looked up in the trusted documents (trusted.go); an
//     unknown id, or a document refused by TRUSTED_DOCUMENTS=only: 400,
//     whatever the media type.

// The response media types.
const (
	mediaJSON            = "application/json"
	mediaGraphQLResponse = "application/graphql-response+json"
)

// responseMedia is the media type of the answer to r: the first of
// application/json and application/graphql-response+json its Accept header
// names; application/json when it names neither (or is missing, */*,
// application/*), as the spec asks of servers for legacy clients.
func responseMedia(r *http.Request) string {
	for _, part := range strings.Split(r.Header.Get("Accept"), ",") {
		mt, _, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		switch mt {
		case mediaJSON:
			return mediaJSON
		case mediaGraphQLResponse:
			return mediaGraphQLResponse
		}
	}
	return mediaJSON
}

// postTransport serves POST /graphql with a JSON body.
type postTransport struct{ log *zap.Logger }

func (postTransport) Supports(r *http.Request) bool {
	if r.Method != http.MethodPost || r.Header.Get("Upgrade") != "" {
		return false
	}
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return err == nil && mt == mediaJSON
}

func (t postTransport) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	t.serve(w, r, exec, false)
}

// serve answers a POST: its parameters read and checked, then the operation
// run, its parts sent as multipart/mixed when incremental (@defer).
func (t postTransport) serve(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor, incremental bool) {
	media := responseMedia(r)
	w.Header().Set("Content-Type", media)
	raw, documentID, ok := readPOST(w, r)
	if !ok {
		return
	}
	serveGraphQL(w, withDocumentID(r.Context(), documentID), exec, raw, media, incremental, t.log)
}

// readPOST reads the parameters of a POST request's JSON body; when they
// are invalid it answers 400 (the Content-Type is already set) and false.
func readPOST(w http.ResponseWriter, r *http.Request) (raw *graphql.RawParams, documentID string, ok bool) {
	start := graphql.Now()
	body, err := io.ReadAll(r.Body)
	if err != nil {
		writeBadRequest(w, "could not read the request body")
		return nil, "", false
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(body, &fields); err != nil || fields == nil {
		writeBadRequest(w, "the request body is not a JSON object with a query (GraphQL over HTTP)")
		return nil, "", false
	}
	raw = &graphql.RawParams{Headers: r.Header}
	if err := decodeString(fields["query"], &raw.Query); err != nil {
		writeBadRequest(w, "the query parameter must be a string")
		return nil, "", false
	}
	if err := decodeString(fields["documentId"], &documentID); err != nil {
		writeBadRequest(w, "the documentId parameter must be a string")
		return nil, "", false
	}
	if err := decodeString(fields["operationName"], &raw.OperationName); err != nil {
		writeBadRequest(w, "the operationName parameter must be a string or null")
		return nil, "", false
	}
	if raw.Variables, err = decodeObject(fields["variables"]); err != nil {
		writeBadRequest(w, "the variables parameter must be an object or null")
		return nil, "", false
	}
	if raw.Extensions, err = decodeObject(fields["extensions"]); err != nil {
		writeBadRequest(w, "the extensions parameter must be an object or null")
		return nil, "", false
	}
	raw.ReadTime = graphql.TraceTiming{Start: start, End: graphql.Now()}
	return raw, documentID, true
}

// getTransport serves GET /graphql?query=…: queries only.
type getTransport struct{ log *zap.Logger }

func (getTransport) Supports(r *http.Request) bool {
	return r.Method == http.MethodGet && r.Header.Get("Upgrade") == ""
}

func (t getTransport) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	media := responseMedia(r)
	w.Header().Set("Content-Type", media)
	start := graphql.Now()
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		writeBadRequest(w, "the query string is not URL-encoded")
		return
	}
	raw := &graphql.RawParams{Query: q.Get("query"), OperationName: q.Get("operationName"), Headers: r.Header}
	if v := q.Get("variables"); v != "" {
		if raw.Variables, err = decodeObject(json.RawMessage(v)); err != nil {
			writeBadRequest(w, "the variables parameter must be a JSON object")
			return
		}
	}
	if v := q.Get("extensions"); v != "" {
		if raw.Extensions, err = decodeObject(json.RawMessage(v)); err != nil {
			writeBadRequest(w, "the extensions parameter must be a JSON object")
			return
		}
	}
	raw.ReadTime = graphql.TraceTiming{Start: start, End: graphql.Now()}
	serveGraphQL(w, withDocumentID(withGET(r.Context()), q.Get("documentId")), exec, raw, media, false, t.log)
}

// serveGraphQL runs one operation whose parameters are well-formed.
// incremental: the client takes multipart/mixed, so an operation that
// defers fragments is answered part by part (see incremental.go); a client
// that does not gets a request error for @defer instead.
func serveGraphQL(w http.ResponseWriter, ctx context.Context, exec graphql.GraphExecutor, raw *graphql.RawParams, media string, incremental bool, log *zap.Logger) {
	if raw.Query == "" && raw.Extensions["persistedQuery"] == nil && documentIDFrom(ctx) == "" {
		writeBadRequest(w, "the request has no query: send the GraphQL document as the query parameter (or a trusted document's documentId)")
		return
	}
	oc, errs := exec.CreateOperationContext(ctx, raw)
	if errs == nil && !incremental && defers(oc) {
		errs = gqlerror.List{deferNeedsMultipart()}
	}
	if errs != nil {
		status := requestErrorStatus(errs, media)
		switch status {
		case http.StatusMethodNotAllowed:
			w.Header().Set("Allow", http.MethodPost)
		case http.StatusUnauthorized:
			w.Header().Set("WWW-Authenticate", "Bearer")
		}
		resp := exec.DispatchError(graphql.WithOperationContext(ctx, oc), errs)
		writeResponse(w, status, requestErrorResponse{Errors: resp.Errors, Extensions: resp.Extensions}, log)
		return
	}
	if isGET(ctx) && oc.Operation.Operation != ast.Query { // the guard refuses it first; kept for safety
		writeMethodNotAllowed(w, string(oc.Operation.Operation))
		return
	}
	responses, ctx := exec.DispatchOperation(ctx, oc)
	first := responses(ctx)
	if incremental && first != nil && first.HasNext != nil && *first.HasNext {
		writeIncremental(w, ctx, first, responses, log)
		return
	}
	writeResponse(w, http.StatusOK, first, log)
}

// requestErrorStatus is the status of a request that was not executed.
func requestErrorStatus(errs gqlerror.List, media string) int {
	if hasCode(errs, plan.EMETHOD) {
		return http.StatusMethodNotAllowed
	}
	if isTrustedRefusal(errs) {
		return http.StatusBadRequest // a document not trusted, an unknown documentId: whatever the media type
	}
	if media == mediaJSON {
		return http.StatusOK
	}
	if hasCode(errs, plan.EUNAUTHENTICATED) {
		return http.StatusUnauthorized
	}
	return http.StatusBadRequest
}

func hasCode(errs gqlerror.List, code string) bool {
	for _, e := range errs {
		if c, _ := e.Extensions["code"].(string); c == code {
			return true
		}
	}
	return false
}

// requestErrorResponse is the answer to a request that was not executed:
// it has no "data" entry (GraphQL spec, section Response).
type requestErrorResponse struct {
	Errors     gqlerror.List  `json:"errors"`
	Extensions map[string]any `json:"extensions,omitempty"`
}

func writeResponse(w http.ResponseWriter, status int, resp any, log *zap.Logger) {
	var b []byte
	var err error
	if r, ok := resp.(*graphql.Response); ok && r != nil {
		b, err = encodeResponse(r)
	} else {
		b, err = json.Marshal(resp)
	}
	if err != nil {
		log.Error("encode the GraphQL response", zap.Error(fmt.Errorf("server: %w", err)))
		status = http.StatusInternalServerError
		b, _ = json.Marshal(requestErrorResponse{Errors: gqlerror.List{{
			Message: "internal error: the response could not be encoded", Extensions: map[string]any{"code": plan.EINTERNAL},
		}}})
	}
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// encodeResponse writes a GraphQL response as JSON with its data as gqlgen
// wrote it. json.Marshal would check and compact the data again, byte by
// byte: a tenth of the API's CPU for a neighbourhood of 340 nodes and 1,072
// edges (256 KB) at 100,000 measures. The other members are few and small,
// and keep json.Marshal; the order is graphql.Response's.
func encodeResponse(r *graphql.Response) ([]byte, error) {
	var b bytes.Buffer
	b.Grow(len(r.Data) + 256)
	b.WriteByte('{')
	member := func(name string, v any) error {
		enc, err := json.Marshal(v)
		if err != nil {
			return fmt.Errorf("encode the response's %s: %w", name, err)
		}
		b.WriteString(`"` + name + `":`)
		b.Write(enc)
		return nil
	}
	if len(r.Errors) > 0 {
		if err := member("errors", r.Errors); err != nil {
			return nil, err
		}
		b.WriteByte(',')
	}
	b.WriteString(`"data":`)
	if len(r.Data) == 0 {
		b.WriteString("null")
	} else {
		b.Write(r.Data)
	}
	for _, m := range []struct {
		name string
		v    any
		set  bool
	}{
		{"label", r.Label, r.Label != ""},
		{"path", r.Path, len(r.Path) > 0},
		{"hasNext", r.HasNext, r.HasNext != nil},
		{"extensions", r.Extensions, len(r.Extensions) > 0},
	} {
		if !m.set {
			continue
		}
		b.WriteByte(',')
		if err := member(m.name, m.v); err != nil {
			return nil, err
		}
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// writeBadRequest answers invalid parameters: 400 and no "data" entry.
// The Content-Type is already set.
func writeBadRequest(w http.ResponseWriter, msg string) {
	w.WriteHeader(http.StatusBadRequest)
	_ = json.NewEncoder(w).Encode(requestErrorResponse{Errors: gqlerror.List{{Message: msg, Extensions: map[string]any{"code": plan.EBADREQUEST}}}})
}

// writeMethodNotAllowed answers a mutation or subscription sent with GET.
// The Content-Type is already set.
func writeMethodNotAllowed(w http.ResponseWriter, operation string) {
	w.Header().Set("Allow", http.MethodPost)
	w.WriteHeader(http.StatusMethodNotAllowed)
	_ = json.NewEncoder(w).Encode(requestErrorResponse{Errors: gqlerror.List{methodNotAllowed(operation)}})
}

func methodNotAllowed(operation string) *gqlerror.Error {
	return &gqlerror.Error{
		Message:    fmt.Sprintf("GET requests carry queries only: send this %s with POST", operation),
		Extensions: map[string]any{"code": plan.EMETHOD},
	}
}

type getKey struct{}

// withGET marks the context of a GraphQL request sent with GET, for the guard.
func withGET(ctx context.Context) context.Context { return context.WithValue(ctx, getKey{}, true) }

func isGET(ctx context.Context) bool { b, _ := ctx.Value(getKey{}).(bool); return b }

// refuseGETMutations answers GET /graphql carrying a mutation or a
// subscription with 405 and Allow: POST before any other check runs
// (authentication, rate limiting, limits): the method is wrong whoever asks.
// Documents it cannot parse (within maxTokens) pass on, to be answered with
// the parse error; so does a persisted query sent by hash, which the guard
// refuses once the document is known.
func refuseGETMutations(maxTokens int, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet || r.URL.Path != "/graphql" || r.Header.Get("Upgrade") != "" {
			next.ServeHTTP(w, r)
			return
		}
		q, err := url.ParseQuery(r.URL.RawQuery)
		if err != nil || q.Get("query") == "" {
			next.ServeHTTP(w, r)
			return
		}
		doc, err := parser.ParseQueryWithTokenLimit(&ast.Source{Input: q.Get("query")}, maxTokens)
		if err != nil {
			next.ServeHTTP(w, r)
			return
		}
		op := doc.Operations.ForName(q.Get("operationName"))
		if op == nil || op.Operation == ast.Query {
			next.ServeHTTP(w, r)
			return
		}
		if info := requestInfoFrom(r.Context()); info != nil {
			info.mu.Lock()
			info.operation, info.opType, info.rejected = q.Get("operationName"), string(op.Operation), true
			if info.operation == "" {
				info.operation = op.Name
			}
			info.mu.Unlock()
		}
		w.Header().Set("Content-Type", responseMedia(r))
		writeMethodNotAllowed(w, string(op.Operation))
	})
}

// decodeString reads a JSON string or null (absent: unchanged).
func decodeString(v json.RawMessage, dst *string) error {
	if len(v) == 0 || bytes.Equal(v, []byte("null")) {
		return nil
	}
	return json.Unmarshal(v, dst)
}

// decodeObject reads a JSON object or null (absent: nil), numbers kept as
// json.Number as gqlgen's own transports do.
func decodeObject(v json.RawMessage) (map[string]any, error) {
	if len(v) == 0 || bytes.Equal(bytes.TrimSpace(v), []byte("null")) {
		return nil, nil
	}
	dec := json.NewDecoder(bytes.NewReader(v))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("decode an object: %w", err)
	}
	if m == nil || dec.More() {
		return nil, fmt.Errorf("decode an object: not one JSON object")
	}
	return m, nil
}
