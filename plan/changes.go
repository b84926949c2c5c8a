package plan

import (
	"context"
	"sync"
)

// Change is one entry of the graph's change log: every write transaction
// (a mutation, a loader run) appends one in the same transaction, so the
// log is never ahead of or behind the data. Seq increases strictly across
// the whole graph, whichever API replica or loader wrote.
type Change struct {
	Seq  int64
	Kind ChangeKind
	// IDs are the measures the change touched (a mutation's one measure;
	// none for a load, whose Summary says what it changed).
	IDs []ID
	// By is who made it: the token's name, or the loader's dataset.
	By string
	// At is when it was committed (RFC 3339).
	At string
	// Summary describes a load: created, updated and deleted per label.
	Summary string
}

// ChangeKind is what made a change.
type ChangeKind string

// The kinds of change.
const (
	ChangeMutation ChangeKind = "MUTATION"
	ChangeLoad     ChangeKind = "LOAD"
)

// ChangeLog reads the change log.
type ChangeLog interface {
	// ChangesSince returns the changes after seq, oldest first, at most limit.
	ChangesSince(ctx context.Context, seq int64, limit int) ([]Change, error)
	// LastChange is the sequence number of the newest change (0 when none).
	LastChange(ctx context.Context) (int64, error)
}

// Receipt collects what the writes of one request left behind: the change
// log's sequence numbers and the database's bookmarks (a read that sends
// them back sees at least those writes, on any replica).
type Receipt struct {
	mu        sync.Mutex
	seqs      []int64
	bookmarks []string
}

type receiptKey struct{}

// WithReceipt returns a context whose writes record themselves in r.
func WithReceipt(ctx context.Context, r *Receipt) context.Context {
	return context.WithValue(ctx, receiptKey{}, r)
}

// ReceiptFrom is the receipt of ctx, nil when it has none.
func ReceiptFrom(ctx context.Context) *Receipt {
	r, _ := ctx.Value(receiptKey{}).(*Receipt)
	return r
}

// Record adds a write's sequence number (0: none) and bookmarks.
func (r *Receipt) Record(seq int64, bookmarks []string) {
	if r == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if seq > 0 {
		r.seqs = append(r.seqs, seq)
	}
	if len(bookmarks) > 0 {
		r.bookmarks = append(r.bookmarks[:0], bookmarks...)
	}
}

// Seqs and Bookmarks are what the receipt holds.
func (r *Receipt) Seqs() []int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]int64(nil), r.seqs...)
}

// Bookmarks are the bookmarks of the request's last write.
func (r *Receipt) Bookmarks() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.bookmarks...)
}

type bookmarksKey struct{}

// WithBookmarks returns a context whose reads see at least the writes the
// bookmarks stand for (a client sends back what a write gave it).
func WithBookmarks(ctx context.Context, bookmarks []string) context.Context {
	return context.WithValue(ctx, bookmarksKey{}, bookmarks)
}

// BookmarksFrom are the bookmarks ctx's reads wait for.
func BookmarksFrom(ctx context.Context) []string {
	b, _ := ctx.Value(bookmarksKey{}).([]string)
	return b
}
