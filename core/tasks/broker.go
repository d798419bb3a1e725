package tasks

import (
	"strings"
	"sync"

	"github.com/ocrbox/ocrbox/core/domain"
)

// Broker fans task updates out to the event streams watching them. Updates
// are snapshots, so a slow subscriber that misses one loses nothing: the
// channel holds the latest state.
type Broker struct {
	mu   sync.Mutex
	subs map[string]map[chan *domain.Task]struct{} // task id → subscribers
}

// NewBroker returns an empty broker.
func NewBroker() *Broker {
	return &Broker{subs: map[string]map[chan *domain.Task]struct{}{}}
}

// Subscribe returns a channel of updates for one task and a function that
// ends the subscription.
func (b *Broker) Subscribe(taskID string) (<-chan *domain.Task, func()) {
	taskID = strings.Clone(taskID) // the key outlives the request that named it
	ch := make(chan *domain.Task, 1)
	b.mu.Lock()
	if b.subs[taskID] == nil {
		b.subs[taskID] = map[chan *domain.Task]struct{}{}
	}
	b.subs[taskID][ch] = struct{}{}
	b.mu.Unlock()
	return ch, func() {
		b.mu.Lock()
		delete(b.subs[taskID], ch)
		if len(b.subs[taskID]) == 0 {
			delete(b.subs, taskID)
		}
		b.mu.Unlock()
	}
}

// Publish sends a snapshot of t to its subscribers, replacing any update
// they have not read yet.
func (b *Broker) Publish(t *domain.Task) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for ch := range b.subs[t.ID] {
		snap := t.Clone()
		select {
		case ch <- snap:
		default:
			select {
			case <-ch:
			default:
			}
			ch <- snap
		}
	}
}
