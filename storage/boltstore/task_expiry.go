package boltstore

import (
	"bytes"
	"context"
	"fmt"
	"time"

	"github.com/ocrbox/ocrbox/core/domain"
)

// DeleteExpiredTasks deletes, in one transaction, up to limit (≥ 1)
// terminal tasks — completed, failed, cancelled — whose RetentionFrom is before
// before, with their index entries, file records and counters, and returns
// them as they were so the caller can remove their files and search
// entries. Pending and processing tasks are never touched, and because the
// check and the delete are one transaction a task retried meanwhile is
// safe. It walks the terminal ranges of tasks_by_status in queued_at order
// and stops at before: a task finishes after it is queued, so nothing
// queued later can have finished earlier (a terminal task without
// completed_at that was retried is found once its queued_at is past too —
// later, never earlier). Internal: the retention janitor only; like the
// queue path it takes no user id and must never be reachable from a request
// handler.
func (s *Store) DeleteExpiredTasks(ctx context.Context, before time.Time, limit int) ([]*domain.Task, error) {
	if limit < 1 {
		return nil, fmt.Errorf("delete expired tasks: limit %d: %w", limit, domain.ErrInvalid)
	}
	stop := timeKey(before)
	var out []*domain.Task
	err := s.update(ctx, func(x *txn) error {
		var expired []*domain.Task
		for _, st := range []domain.TaskStatus{domain.StatusCompleted, domain.StatusFailed, domain.StatusCancelled} {
			err := walkPrefix(x.tasksByStatus, statusPrefix(st), false, func(k, _ []byte) (bool, error) {
				if bytes.Compare(k[1:1+timeLen], stop) >= 0 {
					return true, nil
				}
				t, err := x.getTask(string(k[1+timeLen:]))
				if err != nil {
					return true, err
				}
				if !t.Status.Terminal() { // the index says terminal; trust the record
					return false, nil
				}
				if t.RetentionFrom().Before(before) {
					expired = append(expired, t)
				}
				return len(expired) >= limit, nil
			})
			if err != nil {
				return err
			}
			if len(expired) >= limit {
				break
			}
		}
		// Delete after walking: the cursor must not see its bucket change.
		for _, t := range expired {
			if err := x.putTask(t, nil); err != nil {
				return err
			}
		}
		out = expired
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("delete expired tasks: %w", err)
	}
	return out, nil
}
