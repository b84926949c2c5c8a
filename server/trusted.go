package server

import (
	"context"
	"crypto/sha256"
	_ "embed" // the built-in manifest
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/shenzhenplan/kgapi/plan"
)

// Trusted documents (TRUSTED_DOCUMENTS, TRUSTED_DOCUMENTS_MANIFEST): the
// documents a deployment's clients send, known ahead, identified by the
// SHA-256 of their text. A client sends one by id, GraphQL over HTTP's
// persisted documents convention ({"documentId": "sha256:<hex>"}, as
// graphql-codegen's client preset generates it) or Apollo's
// (extensions.persistedQuery.sha256Hash), or by its full text, which is
// trusted when its SHA-256 is a manifest's entry.

// TrustedMode says which documents the API runs.
type TrustedMode int

// The modes of TRUSTED_DOCUMENTS.
const (
	// TrustedOff: any document; a documentId is refused.
	TrustedOff TrustedMode = iota
	// TrustedAllow: any document; the manifests' may also be sent by id.
	TrustedAllow
	// TrustedOnly: the manifests' documents only (by id or by text), unless
	// the request carries a valid token.
	TrustedOnly
)

func (m TrustedMode) String() string {
	switch m {
	case TrustedAllow:
		return "allow"
	case TrustedOnly:
		return "only"
	}
	return "off"
}

// ParseTrustedMode reads TRUSTED_DOCUMENTS.
func ParseTrustedMode(s string) (TrustedMode, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "off":
		return TrustedOff, nil
	case "allow":
		return TrustedAllow, nil
	case "only":
		return TrustedOnly, nil
	}
	return TrustedOff, fmt.Errorf("TRUSTED_DOCUMENTS=%q must be off, allow or only", s)
}

// Manifest holds trusted documents by the hex SHA-256 of their text.
type Manifest struct {
	docs map[string]string
}

// webDocuments is the built-in manifest: the documents of the pages the API
// serves, the explorer's operations (server/explore/web/src/graphql.js) and
// GraphiQL's saved examples (server/playground/web/src/examples.js), so
// both keep working with TRUSTED_DOCUMENTS=only. TestWebDocumentsManifest
// holds it to those files (UPDATE_WEB_DOCUMENTS=1 rewrites it).
//
//go:embed web-documents.json
var webDocuments []byte

// WebDocuments returns the built-in manifest.
func WebDocuments() []byte { return webDocuments }

// LoadManifest reads the built-in manifest and the files at paths. Each is a
// JSON object mapping a document's id, "sha256:<hex>" or "<hex>" (64 hex
// digits), to its text, as graphql-codegen's client preset writes
// persisted-documents.json (with its default hashAlgorithm, sha256). An
// unreadable file, a file that is not such an object, an id that is not a
// SHA-256 or does not match its text, and one id with two texts are errors
// that name the file and the entry.
func LoadManifest(paths ...string) (*Manifest, error) {
	m := &Manifest{docs: map[string]string{}}
	if err := m.add("built-in web-documents.json", webDocuments); err != nil {
		return nil, err
	}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, fmt.Errorf("read the trusted documents manifest: %w", err)
		}
		if err := m.add(p, b); err != nil {
			return nil, err
		}
	}
	return m, nil
}

func (m *Manifest) add(name string, b []byte) error {
	var entries map[string]string
	if err := json.Unmarshal(b, &entries); err != nil {
		return fmt.Errorf("%s: not a JSON object of document ids to document texts (persisted-documents.json): %w", name, err)
	}
	if entries == nil {
		return fmt.Errorf("%s: not a JSON object of document ids to document texts (persisted-documents.json)", name)
	}
	ids := make([]string, 0, len(entries))
	for id := range entries {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		text := entries[id]
		hash, ok := normaliseID(id)
		if !ok {
			return fmt.Errorf("%s: entry %q: the id must be sha256:<64 hex digits> or <64 hex digits> (graphql-codegen's persistedDocuments with hashAlgorithm sha256, the default)", name, id)
		}
		if got := hashText(text); got != hash {
			return fmt.Errorf("%s: entry %q: the SHA-256 of its document is %s: the id does not match the text", name, id, got)
		}
		if text == "" {
			return fmt.Errorf("%s: entry %q: the document is empty", name, id)
		}
		m.docs[hash] = text
	}
	return nil
}

// Len is the number of trusted documents.
func (m *Manifest) Len() int {
	if m == nil {
		return 0
	}
	return len(m.docs)
}

// ByID returns the document whose id is "sha256:<hex>" or "<hex>".
func (m *Manifest) ByID(id string) (string, bool) {
	if m == nil {
		return "", false
	}
	hash, ok := normaliseID(id)
	if !ok {
		return "", false
	}
	text, ok := m.docs[hash]
	return text, ok
}

// Trusts reports whether text, byte for byte, is a trusted document.
func (m *Manifest) Trusts(text string) bool {
	if m == nil {
		return false
	}
	_, ok := m.docs[hashText(text)]
	return ok
}

