package server

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"

	"github.com/99designs/gqlgen/graphql"

	"github.com/shenzhenplan/kgapi/plan"
)

// BookmarkHeader carries Neo4j bookmarks both ways: a write's response
// sends the bookmark of its transaction; a request that sends it back reads
// at least that state, on any replica (also from a cluster's secondaries
// through neo4j:// routing). ChangeSeqHeader is the change-log sequence
// number of the request's last write.
const (
	BookmarkHeader  = "X-Neo4j-Bookmark"
	ChangeSeqHeader = "X-Change-Seq"
)

// maxBookmarks and maxBookmarkLen bound what a client may send.
const (
	maxBookmarks   = 16
	maxBookmarkLen = 512
)

// withBookmarks reads the bookmarks a request sends (400 when malformed),
// gives the request a receipt for its writes, and sends the receipt's
// bookmark and sequence number back as headers (and, through
// bookmarkExtensions, in the response's extensions).
func withBookmarks(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var bms []string
		for _, v := range r.Header.Values(BookmarkHeader) {
			for _, b := range strings.Split(v, ",") {
				if b = strings.TrimSpace(b); b != "" {
					bms = append(bms, b)
				}
			}
		}
		for _, b := range bms {
			if len(b) > maxBookmarkLen || strings.ContainsFunc(b, func(r rune) bool { return r < 0x21 || r > 0x7e }) {
				writeGraphQLError(w, http.StatusBadRequest, plan.EINVALID, BookmarkHeader+": a bookmark is the opaque text a write's response sent (printable ASCII, at most "+strconv.Itoa(maxBookmarkLen)+" characters)")
				return
			}
		}
		if len(bms) > maxBookmarks {
			writeGraphQLError(w, http.StatusBadRequest, plan.EINVALID, fmt.Sprintf("%s: at most %d bookmarks", BookmarkHeader, maxBookmarks))
			return
		}
		ctx := r.Context()
		if len(bms) > 0 {
			ctx = plan.WithBookmarks(ctx, bms)
		}
		rc := &plan.Receipt{}
		ctx = plan.WithReceipt(ctx, rc)
		next.ServeHTTP(&receiptWriter{passThrough: passThrough{w}, rc: rc}, r.WithContext(ctx))
	})
}

// receiptWriter adds the receipt's headers before the response starts.
type receiptWriter struct {
	passThrough
	rc      *plan.Receipt
	written bool
}

func (w *receiptWriter) headers() {
	if w.written {
		return
	}
	w.written = true
	if bms := w.rc.Bookmarks(); len(bms) > 0 {
		w.Header().Set(BookmarkHeader, strings.Join(bms, ","))
	}
	if seqs := w.rc.Seqs(); len(seqs) > 0 {
		w.Header().Set(ChangeSeqHeader, strconv.FormatInt(seqs[len(seqs)-1], 10))
	}
}

func (w *receiptWriter) WriteHeader(code int) {
	w.headers()
	w.ResponseWriter.WriteHeader(code)
}

func (w *receiptWriter) Write(b []byte) (int, error) {
	w.headers()
	return w.ResponseWriter.Write(b)
}

// Flush sends the headers first when the stream starts with a flush.
func (w *receiptWriter) Flush() {
	w.headers()
	w.passThrough.Flush()
}

// bookmarkExtensions puts the request's write receipt in the response's
// extensions: {"bookmark": "…", "changeSeq": n}.
func bookmarkExtensions(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	resp := next(ctx)
	rc := plan.ReceiptFrom(ctx)
	if resp == nil || rc == nil {
		return resp
	}
	bms, seqs := rc.Bookmarks(), rc.Seqs()
	if len(bms) == 0 && len(seqs) == 0 {
		return resp
	}
	if resp.Extensions == nil {
		resp.Extensions = map[string]any{}
	}
	if len(bms) > 0 {
		resp.Extensions["bookmark"] = strings.Join(bms, ",")
	}
	if len(seqs) > 0 {
		resp.Extensions["changeSeq"] = seqs[len(seqs)-1]
	}
	return resp
}

// passThrough is a response-writer wrapper's base: Unwrap for
// http.ResponseController, and the Flusher (SSE, multipart) and Hijacker
// (WebSocket upgrades) of the writer it wraps.
type passThrough struct{ http.ResponseWriter }

func (w passThrough) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w passThrough) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (w passThrough) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	h, ok := w.ResponseWriter.(http.Hijacker)
	if !ok {
		return nil, nil, fmt.Errorf("the response writer cannot be hijacked")
	}
	return h.Hijack()
}
