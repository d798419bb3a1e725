package tasks

import (
	"strings"
	"sync"

	"github.com/ocrbox/ocrbox/core/domain"
)

// Broker fans task updates out to the event streams watching them: the
// per-task streams (Subscribe) and, through its UserHub, each owner's one
// stream of all their tasks (SubscribeUser). Per-task updates are
// snapshots, so a slow subscriber that misses one loses nothing: the
// channel holds the latest state.
type Broker struct {
	mu    sync.Mutex
	subs  map[string]map[chan *domain.Task]struct{} // task id → subscribers
	users *UserHub
}

// NewBroker returns an empty broker with a UserHub of default size.
func NewBroker() *Broker {
	return &Broker{subs: map[string]map[chan *domain.Task]struct{}{}, users: NewUserHub(UserHubOptions{})}
}

// SubscribeUser opens a stream of every change to the user's tasks,
// resuming after lastEventID when it can (see UserHub.Subscribe).
func (b *Broker) SubscribeUser(userID, lastEventID string) *UserSub {
	return b.users.Subscribe(userID, lastEventID)
}

// Users is the per-user side of the broker.
func (b *Broker) Users() *UserHub { return b.users }

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
// they have not read yet, and puts it on its owner's stream.
func (b *Broker) Publish(t *domain.Task) {
	b.publishTask(t)
	b.users.PublishTask(t)
}

// Deleted announces that t no longer exists: its per-task streams get it
// as cancelled (their last event), its owner's stream a deleted event.
func (b *Broker) Deleted(t *domain.Task) {
	gone := t.Clone()
	gone.Status = domain.StatusCancelled
	b.publishTask(gone)
	b.users.PublishDeleted(t.UserID, t.ID)
}

func (b *Broker) publishTask(t *domain.Task) {
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
