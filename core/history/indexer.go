// Package history is the task history: search, filters, statistics and
// export over a user's tasks (DESIGN.md §6), and the Indexer that keeps the
// search index (storage/search, derived) in step with bbolt (the source of
// truth).
//
// The Indexer is a task Publisher like the SSE broker: it hears of every
// task change, queues the task id, and a single goroutine re-reads each
// queued task from the store and indexes what it finds there (or removes
// the entry when the task is gone). Re-reading makes the order of
// publications irrelevant: the index converges to what bbolt holds. The
// queue coalesces: a task published a hundred times while queued (page
// progress) is indexed once.
package history

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ocrbox/ocrbox/core/domain"
)

// Store is what the Indexer reads tasks from (implemented by boltstore).
type Store interface {
	GetTask(ctx context.Context, userID, taskID string) (*domain.Task, error)
	// ScanTasks walks every user's tasks; internal, rebuild only.
	ScanTasks(ctx context.Context, after string, limit int) ([]*domain.Task, error)
}

// TaskFiles opens a task's stored files (implemented by filestore).
type TaskFiles interface {
	Open(ctx context.Context, userID, taskID, name string) (*os.File, error)
}

// Index is the search index as the Indexer writes it (storage/search).
type Index interface {
	Update(ctx context.Context, put []domain.SearchDoc, del []string) error
	Rebuild(ctx context.Context, next func() (domain.SearchDoc, bool, error)) (int, error)
	DeleteUser(ctx context.Context, userID string) (int, error)
}

// IndexerOptions tune the Indexer.
type IndexerOptions struct {
	// MaxTextBytes is how much of a task's recognised text is indexed;
	// default 2 MiB.
	MaxTextBytes int64
	// BatchSize is how many queued tasks go into one index batch; default 256.
	BatchSize int
}

// Indexer keeps the search index in step with the store.
type Indexer struct {
	store Store
	files TaskFiles
	index Index
	opts  IndexerOptions
	log   *slog.Logger

	mu      sync.Mutex
	changed *sync.Cond        // broadcast when a batch ends or the queue empties
	pending map[string]string // task id → user id, waiting to be indexed
	busy    bool              // a batch is being indexed
	wake    chan struct{}

	ready atomic.Bool // the index holds every task (no rebuild running or due)

	// indexed remembers, for tasks not yet finished, the document last
	// written (without text: an unfinished task has none), so the
	// publications that change nothing the index holds (page progress,
	// queue positions) cost a store read but no index batch. Only the
	// drain goroutine touches it; a finished or deleted task leaves it, so
	// it holds at most the tasks in flight.
	indexed map[string]domain.SearchDoc
}

// NewIndexer builds an Indexer. ready says whether the index is complete;
// when it is not, Run rebuilds it first.
func NewIndexer(store Store, files TaskFiles, index Index, ready bool, opts IndexerOptions, log *slog.Logger) *Indexer {
	if opts.MaxTextBytes <= 0 {
		opts.MaxTextBytes = 2 << 20
	}
	if opts.BatchSize <= 0 {
		opts.BatchSize = 256
	}
	ix := &Indexer{store: store, files: files, index: index, opts: opts,
		log: log.With("component", "indexer"), pending: map[string]string{}, wake: make(chan struct{}, 1),
		indexed: map[string]domain.SearchDoc{}}
	ix.changed = sync.NewCond(&ix.mu)
	ix.ready.Store(ready)
	return ix
}

// Publish queues a changed, created or deleted task for indexing. It never
// blocks. Whoever deletes tasks outside the task service (retention
// janitor, user deletion) publishes the deleted tasks too, or calls
// RemoveUser.
func (ix *Indexer) Publish(t *domain.Task) {
	if t == nil || t.ID == "" || t.UserID == "" {
		return
	}
	ix.mu.Lock()
	ix.pending[t.ID] = t.UserID
	ix.mu.Unlock()
	select {
	case ix.wake <- struct{}{}:
	default:
	}
}

// Ready reports whether the index holds every task; false while it is
// being rebuilt.
func (ix *Indexer) Ready() bool { return ix.ready.Load() }

// Run rebuilds the index if it is not ready, then indexes queued tasks
// until ctx ends, and finally indexes what is still queued.
func (ix *Indexer) Run(ctx context.Context) error {
	if !ix.Ready() {
		start := time.Now()
		n, err := ix.Rebuild(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			ix.log.Error("search index rebuild failed; history answers 503 until a restart or ocrbox reindex", "error", err)
		} else {
			ix.log.Info("search index rebuilt", "tasks", n, "took", time.Since(start).Round(time.Millisecond))
		}
	}
	for {
		select {
		case <-ctx.Done():
			ix.drain(context.WithoutCancel(ctx))
			return nil
		case <-ix.wake:
			ix.drain(ctx)
		}
	}
}

