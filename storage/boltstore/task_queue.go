package boltstore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/ocrbox/ocrbox/core/domain"
)

// The worker's queue is the pending range of tasks_by_status, oldest
// queued_at first. The methods in this file take no user id: they are for
// core/worker and startup recovery only and must never be reachable from a
// request handler (DESIGN.md §4, isolation by construction).

// ClaimNextPending takes the pending task with the oldest QueuedAt and, in
// the same transaction, claims it (domain.Claim: processing, StartedAt set
// to now if unset, one more attempt). Concurrent callers never get the same task. It
// returns (nil, nil) when nothing is pending. Internal: worker only.
func (s *Store) ClaimNextPending(ctx context.Context, now time.Time) (*domain.Task, error) {
	var out *domain.Task
	err := s.update(ctx, func(x *txn) error {
		prefix := statusPrefix(domain.StatusPending)
		k, _ := x.tasksByStatus.Cursor().Seek(prefix)
		if k == nil || !bytes.HasPrefix(k, prefix) {
			return nil
		}
		old, err := x.getTask(string(k[1+timeLen:]))
		if err != nil {
			return err
		}
		if old.Status != domain.StatusPending {
			return fmt.Errorf("queue entry for task %s in status %s: index out of step", old.ID, old.Status)
		}
		next, err := claimed(old, now)
		if err != nil {
			return err
		}
		out = next.Clone()
		return x.putTask(old, next)
	})
	if err != nil {
		return nil, fmt.Errorf("claim next pending task: %w", err)
	}
	return out, nil
}

// PendingQueue returns every pending task's id, owner and QueuedAt, oldest
// QueuedAt first, from the queue index alone (no task record is read).
// The scheduler groups it by person. Internal: worker only.
func (s *Store) PendingQueue(ctx context.Context) ([]domain.QueuedTask, error) {
	var out []domain.QueuedTask
	err := s.view(ctx, func(x *txn) error {
		return walkPrefix(x.tasksByStatus, statusPrefix(domain.StatusPending), false, func(k, v []byte) (bool, error) {
			out = append(out, domain.QueuedTask{ID: string(k[1+timeLen:]), UserID: string(v), QueuedAt: keyTime(k[1 : 1+timeLen])})
			return false, nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("read the queue: %w", err)
	}
	return out, nil
}

// ClaimPending takes the given task if it is still pending and, in the same
// transaction, claims it (domain.Claim: processing, StartedAt set to now if
// unset, one more attempt). It returns (nil, nil) when the task is no longer
// pending (claimed, cancelled or deleted since the caller read the queue).
// Internal: worker only.
func (s *Store) ClaimPending(ctx context.Context, taskID string, now time.Time) (*domain.Task, error) {
	if err := checkID("task", taskID); err != nil {
		return nil, err
	}
	var out *domain.Task
	err := s.update(ctx, func(x *txn) error {
		old, err := x.getTask(taskID)
		if errors.Is(err, domain.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		if old.Status != domain.StatusPending {
			return nil
		}
		next, err := claimed(old, now)
		if err != nil {
			return err
		}
		out = next.Clone()
		return x.putTask(old, next)
	})
	if err != nil {
		return nil, fmt.Errorf("claim task %s: %w", taskID, err)
	}
	return out, nil
}

// claimed is old as the worker takes it (domain.Claim: processing,
// started once, one more attempt).
func claimed(old *domain.Task, now time.Time) (*domain.Task, error) {
	next := old.Clone()
	if err := next.Apply(domain.Claim(), now); err != nil {
		return nil, fmt.Errorf("claim task %s: %w", old.ID, err)
	}
	return next, nil
}

// RequeueProcessing puts every processing task back to pending
// (domain.Requeue), keeping its QueuedAt so it is claimed before newer
// work, and returns how many. Run it at startup before the workers (crash
// recovery). Internal: startup only.
func (s *Store) RequeueProcessing(ctx context.Context, now time.Time) (int, error) {
	var n int
	err := s.update(ctx, func(x *txn) error {
		for _, k := range prefixKeys(x.tasksByStatus, statusPrefix(domain.StatusProcessing)) {
			old, err := x.getTask(string(k[1+timeLen:]))
			if err != nil {
				return err
			}
			next := old.Clone()
			if err := next.Apply(domain.Requeue(""), now); err != nil {
				return fmt.Errorf("requeue task %s: %w", old.ID, err)
			}
			if err := x.putTask(old, next); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("requeue processing tasks: %w", err)
	}
	return n, nil
}

// QueueStats returns how many tasks are pending and the QueuedAt of the
// oldest (zero when none), for metrics and /readyz. Internal: worker and
// metrics only.
func (s *Store) QueueStats(ctx context.Context) (pending int, oldest time.Time, err error) {
	err = s.view(ctx, func(x *txn) error {
		return walkPrefix(x.tasksByStatus, statusPrefix(domain.StatusPending), false, func(k, _ []byte) (bool, error) {
			if pending == 0 {
				oldest = keyTime(k[1 : 1+timeLen])
			}
			pending++
			return false, nil
		})
	})
	if err != nil {
		return 0, time.Time{}, fmt.Errorf("queue stats: %w", err)
	}
	return pending, oldest, nil
}