func hashText(text string) string {
	sum := sha256.Sum256([]byte(text))
	return hex.EncodeToString(sum[:])
}

// normaliseID turns "sha256:<hex>" or "<hex>" into lower-case hex.
func normaliseID(id string) (string, bool) {
	h := strings.ToLower(strings.TrimSpace(id))
	if rest, ok := strings.CutPrefix(h, "sha256:"); ok {
		h = rest
	}
	if len(h) != 64 {
		return "", false
	}
	if _, err := hex.DecodeString(h); err != nil {
		return "", false
	}
	return h, true
}

// ruleTrusted marks the trusted documents' errors (gqlerror's Rule is not
// sent to clients): the transports answer them with 400 whatever the media
// type.
const ruleTrusted = "TrustedDocuments"

type documentIDKey struct{}

// withDocumentID carries the documentId of a GraphQL over HTTP request to
// the trusted documents extension (gqlgen's RawParams has no field for it).
func withDocumentID(ctx context.Context, id string) context.Context {
	if id == "" {
		return ctx
	}
	return context.WithValue(ctx, documentIDKey{}, id)
}

func documentIDFrom(ctx context.Context) string {
	id, _ := ctx.Value(documentIDKey{}).(string)
	return id
}

// trustedDocuments is the gqlgen extension that resolves a document sent by
// id and, in TrustedOnly mode, refuses any other, before anything is parsed
// (and so before any Cypher runs). It runs before AutomaticPersistedQuery,
// so that APQ's cache (filled by any caller) cannot smuggle a document past
// it.
type trustedDocuments struct {
	mode     TrustedMode
	manifest *Manifest
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationParameterMutator
} = trustedDocuments{}

func (trustedDocuments) ExtensionName() string                   { return "TrustedDocuments" }
func (trustedDocuments) Validate(graphql.ExecutableSchema) error { return nil }

func (t trustedDocuments) MutateOperationParameters(ctx context.Context, raw *graphql.RawParams) *gqlerror.Error {
	err := t.check(ctx, raw)
	if err != nil {
		if info := requestInfoFrom(ctx); info != nil { // the request log and metrics count it as rejected
			info.mu.Lock()
			info.rejected = true
			info.mu.Unlock()
		}
	}
	return err
}

func (t trustedDocuments) check(ctx context.Context, raw *graphql.RawParams) *gqlerror.Error {
	id := documentIDFrom(ctx)
	if t.mode == TrustedOff {
		if id != "" {
			return trustedErr(plan.EPERSISTEDUNSUPPORTED, "documentId is not supported: this server runs with TRUSTED_DOCUMENTS=off; send the document as query")
		}
		return nil
	}
	c := callerFrom(ctx)
	// A valid token may run any document. A wrong one is answered by the
	// guard (UNAUTHENTICATED) once the document is parsed.
	exempt := t.mode != TrustedOnly || c.presented
	if id != "" {
		if raw.Query != "" {
			return trustedErr(plan.EBADREQUEST, "send either documentId or query, not both")
		}
		text, ok := t.manifest.ByID(id)
		if !ok {
			return trustedErr(plan.EPERSISTEDNOTFOUND, fmt.Sprintf("persisted document not found: no trusted document has the id %q", truncateID(id)))
		}
		raw.Query = text
		return nil
	}
	if raw.Query == "" {
		hash := apqHash(raw.Extensions)
		if hash == "" {
			return nil // the transport answers a request without a document
		}
		if text, ok := t.manifest.ByID(hash); ok {
			raw.Query = text // AutomaticPersistedQuery checks the hash and caches it
			return nil
		}
		if !exempt {
			return trustedErr(plan.EPERSISTEDNOTFOUND, fmt.Sprintf("persisted document not found: no trusted document has the sha256Hash %q", truncateID(hash)))
		}
		return nil // AutomaticPersistedQuery looks in its cache
	}
	if !exempt && !t.manifest.Trusts(raw.Query) {
		return trustedErr(plan.ENOTTRUSTED, "document not trusted: this server runs only the documents of its manifest (TRUSTED_DOCUMENTS=only); send one by its documentId, or send a valid token")
	}
	return nil
}

func trustedErr(code, msg string) *gqlerror.Error {
	return &gqlerror.Error{Message: msg, Rule: ruleTrusted, Extensions: map[string]any{"code": code}}
}

// apqHash is extensions.persistedQuery.sha256Hash, when it is a string.
func apqHash(ext map[string]any) string {
	pq, _ := ext["persistedQuery"].(map[string]any)
	h, _ := pq["sha256Hash"].(string)
	return h
}

func truncateID(id string) string {
	if len(id) > 80 {
		return id[:80] + "…"
	}
	return id
}

// isTrustedRefusal reports whether errs hold a trusted documents' error.
func isTrustedRefusal(errs gqlerror.List) bool {
	for _, e := range errs {
		if e != nil && e.Rule == ruleTrusted {
			return true
		}
	}
	return false
}