// Flush waits until every task published before the call is indexed.
func (ix *Indexer) Flush(ctx context.Context) error {
	stop := context.AfterFunc(ctx, func() {
		ix.mu.Lock()
		ix.changed.Broadcast()
		ix.mu.Unlock()
	})
	defer stop()
	ix.mu.Lock()
	defer ix.mu.Unlock()
	for len(ix.pending) > 0 || ix.busy {
		if err := ctx.Err(); err != nil {
			return err
		}
		ix.changed.Wait()
	}
	return nil
}

// drain indexes queued tasks, a batch at a time, until the queue is empty.
func (ix *Indexer) drain(ctx context.Context) {
	for {
		ix.mu.Lock()
		if len(ix.pending) == 0 {
			ix.changed.Broadcast()
			ix.mu.Unlock()
			return
		}
		batch := make(map[string]string, min(len(ix.pending), ix.opts.BatchSize))
		for id, user := range ix.pending {
			batch[id] = user
			delete(ix.pending, id)
			if len(batch) == ix.opts.BatchSize {
				break
			}
		}
		ix.busy = true
		ix.mu.Unlock()

		ix.indexBatch(ctx, batch)

		ix.mu.Lock()
		ix.busy = false
		ix.changed.Broadcast()
		ix.mu.Unlock()
	}
}

// indexBatch re-reads each task and writes what the store holds.
func (ix *Indexer) indexBatch(ctx context.Context, batch map[string]string) {
	var (
		put []domain.SearchDoc
		del []string
	)
	for taskID, userID := range batch {
		t, err := ix.store.GetTask(ctx, userID, taskID)
		switch {
		case errors.Is(err, domain.ErrNotFound), errors.Is(err, domain.ErrForbidden), errors.Is(err, domain.ErrInvalid):
			del = append(del, taskID)
		case err != nil:
			ix.log.Warn("read task to index", "task_id", taskID, "user_id", userID, "error", err)
		default:
			doc := t.SearchDoc(ix.text(ctx, t))
			if last, ok := ix.indexed[taskID]; ok && sameDoc(last, doc) {
				continue // nothing the index holds changed
			}
			put = append(put, doc)
		}
	}
	if len(put) == 0 && len(del) == 0 {
		return
	}
	if err := ix.index.Update(ctx, put, del); err != nil {
		ix.log.Error("update search index", "tasks", len(put), "deleted", len(del), "error", err)
		for _, d := range put {
			delete(ix.indexed, d.TaskID) // unknown state: write it next time
		}
		return
	}
	for _, d := range put {
		if d.Status.Terminal() {
			delete(ix.indexed, d.TaskID)
		} else {
			ix.indexed[d.TaskID] = d
		}
	}
	for _, id := range del {
		delete(ix.indexed, id)
	}
}

// sameDoc reports whether two documents index the same (CompletedAt by
// value, not by pointer).
func sameDoc(a, b domain.SearchDoc) bool {
	ac, bc := a.CompletedAt, b.CompletedAt
	a.CompletedAt, b.CompletedAt = nil, nil
	if a != b || (ac == nil) != (bc == nil) {
		return false
	}
	return ac == nil || ac.Equal(*bc)
}

// RemoveUser removes every index entry of a deleted user.
func (ix *Indexer) RemoveUser(ctx context.Context, userID string) error {
	n, err := ix.index.DeleteUser(ctx, userID)
	if err != nil {
		return err
	}
	ix.log.Info("removed a user's tasks from the search index", "user_id", userID, "tasks", n)
	return nil
}

// scanChunk is how many tasks a rebuild reads per store transaction.
const scanChunk = 1000

// Rebuild refills the index from the store: every task, with the
// recognised text of completed ones. History answers 503 while it runs.
// It returns how many tasks it indexed.
func (ix *Indexer) Rebuild(ctx context.Context) (int, error) {
	ix.ready.Store(false)
	var (
		buf   []*domain.Task
		after string
		done  bool
	)
	next := func() (domain.SearchDoc, bool, error) {
		if len(buf) == 0 && !done {
			page, err := ix.store.ScanTasks(ctx, after, scanChunk)
			if err != nil {
				return domain.SearchDoc{}, false, err
			}
			done = len(page) < scanChunk
			if len(page) > 0 {
				after = page[len(page)-1].ID
			}
			buf = page
		}
		if len(buf) == 0 {
			return domain.SearchDoc{}, false, nil
		}
		t := buf[0]
		buf = buf[1:]
		return t.SearchDoc(ix.text(ctx, t)), true, nil
	}
	n, err := ix.index.Rebuild(ctx, next)
	if err != nil {
		return n, err
	}
	ix.ready.Store(true)
	return n, nil
}
