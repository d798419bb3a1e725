package boltstore

import (
	"context"
	"fmt"

	"github.com/ocrbox/ocrbox/core/domain"
)

// CreateTaskLimited stores a new task of an existing user with its index
// entries, file records and counters in one transaction, with the per-user
// quota checked in the same transaction, so concurrent uploads cannot
// overshoot it: a user who already has q.MaxTasks tasks, or whose files plus
// this task's would pass q.MaxBytes, gets domain.ErrQuota (code
// quota_exceeded, the limit in the message). Zero fields mean no limit
// (tests store tasks that way: boltstoretest.CreateTasks). The caller sets
// ID, UserID, Status, CreatedAt and QueuedAt (a zero QueuedAt becomes
// CreatedAt). A task or file id already in use → domain.ErrConflict.
func (s *Store) CreateTaskLimited(ctx context.Context, t *domain.Task, q domain.Quota) error {
	if t.QueuedAt.IsZero() {
		t.QueuedAt = t.CreatedAt
	}
	if err := validTask(t); err != nil {
		return fmt.Errorf("create task: %w", err)
	}
	err := s.update(ctx, func(x *txn) error {
		if err := x.requireUser(t.UserID); err != nil {
			return err
		}
		if x.tasks.Get([]byte(t.ID)) != nil {
			return fmt.Errorf("task %s exists: %w", t.ID, domain.ErrConflict)
		}
		if q.MaxTasks > 0 || q.MaxBytes > 0 {
			st, err := x.getStats(t.UserID)
			if err != nil {
				return err
			}
			if err := checkQuota(st, contribution(t), q); err != nil {
				return err
			}
		}
		return x.putTask(nil, t)
	})
	if err != nil {
		return fmt.Errorf("create task: %w", err)
	}
	return nil
}

// checkQuota refuses adding to a user whose counters are st.
func checkQuota(st, adding Stats, q domain.Quota) error {
	if q.MaxTasks > 0 && st.Tasks+adding.Tasks > q.MaxTasks {
		return domain.TaskQuotaError(q.MaxTasks, st.Tasks)
	}
	if q.MaxBytes > 0 && st.Bytes+adding.Bytes > q.MaxBytes {
		return domain.StorageQuotaError(q.MaxBytes, st.Bytes)
	}
	return nil
}

// GetTask returns one of userID's tasks: another user's task →
// domain.ErrForbidden, an unknown one → domain.ErrNotFound.
func (s *Store) GetTask(ctx context.Context, userID, taskID string) (*domain.Task, error) {
	if err := checkIDs(userID, taskID); err != nil {
		return nil, fmt.Errorf("get task: %w", err)
	}
	var t *domain.Task
	err := s.view(ctx, func(x *txn) error {
		var err error
		t, err = x.ownedTask(userID, taskID)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("get task: %w", err)
	}
	return t, nil
}

// UpdateTask loads one of userID's tasks, lets fn change it and stores the
// result with its index entries, file records and counters, all in one
// transaction. An error from fn aborts the transaction and is returned. fn
// may not change ID, UserID or CreatedAt (domain.ErrInvalid). Status
// changes go through domain.Task.Apply inside fn, the one state machine;
// the store only keeps the indexes in step. It returns the stored task.
func (s *Store) UpdateTask(ctx context.Context, userID, taskID string, fn func(t *domain.Task) error) (*domain.Task, error) {
	if err := checkIDs(userID, taskID); err != nil {
		return nil, fmt.Errorf("update task: %w", err)
	}
	var out *domain.Task
	err := s.update(ctx, func(x *txn) error {
		old, err := x.ownedTask(userID, taskID)
		if err != nil {
			return err
		}
		next := old.Clone()
		if err := fn(next); err != nil {
			return err
		}
		if next.ID != old.ID || next.UserID != old.UserID || !next.CreatedAt.Equal(old.CreatedAt) {
			return fmt.Errorf("task id, user id and created_at are fixed: %w", domain.ErrInvalid)
		}
		next.CreatedAt = old.CreatedAt // same instant; keep the stored key exact
		if next.QueuedAt.IsZero() {
			next.QueuedAt = next.CreatedAt
		}
		if err := validTask(next); err != nil {
			return err
		}
		out = next.Clone()
		return x.putTask(old, next)
	})
	if err != nil {
		return nil, fmt.Errorf("update task %s: %w", taskID, err)
	}
	return out, nil
}

// DeleteTask removes one of userID's tasks with its index entries and file
// records and returns it, so the caller can remove its files.
func (s *Store) DeleteTask(ctx context.Context, userID, taskID string) (*domain.Task, error) {
	if err := checkIDs(userID, taskID); err != nil {
		return nil, fmt.Errorf("delete task: %w", err)
	}
	var out *domain.Task
	err := s.update(ctx, func(x *txn) error {
		old, err := x.ownedTask(userID, taskID)
		if err != nil {
			return err
		}
		out = old
		return x.putTask(old, nil)
	})
	if err != nil {
		return nil, fmt.Errorf("delete task %s: %w", taskID, err)
	}
	return out, nil
}

func checkIDs(userID, taskID string) error {
	if err := checkID("user", userID); err != nil {
		return err
	}
	return checkID("task", taskID)
}

// getTask loads a task or fails with domain.ErrNotFound.
func (x *txn) getTask(taskID string) (*domain.Task, error) {
	var r taskRecord
	found, err := getJSON(x.tasks, []byte(taskID), &r)
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, fmt.Errorf("task %s: %w", taskID, domain.ErrNotFound)
	}
	return r.task(), nil
}

