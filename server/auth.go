package server

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"net/http"
	"strings"

	"github.com/shenzhenplan/kgapi/graph"
)

// Token is one configured API token: a name (recorded as the author of
// changes) and the SHA-256 of the secret. The secret itself is never stored.
type Token struct {
	Name string
	Hash [32]byte
}

// ParseTokens reads API_TOKENS: "name:sha256hex,name2:sha256hex".
func ParseTokens(s string) ([]Token, error) {
	var out []Token
	seen := map[string]bool{}
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		name, hexHash, ok := strings.Cut(part, ":")
		name = strings.TrimSpace(name)
		if !ok || name == "" {
			return nil, fmt.Errorf("API_TOKENS: %q must be name:sha256-hex (make token prints one)", redact(part))
		}
		b, err := hex.DecodeString(strings.TrimSpace(hexHash))
		if err != nil || len(b) != 32 {
			return nil, fmt.Errorf("API_TOKENS: the hash of %q must be 64 hex digits (SHA-256)", name)
		}
		if seen[name] {
			return nil, fmt.Errorf("API_TOKENS: the name %q appears twice", name)
		}
		seen[name] = true
		var t Token
		t.Name = name
		copy(t.Hash[:], b)
		out = append(out, t)
	}
	return out, nil
}

func redact(s string) string {
	if name, _, ok := strings.Cut(s, ":"); ok {
		return name + ":…"
	}
	if len(s) > 8 {
		return s[:4] + "…"
	}
	return s
}

// Authenticator checks bearer tokens in constant time.
type Authenticator struct {
	tokens []Token
}

// NewAuthenticator returns an authenticator over the configured tokens.
func NewAuthenticator(tokens []Token) *Authenticator { return &Authenticator{tokens: tokens} }

// Identify returns the name of the token whose hash matches secret. Every
// configured hash is compared, in constant time, whatever matches.
func (a *Authenticator) Identify(secret string) (string, bool) {
	if a == nil || secret == "" {
		return "", false
	}
	sum := sha256.Sum256([]byte(secret))
	name, found := "", 0
	for _, t := range a.tokens {
		if subtle.ConstantTimeCompare(sum[:], t.Hash[:]) == 1 {
			name = t.Name
			found = 1
		}
	}
	return name, found == 1
}

// bearer extracts the token of an "Authorization: Bearer <token>" value.
func bearer(header string) string {
	scheme, tok, ok := strings.Cut(strings.TrimSpace(header), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return ""
	}
	return strings.TrimSpace(tok)
}

// caller is who sent a request: the token's name, or nobody.
type caller struct {
	name          string
	authenticated bool
	presented     bool // a token was sent (right or wrong)
}

type callerKey struct{}

func withCaller(ctx context.Context, c caller) context.Context {
	return context.WithValue(ctx, callerKey{}, c)
}

func callerFrom(ctx context.Context) caller {
	c, _ := ctx.Value(callerKey{}).(caller)
	return c
}

// middleware identifies the caller of every HTTP request from its bearer token.
func (a *Authenticator) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tok := bearer(r.Header.Get("Authorization"))
		name, ok := a.Identify(tok)
		ctx := withCaller(r.Context(), caller{name: name, authenticated: ok, presented: tok != ""})
		if ok {
			ctx = graph.WithActor(ctx, name)
		}
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// TokenHash is the hex SHA-256 of a secret, as API_TOKENS holds it.
func TokenHash(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// readGuard applies the GraphQL endpoint's rule to plain GET endpoints: a
// presented token must be valid, and with READ_TOKEN_REQUIRED one is needed.
func readGuard(required bool, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if c := callerFrom(r.Context()); (required && !c.authenticated) || (c.presented && !c.authenticated) {
			w.Header().Set("WWW-Authenticate", "Bearer")
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = w.Write([]byte("authentication required: send a valid token as Authorization: Bearer <token>\n"))
			return
		}
		next.ServeHTTP(w, r)
	})
}
