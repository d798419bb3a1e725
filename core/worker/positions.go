package worker

import (
	"context"
	"sync"
	"time"

	"github.com/ocrbox/ocrbox/core/fairshare"
)

// positionTTL is how long computed queue positions are reused: a list
// page asks for many at once, and the line moves only when a task is
// opened (which invalidates it) or a person's measured page time changes.
const positionTTL = time.Second

// positionCache holds every pending task's estimated place in line.
type positionCache struct {
	mu  sync.Mutex
	at  time.Time
	pos map[string]int
}

func (c *positionCache) invalidate() {
	c.mu.Lock()
	c.at = time.Time{}
	c.mu.Unlock()
}

// QueuePosition returns the estimated place in line of a pending task (1 =
// opened next), or 0 when the task is not queued. The estimate replays
// the fair-share rule over the queue as it is now (each task one page of
// its person's measured page time); new arrivals can move it back. The
// caller must own the task: positions reveal nothing about other people
// but their number.
func (w *Worker) QueuePosition(ctx context.Context, taskID string) int {
	c := &w.positions
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.pos == nil || time.Since(c.at) > positionTTL {
		queue, err := w.store.PendingQueue(ctx)
		if err != nil {
			w.log.Warn("read the queue for positions", "error", err)
			return 0
		}
		index := map[string]int{}
		var queues []fairshare.Queue
		for _, q := range queue {
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
		c.pos = make(map[string]int, len(order))
		for i, id := range order {
			c.pos[id] = i + 1
		}
		c.at = time.Now()
	}
	return c.pos[taskID]
}