// ownedTask loads a task and checks that userID owns it.
func (x *txn) ownedTask(userID, taskID string) (*domain.Task, error) {
	t, err := x.getTask(taskID)
	if err != nil {
		return nil, err
	}
	if t.UserID != userID {
		return nil, fmt.Errorf("task %s: %w", taskID, domain.ErrForbidden)
	}
	return t, nil
}

// putTask replaces old by next (either may be nil, both have the same id
// and owner) in tasks, every index and user_stats. It is the only writer of
// task data, which is what keeps the indexes and counters exact.
func (x *txn) putTask(old, next *domain.Task) error {
	if old != nil {
		if err := x.deleteTaskEntries(old); err != nil {
			return err
		}
	}
	if next != nil {
		if err := x.writeTaskEntries(next); err != nil {
			return err
		}
	}
	delta := contribution(next)
	delta.add(contribution(old), -1)
	userID := ""
	if old != nil {
		userID = old.UserID
	} else if next != nil {
		userID = next.UserID
	}
	return x.addStats(userID, delta)
}

func (x *txn) deleteTaskEntries(t *domain.Task) error {
	sk, err := statusKey(t.Status, t.QueuedAt, t.ID)
	if err != nil {
		return err
	}
	if err := x.tasksByStatus.Delete(sk); err != nil {
		return err
	}
	if err := x.tasksByUser.Delete(userTaskKey(t.UserID, t.CreatedAt, t.ID)); err != nil {
		return err
	}
	usk, err := userStatusKey(t.UserID, t.Status, t.CreatedAt, t.ID)
	if err != nil {
		return err
	}
	if err := x.tasksByUserStatus.Delete(usk); err != nil {
		return err
	}
	for _, f := range t.Files {
		if err := x.taskFiles.Delete([]byte(f.ID)); err != nil {
			return err
		}
	}
	return x.tasks.Delete([]byte(t.ID))
}

func (x *txn) writeTaskEntries(t *domain.Task) error {
	for _, f := range t.Files {
		if x.taskFiles.Get([]byte(f.ID)) != nil {
			return fmt.Errorf("file id %s in use: %w", f.ID, domain.ErrConflict)
		}
		r := recordFromFile(f)
		r.TaskID, r.UserID = t.ID, t.UserID
		if err := putJSON(x.taskFiles, []byte(f.ID), r); err != nil {
			return err
		}
	}
	sk, err := statusKey(t.Status, t.QueuedAt, t.ID)
	if err != nil {
		return err
	}
	if err := x.tasksByStatus.Put(sk, []byte(t.UserID)); err != nil {
		return err
	}
	if err := x.tasksByUser.Put(userTaskKey(t.UserID, t.CreatedAt, t.ID), nil); err != nil {
		return err
	}
	usk, err := userStatusKey(t.UserID, t.Status, t.CreatedAt, t.ID)
	if err != nil {
		return err
	}
	if err := x.tasksByUserStatus.Put(usk, nil); err != nil {
		return err
	}
	return putJSON(x.tasks, []byte(t.ID), recordFromTask(t))
}
