// Package orphans removes task directories that no task record owns: what
// a crash can leave between streaming an upload to disk and storing its
// record, or between deleting a record and removing its files. It runs
// once in the background at start; a directory younger than MinAge is left
// alone, because an upload in flight writes its files before its record.
package orphans

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/ocrbox/ocrbox/core/domain"
	"github.com/ocrbox/ocrbox/core/tasks"
)

// Store answers which of a user's task ids exist (boltstore.GetTasks).
type Store interface {
	GetTasks(ctx context.Context, userID string, ids []string) ([]*domain.Task, error)
}

// TaskFiles lists and removes task directories (filestore).
type TaskFiles interface {
	TaskDirs(ctx context.Context, fn func(userID, taskID string, modTime time.Time) error) error
	RemoveTask(ctx context.Context, userID, taskID string) error
}

// Options tune a sweep; zero values pick the defaults.
type Options struct {
	// MinAge protects directories of uploads still in flight; default 1h.
	MinAge time.Duration
	// Batch is how many ids one database lookup checks; default 500.
	Batch int
	// Now is the clock; default time.Now.
	Now func() time.Time
}

// Sweep removes orphaned task directories and returns how many.
func Sweep(ctx context.Context, store Store, files TaskFiles, opts Options, log *slog.Logger) (int, error) {
	if opts.MinAge <= 0 {
		opts.MinAge = time.Hour
	}
	if opts.Batch <= 0 {
		opts.Batch = 500
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	cutoff := opts.Now().Add(-opts.MinAge)
	removed := 0
	var user string
	var batch []string
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		found, err := store.GetTasks(ctx, user, batch)
		if err != nil {
			return fmt.Errorf("look up tasks of %s: %w", user, err)
		}
		exists := make(map[string]bool, len(found))
		for _, t := range found {
			exists[t.ID] = true
		}
		for _, id := range batch {
			if exists[id] {
				continue
			}
			// No record, so nothing to tell the event broker; a search entry
			// left by a crash goes with the index rebuild that follows one.
			if err := tasks.RemoveLeftovers(ctx, files, nil, user, id); err != nil {
				return fmt.Errorf("remove orphaned task directory %s/%s: %w", user, id, err)
			}
			log.Info("orphaned task directory removed", "user_id", user, "task_id", id)
			removed++
		}
		batch = batch[:0]
		return nil
	}
	err := files.TaskDirs(ctx, func(userID, taskID string, mod time.Time) error {
		if userID != user {
			if err := flush(); err != nil {
				return err
			}
			user = userID
		}
		if mod.After(cutoff) {
			return nil
		}
		batch = append(batch, taskID)
		if len(batch) >= opts.Batch {
			return flush()
		}
		return nil
	})
	if err == nil {
		err = flush()
	}
	return removed, err
}
