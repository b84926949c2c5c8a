package server

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/shenzhenplan/kgapi/graph"
	"github.com/shenzhenplan/kgapi/plan"
)

// withSSEResume gives Server-Sent Events the standard resume: each event
// of the changes subscription carries its sequence number as the event id
// (`id: 42`), and a client that reconnects with `Last-Event-ID: 42` (as
// EventSource does by itself) gets the changes after 42 that the log still
// holds, in order, then the new ones — unless its subscription says
// `after` itself.
func withSSEResume(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.Contains(r.Header.Get("Accept"), "text/event-stream") {
			next.ServeHTTP(w, r)
			return
		}
		if id := strings.TrimSpace(r.Header.Get("Last-Event-ID")); id != "" {
			n, err := strconv.Atoi(id)
			if err != nil || n < 0 {
				writeGraphQLError(w, http.StatusBadRequest, plan.EINVALID, "Last-Event-ID: the id of the last event received (a change's sequence number)")
				return
			}
			r = r.WithContext(graph.WithResume(r.Context(), n))
		}
		next.ServeHTTP(&sseIDWriter{passThrough{w}}, r)
	})
}

// sseIDWriter adds `id: <seq>` to each event whose data is a change (one
// Write per event, as gqlgen's SSE transport writes them).
type sseIDWriter struct{ passThrough }

func (w *sseIDWriter) Write(b []byte) (int, error) {
	if data, ok := bytes.CutPrefix(b, []byte("event: next\ndata: ")); ok {
		var ev struct {
			Data struct {
				Changes *struct {
					Seq *int `json:"seq"`
				} `json:"changes"`
			} `json:"data"`
		}
		if json.Unmarshal(bytes.TrimSpace(data), &ev) == nil && ev.Data.Changes != nil && ev.Data.Changes.Seq != nil {
			if _, err := fmt.Fprintf(w.ResponseWriter, "id: %d\n", *ev.Data.Changes.Seq); err != nil {
				return 0, err
			}
		}
	}
	return w.ResponseWriter.Write(b)
}
