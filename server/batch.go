package server

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/shenzhenplan/kgapi/plan"
)

// withBodyLimit rejects request bodies over max bytes and serves batched
// POSTs (a JSON array of operations, at most maxBatch) by running each
// operation through next and answering with an array of results.
func withBodyLimit(max int64, maxBatch int, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.Body == nil {
			next.ServeHTTP(w, r)
			return
		}
		body, err := io.ReadAll(io.LimitReader(r.Body, max+1))
		r.Body.Close()
		if err != nil {
			writeGraphQLError(w, http.StatusBadRequest, plan.EBADREQUEST, "could not read the request body")
			return
		}
		if int64(len(body)) > max {
			writeGraphQLError(w, http.StatusRequestEntityTooLarge, plan.ELIMIT, fmt.Sprintf("the request body is larger than the limit of %d bytes", max))
			return
		}
		trimmed := bytes.TrimLeft(body, " \t\r\n")
		if len(trimmed) == 0 || trimmed[0] != '[' || !strings.Contains(r.Header.Get("Content-Type"), "json") {
			r.Body = io.NopCloser(bytes.NewReader(body))
			r.ContentLength = int64(len(body))
			next.ServeHTTP(w, r)
			return
		}
		var ops []json.RawMessage
		if err := json.Unmarshal(trimmed, &ops); err != nil {
			writeGraphQLError(w, http.StatusBadRequest, plan.EBADREQUEST, "the batch is not a JSON array of operations")
			return
		}
		if len(ops) == 0 {
			writeGraphQLError(w, http.StatusBadRequest, plan.EBADREQUEST, "the batch is empty")
			return
		}
		if len(ops) > maxBatch {
			writeGraphQLError(w, http.StatusBadRequest, plan.ELIMIT, fmt.Sprintf("the batch has %d operations, more than the limit of %d", len(ops), maxBatch))
			return
		}
		results := make([]json.RawMessage, len(ops))
		for i, op := range ops {
			sub := r.Clone(r.Context())
			sub.Body = io.NopCloser(bytes.NewReader(op))
			sub.ContentLength = int64(len(op))
			sub.Header.Set("Accept", "application/json")
			rec := &bufferedResponse{header: http.Header{}}
			next.ServeHTTP(rec, sub)
			results[i] = bytes.TrimSpace(rec.body.Bytes())
			if !json.Valid(results[i]) {
				results[i] = json.RawMessage(`{"errors":[{"message":"the operation failed","extensions":{"code":"` + plan.EINTERNAL + `"}}]}`)
			}
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(results)
	})
}

func writeGraphQLError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{
		"errors": []map[string]any{{"message": msg, "extensions": map[string]any{"code": code}}},
	})
}

// bufferedResponse keeps the body of one operation's response of a batch
// in memory; its status and headers are not used (the batch answers 200
// with an array of the operations' bodies).
type bufferedResponse struct {
	header http.Header
	body   bytes.Buffer
}

func (b *bufferedResponse) Header() http.Header         { return b.header }
func (b *bufferedResponse) WriteHeader(int)             {}
func (b *bufferedResponse) Write(p []byte) (int, error) { return b.body.Write(p) }

// Flush does nothing: the whole response is kept.
func (b *bufferedResponse) Flush() {}
