package server

import (
	"container/list"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"sync"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/shenzhenplan/kgapi/plan"
)

// responseCache is the opt-in cache of whole query responses
// (RESPONSE_CACHE_MB, RESPONSE_CACHE_TTL). The key is the query text as
// received (after persisted-query lookup), the operation name and the
// variables. Only successful query responses are kept; mutations and
// subscriptions pass through. Every write this process commits empties
// it (the broker's change hook), and an entry lives at most ttl, which
// bounds how stale an answer can be after a write by another process (the
// loader, another API replica).
type responseCache struct {
	ttl     time.Duration
	maxSize int // bytes of response data
	m       *Metrics

	mu    sync.Mutex
	gen   uint64 // bumped by every invalidation
	size  int
	order *list.List // front: most recently used
	byKey map[string]*list.Element
}

type cachedResponse struct {
	key  string
	resp graphql.Response
	size int
	at   time.Time
}

// DefaultResponseCacheTTL is how long a cached response is served at most
// when RESPONSE_CACHE_TTL does not say.
const DefaultResponseCacheTTL = 10 * time.Second

func newResponseCache(maxBytes int, ttl time.Duration, m *Metrics) *responseCache {
	return &responseCache{ttl: ttl, maxSize: maxBytes, m: m, order: list.New(), byKey: map[string]*list.Element{}}
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationInterceptor
} = (*responseCache)(nil)

func (c *responseCache) ExtensionName() string                   { return "ResponseCache" }
func (c *responseCache) Validate(graphql.ExecutableSchema) error { return nil }

// Invalidate drops every entry: called after each committed write.
func (c *responseCache) Invalidate() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	c.size = 0
	c.order.Init()
	clear(c.byKey)
}

// InterceptOperation answers a query from the cache, or runs it and keeps
// its response when it succeeded and no write happened meanwhile.
func (c *responseCache) InterceptOperation(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	oc := graphql.GetOperationContext(ctx)
	if oc.Operation == nil || oc.Operation.Operation != ast.Query || planWanted(ctx) {
		return next(ctx) // a response with its plan (X-Debug) is neither served from nor kept in the cache
	}
	key, ok := cacheKey(oc)
	if !ok {
		return next(ctx)
	}
	if len(plan.BookmarksFrom(ctx)) > 0 {
		// The client waits for a write that this replica's cache may
		// predate: the database answers (and the answer is not kept).
		c.count("bypass")
		return next(ctx)
	}
	if resp, hit := c.get(key); hit {
		c.count("hit")
		// The response middleware does not run for a hit: the request log
		// and metrics learn the operation here.
		if info := requestInfoFrom(ctx); info != nil {
			info.record(operationName(oc), 0)
		}
		done := false
		return func(context.Context) *graphql.Response {
			if done {
				return nil
			}
			done = true
			return resp
		}
	}
	c.count("miss")
	c.mu.Lock()
	gen := c.gen
	c.mu.Unlock()
	h := next(ctx)
	return func(ctx context.Context) *graphql.Response {
		resp := h(ctx)
		// A response in parts (@defer: hasNext set) is never kept: its
		// first part is not the whole answer, the others are fragments.
		if resp != nil && len(resp.Errors) == 0 && resp.Data != nil && resp.HasNext == nil {
			c.put(key, gen, resp)
		}
		return resp
	}
}

func (c *responseCache) count(outcome string) {
	if c.m != nil {
		c.m.cache.WithLabelValues("response", outcome).Inc()
	}
}

// cacheKey hashes what makes two requests the same query.
func cacheKey(oc *graphql.OperationContext) (string, bool) {
	vars, err := json.Marshal(oc.Variables) // map keys are sorted: canonical
	if err != nil {
		return "", false
	}
	h := sha256.New()
	h.Write([]byte(oc.RawQuery))
	h.Write([]byte{0})
	h.Write([]byte(oc.OperationName))
	h.Write([]byte{0})
	h.Write(vars)
	return hex.EncodeToString(h.Sum(nil)), true
}

func (c *responseCache) get(key string) (*graphql.Response, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.byKey[key]
	if !ok {
		return nil, false
	}
	e := el.Value.(*cachedResponse)
	if time.Since(e.at) > c.ttl {
		c.remove(el)
		return nil, false
	}
	c.order.MoveToFront(el)
	resp := e.resp // a copy: the caller's response is its own
	return &resp, true
}

func (c *responseCache) put(key string, gen uint64, resp *graphql.Response) {
	size := len(resp.Data) + len(key)
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen || size > c.maxSize/4 {
		return // a write happened while it ran, or it would crowd out the rest
	}
	if el, ok := c.byKey[key]; ok {
		c.remove(el)
	}
	c.byKey[key] = c.order.PushFront(&cachedResponse{key: key, resp: graphql.Response{Data: resp.Data, Extensions: resp.Extensions}, size: size, at: time.Now()})
	c.size += size
	for c.size > c.maxSize {
		c.remove(c.order.Back())
	}
}

func (c *responseCache) remove(el *list.Element) {
	e := c.order.Remove(el).(*cachedResponse)
	delete(c.byKey, e.key)
	c.size -= e.size
}
