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
	Subscribe(taskID string) (<-chan *domain.Task, func())
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
