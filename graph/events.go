package graph

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/shenzhenplan/kgapi/plan"
)

// Broker fans out the changes of the graph's change log (plan.Change) to
// the subscriptions of this process and to whatever keeps a cache
// (OnChange). With a follower (Follow), every change reaches it from the
// log, in sequence order, whichever replica or loader made it; without
// one, a process hears of its own writes only (Local).
type Broker struct {
	mu        sync.Mutex
	next      int
	subs      map[int]chan plan.Change
	onChange  []func()
	following bool
	nudge     chan struct{}
}

// OnChange registers f to run, synchronously, on every change before the
// subscribers hear of it (the response cache empties itself there).
func (b *Broker) OnChange(f func()) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.onChange = append(b.onChange, f)
}

// NewBroker returns a broker with no subscribers.
func NewBroker() *Broker {
	return &Broker{subs: map[int]chan plan.Change{}, nudge: make(chan struct{}, 1)}
}

// publish tells the caches and every subscriber of change c. A subscriber
// that is not keeping up misses it here and reads it from the log (see
// changeStream), rather than blocking the follower.
func (b *Broker) publish(c plan.Change) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, f := range b.onChange {
		f()
	}
	for _, ch := range b.subs {
		select {
		case ch <- c:
		default:
		}
	}
}

// Local is called after this process committed change c: the caches empty
// at once (this replica reads its own write), and the follower reads the
// log now; without a follower the subscribers hear of c directly.
func (b *Broker) Local(c plan.Change) {
	if b == nil {
		return
	}
	b.mu.Lock()
	following := b.following
	for _, f := range b.onChange {
		f()
	}
	b.mu.Unlock()
	if following {
		select {
		case b.nudge <- struct{}{}:
		default:
		}
		return
	}
	b.publish(c)
}

// Subscribe returns a channel of changes, closed when ctx ends.
func (b *Broker) Subscribe(ctx context.Context) <-chan plan.Change {
	ch := make(chan plan.Change, 64)
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

// DefaultFollowInterval is how often a follower reads the change log.
const DefaultFollowInterval = 200 * time.Millisecond

// maxFollowBackoff bounds the wait between reads while Neo4j is down.
const maxFollowBackoff = 5 * time.Second

// Follow reads the change log every interval (and at once after a local
// write), from its end when Follow starts, and publishes each new entry in
// order, until ctx ends. While the log cannot be read it waits longer
// each time (up to 5 s) and reports each failure to onErr. Caches that
// follow the broker are then stale for at most about one interval after a
// write anywhere.
func (b *Broker) Follow(ctx context.Context, log plan.ChangeLog, interval time.Duration, onErr func(error)) {
	if interval <= 0 {
		interval = DefaultFollowInterval
	}
	b.mu.Lock()
	b.following = true
	b.mu.Unlock()
	defer func() {
		b.mu.Lock()
		b.following = false
		b.mu.Unlock()
	}()
	wait, last, started, idle := interval, int64(0), false, 0
	for {
		if !started {
			seq, err := log.LastChange(ctx)
			if err == nil {
				last, started = seq, true
			} else if onErr != nil && ctx.Err() == nil {
				onErr(err)
			}
		}
		if started {
			changes, err := log.ChangesSince(ctx, last, 256)
			switch {
			case err != nil:
				if onErr != nil && ctx.Err() == nil {
					onErr(err)
				}
				wait = min(wait*2, maxFollowBackoff)
			default:
				wait = interval
				for _, c := range changes {
					b.publish(c)
					last = c.Seq
				}
				if len(changes) == 256 {
					continue // more to read
				}
				if len(changes) > 0 {
					idle = 0
				} else if idle++; idle%50 == 0 {
					// A log that went back (the database was emptied or
					// restored): follow it from its new end, caches emptied.
					// (Subscribers resubscribe: their sequence numbers
					// belong to the old log.)
					if seq, err := log.LastChange(ctx); err == nil && seq < last {
						last = seq
						b.mu.Lock()
						for _, f := range b.onChange {
							f()
						}
						b.mu.Unlock()
					}
				}
			}
		} else {
			wait = min(wait*2, maxFollowBackoff)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-b.nudge:
			t.Stop()
		case <-t.C:
		}
	}
}

// changeStream is the changes a subscription sends, in sequence order,
// none missed and none twice: those after `after` that the log holds
// (from the log's end when after is nil), then each new one. The broker's
// deliveries wake it; a gap between what it sent and what the broker
// brings (a delivery missed while it was slow, a write it has not heard
// of) is read from the log.
func changeStream(ctx context.Context, b *Broker, log plan.ChangeLog, after *int) (<-chan plan.Change, error) {
	live := b.Subscribe(ctx) // first, so that nothing falls between the two
	var last int64
	if after != nil {
		last = int64(*after)
	} else {
		seq, err := log.LastChange(ctx)
		if err != nil {
			return nil, err
		}
		last = seq
	}
	out := make(chan plan.Change, 16)
	go func() {
		defer close(out)
		send := func(c plan.Change) bool {
			if c.Seq <= last {
				return true
			}
			select {
			case out <- c:
				last = c.Seq
				return true
			case <-ctx.Done():
				return false
			}
		}
		// catchUp sends what the log holds after last, up to through (0: all).
		catchUp := func(through int64) bool {
			for {
				cs, err := log.ChangesSince(ctx, last, 256)
				if err != nil {
					return ctx.Err() == nil // the gap stays: the next delivery tries again
				}
				for _, c := range cs {
					if through > 0 && c.Seq > through {
						return true
					}
					if !send(c) {
						return false
					}
				}
				if len(cs) < 256 {
					return true
				}
			}
		}
		if after != nil && !catchUp(0) {
			return
		}
		for c := range live {
			if c.Seq > last+1 {
				if !catchUp(c.Seq - 1) {
					return
				}
				if c.Seq > last+1 {
					continue // the log could not be read: the next delivery reads the gap and c
				}
			}
			if !send(c) {
				return
			}
		}
	}()
	return out, nil
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
		return "", &plan.Error{Code: plan.EUNAUTHENTICATED, Message: "authentication required: send a valid token as Authorization: Bearer <token>"}
	}
	return name, nil
}

// matches reports whether a measure id is the one a subscription asked for.
func matches(id plan.ID, code, planSlug *string) bool {
	key := id.Key() // "<plan>/<code>"
	p, c, _ := strings.Cut(key, "/")
	return (code == nil || *code == c) && (planSlug == nil || *planSlug == p)
}
