package history_test

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ocrbox/ocrbox/core/domain"
	"github.com/ocrbox/ocrbox/core/history"
	"github.com/ocrbox/ocrbox/storage/boltstore"
	"github.com/ocrbox/ocrbox/storage/boltstore/boltstoretest"
	"github.com/ocrbox/ocrbox/storage/filestore/filestoretest"
	"github.com/ocrbox/ocrbox/storage/search"
)

// countingIndex counts the batches written to the real index.
type countingIndex struct {
	*search.Index
	updates atomic.Int64
}

func (c *countingIndex) Update(ctx context.Context, put []domain.SearchDoc, del []string) error {
	c.updates.Add(1)
	return c.Index.Update(ctx, put, del)
}

// TestIndexerSkipsWhatChangesNothing: page progress of a running task is
// published on every page but changes nothing the index holds, so it costs
// no index batch (each batch is a new segment to build and merge, in the
// server's process); a change of status, and completion with its text, are
// written; a task that finished leaves the indexer's memory.
func TestIndexerSkipsWhatChangesNothing(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	store := boltstoretest.New(t)
	files := filestoretest.Open(t, filepath.Join(dir, "files"))
	raw, _, err := search.Open(ctx, filepath.Join(dir, "search.bleve"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { raw.Close() })
	index := &countingIndex{Index: raw}
	ix := history.NewIndexer(store, files, index, true, history.IndexerOptions{}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); ix.Run(runCtx) }()
	t.Cleanup(func() { cancel(); <-done })
	flush := func() {
		t.Helper()
		fctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		if err := ix.Flush(fctx); err != nil {
			t.Fatal(err)
		}
	}
	update := func(tk *domain.Task, fn func(*domain.Task)) *domain.Task {
		t.Helper()
		nt, err := store.UpdateTask(ctx, tk.UserID, tk.ID, func(x *domain.Task) error { fn(x); return nil })
		if err != nil {
			t.Fatal(err)
		}
		ix.Publish(nt)
		flush()
		return nt
	}

	user := boltstoretest.User(t, store, "pages@example.org").ID
	now := time.Now().UTC().Truncate(time.Second)
	tk := &domain.Task{ID: boltstore.NewID(), UserID: user, Filename: "scan.tif", Status: domain.StatusPending,
		Engine: "tesseract", Lang: "eng", PagesTotal: 30, CreatedAt: now, QueuedAt: now}
	boltstoretest.CreateTasks(t, store, tk)
	ix.Publish(tk)
	flush()
	if n := index.updates.Load(); n != 1 {
		t.Fatalf("%d batches for a new task, want 1", n)
	}
	tk = update(tk, func(x *domain.Task) { x.Status = domain.StatusProcessing })
	for page := 1; page < 30; page++ {
		tk = update(tk, func(x *domain.Task) { x.PagesDone = page })
	}
	if n := index.updates.Load(); n != 2 {
		t.Fatalf("%d batches after 29 pages of progress, want 2 (created, processing)", n)
	}
	end := now.Add(time.Minute)
	tk = update(tk, func(x *domain.Task) {
		x.Status, x.PagesDone, x.CompletedAt, x.DurationMS = domain.StatusCompleted, 30, &end, 60000
	})
	if n := index.updates.Load(); n != 3 {
		t.Fatalf("%d batches after completion, want 3", n)
	}
	ids, total, err := raw.Search(ctx, user, domain.SearchQuery{Status: domain.StatusCompleted})
	if err != nil || total != 1 || !slices.Equal(ids, []string{tk.ID}) {
		t.Fatalf("completed task not found by status: %v %d %v", ids, total, err)
	}
	// A finished task is written again when published again (retention,
	// retries): it is not remembered.
	ix.Publish(tk)
	flush()
	if n := index.updates.Load(); n != 4 {
		t.Fatalf("%d batches after publishing a finished task again, want 4", n)
	}
}
