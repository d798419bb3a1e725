package tasks

import (
	"context"

	"github.com/ocrbox/ocrbox/core/domain"
)

// Publisher receives every task update: created, changed, deleted.
type Publisher interface {
	Publish(t *domain.Task)
}

// Events is where the service announces task updates and where event
// streams subscribe: the Broker, or a Fanout around it.
type Events interface {
	Publisher
	// Deleted announces a task removed from the store.
	Deleted(t *domain.Task)
	// Subscribe follows one task.
	Subscribe(taskID string) (<-chan *domain.Task, func())
	// SubscribeUser follows all of one user's tasks.
	SubscribeUser(userID, lastEventID string) *UserSub
}

// Fanout is the Broker plus more publishers (the search indexer): every
// update goes to the broker's subscribers and to each of Also, in order.
// The worker publishes through it too.
type Fanout struct {
	*Broker
	Also []Publisher
}

// Publish sends t to the broker and to every other publisher.
func (f Fanout) Publish(t *domain.Task) {
	f.Broker.Publish(t)
	for _, p := range f.Also {
		p.Publish(t)
	}
}

// Deleted tells the broker's streams, and publishes t to every other
// publisher: they find it gone from the store (the indexer drops it).
func (f Fanout) Deleted(t *domain.Task) {
	f.Broker.Deleted(t)
	for _, p := range f.Also {
		p.Publish(t)
	}
}

// WatchUser opens the stream of every change to the user's tasks,
// resuming after lastEventID when the events since are still kept. The
// user id comes from the session, so a stream only ever carries its
// owner's tasks.
func (s *Service) WatchUser(_ context.Context, userID, lastEventID string) (*UserSub, error) {
	if userID == "" {
		return nil, domain.Errorf(domain.ErrUnauthenticated, domain.CodeUnauthenticated, "no user")
	}
	return s.broker.SubscribeUser(userID, lastEventID), nil
}

// Searcher serves the list orders the store has no index for (filename,
// status, duration) from the search index (core/history).
type Searcher interface {
	// Ready is false while the index is rebuilt; the store serves then.
	Ready() bool
	List(ctx context.Context, userID string, q domain.ListQuery) ([]*domain.Task, int, error)
}

// SetSearcher attaches the search index for sorted lists; without one,
// every order is served by the store.
func (s *Service) SetSearcher(search Searcher) { s.search = search }
