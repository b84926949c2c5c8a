package graph

import (
	"context"
	"strings"
	"sync"

	"github.com/shenzhenplan/kgapi/plan"
)

// Broker fans out "measure changed" events to the subscriptions of this
// process. Mutations publish after their transaction has committed.
// (Several API processes do not share events: each tells its own clients
// about the changes it made.)
type Broker struct {
	mu       sync.Mutex
	next     int
	subs     map[int]chan plan.ID
	onChange []func()
}

// OnChange registers f to run, synchronously, on every Publish before the
// subscribers hear of it (the response cache empties itself there).
func (b *Broker) OnChange(f func()) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.onChange = append(b.onChange, f)
}

// NewBroker returns a broker with no subscribers.
func NewBroker() *Broker { return &Broker{subs: map[int]chan plan.ID{}} }

// Publish tells every subscriber that the measure id changed. A subscriber
// that is not keeping up misses the event rather than blocking the mutation.
func (b *Broker) Publish(id plan.ID) {
	if b == nil {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, f := range b.onChange {
		f()
	}
	for _, ch := range b.subs {
		select {
		case ch <- id:
		default:
		}
	}
}

// Subscribe returns a channel of changed measure ids, closed when ctx ends.
func (b *Broker) Subscribe(ctx context.Context) <-chan plan.ID {
	ch := make(chan plan.ID, 64)
	b.mu.Lock()
	id := b.next
	b.next++
	b.subs[id] = ch
	b.mu.Unlock()
	go func() {
		<-ctx.Done()
		b.mu.Lock()
		delete(b.subs, id)
		close(ch)
		b.mu.Unlock()
	}()
	return ch
}

type actorKey struct{}

// WithActor returns a context whose mutations are recorded as made by name
// (the authenticated token's name).
func WithActor(ctx context.Context, name string) context.Context {
	return context.WithValue(ctx, actorKey{}, name)
}

func actor(ctx context.Context) (string, error) {
	name, _ := ctx.Value(actorKey{}).(string)
	if name == "" {
		return "", &plan.Error{Code: "UNAUTHENTICATED", Message: "authentication required: send a valid token as Authorization: Bearer <token>"}
	}
	return name, nil
}

// matches reports whether a measure id is the one a subscription asked for.
func matches(id plan.ID, code, planSlug *string) bool {
	key := id.Key() // "<plan>/<code>"
	p, c, _ := strings.Cut(key, "/")
	return (code == nil || *code == c) && (planSlug == nil || *planSlug == p)
}
