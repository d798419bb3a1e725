package worker

import (
	"context"
	"sync"
	"time"

	"github.com/ocrbox/ocrbox/core/domain"
	"github.com/ocrbox/ocrbox/core/fairshare"
)

// positionTTL is how long computed queue positions are reused: a list
// page asks for many at once, and the line moves only when a task is
// opened or queued (which invalidate it) or a person's measured page time
// changes.
const positionTTL = time.Second

// positionNews bounds the places in line announced on the event streams:
// past the first hundred the estimate is rough and moves with every page.
const positionNews = 100

// positionDebounce gathers the moves of a burst (a batch upload, tasks
// opened one after another) into one round of announcements.
const positionDebounce = 300 * time.Millisecond

// place is one pending task's place in line and its owner.
type place struct {
	pos    int
	userID string
}

// positionCache holds every pending task's estimated place in line.
type positionCache struct {
	mu  sync.Mutex
	at  time.Time
	pos map[string]place
	// told is the position last announced per task.
	told map[string]int
	// moved is signalled when the line may have moved.
	moved chan struct{}
}

func (c *positionCache) invalidate() {
	c.mu.Lock()
	c.at = time.Time{}
	c.mu.Unlock()
	select {
	case c.moved <- struct{}{}:
	default:
	}
}

// QueuePosition returns the estimated place in line of a pending task (1 =
// opened next), or 0 when the task is not queued. The estimate replays
// the fair-share rule over the queue as it is now (each task one page of
// its person's measured page time); new arrivals can move it back. The
// caller must own the task: positions reveal nothing about other people
// but their number.
func (w *Worker) QueuePosition(ctx context.Context, taskID string) int {
	pos, err := w.positionsNow(ctx)
	if err != nil {
		w.log.Warn("read the queue for positions", "error", err)
		return 0
	}
	return pos[taskID].pos
}

// positionsNow returns the cached places in line, recomputed when stale.
func (w *Worker) positionsNow(ctx context.Context) (map[string]place, error) {
	c := &w.positions
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.pos != nil && time.Since(c.at) <= positionTTL {
		return c.pos, nil
	}
	queue, err := w.store.PendingQueue(ctx)
	if err != nil {
		return nil, err
	}
	index := map[string]int{}
	owner := make(map[string]string, len(queue))
	var queues []fairshare.Queue
	for _, q := range queue {
		owner[q.ID] = q.UserID
		who := w.person(q.UserID)
		i, ok := index[who]
		if !ok {
			i = len(queues)
			index[who] = i
			queues = append(queues, fairshare.Queue{UserID: who})
		}
		queues[i].Items = append(queues[i].Items, q.ID)
	}
	order := w.sched.Simulate(queues)
	c.pos = make(map[string]place, len(order))
	for i, id := range order {
		c.pos[id] = place{pos: i + 1, userID: owner[id]}
	}
	c.at = time.Now()
	return c.pos, nil
}

// announcePositions runs until ctx ends: whenever the line moves it
// publishes, to each owner's event stream, the pending tasks whose place
// in line changed (among the first positionNews), so "3rd in line" stays
// current without polling.
func (w *Worker) announcePositions(ctx context.Context) {
	c := &w.positions
	for {
		select {
		case <-ctx.Done():
			return
		case <-c.moved:
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(positionDebounce):
		}
		c.mu.Lock()
		c.at = time.Time{}
		c.mu.Unlock()
		pos, err := w.positionsNow(ctx)
		if err != nil {
			continue
		}
		next := make(map[string]int, min(len(pos), positionNews))
		for id, p := range pos {
			if p.pos > positionNews {
				continue
			}
			next[id] = p.pos
			if c.told[id] == p.pos {
				continue
			}
			t, err := w.store.GetTask(ctx, p.userID, id)
			if err != nil || t.Status != domain.StatusPending {
				continue // opened or deleted meanwhile
			}
			t.QueuePosition = p.pos
			w.pub.Publish(t)
		}
		c.told = next
	}
}
